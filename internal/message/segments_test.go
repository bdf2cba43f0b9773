package message

import (
	"strings"
	"testing"
)

func TestSegments(t *testing.T) {
	tests := []struct {
		name     string
		text     string
		enc      Encoding
		units    int
		segments int
	}{
		{"empty", "", GSM7, 0, 0},
		{"plain", "Hello", GSM7, 5, 1},
		{"160 GSM", strings.Repeat("a", 160), GSM7, 160, 1},
		{"161 GSM", strings.Repeat("a", 161), GSM7, 161, 2},
		{"306 GSM", strings.Repeat("a", 306), GSM7, 306, 2},
		{"307 GSM", strings.Repeat("a", 307), GSM7, 307, 3},
		{"extension chars cost two", "€[]", GSM7, 6, 1},
		{"80 euros", strings.Repeat("€", 80), GSM7, 160, 1},
		{"81 euros", strings.Repeat("€", 81), GSM7, 162, 2},
		{"GSM accents", "Ça va? ¿Qué tal? Ñandù", GSM7, 22, 1},
		{"one non-GSM char switches", "Hello ł", UCS2, 7, 1},
		{"acute u is not GSM", "Ñandú", UCS2, 5, 1},
		{"70 UCS-2", strings.Repeat("ж", 70), UCS2, 70, 1},
		{"71 UCS-2", strings.Repeat("ж", 71), UCS2, 71, 2},
		{"134 UCS-2", strings.Repeat("ж", 134), UCS2, 134, 2},
		{"135 UCS-2", strings.Repeat("ж", 135), UCS2, 135, 3},
		{"emoji is two UTF-16 units", "Hi 👋", UCS2, 5, 1},
		// A segment boundary never cuts a piece the carrier keeps whole,
		// so such a piece moves to the next segment.
		{"escape sequence not cut", strings.Repeat("a", 152) + "€" + strings.Repeat("a", 152), GSM7, 306, 3},
		{"escape sequence at the end of a segment", strings.Repeat("a", 151) + "€" + strings.Repeat("a", 153), GSM7, 306, 2},
		{"surrogate pair not cut", strings.Repeat("ж", 66) + "👋" + strings.Repeat("ж", 66), UCS2, 134, 3},
		{"surrogate pair at the end of a segment", strings.Repeat("ж", 65) + "👋" + strings.Repeat("ж", 67), UCS2, 134, 2},
		{"ZWJ sequence not cut", strings.Repeat("ж", 62) + "👨‍👩‍👧" + strings.Repeat("ж", 64), UCS2, 134, 3},
		{"flag not cut", strings.Repeat("ж", 65) + "🇺🇸" + strings.Repeat("ж", 65), UCS2, 134, 3},
		{"two flags in a row pair up", strings.Repeat("ж", 63) + "🇺🇸🇫🇷" + strings.Repeat("ж", 63), UCS2, 134, 2},
		{"skin tone not cut", strings.Repeat("ж", 65) + "👍🏽" + strings.Repeat("ж", 65), UCS2, 134, 3},
		{"variation selector not cut", strings.Repeat("ж", 66) + "❤\ufe0f" + strings.Repeat("ж", 66), UCS2, 134, 3},
		{"combining mark not cut", strings.Repeat("ж", 66) + "e\u0301" + strings.Repeat("ж", 66), UCS2, 134, 3},
		{"keycap not cut", strings.Repeat("ж", 65) + "1\ufe0f\u20e3" + strings.Repeat("ж", 66), UCS2, 134, 3},
		{"within one segment nothing is cut", strings.Repeat("ж", 66) + "👨‍👩‍👧", UCS2, 74, 2},
		{"a short message with a ZWJ sequence", "Hi 👨‍👩‍👧", UCS2, 11, 1},
		{"140 emoji", strings.Repeat("😀", 140), UCS2, 280, 5},
	}
	for _, tt := range tests {
		enc, units, segs := Segments(tt.text)
		if enc != tt.enc || units != tt.units || segs != tt.segments {
			t.Errorf("%s: Segments = %s %d %d, want %s %d %d", tt.name, enc, units, segs, tt.enc, tt.units, tt.segments)
		}
	}
}

func FuzzSegments(f *testing.F) {
	f.Add("Hello {{1}} €")
	f.Add("👋ж")
	f.Add("🇺🇸🇫🇷👨‍👩‍👧👍🏽e\u0301\r\n")
	f.Fuzz(func(t *testing.T, text string) {
		enc, units, segs := Segments(text)
		if (units == 0) != (segs == 0) || units < 0 {
			t.Fatalf("Segments(%q) = %s %d %d", text, enc, units, segs)
		}
		per := map[Encoding]int{GSM7: 153, UCS2: 67}[enc]
		if segs > 1 && segs*per < units {
			t.Fatalf("Segments(%q) = %d segments for %d units: too few", text, segs, units)
		}
		if segs > units {
			t.Fatalf("Segments(%q) = %d segments for %d units: too many", text, segs, units)
		}
		var joined strings.Builder
		for rest := text; rest != ""; {
			c, n := firstCluster(rest)
			if n == 0 || c != rest[:n] {
				t.Fatalf("firstCluster(%q) = %q, %d", rest, c, n)
			}
			joined.WriteString(c)
			rest = rest[n:]
		}
		if joined.String() != text {
			t.Fatalf("the clusters of %q make %q", text, joined.String())
		}
	})
}

func TestFirstCluster(t *testing.T) {
	tests := []struct{ text, want string }{
		{"ab", "a"},
		{"\r\nx", "\r\n"},
		{"\n\u0301", "\n"},
		{"e\u0301\u0302x", "e\u0301\u0302"},
		{"👨‍👩‍👧x", "👨‍👩‍👧"},
		{"👍🏽👍", "👍🏽"},
		{"🇺🇸🇫🇷", "🇺🇸"},
		{"🇺🇸🇫", "🇺🇸"},
		{"❤\ufe0f!", "❤\ufe0f"},
		{"🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f.", "🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"},
		{"a\u200db", "a\u200d"}, // a joiner joins only a pictograph
		{"\xffa", "\xff"},
	}
	for _, tt := range tests {
		if got, n := firstCluster(tt.text); got != tt.want || n != len(tt.want) {
			t.Errorf("firstCluster(%q) = %q, %d; want %q", tt.text, got, n, tt.want)
		}
	}
}
