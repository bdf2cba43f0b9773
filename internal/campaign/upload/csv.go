package upload

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/parleyhq/parley/internal/parley"
)

// bom is the UTF-8 byte order mark some spreadsheet programs write first.
const bom = "\uFEFF"

// Column names of a header row, matched without regard to case. Body
// variables are B1…Bn. LivePerson names no column for an SMS recipient's
// own text; Parley calls it Message. In-app lists start with ConsumerId
// and may give each consumer's Timezone.
const (
	colPhone      = "phone"
	colHeader     = "h1"
	colButton     = "bu1"
	colMessage    = "message"
	colConsumerID = "consumerid"
	colTimezone   = "timezone"
)

// slotTimezone is the slot of an in-app file's Timezone column.
const slotTimezone = -2

// ParseCSV reads a recipients file (text/csv, UTF-8, separated by commas, or
// by semicolons or tabs when its first line has those and no comma) of at
// most max data rows (MaxCSVRecipients when max ≤ 0). The first row is a
// header when it starts with a column name (Phone or ConsumerId, H1, B1…,
// BU1, Message, Timezone), or starts with no digit and has a column name
// elsewhere; columns are then found by name, in any order. Without a
// header, columns are positional: phone (or consumer id), then the values
// in shape order. Blank rows are skipped.
//
// The error is an EINVALID *parley.Error, naming the line and column, when
// the file has no recipient rows (field "recipients"), has too many rows, is not valid CSV or UTF-8, or its header row
// names a column twice, a column the shape lacks, or lacks one it needs;
// and EUNAVAILABLE when r itself fails.
func ParseCSV(r io.Reader, s Shape, max int) ([]Row, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	if max <= 0 {
		max = MaxCSVRecipients
	}
	br := skipBOM(r)
	cr := csv.NewReader(br)
	cr.Comma = separator(br)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	c := newChecker(s)
	var cols *columns
	for n := 0; ; {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) && n == 0 {
			return nil, noRows(cols != nil)
		}
		if errors.Is(err, io.EOF) {
			return c.rows, nil
		}
		if err != nil {
			return nil, readError(err)
		}
		number, _ := cr.FieldPos(0)
		if err := checkUTF8(cr, rec); err != nil {
			return nil, err
		}
		if trimAll(rec); blank(rec) {
			continue
		}
		if cols == nil {
			if cols, err = newColumns(rec, s, number); err != nil {
				return nil, err
			}
			if cols.header {
				continue
			}
		}
		if n++; n > max {
			return nil, parley.FieldErrorf(at(number, 0), "the file has more than %d recipients", max)
		}
		c.add(cols.line(number, rec))
	}
}

// noRows is the error of a file without a recipient row.
func noRows(header bool) error {
	const what = "give one row per recipient: the phone number (or consumer id), then the values the message needs, in columns separated by commas"
	if header {
		return parley.FieldErrorf("recipients", "the recipients file has a header row but no recipient rows: "+what)
	}
	return parley.FieldErrorf("recipients", "the recipients file is empty: "+what)
}

// separator returns the column separator of the file br reads: a comma,
// unless its first line (as far as the first 64 KiB go) has none but has
// semicolons — as spreadsheets write CSV where the comma is the decimal
// mark — or tabs.
func separator(br *bufio.Reader) rune {
	head, _ := br.Peek(64 << 10) // a shorter file peeks whole
	line, _, _ := bytes.Cut(head, []byte("\n"))
	switch {
	case bytes.IndexByte(line, ',') >= 0:
		return ','
	case bytes.IndexByte(line, ';') >= 0:
		return ';'
	case bytes.IndexByte(line, '\t') >= 0:
		return '\t'
	}
	return ','
}

// skipBOM returns r without a leading byte order mark, buffered.
func skipBOM(r io.Reader) *bufio.Reader {
	br := bufio.NewReaderSize(r, 64<<10)
	if b, err := br.Peek(len(bom)); err == nil && string(b) == bom {
		_, _ = br.Discard(len(bom)) // cannot fail: the bytes are buffered
	}
	return br
}

// readError turns a CSV reading failure into a domain error.
func readError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &parley.Error{Code: parley.EINVALID, Field: at(pe.Line, pe.Column), Message: "the file is not valid CSV", Err: err}
	}
	return parley.Wrap(parley.EUNAVAILABLE, err, "the recipients file could not be read")
}

// checkUTF8 returns an EINVALID error naming the first cell of rec that is
// not UTF-8.
func checkUTF8(cr *csv.Reader, rec []string) error {
	for i, v := range rec {
		if !utf8.ValidString(v) {
			line, col := cr.FieldPos(i)
			return parley.FieldErrorf(at(line, col), "the file is not UTF-8 text")
		}
	}
	return nil
}

// at names a place in the input: "line 3" or "line 3, column 2".
func at(line, column int) string {
	if column <= 0 {
		return "line " + strconv.Itoa(line)
	}
	return fmt.Sprintf("line %d, column %d", line, column)
}

// columns maps a file's columns to the values of a line.
type columns struct {
	header bool
	shape  Shape
	// slot[i] is where column i goes: 0 the phone, k > 0 the k-th value;
	// -1 for a column without a name, which must stay empty; slotTimezone
	// for an in-app consumer's time zone.
	slot []int
}

// newColumns reads the first row of a file: a header row maps columns by
// name, anything else means columns are positional.
func newColumns(first []string, s Shape, line int) (*columns, error) {
	if !isHeader(first) {
		return &columns{shape: s}, nil
	}
	names := slotNames(s)
	cols := &columns{header: true, shape: s, slot: make([]int, len(first))}
	found := make([]int, len(names)) // slot → its column, from 1
	tzColumn := 0
	for i, name := range first {
		if name == "" {
			cols.slot[i] = -1
			continue
		}
		if s.InApp && strings.EqualFold(name, colTimezone) {
			if tzColumn > 0 {
				return nil, parley.FieldErrorf(at(line, i+1), "column %q repeats column %d", name, tzColumn)
			}
			tzColumn, cols.slot[i] = i+1, slotTimezone
			continue
		}
		k := slices.Index(names, strings.ToLower(name))
		if k < 0 {
			return nil, parley.FieldErrorf(at(line, i+1), "column %q is not a value this message takes", name)
		}
		if found[k] > 0 {
			return nil, parley.FieldErrorf(at(line, i+1), "column %q repeats column %d", name, found[k])
		}
		found[k] = i + 1
		cols.slot[i] = k
	}
	for k, name := range names {
		if found[k] == 0 && name != colMessage {
			return nil, parley.FieldErrorf(at(line, 0), "the header row lacks column %s", strings.ToUpper(name))
		}
	}
	return cols, nil
}

// isHeader reports whether a first row is a header row: it starts with a
// column name, or it starts with no digit (so no phone number) and names a
// column somewhere.
func isHeader(row []string) bool {
	if isColumnName(strings.ToLower(row[0])) {
		return true
	}
	if strings.ContainsAny(row[0], "0123456789") {
		return false
	}
	return slices.ContainsFunc(row, func(v string) bool { return isColumnName(strings.ToLower(v)) })
}

// isColumnName reports whether v names a column of some shape.
func isColumnName(v string) bool {
	switch v {
	case colPhone, colHeader, colButton, colMessage, colConsumerID, colTimezone:
		return true
	}
	n, err := strconv.Atoi(strings.TrimPrefix(v, "b"))
	return strings.HasPrefix(v, "b") && err == nil && n > 0
}

// slotNames returns the lower-case column names shape s takes, in slot
// order: the phone (or consumer id), then the values in shape order.
func slotNames(s Shape) []string {
	names := []string{colPhone}
	if s.InApp {
		names[0] = colConsumerID
	}
	if s.Header != "" {
		names = append(names, colHeader)
	}
	for i := 1; i <= s.BodyVars; i++ {
		names = append(names, "b"+strconv.Itoa(i))
	}
	switch {
	case s.URLVar:
		names = append(names, colButton)
	case s.FreeText:
		names = append(names, colMessage)
	}
	return names
}

// line cuts a data row into a recipient line.
func (c *columns) line(number int, rec []string) line {
	if !c.header {
		return cut(number, rec, c.shape)
	}
	cells := make([]string, c.shape.width()+1)
	given := 0
	extra := false
	tz := ""
	for i, v := range rec {
		switch {
		case i < len(c.slot) && c.slot[i] == slotTimezone:
			tz = v
		case i >= len(c.slot) || c.slot[i] < 0:
			extra = extra || v != ""
		default:
			cells[c.slot[i]] = v
			if c.slot[i] > 0 {
				given++
			}
		}
	}
	l := cut(number, cells, c.shape)
	l.given, l.extra, l.tz = given, extra, tz
	return l
}
