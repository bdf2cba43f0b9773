package dialer

import (
	"maps"
	"testing"

	"github.com/parleyhq/parley/internal/parley"
)

var testScript = &Script{Items: []ScriptItem{
	{Kind: ItemText, Label: "Hello, this is Parley calling about your plan."},
	{Kind: ItemCheckbox, Name: "interested", Label: "Interested?"},
	{Kind: ItemChoice, Name: "plan", Label: "Which plan?", Options: []string{"basic", "plus"}},
	{Kind: ItemInput, Name: "note", Label: "Anything else?"},
}}

// requiredScript requires the plan and the consent checkbox.
var requiredScript = &Script{Items: []ScriptItem{
	{Kind: ItemText, Label: "Hello"},
	{Kind: ItemChoice, Name: "plan", Label: "Which plan?", Options: []string{"basic", "plus"}, Required: true},
	{Kind: ItemCheckbox, Name: "consent", Label: "May we call again?", Required: true},
	{Kind: ItemInput, Name: "note", Label: "Anything else?"},
}}

func TestScriptValidate(t *testing.T) {
	tests := []struct {
		name  string
		s     *Script
		field string
	}{
		{"none", nil, ""},
		{"valid", testScript, ""},
		{"empty", &Script{}, "script.items"},
		{"no label", &Script{Items: []ScriptItem{{Kind: ItemCheckbox, Name: "a"}}}, "script.items[0].label"},
		{"no kind", &Script{Items: []ScriptItem{{Name: "a", Label: "A"}}}, "script.items[0].kind"},
		{"bad kind", &Script{Items: []ScriptItem{{Kind: "radio", Name: "a", Label: "A"}}}, "script.items[0].kind"},
		{"text with a name", &Script{Items: []ScriptItem{{Kind: ItemText, Name: "a", Label: "A"}}}, "script.items[0].name"},
		{"bad name", &Script{Items: []ScriptItem{{Kind: ItemInput, Name: "a b", Label: "A"}}}, "script.items[0].name"},
		{"same name", &Script{Items: []ScriptItem{{Kind: ItemInput, Name: "a", Label: "A"}, {Kind: ItemCheckbox, Name: "a", Label: "B"}}}, "script.items[1].name"},
		{"one option", &Script{Items: []ScriptItem{{Kind: ItemChoice, Name: "a", Label: "A", Options: []string{"x"}}}}, "script.items[0].options"},
		{"same option", &Script{Items: []ScriptItem{{Kind: ItemChoice, Name: "a", Label: "A", Options: []string{"x", "x"}}}}, "script.items[0].options[1]"},
		{"options on a checkbox", &Script{Items: []ScriptItem{{Kind: ItemCheckbox, Name: "a", Label: "A", Options: []string{"x", "y"}}}}, "script.items[0].options"},
		{"required text", &Script{Items: []ScriptItem{{Kind: ItemText, Label: "Hello", Required: true}}}, "script.items[0].required"},
		{"required question", &Script{Items: []ScriptItem{{Kind: ItemInput, Name: "a", Label: "A", Required: true}}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.s.validate("script")
			if tt.field == "" {
				if err != nil {
					t.Fatalf("validate: %v", err)
				}
				return
			}
			if parley.ErrorCode(err) != parley.EINVALID || parley.ErrorField(err) != tt.field {
				t.Fatalf("validate = %v, want EINVALID on %s", err, tt.field)
			}
		})
	}
}

func TestScriptAnswers(t *testing.T) {
	tests := []struct {
		name    string
		s       *Script
		answers map[string]string
		want    map[string]string
		field   string
	}{
		{"none", testScript, nil, nil, ""},
		{"all", testScript, map[string]string{"interested": "true", "plan": "plus", "note": "call after 5"},
			map[string]string{"interested": "true", "plan": "plus", "note": "call after 5"}, ""},
		{"some", testScript, map[string]string{"plan": "basic"}, map[string]string{"plan": "basic"}, ""},
		{"unknown question", testScript, map[string]string{"age": "3"}, nil, "answers.age"},
		{"bad checkbox", testScript, map[string]string{"interested": "yes"}, nil, "answers.interested"},
		{"not an option", testScript, map[string]string{"plan": "gold"}, nil, "answers.plan"},
		{"no script", nil, map[string]string{"plan": "basic"}, nil, "answers"},
		{"no script, no answers", nil, nil, nil, ""},
		{"required answered", requiredScript, map[string]string{"plan": "plus", "consent": "false"},
			map[string]string{"plan": "plus", "consent": "false"}, ""},
		{"required missing", requiredScript, map[string]string{"consent": "true", "note": "x"}, nil, "answers.plan"},
		{"required empty", requiredScript, map[string]string{"plan": "plus", "consent": ""}, nil, "answers.consent"},
		{"required, no answers at all", requiredScript, nil, nil, "answers.plan"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.s.Answers(tt.answers)
			if tt.field != "" {
				if parley.ErrorField(err) != tt.field {
					t.Fatalf("Answers = %v, want an error on %s", err, tt.field)
				}
				return
			}
			if err != nil || !maps.Equal(got, tt.want) {
				t.Fatalf("Answers = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}
