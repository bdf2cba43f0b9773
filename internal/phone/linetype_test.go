package phone

import "testing"

func TestTypeOf(t *testing.T) {
	for _, tt := range []struct {
		number string
		want   LineType
		text   bool
	}{
		{"+447911123456", Mobile, true},           // UK mobile
		{"+442071838750", FixedLine, false},       // London landline
		{"+12015550123", FixedLineOrMobile, true}, // US: the plan cannot tell
		{"+18005550199", OtherLine, false},        // US toll-free
		{"+4915123456789", Mobile, true},          // German mobile
		{"+493012345678", FixedLine, false},       // Berlin landline
		{"+1", UnknownLine, false},
		{"not a number", UnknownLine, false},
	} {
		got := TypeOf(tt.number)
		if got != tt.want || got.Textable() != tt.text {
			t.Errorf("TypeOf(%q) = %s (textable %v), want %s (textable %v)", tt.number, got, got.Textable(), tt.want, tt.text)
		}
	}
}
