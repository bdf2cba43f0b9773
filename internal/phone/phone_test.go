package phone

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"16001234567", "", false}, // 600 is not an assigned NANP area code
		{"12025550123", "+12025550123", true},
		{"+12025550123", "+12025550123", true},
		{"1(202)5550123", "+12025550123", true},
		{"+1(202)5550123", "+12025550123", true},
		{" +1 202-555-0123 ", "+12025550123", true},
		{"447911123456", "+447911123456", true},
		{"+49 30 901820", "+4930901820", true},
		{"+33612345678", "+33612345678", true},
		{"12345", "", false},
		{"", "", false},
		{"+", "", false},
		{"not a number", "", false},
		{"+999123456789", "", false},
		{"+1" + strings.Repeat("2", 60), "", false},
		{"+1 (202) 555.0123", "+12025550123", true},
		{"+112025550123", "+12025550123", true}, // phonenumbers strips the NANP trunk 1
		{"+44 07911 123456", "+447911123456", true},
		{"+800 1234 5678", "+80012345678", true},         // non-geographic
		{"+1 202 555 0123 ext. 7", "+12025550123", true}, // extensions go to the library and are dropped
		{"+1-800-FLOWERS", "+18003569377", true},
		{"0012025550123", "", false}, // an IDD prefix is not a country code
		{"+0123456789", "", false},
		{"+12", "", false},
		{"+1\t2025550123", "", false},
		{"+1\u00a0202\u00a0555\u00a00123", "+12025550123", true},
		{"\uff0b\uff11\uff12\uff10\uff12\uff15\uff15\uff15\uff10\uff11\uff12\uff13", "+12025550123", true}, // full-width forms go to the library
	}
	for _, tt := range tests {
		got, ok := Normalize(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Normalize(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestZones(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"+12025550123", []string{"America/New_York"}},
		{"+1 202 555 0123", []string{"America/New_York"}},
		{"+4930901820", []string{"Europe/Berlin"}},
		{"+442079460958", []string{"Europe/London"}},                                                           // fixed line: its prefix's zones
		{"+447911123456", []string{"Europe/Guernsey", "Europe/Isle_of_Man", "Europe/Jersey", "Europe/London"}}, // mobile: all of +44
		{"+61212345678", []string{"Australia/Sydney"}},
		{"+61412345678", australia},        // mobile: Perth as much as Sydney
		{"+79123456789", russiaKazakhstan}, // mobile: Kamchatka as much as Moscow
		{"+74951234567", []string{"Europe/Moscow"}},
		{"+5511987654321", []string{"America/Sao_Paulo"}}, // Brazil's mobile numbers are assigned by area
		{"+5491123456789", []string{"America/Buenos_Aires"}},
		{"+12085550123", []string{"America/Boise", "America/Los_Angeles"}},
		{"+80012345678", nil},                        // phonenumbers knows no zone for non-geographic numbers
		{"+35212345", []string{"Europe/Luxembourg"}}, // parseable, not valid: zones still known
		{"12025550123", nil},                         // without a plus there is no country code
		{"+0123", nil},
		{"", nil},
		{"tel:+1-202-555-0123", []string{"America/New_York"}},
	}
	for _, tt := range tests {
		if got := Zones(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("Zones(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// Every zone of +61 and of +7, as phonenumbers lists them for the calling
// code alone.
var (
	australia = []string{"Australia/Adelaide", "Australia/Brisbane", "Australia/Eucla", "Australia/Lord_Howe",
		"Australia/Perth", "Australia/Sydney", "Indian/Christmas", "Indian/Cocos"}
	russiaKazakhstan = []string{"Asia/Almaty", "Asia/Anadyr", "Asia/Aqtobe", "Asia/Irkutsk", "Asia/Kamchatka",
		"Asia/Krasnoyarsk", "Asia/Magadan", "Asia/Novosibirsk", "Asia/Omsk", "Asia/Sakhalin", "Asia/Vladivostok",
		"Asia/Yakutsk", "Asia/Yekaterinburg", "Europe/Bucharest", "Europe/Moscow", "Europe/Samara"}
)

// TestZonesByNumberType: numbers of every type that is not tied to a place
// get every zone of their calling code; the others keep their prefix's.
func TestZonesByNumberType(t *testing.T) {
	nanp := Zones("+12025550123")
	if len(nanp) != 1 {
		t.Fatalf("a Washington number: %q", nanp)
	}
	all1 := zonesOf("1", 1, phonenumbers.TOLL_FREE)
	tests := []struct {
		in   string
		want []string
	}{
		{"+18005550123", all1},                     // toll-free
		{"+19005550123", all1},                     // premium rate
		{"+15005550123", all1},                     // personal
		{"+33912345678", []string{"Europe/Paris"}}, // VoIP, in a one-zone country
		{"+61550123456", australia},                // Australian VoIP
		{"+611800123456", australia},               // Australian toll-free
		{"+611300123456", australia},               // Australian shared cost
	}
	for _, tt := range tests {
		if got := Zones(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("Zones(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := zonesLibrary(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("zonesLibrary(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestZonesIsACopy(t *testing.T) {
	Zones("+12025550123")[0] = "Mars/Olympus_Mons"
	if got := Zones("+12025550123"); got[0] != "America/New_York" {
		t.Fatalf("Zones shares its result: %q", got)
	}
}

func TestUnsupportedCodeUsesLibrary(t *testing.T) {
	if p := planFor(999); !p.library { // no metadata: the plan defers to phonenumbers
		t.Fatalf("planFor(999) = %+v", p)
	}
}

func TestMask(t *testing.T) {
	tests := []struct{ in, want string }{
		{"+15551234567", "+1555****567"},
		{"+447911123456", "+4479*****456"},
		{"+1234567", "******67"},
		{"12", "**"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Mask(tt.in); got != tt.want {
			t.Errorf("Mask(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// plusDigits reports whether s is a plus and then a country calling code and
// national number as phonenumbers bounds them: at most 3+17 digits, not
// starting with 0. (phonenumbers accepts national numbers longer than
// E.164's 15 digits in all, e.g. German ones.)
func plusDigits(s string) bool {
	if len(s) < 3 || len(s) > 1+3+maxNSN || s[0] != '+' || s[1] == '0' {
		return false
	}
	return strings.Trim(s[1:], "0123456789") == ""
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"12025550123", "+1(202)5550123", "447911123456", "+", "1(", "+0000", "4980000000000000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e164, ok := Normalize(s)
		if !ok {
			return
		}
		if !plusDigits(e164) {
			t.Fatalf("Normalize(%q) = %q, not E.164", s, e164)
		}
		if again, ok := Normalize(e164); !ok || again != e164 {
			t.Fatalf("Normalize is not idempotent: %q → %q → %q, %v", s, e164, again, ok)
		}
		if m := Mask(e164); len(m) != len(e164) || m == e164 {
			t.Fatalf("Mask(%q) = %q", e164, m)
		}
	})
}

// FuzzNormalizeMatchesLibrary asserts the fast path answers exactly as
// phonenumbers does, for Normalize and Zones, on any input.
func FuzzNormalizeMatchesLibrary(f *testing.F) {
	for _, s := range []string{
		"12025550123", "+1(202)555-0123", "+112025550123", "447911123456", "+44 (0) 7911 123456",
		"+5491123456789", "+26120123456", "+8613912345678", "+80012345678", "0012025550123",
		"+1 202 555 0123 ext 4", "+1-800-FLOWERS", "++12025550123", "+", "+0", "+1 (", "tel:+1-202-555-0123",
		"(+44) 20 7946 0958", "(+381) 601234567", "(+", "( +1) 202", "+61412345678", "+79123456789",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if problems, _ := compare(s); len(problems) > 0 {
			t.Fatal(strings.Join(problems, "; "))
		}
	})
}

// TestZonesOfExampleNumbers is the corpus-level check of the zone rule, on
// the example number phonenumbers' metadata gives for every type of every
// region: a number of a type that is not tied to a place has the zones of
// its whole calling code, any other its prefix's, as libphonenumber's
// time-zone mapper decides.
func TestZonesOfExampleNumbers(t *testing.T) {
	t.Parallel()
	placeless := map[phonenumbers.PhoneNumberType]bool{
		phonenumbers.TOLL_FREE: true, phonenumbers.PREMIUM_RATE: true, phonenumbers.SHARED_COST: true, phonenumbers.VOIP: true,
		phonenumbers.PERSONAL_NUMBER: true, phonenumbers.PAGER: true, phonenumbers.UAN: true, phonenumbers.VOICEMAIL: true,
	}
	checked, differ := 0, 0
	for region := range phonenumbers.GetSupportedRegions() {
		for _, typ := range []phonenumbers.PhoneNumberType{
			phonenumbers.FIXED_LINE, phonenumbers.MOBILE, phonenumbers.TOLL_FREE, phonenumbers.PREMIUM_RATE,
			phonenumbers.SHARED_COST, phonenumbers.VOIP, phonenumbers.PERSONAL_NUMBER, phonenumbers.PAGER,
			phonenumbers.UAN, phonenumbers.VOICEMAIL,
		} {
			num := phonenumbers.GetExampleNumberForType(region, typ)
			if num == nil || !phonenumbers.IsValidNumber(num) {
				continue
			}
			e164 := phonenumbers.Format(num, phonenumbers.E164)
			cc := strconv.Itoa(int(num.GetCountryCode()))
			got := phonenumbers.GetNumberType(num)
			whole := placeless[got] || (got == phonenumbers.MOBILE && !phonenumbers.GEO_MOBILE_COUNTRIES[num.GetCountryCode()])
			prefix := e164[1:]
			if whole {
				prefix = cc
			}
			zs, _ := phonenumbers.GetTimezonesForPrefix(prefix)
			want := known(zs)
			if z := Zones(e164); !slices.Equal(z, want) {
				t.Errorf("%s %s (%v): Zones = %q, want %q", region, e164, got, z, want)
			}
			own, _ := phonenumbers.GetTimezonesForPrefix(e164[1:])
			if !slices.Equal(known(own), want) {
				differ++
			}
			checked++
		}
	}
	t.Logf("%d example numbers, %d with zones other than their prefix's", checked, differ)
	if checked < 1000 || differ == 0 {
		t.Fatalf("only %d example numbers checked, %d differing from their prefix", checked, differ)
	}
}

func TestRegionOf(t *testing.T) {
	for in, want := range map[string]string{
		"+12025550142": "US", "+442079460958": "GB", "+919876543210": "IN", "+16135550142": "CA",
		"+1234456678899": "", "12025550142": "", "": "",
	} {
		if got := RegionOf(in); got != want {
			t.Errorf("RegionOf(%q) = %q, want %q", in, got, want)
		}
	}
}
