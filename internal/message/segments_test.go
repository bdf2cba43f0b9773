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
	f.Fuzz(func(t *testing.T, text string) {
		enc, units, segs := Segments(text)
		if (units == 0) != (segs == 0) || units < 0 {
			t.Fatalf("Segments(%q) = %s %d %d", text, enc, units, segs)
		}
		per := map[Encoding]int{GSM7: 153, UCS2: 67}[enc]
		if segs > 1 && (segs-1)*per >= units {
			t.Fatalf("Segments(%q) = %d segments for %d units: one too many", text, segs, units)
		}
	})
}
