package message

import "testing"

func TestUnsafe(t *testing.T) {
	for _, tt := range []struct {
		in   string
		rune rune
		pos  int
		bad  bool
	}{
		{"Hi Jane, renew soon", 0, 0, false},
		{"two\nlines\tand a tab", 0, 0, false},
		{"emoji 🎉 and accents é", 0, 0, false},
		{"arabic مرحبا and hebrew שלום need no override", 0, 0, false},
		{"NUL\x00here", 0, 4, true},
		{"carriage\rreturn", '\r', 9, true},
		{"bell\a", '\a', 5, true},
		{"del\x7f", 0x7f, 4, true},
		{"c1\u0085", 0x85, 3, true},
		{"link \u202Etxt.exe", 0x202e, 6, true},
		{"isolate \u2066x\u2069", 0x2066, 9, true},
		{"bad \xff utf8", 0xfffd, 5, true},
		{"a real \uFFFD replacement character is fine", 0, 0, false},
	} {
		r, pos, bad := Unsafe(tt.in)
		if bad != tt.bad || (bad && (r != tt.rune || pos != tt.pos)) {
			t.Errorf("Unsafe(%q) = %U, %d, %v; want %U, %d, %v", tt.in, r, pos, bad, tt.rune, tt.pos, tt.bad)
		}
	}
}

func FuzzUnsafe(f *testing.F) {
	f.Add("hello\u202e")
	f.Fuzz(func(t *testing.T, s string) {
		if r, pos, bad := Unsafe(s); bad && (pos < 1 || DescribeUnsafe(r, pos) == "") {
			t.Fatalf("Unsafe(%q) = %U at %d", s, r, pos)
		}
	})
}
