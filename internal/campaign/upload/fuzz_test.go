package upload

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/phone"
)

// fuzzShape makes a shape, sometimes an impossible one, from fuzzer bytes.
func fuzzShape(header, vars uint8, urlVar, freeText bool) Shape {
	headers := []string{"", parley.MediaImage, parley.MediaVideo, parley.MediaDocument, "audio"}
	return Shape{Header: headers[int(header)%len(headers)], BodyVars: int(vars%6) - 1, URLVar: urlVar, FreeText: freeText}
}

func FuzzParseCSV(f *testing.F) {
	for _, s := range []string{
		"Phone,H1,B1,B2\n12025550123,https://x.example.org/a.png,Jane,9999\n12025550123,,Bob,\n",
		"\uFEFF12025550123,Jane,9999\r\n+1 (202) 555-0124,Bob\r\n\r\n",
		"b2,PHONE,h1,B1\n9999,447911123456,https://x.example.org/a.pdf,Jane\n",
		"12025550123,\"Hi, Jane\nsee you\"\n12025550124\n",
		"Phone,B1,BU1\n12025550123,Jane,t/1\n12025550124,Bob,a b\n",
		"Phone,Name\n", "12025550123,\"Jane", "\xff,1\n",
	} {
		f.Add([]byte(s), uint8(1), uint8(3), false, false)
		f.Add([]byte(s), uint8(0), uint8(2), true, false)
		f.Add([]byte(s), uint8(0), uint8(1), false, true)
	}
	f.Fuzz(func(t *testing.T, data []byte, header, vars uint8, urlVar, freeText bool) {
		s := fuzzShape(header, vars, urlVar, freeText)
		const max = 50
		rows, err := ParseCSV(bytes.NewReader(data), s, max)
		checkParse(t, s, rows, err)
		if len(rows) > max {
			t.Fatalf("%d rows, more than the limit %d", len(rows), max)
		}
	})
}

func FuzzParseManual(f *testing.F) {
	for _, s := range []string{
		"12223334444, Hi Jane your subscription is about to expire\n12223334445, Hi Bob, it expires",
		"12025550123, Jane, 9999\n12025550124, Bob\n\n1(202)5550123,Jane,9999,",
		"11111111111,https://upload.example.org/image1.png,Jane,9999\r\n+44 7911 123456,,Bob,8888",
		"\uFEFF12025550123,Jane,t/1\n12025550124,Jane,a b", ",,,\n\xff",
	} {
		f.Add(s, uint8(1), uint8(3), false, false)
		f.Add(s, uint8(0), uint8(2), true, false)
		f.Add(s, uint8(0), uint8(1), false, true)
	}
	f.Fuzz(func(t *testing.T, text string, header, vars uint8, urlVar, freeText bool) {
		s := fuzzShape(header, vars, urlVar, freeText)
		rows, err := ParseManual(text, s)
		checkParse(t, s, rows, err)
		if len(rows) > MaxManualLines {
			t.Fatalf("%d rows, more than %d", len(rows), MaxManualLines)
		}
	})
}

// checkParse asserts what holds for any parse: whole-input errors are
// EINVALID domain errors; rows have increasing line numbers, documented
// codes, details exactly when failed, E.164 numbers unless invalid, and
// values where the shape puts them.
func checkParse(t *testing.T, s Shape, rows []Row, err error) {
	t.Helper()
	if err != nil {
		var pe *parley.Error
		if !errors.As(err, &pe) || pe.Code != parley.EINVALID || pe.Field == "" || rows != nil {
			t.Fatalf("error %#v (with %d rows) is not an EINVALID domain error", err, len(rows))
		}
		return
	}
	if s.check() != nil {
		t.Fatalf("shape %+v accepted", s)
	}
	codes := documentedCodes(s)
	seen := map[string]bool{}
	last := 0
	for _, r := range rows {
		if r.Line <= last {
			t.Fatalf("row line %d after line %d", r.Line, last)
		}
		last = r.Line
		if !codes[r.Error] {
			t.Fatalf("line %d: undocumented code %q", r.Line, r.Error)
		}
		if prefix := "line " + strconv.Itoa(r.Line) + ": "; (r.Error == "") != (r.Detail == "") || (r.Detail != "" && !strings.HasPrefix(r.Detail, prefix)) {
			t.Fatalf("line %d: code %q with detail %q", r.Line, r.Error, r.Detail)
		}
		checkPhone(t, r, seen)
		if len(r.Body) != s.BodyVars || (s.Header == "" && r.Header != "") || (!s.URLVar && r.URL != "") || (!s.FreeText && r.Text != "") {
			t.Fatalf("line %d: values %+v do not fit shape %+v", r.Line, r, s)
		}
	}
}

// checkPhone asserts a row's number is E.164 exactly when it is valid, and
// is a duplicate exactly when seen before.
func checkPhone(t *testing.T, r Row, seen map[string]bool) {
	t.Helper()
	if r.Error == CodeInvalidNumber || r.Error == CodeAmbiguousNumber {
		if r.Phone != "" {
			t.Fatalf("line %d: invalid number with phone %q", r.Line, r.Phone)
		}
		return
	}
	if again, ok := phone.Normalize(r.Phone); !ok || again != r.Phone || !strings.HasPrefix(r.Phone, "+") || strings.Trim(r.Phone[1:], "0123456789") != "" {
		t.Fatalf("line %d: phone %q is not E.164", r.Line, r.Phone)
	}
	if dup := r.Error == CodeDuplicateNumber; dup != seen[r.Phone] {
		t.Fatalf("line %d: %s is a duplicate: %v, seen before: %v", r.Line, r.Phone, dup, seen[r.Phone])
	}
	seen[r.Phone] = true
}

// documentedCodes returns every code a row of shape s may carry.
func documentedCodes(s Shape) map[string]bool {
	codes := map[string]bool{
		"": true, CodeInvalidNumber: true, CodeAmbiguousNumber: true, CodeDuplicateNumber: true, CodeTooManyVariables: true,
		CodeInsufficientVariables: true, CodeHeaderInvalidURL: true,
		CodeMissingButtonVariable: true, CodeInvalidButtonVariable: true,
	}
	for n := 1; n <= s.BodyVars; n++ {
		codes[CodeMissingVariable+"="+strconv.Itoa(n)] = true
	}
	if s.Header != "" {
		codes[CodeMissingHeaderVariable+"="+s.Header] = true
	}
	return codes
}
