package phone

import (
	"errors"
	"math/rand/v2"
	"regexp"
	"regexp/syntax"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// metadataPatterns returns every pattern the fast path compiles.
func metadataPatterns() map[string]bool {
	t := loadTables()
	out := map[string]bool{}
	add := func(m *phonenumbers.PhoneMetadata) {
		for _, d := range descsOf(m) {
			out[d.GetNationalNumberPattern()] = true
		}
		for _, p := range []string{m.GetLeadingDigits(), m.GetNationalPrefixForParsing()} {
			if p != "" {
				out[p] = true
			}
		}
	}
	for _, m := range t.regions {
		add(m)
	}
	for _, m := range t.nonGeo {
		add(m)
	}
	return out
}

// TestDFAMatchesRegexp checks every metadata pattern's automaton against
// Go's regexp engine, whole-string matches as ^(?:p)$ and prefix matches as
// ^(?:p): on strings the automaton accepts, on those strings with one digit
// changed, added or dropped, and on random digits.
func TestDFAMatchesRegexp(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for p := range metadataPatterns() {
		m, err := compileDFA(p)
		if err != nil {
			t.Fatalf("compileDFA(%q): %v", p, err)
		}
		full := regexp.MustCompile("^(?:" + p + ")$")
		prefix := regexp.MustCompile("^(?:" + p + ")")
		var inputs []string
		for range 20 {
			w := m.walk(r)
			inputs = append(inputs, w, mutate(r, w), randomDigits(r, r.IntN(18)))
		}
		for _, s := range inputs {
			if got, want := m.full([]byte(s)), full.MatchString(s); got != want {
				t.Errorf("pattern %q on %q: full = %v, regexp %v", p, s, got, want)
			}
			if got, want := m.prefix([]byte(s)), prefix.MatchString(s); got != want {
				t.Errorf("pattern %q on %q: prefix = %v, regexp %v", p, s, got, want)
			}
		}
	}
}

// TestDFAAssertions covers ^ and $ inside patterns, which phonenumbers'
// national prefix patterns use.
func TestDFAAssertions(t *testing.T) {
	tests := []struct {
		pattern, in     string
		full            bool
		empty, nonEmpty bool
	}{
		{`([2-9]\d{2})$|1`, "1", true, false, true},
		{`([2-9]\d{2})$|1`, "1999", false, false, true},
		{`([2-9]\d{2})$|1`, "234", true, false, true},
		{`([2-9]\d{2})$|1`, "2345", false, false, false},
		{`([2-9]\d{2})$|1`, "", false, false, false},
		{`0?(15)?`, "", true, true, false},
		{`0?(15)?`, "9", false, true, false},
		{`0?(15)?`, "0159", false, true, true},
		{`^5|6`, "5", true, false, true},
		{`7^5`, "75", false, false, false},
		{`\d$\d`, "12", false, false, false},
		{`[^\x00-\x{10FFFF}]`, "1", false, false, false},
	}
	for _, tt := range tests {
		m, err := compileDFA(tt.pattern)
		if err != nil {
			t.Fatalf("compileDFA(%q): %v", tt.pattern, err)
		}
		if got := m.full([]byte(tt.in)); got != tt.full {
			t.Errorf("%q full(%q) = %v, want %v", tt.pattern, tt.in, got, tt.full)
		}
		if e, n := m.prefixes([]byte(tt.in)); e != tt.empty || n != tt.nonEmpty {
			t.Errorf("%q prefixes(%q) = %v, %v; want %v, %v", tt.pattern, tt.in, e, n, tt.empty, tt.nonEmpty)
		}
	}
}

func TestCompileDFAErrors(t *testing.T) {
	tests := []struct {
		pattern     string
		unsupported bool
	}{
		{`\b12`, true},
		{`1\B2`, true},
		{`(0|1)*1(0|1){14}`, true}, // needs 2^15 states
		{`(`, false},
		{`a{2000}{2000}`, false},
	}
	for _, tt := range tests {
		_, err := compileDFA(tt.pattern)
		if err == nil {
			t.Errorf("compileDFA(%q) succeeded", tt.pattern)
			continue
		}
		if got := errors.Is(err, errUnsupported); got != tt.unsupported {
			t.Errorf("compileDFA(%q) = %v; unsupported %v, want %v", tt.pattern, err, got, tt.unsupported)
		}
	}
}

func TestDescLengths(t *testing.T) {
	digits, err := compileDFA(`\d+`)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		d    desc
		in   string
		want bool
	}{
		{desc{lengths: 1 << 3, pattern: digits}, "123", true},
		{desc{lengths: 1 << 3, pattern: digits}, "1234", false},
		{desc{pattern: digits}, "1234", false}, // no lengths at all: phonenumbers' [-1]
		{desc{anyLength: true, pattern: digits}, "1234", true},
		{desc{anyLength: true, pattern: digits}, "", false},
	}
	for _, tt := range tests {
		if got := tt.d.match([]byte(tt.in)); got != tt.want {
			t.Errorf("%+v.match(%q) = %v, want %v", tt.d, tt.in, got, tt.want)
		}
	}
}

func TestEmptyStripIsNoop(t *testing.T) {
	tests := []struct {
		pattern, transform string
		want               bool
	}{
		{"0", "", true},                  // never matches empty
		{"0?(15)?", "9$1", true},         // the group does not take part
		{"0?(1?)", "9$1", false},         // the group takes part, empty
		{"0?", "9", false},               // no group: the transform applies
		{"0?", "", true},                 // no transform: nothing to do
		{"([2-9]\\d)$|1?", "7$1", false}, // assertions: left to the library
	}
	for _, tt := range tests {
		got, err := emptyStripIsNoop(tt.pattern, tt.transform)
		if err != nil || got != tt.want {
			t.Errorf("emptyStripIsNoop(%q, %q) = %v, %v; want %v", tt.pattern, tt.transform, got, err, tt.want)
		}
	}
	if _, err := emptyStripIsNoop("(", ""); err == nil {
		t.Error("emptyStripIsNoop accepted a broken pattern")
	}
}

func TestHasAssertion(t *testing.T) {
	for p, want := range map[string]bool{`1\d`: false, `(1$)|2`: true, `^1`: true, `1\b`: true, `(?:0|1(2)?)`: false} {
		re, err := syntax.Parse(p, syntax.Perl)
		if err != nil {
			t.Fatal(err)
		}
		if got := hasAssertion(re); got != want {
			t.Errorf("hasAssertion(%q) = %v, want %v", p, got, want)
		}
	}
}

// walk returns a random string the automaton accepts as a whole, or a
// shorter one when it runs into a dead end.
func (m *dfa) walk(r *rand.Rand) string {
	var b []byte
	for s := int32(0); len(b) < 20; {
		if m.accept[s] != 0 && r.IntN(4) == 0 {
			break
		}
		d := r.IntN(10)
		next := m.next[int(s)*10+d]
		for i := 1; next == dead && i < 10; i++ {
			d = (d + 1) % 10
			next = m.next[int(s)*10+d]
		}
		if next == dead {
			break
		}
		b, s = append(b, byte('0'+d)), next
	}
	return string(b)
}

// mutate changes, adds or drops one digit of s.
func mutate(r *rand.Rand, s string) string {
	i := r.IntN(len(s) + 1)
	d := string(rune('0' + r.IntN(10)))
	switch {
	case r.IntN(3) == 0:
		return s[:i] + d + s[i:]
	case i == len(s):
		return s + d
	case r.IntN(2) == 0:
		return s[:i] + s[i+1:]
	}
	return s[:i] + d + s[i+1:]
}
