package dialer

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/parleyhq/parley/internal/directory"
	"github.com/parleyhq/parley/internal/parley"
)

// Kinds of a call script's items.
const (
	// ItemText is a sentence for the operator to say; it takes no answer.
	ItemText = "text"
	// ItemCheckbox is answered "true" or "false".
	ItemCheckbox = "checkbox"
	// ItemChoice is a closed question: answered with one of its options.
	ItemChoice = "choice"
	// ItemInput is an open question: answered with free text.
	ItemInput = "input"
)

// Bounds of a call script.
const (
	MaxScriptItems  = 100
	MaxScriptText   = 2000
	MaxChoices      = 50
	MaxAnswerLength = 1000
)

// Script is a campaign's call script: the form the operator follows and
// fills in during a call. Each answer is kept as a session parameter named
// by its item.
type Script struct {
	Items []ScriptItem `json:"items"`
}

// ScriptItem is one item of a call script. Name is the parameter its
// answer is kept under (none for text). A Required item must be answered
// (a checkbox true or false, an input with some text) before the session
// is wrapped up.
type ScriptItem struct {
	Kind     string   `json:"kind"`
	Name     string   `json:"name,omitempty"`
	Label    string   `json:"label"`
	Options  []string `json:"options,omitempty"`
	Required bool     `json:"required,omitempty"`
}

func (s *Script) validate(field string) error {
	if s == nil {
		return nil
	}
	if len(s.Items) == 0 || len(s.Items) > MaxScriptItems {
		return parley.FieldErrorf(field+".items", "a script has 1 to %d items; this one has %d", MaxScriptItems, len(s.Items))
	}
	names := map[string]int{}
	for i, it := range s.Items {
		f := fmt.Sprintf("%s.items[%d]", field, i)
		if n := utf8.RuneCountInString(it.Label); strings.TrimSpace(it.Label) == "" || n > MaxScriptText {
			return parley.FieldErrorf(f+".label", "give the item's text, 1 to %d characters", MaxScriptText)
		}
		switch it.Kind {
		case ItemText:
			if it.Name != "" || len(it.Options) > 0 {
				return parley.FieldErrorf(f+".name", "a text item takes no answer: it has no name or options")
			}
			if it.Required {
				return parley.FieldErrorf(f+".required", "a text item takes no answer, so it cannot be required")
			}
			continue
		case ItemCheckbox, ItemInput:
			if len(it.Options) > 0 {
				return parley.FieldErrorf(f+".options", "only a choice item has options")
			}
		case ItemChoice:
			if len(it.Options) < 2 || len(it.Options) > MaxChoices {
				return parley.FieldErrorf(f+".options", "a choice has 2 to %d options; this one has %d", MaxChoices, len(it.Options))
			}
			for j, o := range it.Options {
				if strings.TrimSpace(o) == "" || len(o) > MaxAnswerLength || slices.Index(it.Options, o) != j {
					return parley.FieldErrorf(fmt.Sprintf("%s.options[%d]", f, j), "an option is 1 to %d bytes and appears once", MaxAnswerLength)
				}
			}
		case "":
			return parley.FieldErrorf(f+".kind", "choose a kind: text, checkbox, choice or input")
		default:
			return parley.FieldErrorf(f+".kind", "%q is not a kind; use text, checkbox, choice or input", it.Kind)
		}
		if !directory.ValidParamName(it.Name) {
			return parley.FieldErrorf(f+".name", "%q is not a parameter name: use 1 to 64 letters, digits, '_', '-' or '.'", it.Name)
		}
		if j, dup := names[it.Name]; dup {
			return parley.FieldErrorf(f+".name", "%q repeats %s.items[%d]", it.Name, field, j)
		}
		names[it.Name] = i
	}
	return nil
}

// Answers checks an operator's answers against the script and returns
// them as session parameters. Every answer must name an item that takes
// one; a checkbox is "true" or "false", a choice one of its options.
// Unanswered items are left out, but every required item must have a
// non-empty answer. Errors name the answer ("answers.<name>").
func (s *Script) Answers(answers map[string]string) (map[string]string, error) {
	if s != nil {
		for i, it := range s.Items {
			if it.Required && answers[it.Name] == "" {
				return nil, parley.FieldErrorf("answers."+it.Name, "the call script's item %d (%q) is required: answer it before wrapping up", i+1, it.Label)
			}
		}
	}
	if len(answers) == 0 {
		return nil, nil
	}
	if s == nil {
		return nil, parley.FieldErrorf("answers", "the campaign has no call script to answer")
	}
	out := make(map[string]string, len(answers))
	for name, v := range answers {
		f := "answers." + name
		i := slices.IndexFunc(s.Items, func(it ScriptItem) bool { return it.Kind != ItemText && it.Name == name })
		if i < 0 {
			return nil, parley.FieldErrorf(f, "the call script has no question %q", name)
		}
		it := s.Items[i]
		switch {
		case len(v) > MaxAnswerLength:
			return nil, parley.FieldErrorf(f, "the answer has %d bytes; at most %d are allowed", len(v), MaxAnswerLength)
		case it.Kind == ItemCheckbox && v != "true" && v != "false":
			return nil, parley.FieldErrorf(f, "%q is not a checkbox answer; use true or false", v)
		case it.Kind == ItemChoice && !slices.Contains(it.Options, v):
			return nil, parley.FieldErrorf(f, "%q is not one of the options %s", v, strings.Join(it.Options, ", "))
		}
		out[name] = v
	}
	return out, nil
}
