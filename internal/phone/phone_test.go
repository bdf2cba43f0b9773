package phone

import (
	"strings"
	"testing"
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
	}
	for _, tt := range tests {
		got, ok := Normalize(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Normalize(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
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

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"12025550123", "+1(202)5550123", "447911123456", "+", "1(", "+0000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e164, ok := Normalize(s)
		if !ok {
			return
		}
		if !strings.HasPrefix(e164, "+") || len(e164) > 16 {
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
