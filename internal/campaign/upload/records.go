package upload

import (
	"encoding/csv"
	"errors"
	"io"
)

// Records reads a CSV file as ParseCSV does (UTF-8, a leading byte order
// mark skipped, separated by commas, or by semicolons or tabs when the
// first line has those and no comma) and calls each with every record that
// is not blank, its cells trimmed, and the line it starts on. The record is
// reused between calls. Reading stops at the first error each returns.
//
// The error is an EINVALID *parley.Error naming the line and column when
// the file is not valid CSV or UTF-8, and EUNAVAILABLE when r itself fails.
func Records(r io.Reader, each func(line int, rec []string) error) error {
	br := skipBOM(r)
	cr := csv.NewReader(br)
	cr.Comma = separator(br)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return readError(err)
		}
		if err := checkUTF8(cr, rec); err != nil {
			return err
		}
		if trimAll(rec); blank(rec) {
			continue
		}
		line, _ := cr.FieldPos(0)
		if err := each(line, rec); err != nil {
			return err
		}
	}
}
