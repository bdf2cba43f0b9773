package phone

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

// Ambiguous is the per-recipient error code for a number written without a
// country code that reads as a valid number only by taking a national area
// code, or a group the writer set in parentheses, as its country code.
const Ambiguous = "AMBIGUOUS_NUMBER"

// Region reports whether code is a region phonenumbers reads national
// numbers in: an ISO 3166 alpha-2 code it has metadata for (upper case).
func Region(code string) bool {
	return code != phonenumbers.UNKNOWN_REGION && phonenumbers.GetSupportedRegions()[code]
}

// Read reads a recipient's number as a brand writes it, returning it in
// E.164 form; code is "" when it reads, Invalid or Ambiguous otherwise.
// region is the default country (see Region), or "" for none.
//
//   - A number with a plus before its first digit is international and read
//     as phonenumbers reads it: +44 20 7946 0958, (+44) 20 7946 0958.
//   - Otherwise, with a default country, it is read as phonenumbers reads it
//     there: a national number ((201) 555-0123 in the US, 020 7946 0958 in
//     Great Britain), one after the country's international dialling prefix
//     (011 44 20 7946 0958 in the US), or one starting with the country's
//     own code. A number that reads as none of them is read as without one.
//   - Without one, the number starts with its country code (12025550123,
//     1(202)5550123), unless that reading takes the country code out of a
//     group in parentheses ((201) 555-0123 would be +20, Egypt) or the digits
//     are also a complete North American number without its 1 (469-757-3741
//     would be +46, Sweden): such a number is Ambiguous rather than sent
//     abroad. North American numbers are the ones at risk: their area codes
//     start with 2 to 9 as country codes do, where most countries' national
//     numbers start with a trunk 0 that no country code starts with.
func Read(raw, region string) (e164, code string) {
	if international(raw) {
		if e164, ok := Normalize(raw); ok {
			return e164, ""
		}
		return "", Invalid
	}
	if region != "" {
		if num, err := phonenumbers.Parse(raw, region); err == nil && phonenumbers.IsValidNumber(num) {
			return phonenumbers.Format(num, phonenumbers.E164), ""
		}
	}
	e164, ok := Normalize(raw)
	digits := phonenumbers.NormalizeDigitsOnly(raw)
	if northAmerican(digits) || (ok && splitsParentheses(raw, ccLength(e164))) {
		return "", Ambiguous
	}
	if !ok {
		return "", Invalid
	}
	return e164, ""
}

// international reports whether s has a plus before its first digit, which
// makes it an international number however it is punctuated.
func international(s string) bool {
	for _, r := range s {
		switch {
		case r == '+' || r == '\uff0b':
			return true
		case unicode.IsDigit(r):
			return false
		}
	}
	return false
}

// northAmerican reports whether digits are a valid number of the North
// American Numbering Plan written without its country code 1: ten digits,
// the first 2 to 9.
func northAmerican(digits string) bool {
	if len(digits) != 10 || digits[0] < '2' || digits[0] > '9' {
		return false
	}
	_, ok := Normalize("+1" + digits)
	return ok
}

// ccLength returns the length of an E.164 number's country calling code.
func ccLength(e164 string) int {
	_, n := loadTables().countryCode([]byte(strings.TrimPrefix(e164, "+")))
	return n
}

// splitsParentheses reports whether the first n digits of s end inside a
// parenthesised group that holds more digits: "(201) 555-0123" read with
// the country code 20 takes it out of the area code the writer marked.
func splitsParentheses(s string, n int) bool {
	depth, digits := 0, 0
	for i, r := range s {
		switch {
		case r == '(':
			depth++
		case r == ')':
			depth = max(depth-1, 0)
		case unicode.IsDigit(r):
			digits++
			if digits == n {
				next, _ := utf8.DecodeRuneInString(s[i+utf8.RuneLen(r):])
				return depth > 0 && unicode.IsDigit(next)
			}
		}
	}
	return false
}
