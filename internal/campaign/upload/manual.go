package upload

import (
	"strings"
	"unicode/utf8"

	"github.com/parleyhq/parley/internal/parley"
)

// ParseManual reads recipients typed by hand, at most MaxManualLines of
// them: one per line, the phone number first, then the values in shape
// order separated by commas. For free text, everything after the first
// comma is the recipient's text, commas included. Blank lines are skipped
// but counted in line numbers.
//
// The error is an EINVALID *parley.Error naming the line when there are
// too many lines or the text is not UTF-8.
func ParseManual(text string, s Shape) ([]Row, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	c := newChecker(s)
	n := 0
	for i, raw := range strings.Split(strings.TrimPrefix(text, bom), "\n") {
		number := i + 1
		if !utf8.ValidString(raw) {
			return nil, parley.FieldErrorf(at(number, 0), "the text is not UTF-8")
		}
		cells := trimAll(split(strings.TrimSuffix(raw, "\r"), s))
		if blank(cells) {
			continue
		}
		if n++; n > MaxManualLines {
			return nil, parley.FieldErrorf(at(number, 0), "more than %d recipients typed in; upload a CSV file instead", MaxManualLines)
		}
		c.add(cut(number, cells, s))
	}
	return c.rows, nil
}

// split cuts a typed line into cells: at every comma, or for free text at
// the first one only.
func split(raw string, s Shape) []string {
	if s.FreeText {
		return strings.SplitN(raw, ",", 2)
	}
	return strings.Split(raw, ",")
}
