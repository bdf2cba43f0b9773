package cm

import (
	"errors"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/parley"
)

func FuzzParseInbound(f *testing.F) {
	for _, s := range []string{moCurrent, moLegacy, `{"from":{"number":"3010"}}`, `{"from":null}`, `[]`, `{"groupings":["a","b","c","d"],"from":"1"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		in, err := ParseInbound(body)
		if err != nil {
			if parley.ErrorCode(err) != parley.EINVALID {
				t.Fatalf("error %v is not EINVALID", err)
			}
			return
		}
		if in.From == "" || in.Channel == "" {
			t.Fatalf("accepted %+v without a sender or channel", in)
		}
		if in.From != FromCM(in.From) || in.To != FromCM(in.To) {
			t.Fatalf("numbers %q, %q are not in their read form", in.From, in.To)
		}
		if !in.Time.IsZero() && in.Time.Location().String() != "UTC" {
			t.Fatalf("time %v is not UTC", in.Time)
		}
	})
}

func FuzzParseStatusReports(f *testing.F) {
	for _, s := range []string{dlrJSONOne, dlrJSONMany, dlrXMLMany, `<MESSAGES><MSG><STATUS><CODE>x</CODE></STATUS></MSG></MESSAGES>`, `{"messages":{"msg":null}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		reports, err := ParseStatusReports(body)
		if err != nil {
			if parley.ErrorCode(err) != parley.EINVALID {
				t.Fatalf("error %v is not EINVALID", err)
			}
			return
		}
		if len(reports) == 0 {
			t.Fatal("no error and no reports")
		}
		for _, r := range reports {
			if r.Status < 0 || r.To != FromCM(r.To) {
				t.Fatalf("report %+v", r)
			}
		}
	})
}

func FuzzClassify(f *testing.F) {
	ref := Reference(testMessage())
	f.Add(200, []byte(`{"details":"Created 1 message(s)","errorCode":0,"messages":[{"status":"Accepted","reference":"`+ref+`"}]}`))
	f.Add(400, []byte(rejected(ref, 303, "Gsm 'x' is not a number.")))
	f.Add(400, []byte(`{"details":"No account found","errorCode":101,"messages":[]}`))
	f.Add(429, []byte(``))
	f.Add(503, []byte(`<html/>`))
	f.Add(200, []byte(`{"messages":[{"status":"Rejected"}]}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		err := classify(status, body, ref)
		if err == nil {
			return
		}
		var se *parley.SendError
		if !errors.As(err, &se) || se.Provider != "cm" || se.Code == "" || strings.HasPrefix(se.Kind.String(), "FailKind(") {
			t.Fatalf("classify(%d) = %#v", status, err)
		}
		if status >= 500 && se.Kind != parley.FailTransient {
			t.Fatalf("HTTP %d is %s, want transient", status, se.Kind)
		}
	})
}

func FuzzNumbers(f *testing.F) {
	for _, s := range []string{"+447911123456", "00447911123456", "3010", "+0", "+", "0000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if cm, ok := ToCM(s); ok {
			if back := FromCM(cm); back != s {
				t.Fatalf("FromCM(ToCM(%q)) = %q", s, back)
			}
		}
		once := FromCM(s)
		if twice := FromCM(once); twice != once {
			t.Fatalf("FromCM not idempotent on %q: %q then %q", s, once, twice)
		}
	})
}
