package phone

import "github.com/nyaruka/phonenumbers"

// maxInput is the longest trimmed input Normalize reads.
const maxInput = 40

// outcome is what the fast parser made of an input.
type outcome int

const (
	// parsed: the input is a number of a known calling code.
	parsed outcome = iota
	// unparseable: phonenumbers' Parse would reject the input.
	unparseable
	// unusual: the input is outside what the fast parser reproduces
	// exactly; only phonenumbers itself can answer.
	unusual
)

// number is a parsed number: its digits are the country calling code
// followed by the national significant number, exactly as phonenumbers
// would format them in E.164 without the plus.
type number struct {
	digits []byte
	ccLen  int
	plan   *plan
}

// scan appends the digits of s to buf. s may hold ASCII digits and the
// separators brands write (space, '-', '.', '(' and ')'); ok is false for
// any other character, which the fast path leaves to phonenumbers.
func scan(s string, buf []byte) (digits []byte, ok bool) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			buf = append(buf, c)
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')':
		default:
			return nil, false
		}
	}
	return buf, true
}

// parseDigits does what phonenumbers.Parse does with "+" followed by the
// separators and digits that scan accepts. Its steps, in the library's
// order: at least three digits, a known country calling code, a national
// number of at least minNSN digits, no national prefix to strip, at most
// maxNSN digits.
func parseDigits(digits []byte) (number, outcome) {
	if len(digits) < 3 {
		return number{}, unparseable
	}
	cc, ccLen := loadTables().countryCode(digits)
	if cc == 0 {
		return number{}, unparseable
	}
	nsn := digits[ccLen:]
	if len(nsn) < minNSN {
		return number{}, unparseable
	}
	p := planFor(cc)
	if p.library {
		return number{}, unusual
	}
	if p.strip != nil {
		empty, nonEmpty := p.strip.prefixes(nsn)
		if nonEmpty || (empty && !p.stripNoop) {
			return number{}, unusual
		}
	}
	if len(nsn) > maxNSN {
		return number{}, unparseable
	}
	return number{digits: digits, ccLen: ccLen, plan: p}, parsed
}

// valid reports whether n is a valid number, as phonenumbers.IsValidNumber
// says; exact is false when only phonenumbers can tell.
func (n number) valid() (valid, exact bool) {
	typ, exact := n.numberType()
	return typ != phonenumbers.UNKNOWN, exact
}

// numberType returns n's type as phonenumbers.GetNumberType gives it;
// exact is false when only phonenumbers can tell.
func (n number) numberType() (phonenumbers.PhoneNumberType, bool) {
	return n.plan.numberType(n.digits[n.ccLen:])
}

// e164 returns n in E.164 form, reusing s when it is already that.
func (n number) e164(s string) string {
	if len(s) == len(n.digits)+1 && s[0] == '+' && s[1:] == string(n.digits) {
		return s
	}
	return "+" + string(n.digits)
}
