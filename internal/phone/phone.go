// Package phone normalises consumer phone numbers to E.164 and masks them for
// logs. Numbers are read the way brands write them: country code first, with
// or without a leading plus, with any spacing, dashes or parentheses.
package phone

import (
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// Invalid is the per-recipient error code for a number that is not a valid
// number of any region.
const Invalid = "INVALID_NUMBER"

// Normalize returns raw in E.164 form, or ok=false when it is not a valid
// phone number for any region.
func Normalize(raw string) (e164 string, ok bool) {
	s := strings.TrimSpace(raw)
	if s == "" || len(s) > 40 {
		return "", false
	}
	if !strings.HasPrefix(s, "+") {
		s = "+" + s
	}
	num, err := phonenumbers.Parse(s, "ZZ")
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return "", false
	}
	return phonenumbers.Format(num, phonenumbers.E164), true
}

// Mask hides the middle of a number for logs: +15551234567 → +1555****567.
func Mask(n string) string {
	const head, tail = 5, 3
	if len(n) <= head+tail {
		if len(n) <= 2 {
			return strings.Repeat("*", len(n))
		}
		return strings.Repeat("*", len(n)-2) + n[len(n)-2:]
	}
	return n[:head] + strings.Repeat("*", len(n)-head-tail) + n[len(n)-tail:]
}
