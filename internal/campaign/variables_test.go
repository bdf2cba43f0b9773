package campaign_test

import (
	"cmp"
	"context"
	"strconv"
	"testing"

	"github.com/parleyhq/parley/internal/campaign"
	"github.com/parleyhq/parley/internal/message"
	"github.com/parleyhq/parley/internal/parley"
)

// TestConsumerVariableRules checks LivePerson's per-consumer variable codes
// for plain SMS and for a WhatsApp template: each consumer fails alone.
func TestConsumerVariableRules(t *testing.T) {
	tests := []struct {
		name     string
		template bool
		message  string
		vars     map[string]string
		want     string // "" when accepted
	}{
		{"sms exact", false, "Hi {{1}}, code {{2}}", map[string]string{"1": "Ann", "2": "42"}, ""},
		{"sms extra variable", false, "Hi {{1}}", map[string]string{"1": "Ann", "2": "x"}, "TOO_MANY_VARIABLES"},
		{"sms variables without placeholders", false, "Hello there", map[string]string{"1": "Ann"}, "TOO_MANY_VARIABLES"},
		{"sms too few", false, "Hi {{1}}, code {{2}}", map[string]string{"1": "Ann"}, "MISSING_VARIABLE=2"},
		{"sms too few, one misnamed", false, "Hi {{1}}, code {{2}}", map[string]string{"3": "Ann"}, "INSUFFICIENT_VARIABLES"},
		{"sms wrong name", false, "Hi {{1}}, code {{2}}", map[string]string{"1": "Ann", "3": "42"}, "MISSING_VARIABLE=2"},
		{"sms blank value", false, "Hi {{1}}", map[string]string{"1": " "}, "MISSING_VARIABLE=1"},
		{"sms default text (" + campaign.DefaultSMSMessage + ")", false, "", map[string]string{"1": "Your order shipped"}, ""},
		{"sms default text without variable", false, "", nil, "INSUFFICIENT_VARIABLES"},
		{"template exact", true, "", map[string]string{"1": "Ann"}, ""},
		{"template extra", true, "", map[string]string{"1": "Ann", "2": "x"}, "TOO_MANY_VARIABLES"},
		{"template none", true, "", nil, "INSUFFICIENT_VARIABLES"},
		{"template wrong name", true, "", map[string]string{"7": "Ann"}, "MISSING_VARIABLE=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			d := draft("+12025550101", "+12025550102")
			d.Message = tt.message
			if tt.template {
				tpl := parley.WhatsAppTemplate{AccountID: "acct1", ID: "T1", Name: "hello", Language: "en_US", Body: "Hi {{1}}"}
				if err := w.store.PutTemplate(context.Background(), tpl); err != nil {
					t.Fatal(err)
				}
				d.TemplateID = "T1"
			}
			d.Consumers[1].Variables = tt.vars
			d.Consumers[0].Variables = map[string]string{}
			for _, p := range message.Placeholders(cmp.Or(tt.message, "{{1}}")) {
				d.Consumers[0].Variables[strconv.Itoa(p)] = "v"
			}
			got, err := w.svc.Create(context.Background(), "acct1", d)
			if err != nil {
				t.Fatal(err)
			}
			var code string
			for _, o := range got.Failed {
				if o.Index == 1 {
					code = o.Error
				}
			}
			if code != tt.want {
				t.Errorf("consumers[1] code = %q, want %q (failed %+v)", code, tt.want, got.Failed)
			}
		})
	}
}
