// Package phone normalises consumer phone numbers to E.164, finds the time
// zones they belong to, and masks them for logs. Numbers are read the way
// brands write them: country code first, with or without a plus (also in
// parentheses: (+44) 20 7946 0958), with any spacing, dashes or
// parentheses; Read also reads national numbers in a default country, and
// refuses as ambiguous those that would otherwise be read as another
// country's.
//
// The answers are phonenumbers' (github.com/nyaruka/phonenumbers), which
// stays the source of truth. For speed, the common shapes of input are
// parsed by hand and validated by digit automata compiled from phonenumbers'
// own metadata patterns, built lazily per country calling code; anything
// unusual (letters, extensions, international dialling prefixes, a national
// prefix to strip) goes to phonenumbers itself.
package phone

import (
	"slices"
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// Invalid is the per-recipient error code for a number that is not a valid
// number of any region.
const Invalid = "INVALID_NUMBER"

// Normalize returns raw in E.164 form, or ok=false when it is not a valid
// phone number for any region. A raw number without a plus before its
// first digit is read as starting with its country calling code; one with
// it ((+44) 20 7946 0958 as much as +44 20 7946 0958) is read as
// phonenumbers reads it. Recipients' numbers, which may be national, are
// read with Read. Like phonenumbers, it accepts
// a few national numbers longer than E.164's fifteen digits in all (some
// German ones): up to 3+17 digits follow the plus.
func Normalize(raw string) (e164 string, ok bool) {
	s := strings.TrimSpace(raw)
	if s == "" || len(s) > maxInput {
		return "", false
	}
	body, plus := strings.CutPrefix(s, "+")
	if !plus {
		body, _ = strings.CutPrefix(s, "(+") // (+44) 20 7946 0958
	}
	var buf [maxInput]byte
	digits, ok := scan(body, buf[:0])
	if !ok {
		return normalizeLibrary(raw)
	}
	n, out := parseDigits(digits)
	if out == unparseable {
		return "", false
	}
	valid, exact := false, false
	if out == parsed {
		valid, exact = n.valid()
	}
	switch {
	case !exact:
		return normalizeLibrary(raw)
	case !valid:
		return "", false
	}
	return n.e164(s), true
}

// normalizeLibrary is Normalize done by phonenumbers alone: the reference
// the fast path must agree with, and its fallback.
func normalizeLibrary(raw string) (string, bool) {
	s := strings.TrimSpace(raw)
	if s == "" || len(s) > maxInput {
		return "", false
	}
	if !international(s) {
		s = "+" + s
	}
	num, err := phonenumbers.Parse(s, phonenumbers.UNKNOWN_REGION)
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return "", false
	}
	return phonenumbers.Format(num, phonenumbers.E164), true
}

// Zones returns the IANA time zones of an E.164 number, as libphonenumber's
// time-zone mapper gives them, or nil when none is known. A geographic
// number (fixed line, fixed line or mobile, and mobile where mobile numbers
// are assigned by area: Mexico, Argentina, Brazil, Indonesia, China) has the
// zones of its prefix. Any other valid number — mobile elsewhere, toll-free,
// VoIP, pager, UAN, personal, shared cost, voicemail, premium rate — may be
// anywhere its calling code reaches, so it has every zone of the code.
// A number that is parseable but not valid keeps the zones of its prefix.
// Normalize's results are always valid.
func Zones(e164 string) []string {
	rest, plus := strings.CutPrefix(e164, "+")
	if !plus || len(e164) > maxInput {
		return zonesLibrary(e164)
	}
	var buf [maxInput]byte
	digits, ok := scan(rest, buf[:0])
	if !ok {
		return zonesLibrary(e164)
	}
	n, out := parseDigits(digits)
	switch out {
	case unusual:
		return zonesLibrary(e164)
	case unparseable:
		return nil
	}
	typ, exact := n.numberType()
	if !exact {
		return zonesLibrary(e164)
	}
	return zonesOf(string(n.digits), n.ccLen, typ)
}

// zonesLibrary is Zones done by phonenumbers alone: the reference the fast
// path must agree with, and its fallback.
func zonesLibrary(e164 string) []string {
	num, err := phonenumbers.Parse(e164, phonenumbers.UNKNOWN_REGION)
	if err != nil {
		return nil
	}
	digits := phonenumbers.Format(num, phonenumbers.E164)[1:]
	ccLen := len(strconv.Itoa(int(num.GetCountryCode())))
	return zonesOf(digits, ccLen, phonenumbers.GetNumberType(num))
}

// zonesOf applies Zones' rule to a number's E.164 digits (without the plus),
// the length of its calling code and its type.
func zonesOf(digits string, ccLen int, typ phonenumbers.PhoneNumberType) []string {
	prefix := digits
	if !geographic(typ, digits[:ccLen]) {
		prefix = digits[:ccLen]
	}
	zs, err := phonenumbers.GetTimezonesForPrefix(prefix)
	if err != nil {
		return nil
	}
	return known(zs)
}

// geographic reports whether a number of type typ and calling code cc is
// tied to a place, as libphonenumber's isNumberGeographical decides; an
// invalid number (UNKNOWN) counts as geographic, keeping its prefix's zones.
func geographic(typ phonenumbers.PhoneNumberType, cc string) bool {
	switch typ {
	case phonenumbers.UNKNOWN, phonenumbers.FIXED_LINE, phonenumbers.FIXED_LINE_OR_MOBILE:
		return true
	case phonenumbers.MOBILE:
		code, _ := strconv.Atoi(cc)
		return phonenumbers.GEO_MOBILE_COUNTRIES[int32(code)]
	}
	return false
}

// known returns a copy of zs without phonenumbers' "unknown" placeholder,
// or nil when nothing else is left.
func known(zs []string) []string {
	out := slices.DeleteFunc(slices.Clone(zs), func(z string) bool { return z == phonenumbers.UNKNOWN_TIMEZONE })
	if len(out) == 0 {
		return nil
	}
	return out
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

// RegionOf returns the ISO 3166 alpha-2 region of a valid E.164 number (US
// for +1 202…), or "" when e164 is not one.
func RegionOf(e164 string) string {
	if !strings.HasPrefix(e164, "+") {
		return ""
	}
	n, err := phonenumbers.Parse(e164, "")
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return ""
	}
	return phonenumbers.GetRegionCodeForNumber(n)
}
