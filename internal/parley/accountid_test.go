package parley

import (
	"regexp"
	"strings"
	"testing"
)

func TestValidateAccountID(t *testing.T) {
	pattern := regexp.MustCompile(AccountIDPattern)
	for _, tt := range []struct {
		id string
		ok bool
	}{
		{"demo", true}, {"12345678", true}, {"acct-b", true}, {"A_1", true}, {strings.Repeat("a", 64), true},
		{"", false}, {strings.Repeat("a", 65), false}, {"-a", false}, {"_a", false},
		{"A\x00x", false}, {"A/B", false}, {"A#B", false}, {"a b", false}, {"é", false}, {"a.b", false}, {"a%2Fb", false},
	} {
		err := ValidateAccountID(tt.id, "accountId")
		if (err == nil) != tt.ok || pattern.MatchString(tt.id) != tt.ok {
			t.Errorf("%q: %v, pattern %v; want ok=%v", tt.id, err, pattern.MatchString(tt.id), tt.ok)
		}
		if err != nil && ErrorField(err) != "accountId" {
			t.Errorf("%q: field %q", tt.id, ErrorField(err))
		}
	}
}
