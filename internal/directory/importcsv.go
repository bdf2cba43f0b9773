package directory

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/parleyhq/parley/internal/campaign/upload"
	"github.com/parleyhq/parley/internal/parley"
)

// MaxImportLines is the most data lines one import reads.
const MaxImportLines = 50_000

// Per-line import codes.
const (
	CodeInvalidNumber   = parley.CodeInvalidNumber
	CodeDuplicateNumber = parley.CodeDuplicateNumber
	CodeInvalidField    = "INVALID_FIELD"
)

// Mapping maps the columns of an import's header row (matched without
// regard to case or surrounding space) to directory fields: name, email,
// phone or param:<name>. Columns it does not name are ignored.
type Mapping map[string]string

// ParseMapping reads a mapping as the import's "mapping" part carries it: a
// JSON object from column name to field. No field may be mapped twice, and
// some column must be mapped.
func ParseMapping(data []byte) (Mapping, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	var m Mapping
	if err := dec.Decode(&m); err != nil {
		return nil, parley.FieldErrorf("mapping", "the mapping is not a JSON object from CSV column to field: %v", err)
	}
	if dec.More() {
		return nil, parley.FieldErrorf("mapping", "the mapping has data after its JSON object")
	}
	if len(m) == 0 {
		return nil, parley.FieldErrorf("mapping", "map at least one CSV column to a field (name, email, phone or param:<name>)")
	}
	out := Mapping{}
	byField := map[string]string{}
	for _, col := range slices.Sorted(maps.Keys(m)) {
		field := strings.TrimSpace(m[col])
		key := columnKey(col)
		if key == "" {
			return nil, parley.FieldErrorf("mapping", "a column name cannot be empty")
		}
		if _, dup := out[key]; dup {
			return nil, parley.FieldErrorf("mapping."+col, "column %q is mapped twice (column names are matched without regard to case)", col)
		}
		if err := ValidField("mapping."+col, field); err != nil {
			return nil, err
		}
		if other, dup := byField[field]; dup {
			return nil, parley.FieldErrorf("mapping."+col, "columns %q and %q are both mapped to %s", other, col, field)
		}
		byField[field] = col
		out[key] = field
	}
	return out, nil
}

func columnKey(col string) string { return strings.ToLower(strings.TrimSpace(col)) }

// ImportLine is one data line of an import: the contact it describes, or why
// it cannot be imported (Code and Err, a parley error naming the line and
// column).
type ImportLine struct {
	Line  int
	Draft Draft
	Code  string
	Err   error
}

// ReadImport reads an import's CSV file: a header row, then one contact per
// line, mapped by m. National numbers are read in country (ISO 3166
// alpha-2; empty when numbers must be E.164). A number that an earlier line
// of the file already has makes its line DUPLICATE_NUMBER. A bad line never
// rejects the others; the error is for the file as a whole: no header, a
// mapped column the header lacks, more than MaxImportLines lines, not CSV.
func ReadImport(r io.Reader, m Mapping, country string) ([]ImportLine, error) {
	var (
		fields  []string // by column index: the field, or "" when unmapped
		names   []string // by column index: the header's name
		lines   []ImportLine
		phoneAt = map[string]int{} // E.164 → the line that has it
	)
	err := upload.Records(r, func(line int, rec []string) error {
		if fields == nil {
			return header(m, rec, &fields, &names, line)
		}
		if len(lines) == MaxImportLines {
			return parley.FieldErrorf(fmt.Sprintf("line %d", line), "the file has more than %d contacts; split it", MaxImportLines)
		}
		l := ImportLine{Line: line}
		var d Draft
		for i, v := range rec {
			if i >= len(fields) || fields[i] == "" || v == "" {
				continue
			}
			switch f := fields[i]; f {
			case FieldName:
				d.Name = v
			case FieldEmail:
				d.Email = v
			case FieldPhone:
				d.Phone = v
			default:
				if d.Params == nil {
					d.Params = map[string]string{}
				}
				d.Params[strings.TrimPrefix(f, ParamPrefix)] = v
			}
		}
		clean, err := d.Clean(lineField(line, fields, names), country)
		switch {
		case err != nil:
			l.Err, l.Code = err, CodeInvalidField
			if strings.HasSuffix(parley.ErrorField(err), "("+FieldPhone+")") {
				l.Code = CodeInvalidNumber
			}
		case clean.Phone != "" && phoneAt[clean.Phone] > 0:
			l.Code = CodeDuplicateNumber
			l.Err = parley.FieldErrorf(lineField(line, fields, names)(FieldPhone), "%s is on line %d already", clean.Phone, phoneAt[clean.Phone])
		default:
			l.Draft = clean
			if clean.Phone != "" {
				phoneAt[clean.Phone] = line
			}
		}
		lines = append(lines, l)
		return nil
	})
	switch {
	case err != nil:
		return nil, err
	case fields == nil:
		return nil, parley.FieldErrorf("contacts", "the contacts file is empty: it needs a header row naming the columns the mapping maps")
	}
	return lines, nil
}

// header reads the header row: every mapped column must be in it, once.
func header(m Mapping, rec []string, fields, names *[]string, line int) error {
	*fields = make([]string, len(rec))
	*names = slices.Clone(rec)
	found := map[string]int{}
	for i, col := range rec {
		key := columnKey(col)
		if j, dup := found[key]; dup && m[key] != "" {
			return parley.FieldErrorf(fmt.Sprintf("line %d, column %d", line, i+1), "the header names the mapped column %q twice (also column %d)", col, j+1)
		}
		found[key] = i
		(*fields)[i] = m[key]
	}
	for _, col := range slices.Sorted(maps.Keys(m)) {
		if _, ok := found[col]; !ok {
			return parley.FieldErrorf("mapping."+col, "the file's header row (line %d) has no column %q", line, col)
		}
	}
	return nil
}

// lineField names a field of an import line: "line 4, column 2 (phone)".
func lineField(line int, fields, names []string) func(string) string {
	return func(f string) string {
		for i, mapped := range fields {
			if mapped == f {
				return fmt.Sprintf("line %d, column %d %q (%s)", line, i+1, names[i], f)
			}
		}
		return fmt.Sprintf("line %d", line)
	}
}
