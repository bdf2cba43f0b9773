package message

import (
	"unicode"
	"unicode/utf8"
)

// firstCluster returns the grapheme cluster text starts with and its length
// in bytes. It follows the rules of Unicode's extended grapheme clusters
// (UAX #29) that matter for SMS text: CR LF stays together; combining
// marks, variation selectors, emoji modifiers, tag characters and the zero
// width joiner attach to what precedes them; a joiner followed by a
// pictograph joins it (emoji ZWJ sequences); regional indicators pair into
// flags.
func firstCluster(text string) (string, int) {
	first, n := utf8.DecodeRuneInString(text)
	if first == '\r' && n < len(text) && text[n] == '\n' {
		return text[:n+1], n + 1
	}
	if first == '\r' || first == '\n' {
		return text[:n], n
	}
	prev, indicators := first, 0
	if isRegionalIndicator(first) {
		indicators = 1
	}
	for n < len(text) {
		r, size := utf8.DecodeRuneInString(text[n:])
		switch {
		case extends(r):
		case prev == zwj && isPictographic(r):
		case isRegionalIndicator(r) && indicators == 1 && isRegionalIndicator(prev):
			indicators = 2
		default:
			return text[:n], n
		}
		prev, n = r, n+size
	}
	return text, n
}

// zwj is the zero width joiner.
const zwj = '\u200d'

// extends reports whether r never starts a cluster: it attaches to the
// character before it.
func extends(r rune) bool {
	switch {
	case r == zwj,
		r >= 0xfe00 && r <= 0xfe0f,   // variation selectors
		r >= 0xe0100 && r <= 0xe01ef, // variation selectors supplement
		r >= 0x1f3fb && r <= 0x1f3ff, // emoji skin-tone modifiers
		r >= 0xe0020 && r <= 0xe007f, // tags (subdivision flags)
		unicode.In(r, unicode.Mn, unicode.Me, unicode.Mc):
		return true
	}
	return false
}

// isRegionalIndicator reports whether r is one of the letters flags are
// written with.
func isRegionalIndicator(r rune) bool { return r >= 0x1f1e6 && r <= 0x1f1ff }

// isPictographic approximates Unicode's Extended_Pictographic property: the
// symbols emoji ZWJ sequences join.
func isPictographic(r rune) bool {
	switch {
	case r >= 0x1f000 && r <= 0x1faff && !isRegionalIndicator(r),
		r >= 0x2600 && r <= 0x27bf, // miscellaneous symbols, dingbats
		r >= 0x2190 && r <= 0x21ff, // arrows
		r >= 0x2300 && r <= 0x23ff, // miscellaneous technical
		r >= 0x2b00 && r <= 0x2bff, // arrows and symbols
		r == 0x00a9 || r == 0x00ae || r == 0x203c || r == 0x2049 || r == 0x2122 || r == 0x2139,
		r == 0x3030 || r == 0x303d || r == 0x3297 || r == 0x3299:
		return true
	}
	return false
}
