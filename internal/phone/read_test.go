package phone

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func TestRead(t *testing.T) {
	tests := []struct {
		raw, region string
		want, code  string
	}{
		// The README's four formats (seed 002), with or without a default country.
		{"12025550123", "", "+12025550123", ""},
		{"+12025550123", "", "+12025550123", ""},
		{"1(202)5550123", "", "+12025550123", ""},
		{"+1(202)5550123", "", "+12025550123", ""},
		{"12025550123", "US", "+12025550123", ""},
		{"1(202)5550123", "US", "+12025550123", ""},
		{"+1(202)5550123", "GB", "+12025550123", ""},
		{"12025550123", "GB", "+12025550123", ""},
		// (+CC) is international, as libphonenumber reads it.
		{"(+44) 20 7946 0958", "", "+442079460958", ""},
		{"(+381) 601234567", "", "+381601234567", ""},
		{"(+44) 20 7946 0958", "US", "+442079460958", ""},
		{"( +44) 20 7946 0958", "", "+442079460958", ""},
		// US national numbers without a default country: not sent abroad.
		{"(201) 555-0123", "", "", Ambiguous},
		{"469-757-3741", "", "", Ambiguous},
		{"361-315-5626", "", "", Ambiguous},
		{"2015550123", "", "", Ambiguous},
		{"(202) 555-0123", "", "", Ambiguous},
		// … and with one, read in it.
		{"(201) 555-0123", "US", "+12015550123", ""},
		{"469-757-3741", "US", "+14697573741", ""},
		{"361-315-5626", "US", "+13613155626", ""},
		{"469-757-3741", "CA", "+14697573741", ""},
		{"011 44 20 7946 0958", "US", "+442079460958", ""},
		{"1 (201) 555-0123", "US", "+12015550123", ""},
		// Other countries' national numbers, in their country.
		{"020 7946 0958", "GB", "+442079460958", ""},
		{"07911 123456", "GB", "+447911123456", ""},
		{"0044 20 7946 0958", "GB", "+442079460958", ""},
		{"030 901820", "DE", "+4930901820", ""},
		{"020 7946 0958", "", "", Invalid},
		// A number with its country code first reads so in any country.
		{"447911123456", "", "+447911123456", ""},
		{"447911123456", "US", "+447911123456", ""},
		{"44 7911 123456", "", "+447911123456", ""},
		{"(44) 7911 123456", "", "+447911123456", ""}, // the parentheses hold the whole code
		{"4930901820", "", "+4930901820", ""},
		// Invalid either way.
		{"", "", "", Invalid},
		{"12345", "US", "", Invalid},
		{"+999123456789", "US", "", Invalid},
		{"not a number", "", "", Invalid},
	}
	for _, tt := range tests {
		got, code := Read(tt.raw, tt.region)
		if got != tt.want || code != tt.code {
			t.Errorf("Read(%q, %q) = %q, %q; want %q, %q", tt.raw, tt.region, got, code, tt.want, tt.code)
		}
	}
}

// TestUSNationalNumbersStayHome is the corpus-level check: random valid US
// numbers written without their country code, in the ways US brands write
// them, are never read as another country's. Without a default country
// they are refused as ambiguous; with the US as default they are read as
// US numbers.
func TestUSNationalNumbersStayHome(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 995))
	checked := 0
	for checked < 1000 {
		nsn := fmt.Sprintf("%d%02d%d%06d", 2+r.IntN(8), r.IntN(100), 2+r.IntN(8), r.IntN(1000000))
		e164, ok := Normalize("+1" + nsn)
		if !ok {
			continue
		}
		checked++
		for _, w := range []string{
			nsn,
			fmt.Sprintf("(%s) %s-%s", nsn[:3], nsn[3:6], nsn[6:]),
			fmt.Sprintf("%s-%s-%s", nsn[:3], nsn[3:6], nsn[6:]),
			fmt.Sprintf("%s.%s.%s", nsn[:3], nsn[3:6], nsn[6:]),
		} {
			if got, code := Read(w, ""); code != Ambiguous {
				t.Fatalf("Read(%q, \"\") = %q, %q; want %s", w, got, code, Ambiguous)
			}
			if got, code := Read(w, "US"); got != e164 || code != "" {
				t.Fatalf("Read(%q, US) = %q, %q; want %s", w, got, code, e164)
			}
		}
	}
}

func TestRegion(t *testing.T) {
	for code, want := range map[string]bool{"US": true, "GB": true, "DE": true, "ZZ": false, "us": false, "": false, "XX": false, "001": false} {
		if got := Region(code); got != want {
			t.Errorf("Region(%q) = %v, want %v", code, got, want)
		}
	}
}

// FuzzRead: whatever the input and default country, Read answers a valid
// E.164 number or a code, never both; and an international input reads as
// Normalize reads it, whatever the country.
func FuzzRead(f *testing.F) {
	for _, s := range []string{"(201) 555-0123", "469-757-3741", "(+44) 20 7946 0958", "12025550123", "020 7946 0958", "011 44 20 7946 0958", "(44) 7911"} {
		f.Add(s, "US")
		f.Add(s, "")
	}
	f.Fuzz(func(t *testing.T, raw, region string) {
		if !Region(region) {
			region = ""
		}
		e164, code := Read(raw, region)
		if (e164 == "") == (code == "") || (code != "" && code != Invalid && code != Ambiguous) {
			t.Fatalf("Read(%q, %q) = %q, %q", raw, region, e164, code)
		}
		if code == "" {
			if again, ok := Normalize(e164); !ok || again != e164 {
				t.Fatalf("Read(%q, %q) = %q, which Normalize reads as %q, %v", raw, region, e164, again, ok)
			}
		}
		if international(raw) {
			want, ok := Normalize(raw)
			if e164 != want || (code == "") != ok {
				t.Fatalf("Read(%q, %q) = %q, %q; Normalize %q, %v", raw, region, e164, code, want, ok)
			}
		}
	})
}
