package message

import (
	"fmt"
	"unicode/utf8"
)

// Unsafe returns the first character of s that no message may carry, its
// position (1-based, in characters) and true; or false when there is none.
// Refused are control characters other than tab and newline (C0, DEL and
// C1: a NUL truncates texts at some carriers, others corrupt them), invalid
// UTF-8, and the Unicode bidirectional embeddings, overrides and isolates
// (U+202A–U+202E, U+2066–U+2069), which make a text read differently from
// what it says, as in a link that displays reversed.
func Unsafe(s string) (rune, int, bool) {
	pos := 0
	for i, r := range s {
		pos++
		switch {
		case r == utf8.RuneError && !validAt(s, i):
			return r, pos, true
		case r == '\t' || r == '\n':
		case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
			return r, pos, true
		case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			return r, pos, true
		}
	}
	return 0, 0, false
}

func validAt(s string, i int) bool {
	r, size := utf8.DecodeRuneInString(s[i:])
	return r != utf8.RuneError || size > 1
}

// DescribeUnsafe says what an Unsafe character is, for an error message.
func DescribeUnsafe(r rune, pos int) string {
	kind := "a control character"
	switch {
	case r == utf8.RuneError:
		return fmt.Sprintf("invalid UTF-8 at character %d", pos)
	case r >= 0x202a:
		kind = "a bidirectional override or isolate, which makes text read differently from what it says"
	case r == 0:
		kind = "a NUL"
	}
	return fmt.Sprintf("U+%04X (%s) at character %d", r, kind, pos)
}
