package upload

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/parley"
)

func TestInAppLines(t *testing.T) {
	type row struct {
		line         int
		id, tz, code string
		body         []string
		text         string
	}
	tests := []struct {
		name   string
		csv    string // or typed, when csv is empty
		typed  string
		shape  Shape
		want   []row
		field  string // of a whole-input error
		errSub string
	}{
		{
			name:  "header with timezone",
			csv:   "ConsumerId,B1,Timezone\njane,Jane,Europe/Paris\nbob,Bob,\n,Nobody,\njane,Again,\n",
			shape: Shape{InApp: true, BodyVars: 1},
			want: []row{
				{line: 2, id: "jane", tz: "Europe/Paris", body: []string{"Jane"}},
				{line: 3, id: "bob", body: []string{"Bob"}},
				{line: 4, code: CodeInvalidConsumerID, body: []string{"Nobody"}},
				{line: 5, id: "jane", code: CodeDuplicateConsumerID, body: []string{"Again"}},
			},
		},
		{
			name:  "positional free text",
			csv:   "user-1,\"Hi, there\"\nuser-2\n",
			shape: Shape{InApp: true, FreeText: true},
			want:  []row{{line: 1, id: "user-1", text: "Hi, there"}, {line: 2, id: "user-2"}},
		},
		{
			name:  "a consumer id may look like a number",
			csv:   "12025550123,x\n",
			shape: Shape{InApp: true, BodyVars: 1},
			want:  []row{{line: 1, id: "12025550123", body: []string{"x"}}},
		},
		{
			name:  "typed",
			typed: "jane, Jane\n\nbob\n  \nbob,Bob",
			shape: Shape{InApp: true, BodyVars: 1},
			want: []row{
				{line: 1, id: "jane", body: []string{"Jane"}},
				{line: 3, id: "bob", code: CodeInsufficientVariables, body: []string{""}},
				{line: 5, id: "bob", code: CodeDuplicateConsumerID, body: []string{"Bob"}},
			},
		},
		{name: "a phone column", csv: "Phone,B1\n12025550123,x\n", shape: Shape{InApp: true, BodyVars: 1}, field: "line 1, column 1", errSub: "Phone"},
		{name: "timezone twice", csv: "ConsumerId,Timezone,timezone\na,b,c\n", shape: Shape{InApp: true, FreeText: true}, field: "line 1, column 3"},
		{name: "timezone in an SMS file", csv: "Phone,Timezone\n12025550123,Europe/Paris\n", shape: Shape{FreeText: true}, field: "line 1, column 2"},
		{name: "no consumer id column", csv: "B1,Timezone\nx,Europe/Paris\n", shape: Shape{InApp: true, BodyVars: 1}, field: "line 1", errSub: "CONSUMERID"},
		{name: "in-app with buttons", csv: "a\n", shape: Shape{InApp: true, URLVar: true}, field: "shape.inApp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rows []Row
			var err error
			if tt.csv != "" {
				rows, err = ParseCSV(strings.NewReader(tt.csv), tt.shape, 0)
			} else {
				rows, err = ParseManual(tt.typed, tt.shape)
			}
			if tt.field != "" {
				if parley.ErrorField(err) != tt.field || !strings.Contains(parley.ErrorMessage(err), tt.errSub) {
					t.Fatalf("error = %v (field %q), want field %q mentioning %q", err, parley.ErrorField(err), tt.field, tt.errSub)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []row
			for _, r := range rows {
				if r.Phone != "" {
					t.Errorf("line %d: an in-app row has phone %q", r.Line, r.Phone)
				}
				got = append(got, row{line: r.Line, id: r.ConsumerID, tz: r.Timezone, code: r.Error, body: r.Body, text: r.Text})
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("rows = %+v\nwant   %+v", got, tt.want)
			}
		})
	}
}

func FuzzParseCSVInApp(f *testing.F) {
	for _, s := range []string{
		"ConsumerId,B1,Timezone\njane,Jane,Europe/Paris\njane,,\n,x,\n",
		"timezone,consumerid,message\nAsia/Tokyo,u1,\"Hi, u1\"\n",
		"u1,a,b\n\"u\n2\",c\n\xff\n", "ConsumerId\n", "",
	} {
		f.Add([]byte(s), uint8(1), false)
		f.Add([]byte(s), uint8(0), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, vars uint8, freeText bool) {
		s := Shape{InApp: true, BodyVars: int(vars % 4), FreeText: freeText}
		rows, err := ParseCSV(bytes.NewReader(data), s, 50)
		checkInApp(t, s, rows, err)
	})
}

func FuzzParseManualInApp(f *testing.F) {
	for _, s := range []string{"jane, Hi Jane\nbob,Hi, Bob\njane,x", " ,\n\x00id,x", "\uFEFFu1,a,b,c"} {
		f.Add(s, uint8(1), false)
		f.Add(s, uint8(0), true)
	}
	f.Fuzz(func(t *testing.T, text string, vars uint8, freeText bool) {
		s := Shape{InApp: true, BodyVars: int(vars % 4), FreeText: freeText}
		rows, err := ParseManual(text, s)
		checkInApp(t, s, rows, err)
	})
}

// checkInApp asserts what holds for any in-app parse: errors are EINVALID
// naming a place; rows carry no phone, a consumer id exactly when it is
// usable, and are duplicates exactly when the id was seen before.
func checkInApp(t *testing.T, s Shape, rows []Row, err error) {
	t.Helper()
	if err != nil {
		var pe *parley.Error
		if !errors.As(err, &pe) || pe.Code != parley.EINVALID || pe.Field == "" || rows != nil {
			t.Fatalf("error %#v is not an EINVALID domain error", err)
		}
		return
	}
	if s.check() != nil {
		t.Fatalf("shape %+v accepted", s)
	}
	seen := map[string]bool{}
	for _, r := range rows {
		if r.Phone != "" || len(r.Body) != s.BodyVars || (!s.FreeText && r.Text != "") {
			t.Fatalf("line %d: %+v does not fit %+v", r.Line, r, s)
		}
		if prefix := "line " + strconv.Itoa(r.Line) + ": "; (r.Error == "") != (r.Detail == "") || (r.Detail != "" && !strings.HasPrefix(r.Detail, prefix)) {
			t.Fatalf("line %d: code %q with detail %q", r.Line, r.Error, r.Detail)
		}
		bad := parley.ConsumerIDProblem(r.ConsumerID) != ""
		if bad != (r.Error == CodeInvalidConsumerID) {
			t.Fatalf("line %d: consumer id %q with code %q", r.Line, r.ConsumerID, r.Error)
		}
		if bad {
			continue
		}
		if dup := r.Error == CodeDuplicateConsumerID; dup != seen[r.ConsumerID] {
			t.Fatalf("line %d: %q is a duplicate: %v, seen before: %v", r.Line, r.ConsumerID, dup, seen[r.ConsumerID])
		}
		seen[r.ConsumerID] = true
	}
}
