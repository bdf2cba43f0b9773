package upload

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/parleyhq/parley/internal/parley"
)

// got is the part of a row most tests look at.
type got struct {
	line  int
	phone string
	code  string
}

func summary(rows []Row) []got {
	out := make([]got, len(rows))
	for i, r := range rows {
		out[i] = got{r.Line, r.Phone, r.Error}
	}
	return out
}

var (
	sms      = Shape{FreeText: true}
	twoVars  = Shape{BodyVars: 2}
	imageTwo = Shape{Header: "image", BodyVars: 2}
	button   = Shape{BodyVars: 1, URLVar: true}
)

func TestParseManual(t *testing.T) {
	tests := []struct {
		name  string
		shape Shape
		text  string
		want  []got
	}{
		{"phone formats", Shape{}, "12025550123\n+12025550124\n1(202)5550125\n+1(202)5550126\n+44 7911 123456\n49-30-901820", []got{
			{1, "+12025550123", ""}, {2, "+12025550124", ""}, {3, "+12025550125", ""}, {4, "+12025550126", ""},
			{5, "+447911123456", ""}, {6, "+4930901820", ""},
		}},
		{"invalid numbers", Shape{}, "12345\n16001234567\nnot a number\n+999123456789", []got{
			{1, "", CodeInvalidNumber}, {2, "", CodeInvalidNumber}, {3, "", CodeInvalidNumber}, {4, "", CodeInvalidNumber},
		}},
		{"(+CC) is international", Shape{}, "(+44) 20 7946 0958\n(+381) 601234567", []got{
			{1, "+442079460958", ""}, {2, "+381601234567", ""},
		}},
		{"national numbers without a default country", Shape{}, "(201) 555-0123\n469-757-3741\n361-315-5626\n020 7946 0958", []got{
			{1, "", CodeAmbiguousNumber}, {2, "", CodeAmbiguousNumber}, {3, "", CodeAmbiguousNumber}, {4, "", CodeInvalidNumber},
		}},
		{"national numbers in the default country", Shape{Country: "US"}, "(201) 555-0123\n469-757-3741\n12025550123\n+44 7911 123456\n447400123456\n555-0123", []got{
			{1, "+12015550123", ""}, {2, "+14697573741", ""}, {3, "+12025550123", ""}, {4, "+447911123456", ""}, {5, "+447400123456", ""},
			{6, "", CodeInvalidNumber},
		}},
		{"duplicates in any format", Shape{}, "12025550123\n+1 (202) 555-0123\n447911123456\n1(202)5550123", []got{
			{1, "+12025550123", ""}, {2, "+12025550123", CodeDuplicateNumber}, {3, "+447911123456", ""}, {4, "+12025550123", CodeDuplicateNumber},
		}},
		{"blank lines count, CRLF and BOM", Shape{}, "\uFEFF12025550123\r\n\r\n   \r\n12025550124\r\n", []got{
			{1, "+12025550123", ""}, {4, "+12025550124", ""},
		}},
		{"template variables", twoVars, strings.Join([]string{
			"12025550123, Jane, 9999",
			"12025550124, Bob",
			"12025550125, Bob, 8888, more",
			"12025550126, , 8888",
			"12025550127, Bob,",
			"12025550128, Bob, 8888,,",
			", Jane, 9999",
			"12345, Jane",
		}, "\n"), []got{
			{1, "+12025550123", ""},
			{2, "+12025550124", CodeInsufficientVariables},
			{3, "+12025550125", CodeTooManyVariables},
			{4, "+12025550126", "MISSING_VARIABLE=1"},
			{5, "+12025550127", "MISSING_VARIABLE=2"},
			{6, "+12025550128", ""},
			{7, "", CodeInvalidNumber},
			{8, "", CodeInvalidNumber},
		}},
		{"no variables", Shape{}, "12025550123, Jane", []got{{1, "+12025550123", CodeTooManyVariables}}},
		{"image header", imageTwo, strings.Join([]string{
			"12025550123,https://upload.example.org/image1.png,Jane,9999",
			"12025550124,https://upload.example.org/a/b.JPEG?size=2,Bob,8888",
			"12025550125,,Bob,8888",
			"12025550126,http://upload.example.org/image1.png,Bob,8888",
			"12025550127,https://upload.example.org/image1.gif,Bob,8888",
			"12025550128,/image1.png,Bob,8888",
			"12025550129,https:///image1.png,Bob,8888",
			"12025550130,https://upload.example.org/image 1.png,Bob,8888",
			"12025550131,https://upload.example.org/image1.png,,8888",
			"12025550132,Jane,9999",
		}, "\n"), []got{
			{1, "+12025550123", ""},
			{2, "+12025550124", ""},
			{3, "+12025550125", "MISSING_HEADER_VARIABLE=image"},
			{4, "+12025550126", CodeHeaderInvalidURL},
			{5, "+12025550127", CodeHeaderInvalidURL},
			{6, "+12025550128", CodeHeaderInvalidURL},
			{7, "+12025550129", CodeHeaderInvalidURL},
			{8, "+12025550130", CodeHeaderInvalidURL},
			{9, "+12025550131", "MISSING_VARIABLE=1"},
			{10, "+12025550132", CodeInsufficientVariables},
		}},
		{"video and document headers", Shape{Header: "video"}, "12025550123,https://v.example.org/a.mp4\n12025550124,https://v.example.org/a.3gpp\n12025550125,https://v.example.org/a.pdf", []got{
			{1, "+12025550123", ""}, {2, "+12025550124", ""}, {3, "+12025550125", CodeHeaderInvalidURL},
		}},
		{"document header", Shape{Header: "document"}, "12025550123,https://d.example.org/terms.pdf\n12025550124,https://d.example.org/terms.png", []got{
			{1, "+12025550123", ""}, {2, "+12025550124", CodeHeaderInvalidURL},
		}},
		{"button variable", button, "12025550123,Jane,track/123\n12025550124,Jane,\n12025550125,Jane,a b\n12025550126,Jane,a\tb", []got{
			{1, "+12025550123", ""}, {2, "+12025550124", CodeMissingButtonVariable},
			{3, "+12025550125", CodeInvalidButtonVariable}, {4, "+12025550126", CodeInvalidButtonVariable},
		}},
		{"sms text", sms, "12025550123, Hi Jane, your subscription is about to expire\n12025550124", []got{
			{1, "+12025550123", ""}, {2, "+12025550124", ""},
		}},
		{"phone problems come first", twoVars, "12345\n12025550123, Jane, 9999\n12025550123", []got{
			{1, "", CodeInvalidNumber}, {2, "+12025550123", ""}, {3, "+12025550123", CodeDuplicateNumber},
		}},
		{"empty", Shape{}, "", []got{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := ParseManual(tt.text, tt.shape)
			if err != nil {
				t.Fatalf("ParseManual: %v", err)
			}
			if g := summary(rows); !reflect.DeepEqual(g, tt.want) {
				t.Fatalf("ParseManual =\n%v\nwant\n%v", g, tt.want)
			}
			checkDetails(t, rows)
		})
	}
}

// checkDetails asserts every failed row says which line and why, and no
// other row says anything.
func checkDetails(t *testing.T, rows []Row) {
	t.Helper()
	for _, r := range rows {
		prefix := "line " + strconv.Itoa(r.Line) + ": "
		if (r.Error == "") != (r.Detail == "") || (r.Detail != "" && (!strings.HasPrefix(r.Detail, prefix) || len(r.Detail) == len(prefix))) {
			t.Errorf("row %d: error %q with detail %q", r.Line, r.Error, r.Detail)
		}
	}
}

func TestParseManualValues(t *testing.T) {
	rows, err := ParseManual("12025550123 , https://x.example.org/p.png , Jane , 9999 \n12025550124, Hi Bob, it is me", imageTwo)
	if err != nil {
		t.Fatal(err)
	}
	want := Row{Line: 1, Raw: "12025550123", Phone: "+12025550123", Header: "https://x.example.org/p.png", Body: []string{"Jane", "9999"}}
	if !reflect.DeepEqual(rows[0], want) {
		t.Errorf("row = %+v, want %+v", rows[0], want)
	}
	rows, err = ParseManual("12025550124, Hi Bob, it is me", sms)
	if err != nil {
		t.Fatal(err)
	}
	want = Row{Line: 1, Raw: "12025550124", Phone: "+12025550124", Text: "Hi Bob, it is me"}
	if !reflect.DeepEqual(rows[0], want) {
		t.Errorf("row = %+v, want %+v", rows[0], want)
	}
	rows, err = ParseManual("1(202)555-0125,Bob,track/9", button)
	if err != nil {
		t.Fatal(err)
	}
	want = Row{Line: 1, Raw: "1(202)555-0125", Phone: "+12025550125", Body: []string{"Bob"}, URL: "track/9"}
	if !reflect.DeepEqual(rows[0], want) {
		t.Errorf("row = %+v, want %+v", rows[0], want)
	}
}

func TestParseManualErrors(t *testing.T) {
	hundred := strings.Repeat("12025550123\n\n", MaxManualLines)
	tests := []struct {
		name  string
		text  string
		shape Shape
		field string
	}{
		{"too many lines", hundred + "12025550124", Shape{}, "line 201"},
		{"not UTF-8", "12025550123\n12025550124,\xff", Shape{}, "line 2"},
		{"unknown header type", "12025550123", Shape{Header: "audio"}, "shape.header"},
		{"negative variables", "12025550123", Shape{BodyVars: -1}, "shape.bodyVars"},
		{"free text with variables", "12025550123", Shape{FreeText: true, BodyVars: 1}, "shape.freeText"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseManual(tt.text, tt.shape)
			checkInvalid(t, err, tt.field)
		})
	}
	if rows, err := ParseManual(hundred, Shape{}); err != nil || len(rows) != MaxManualLines {
		t.Errorf("%d lines: %d rows, %v", MaxManualLines, len(rows), err)
	}
}

// checkInvalid asserts err is an EINVALID *parley.Error about field.
func checkInvalid(t *testing.T, err error, field string) {
	t.Helper()
	var pe *parley.Error
	if !errors.As(err, &pe) || pe.Code != parley.EINVALID || pe.Field != field || pe.Message == "" {
		t.Fatalf("error = %#v, want EINVALID about %q", err, field)
	}
}

func TestParseCSV(t *testing.T) {
	tests := []struct {
		name  string
		shape Shape
		csv   string
		want  []got
	}{
		{"header row", imageTwo, "Phone,H1,B1,B2\n12025550123,https://x.example.org/a.png,Jane,9999\n12025550124,,Bob,8888\n", []got{
			{2, "+12025550123", ""}, {3, "+12025550124", "MISSING_HEADER_VARIABLE=image"},
		}},
		{"columns in any order, any case", imageTwo, "b2,PHONE,h1,B1\n9999,12025550123,https://x.example.org/a.png,Jane\n,12025550124,https://x.example.org/a.png,Bob\n", []got{
			{2, "+12025550123", ""}, {3, "+12025550124", "MISSING_VARIABLE=2"},
		}},
		{"no header row", twoVars, "12025550123,Jane,9999\n12025550124,Bob\n+1 (202) 555-0123,Jane,9999\n", []got{
			{1, "+12025550123", ""}, {2, "+12025550124", CodeInsufficientVariables}, {3, "+12025550123", CodeDuplicateNumber},
		}},
		{"first data row with a bad number is not a header", twoVars, "abc,Jane,9999\n12025550123,Jane,9999\n", []got{
			{1, "", CodeInvalidNumber}, {2, "+12025550123", ""},
		}},
		{"a value named like a column is not a header", twoVars, "12025550123,Seat,B1\n", []got{
			{1, "+12025550123", ""},
		}},
		{"blank rows, BOM and CRLF", twoVars, "\uFEFFPhone,B1,B2\r\n\r\n,,\r\n  , \r\n12025550123,Jane,9999\r\n", []got{
			{5, "+12025550123", ""},
		}},
		{"quoted values span lines", twoVars, "Phone,B1,B2\n12025550123,\"Jane\nDoe\",\"9,999\"\n12025550124,Bob,8888\n", []got{
			{2, "+12025550123", ""}, {4, "+12025550124", ""},
		}},
		{"short and long rows under a header", twoVars, "Phone,B1,B2,\n12025550123,Jane\n12025550124,Bob,8888,extra\n12025550125,Bob,8888,,\n", []got{
			{2, "+12025550123", CodeInsufficientVariables}, {3, "+12025550124", CodeTooManyVariables}, {4, "+12025550125", ""},
		}},
		{"sms text column", sms, "12025550123,\"Hi Jane, your plan renews\"\n12025550124\n12025550125,Hi,again\n", []got{
			{1, "+12025550123", ""}, {2, "+12025550124", ""}, {3, "+12025550125", CodeTooManyVariables},
		}},
		{"sms header", sms, "Phone,Message\n12025550123,Hi Jane\n", []got{{2, "+12025550123", ""}}},
		{"sms header without text", sms, "Phone\n12025550123\n", []got{{2, "+12025550123", ""}}},
		{"button header", button, "Phone,B1,BU1\n12025550123,Jane,t/1\n12025550124,Bob,\n", []got{
			{2, "+12025550123", ""}, {3, "+12025550124", CodeMissingButtonVariable},
		}},
		{"semicolons, as spreadsheets write where the comma is the decimal mark", twoVars, "Phone;B1;B2\n12025550123;Jane;\"9,99\"\n", []got{
			{2, "+12025550123", ""},
		}},
		{"tabs", twoVars, "12025550123\tJane\t9999\n", []got{{1, "+12025550123", ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := ParseCSV(strings.NewReader(tt.csv), tt.shape, 0)
			if err != nil {
				t.Fatalf("ParseCSV: %v", err)
			}
			if g := summary(rows); !reflect.DeepEqual(g, tt.want) {
				t.Fatalf("ParseCSV =\n%v\nwant\n%v", g, tt.want)
			}
			checkDetails(t, rows)
		})
	}
}

// TestParseCSVWithoutRows: a file without a recipient row says so, naming
// the recipients file and what a row holds.
func TestParseCSVWithoutRows(t *testing.T) {
	for csv, says := range map[string]string{
		"":                    "the recipients file is empty",
		"\uFEFF\r\n\n":        "the recipients file is empty",
		"Phone,B1,B2\n":       "a header row but no recipient rows",
		"Phone;B1;B2\r\n;;\n": "a header row but no recipient rows",
	} {
		rows, err := ParseCSV(strings.NewReader(csv), twoVars, 0)
		if parley.ErrorCode(err) != parley.EINVALID || parley.ErrorField(err) != "recipients" || !strings.Contains(parley.ErrorMessage(err), says) || rows != nil {
			t.Errorf("ParseCSV(%q) = %v, %v; want EINVALID on recipients saying %q", csv, rows, err, says)
		}
	}
}

func TestParseCSVValues(t *testing.T) {
	rows, err := ParseCSV(strings.NewReader("BU1,B1,Phone\n t/1 , Jane ,12025550123\n"), button, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []Row{{Line: 2, Raw: "12025550123", Phone: "+12025550123", Body: []string{"Jane"}, URL: "t/1"}}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("rows = %+v, want %+v", rows, want)
	}
	rows, err = ParseCSV(strings.NewReader("Message,Phone\n\"Hi, Jane\",12025550123\n"), sms, 0)
	if err != nil {
		t.Fatal(err)
	}
	want = []Row{{Line: 2, Raw: "12025550123", Phone: "+12025550123", Text: "Hi, Jane"}}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("rows = %+v, want %+v", rows, want)
	}
}

func TestParseCSVErrors(t *testing.T) {
	tests := []struct {
		name  string
		shape Shape
		csv   string
		max   int
		field string
	}{
		{"too many rows", Shape{}, "Phone\n12025550123\n\n12025550124\n12025550125\n", 2, "line 5"},
		{"broken quotes", twoVars, "12025550123,\"Jane,9999\n", 0, "line 1, column 24"}, // where the reader gave up
		{"bare quote", twoVars, "12025550123,Ja\"ne,9999\n", 0, "line 1, column 15"},
		{"not UTF-8", twoVars, "12025550123,Jane\n12025550124,\xffBob,1\n", 0, "line 2, column 13"},
		{"unknown column", twoVars, "Phone,Name,B1,B2\n", 0, "line 1, column 2"},
		{"column of another shape", twoVars, "Phone,H1,B1,B2\n", 0, "line 1, column 2"},
		{"too many variables in header", twoVars, "Phone,B1,B2,B3\n", 0, "line 1, column 4"},
		{"repeated column", twoVars, "Phone,B1,b1,B2\n", 0, "line 1, column 3"},
		{"missing column", imageTwo, "\n\nPhone,B1,B2\n", 0, "line 3"},
		{"bad shape", Shape{Header: "gif"}, "12025550123\n", 0, "shape.header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCSV(strings.NewReader(tt.csv), tt.shape, tt.max)
			checkInvalid(t, err, tt.field)
		})
	}
}

func TestParseCSVLimitMessage(t *testing.T) {
	_, err := ParseCSV(strings.NewReader("12025550123\n12025550124\n"), Shape{}, 1)
	if !strings.Contains(parley.ErrorMessage(err), "more than 1 recipients") {
		t.Fatalf("error = %v, want it to name the limit", err)
	}
	_, err = ParseCSV(strings.NewReader("Phone,B1\n"), twoVars, 0)
	if !strings.Contains(parley.ErrorMessage(err), "B2") {
		t.Fatalf("error = %v, want it to name the missing column", err)
	}
}

func TestParseCSVReadFailure(t *testing.T) {
	_, err := ParseCSV(iotest.ErrReader(errors.New("connection reset")), Shape{}, 0)
	if parley.ErrorCode(err) != parley.EUNAVAILABLE {
		t.Fatalf("error = %v, want EUNAVAILABLE", err)
	}
}

func TestDetails(t *testing.T) {
	rows, err := ParseManual(strings.Join([]string{
		"12025550123,https://x.example.org/a.png,Jane,9999",
		"1 202 555 0123,https://x.example.org/a.png,Jane,9999",
		"12025550124,https://x.example.org/a.gif,Jane,9999",
		"12025550125,https://x.example.org/a.png,Jane,",
		"555",
	}, "\n"), imageTwo)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"",
		"line 2: the phone number repeats line 1",
		"line 3: the image header URL (H1) must be an absolute https URL of a .jpg, .jpeg, .png file",
		"line 4: body variable B2 is empty",
		"line 5: the phone number is not a valid number starting with its country code",
	}
	for i, r := range rows {
		if r.Detail != want[i] {
			t.Errorf("line %d: detail %q, want %q", r.Line, r.Detail, want[i])
		}
		if strings.Contains(r.Detail, "555") {
			t.Errorf("line %d: detail %q shows the number", r.Line, r.Detail)
		}
	}
}
