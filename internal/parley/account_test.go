package parley

import (
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/egress"
)

func TestAccountValidate(t *testing.T) {
	tests := []struct {
		a     Account
		field string
	}{
		{Account{}, ""},
		{Account{OptOutText: "Text STOP to quit"}, ""},
		{Account{OptOutText: "reply stop to end"}, ""},
		{Account{OptOutText: "Reply QUIT to opt out"}, "optOutText"},
		{Account{OptOutText: "STOP " + strings.Repeat("x", 40)}, "optOutText"},
		{Account{HelpText: strings.Repeat("h", 161)}, "helpText"},
		{Account{OptOutConfirmText: strings.Repeat("c", 160), OptInConfirmText: "Welcome back"}, ""},
		{Account{OptOutConfirmText: strings.Repeat("c", 161)}, "optOutConfirmText"},
		{Account{OptInConfirmText: strings.Repeat("c", 161)}, "optInConfirmText"},
		{Account{DefaultCountry: "US"}, ""},
		{Account{DefaultCountry: "GB"}, ""},
		{Account{DefaultCountry: "us"}, "defaultCountry"},
		{Account{DefaultCountry: "XX"}, "defaultCountry"},
		{Account{DefaultCountry: "USA"}, "defaultCountry"},
	}
	for _, tt := range tests {
		if err := tt.a.Validate(egress.Policy{}); ErrorField(err) != tt.field || (tt.field == "") != (err == nil) {
			t.Errorf("Validate(%+v) = %v, want field %q", tt.a, err, tt.field)
		}
	}
}
