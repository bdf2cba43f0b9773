package phone

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// codeSample is what the corpus knows about one country calling code.
type codeSample struct {
	cc       string
	prefix   string   // the main region's national (trunk) prefix
	examples []string // example national numbers from the metadata
	lengths  []int    // plausible national number lengths
}

// callingCodes lists every calling code phonenumbers knows, with its
// regions' example numbers and possible lengths.
func callingCodes() []codeSample {
	t := loadTables()
	var ccs []int
	for cc := range phonenumbers.GetSupportedCallingCodes() {
		ccs = append(ccs, cc)
	}
	slices.Sort(ccs)
	out := make([]codeSample, 0, len(ccs))
	for _, cc := range ccs {
		s := codeSample{cc: strconv.Itoa(cc)}
		lengths := map[int]bool{}
		for i, id := range phonenumbers.GetRegionCodesForCountryCode(cc) {
			m := t.metadata(cc, id)
			if m == nil {
				continue
			}
			if i == 0 {
				s.prefix = m.GetNationalPrefix()
			}
			for _, d := range descsOf(m) {
				if e := d.GetExampleNumber(); e != "" {
					s.examples = append(s.examples, e)
				}
				for _, l := range append(slices.Clone(d.GetPossibleLength()), d.GetPossibleLengthLocalOnly()...) {
					if l > 0 {
						lengths[int(l)-1], lengths[int(l)], lengths[int(l)+1] = true, true, true
					}
				}
			}
		}
		for l := range lengths {
			if l >= 1 && l <= 18 {
				s.lengths = append(s.lengths, l)
			}
		}
		slices.Sort(s.lengths)
		out = append(out, s)
	}
	return out
}

func descsOf(m *phonenumbers.PhoneMetadata) []*phonenumbers.PhoneNumberDesc {
	return []*phonenumbers.PhoneNumberDesc{
		m.GetGeneralDesc(), m.GetFixedLine(), m.GetMobile(), m.GetTollFree(), m.GetPremiumRate(),
		m.GetSharedCost(), m.GetPersonalNumber(), m.GetVoip(), m.GetPager(), m.GetUan(), m.GetVoicemail(),
	}
}

// nationalNumbers returns n national numbers for s: its examples, the
// examples with their tails replaced by random digits (mostly still
// valid), and random digits of every plausible length.
func (s codeSample) nationalNumbers(r *rand.Rand, n int) []string {
	out := slices.Clone(s.examples)
	for len(out) < n {
		switch {
		case len(s.examples) > 0 && r.IntN(3) > 0:
			e := s.examples[r.IntN(len(s.examples))]
			keep := r.IntN(len(e) + 1)
			out = append(out, e[:keep]+randomDigits(r, len(e)-keep+r.IntN(3)-1))
		case len(s.lengths) > 0:
			out = append(out, randomDigits(r, s.lengths[r.IntN(len(s.lengths))]))
		default:
			out = append(out, randomDigits(r, 4+r.IntN(10)))
		}
	}
	return out
}

func randomDigits(r *rand.Rand, n int) string {
	b := make([]byte, max(n, 0))
	for i := range b {
		b[i] = byte('0' + r.IntN(10))
	}
	return string(b)
}

// writings returns national number nsn of s written the ways brands write
// numbers, and a few ways they should not.
func (s codeSample) writings(r *rand.Rand, nsn string) []string {
	out := []string{
		"+" + s.cc + nsn,
		s.cc + nsn,
		"+" + s.cc + " " + grouped(nsn, " "),
		s.cc + "-" + grouped(nsn, "-"),
		s.cc + "." + grouped(nsn, "."),
		"+" + s.cc + "(" + cut(nsn, 3) + ")" + nsn[min(3, len(nsn)):],
		s.cc + "(" + cut(nsn, 3) + ")" + nsn[min(3, len(nsn)):],
		" +" + s.cc + " " + nsn + " ",
		"(+" + s.cc + ") " + grouped(nsn, " "),
	}
	if s.prefix != "" {
		out = append(out, "+"+s.cc+s.prefix+nsn, s.cc+" ("+s.prefix+") "+nsn)
	}
	if r.IntN(4) == 0 {
		out = append(out, garbage(r, s.cc, nsn))
	}
	return out
}

func grouped(nsn, sep string) string {
	var b strings.Builder
	for i := 0; i < len(nsn); i += 3 {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(nsn[i:min(i+3, len(nsn))])
	}
	return b.String()
}

func cut(s string, n int) string { return s[:min(n, len(s))] }

// garbage returns one of the unusual inputs the fast path must hand to
// phonenumbers, or reject the same way.
func garbage(r *rand.Rand, cc, nsn string) string {
	forms := []string{
		"00" + cc + nsn,
		"+" + cc + nsn + " ext. 12",
		"+" + cc + nsn + " x7",
		"++" + cc + nsn,
		"+" + cc + "+" + nsn,
		"tel:+" + cc + nsn,
		"+" + cc + "\t" + nsn,
		"+" + cc + nsn + "#",
		"+" + cc + "/" + nsn,
		"+" + cc + " TAXI " + nsn,
		"+" + cc + "\uff10" + nsn,
		"+" + cc + nsn[:len(nsn)/2] + "a" + nsn[len(nsn)/2:],
		"+0" + cc + nsn,
		"+" + cut(cc+nsn, 2),
		"+" + cc,
		"(" + cc + ")" + nsn,
		"( +" + cc + ") " + nsn,
		"((+" + cc + "))" + nsn,
		"(+" + cc + nsn,
		"x+" + cc + nsn,
		"+" + cc + nsn + strings.Repeat("9", 10),
		"+" + cc + "-",
	}
	return forms[r.IntN(len(forms))]
}

// corpus returns about perCode inputs for every calling code.
func corpus(seed uint64, perCode int) []string {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var out []string
	for _, s := range callingCodes() {
		start := len(out)
		for _, nsn := range s.nationalNumbers(r, perCode/8) {
			out = append(out, s.writings(r, nsn)...)
		}
		for len(out)-start < perCode {
			nsn := randomDigits(r, 2+r.IntN(16))
			out = append(out, s.writings(r, nsn)[r.IntN(2)])
		}
	}
	return out
}

// realistic returns n inputs like a brand's upload: mostly valid numbers of
// many countries in E.164 or digits-only form, some with separators, a few
// invalid.
func realistic(seed uint64, n int) []string {
	r := rand.New(rand.NewPCG(seed, seed+1))
	codes := callingCodes()
	out := make([]string, 0, n)
	for len(out) < n {
		s := codes[r.IntN(len(codes))]
		if len(s.examples) == 0 {
			continue
		}
		e := s.examples[r.IntN(len(s.examples))]
		nsn := e[:len(e)/2] + randomDigits(r, len(e)-len(e)/2)
		switch w := s.writings(r, nsn); r.IntN(10) {
		case 0:
			out = append(out, w[2+r.IntN(5)])
		case 1:
			out = append(out, "+"+s.cc+randomDigits(r, 3+r.IntN(12)))
		case 2, 3, 4:
			out = append(out, w[1])
		default:
			out = append(out, w[0])
		}
	}
	return out
}
