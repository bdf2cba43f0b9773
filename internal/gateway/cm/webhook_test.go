package cm

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// Webhook bodies in the shapes CM documents.
const (
	moCurrent = `{
  "reference": "e1b6f0c3a9d24b7f8e5a1c2d3b4f5a6e",
  "messageContext": "",
  "from": {"number": "+447911123456", "name": "Jane"},
  "to": {"number": "00447700900123"},
  "message": {"text": "YES please", "media": {"mediaName": "", "mediaUri": "", "mimeType": ""}, "custom": {}},
  "groupings": ["acct-1", "camp-9", "rcp-42"],
  "time": "2024-03-01 11:51:55",
  "timeUtc": "2024-03-01T10:51:55",
  "channel": "SMS"
}`
	moLegacy = `{"reference":"abc123","from":"00447911123456","to":"3010","body":"STOP","groupings":["","",""]}`

	dlrJSONOne = `{"messages":{"msg":{"received":"2024-03-01T10:52:10","to":"00447911123456","reference":"e1b6f0c3a9d24b7f8e5a1c2d3b4f5a6e",` +
		`"status":{"code":"2","errorCode":"","errorDescription":""},"operator":"20404"}}}`
	dlrJSONMany = `{"messages":{"msg":[` +
		`{"received":"2024-03-01T10:52:10","to":"00447911123456","reference":"ref1","status":{"code":0,"errorCode":null,"errorDescription":null}},` +
		`{"received":"2024-03-01 10:55:00","to":"00447911123457","reference":"ref2","status":{"code":3,"errorCode":8,"errorDescription":"Message expired"}}]}}`
	dlrXMLMany = `<?xml version="1.0" encoding="utf-8"?>
<MESSAGES>
  <MSG RECEIVED="2024-03-01T10:52:10">
    <TO>00447911123456</TO>
    <REFERENCE>ref1</REFERENCE>
    <STATUS><CODE>1</CODE><ERRORCODE>5</ERRORCODE><ERRORDESCRIPTION>Message not delivered at third party</ERRORDESCRIPTION></STATUS>
  </MSG>
  <MSG RECEIVED="2024-03-01T10:53:00.123">
    <TO>00447911123457</TO>
    <REFERENCE>ref2</REFERENCE>
    <STATUS><CODE>2</CODE><ERRORCODE></ERRORCODE><ERRORDESCRIPTION></ERRORDESCRIPTION></STATUS>
    <OPERATOR>23410</OPERATOR>
  </MSG>
</MESSAGES>`
)

func TestParseInbound(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		want  Inbound
		field string // the offending field when the body is refused
	}{
		{"current", moCurrent, Inbound{
			Reference: "e1b6f0c3a9d24b7f8e5a1c2d3b4f5a6e", From: "+447911123456", To: "+447700900123", Body: "YES please",
			Channel: "SMS", Groupings: [3]string{"acct-1", "camp-9", "rcp-42"}, Time: time.Date(2024, 3, 1, 10, 51, 55, 0, time.UTC),
		}, ""},
		{"legacy flat", moLegacy, Inbound{Reference: "abc123", From: "+447911123456", To: "3010", Body: "STOP", Channel: "SMS"}, ""},
		{"whatsapp, unreadable time", `{"from":{"number":"+31612345678"},"to":{"number":"0031201234567"},"message":{"text":"hi"},"timeUtc":"yesterday","channel":"WhatsApp"}`,
			Inbound{From: "+31612345678", To: "+31201234567", Body: "hi", Channel: "WhatsApp"}, ""},
		{"no sender", `{"to":{"number":"3010"},"message":{"text":"hi"}}`, Inbound{}, "from.number"},
		{"not json", `reference=abc&from=0044`, Inbound{}, ""},
		{"numeric sender", `{"from":447911123456,"message":{"text":"hi"}}`, Inbound{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseInbound([]byte(tt.body))
			if tt.want.From == "" {
				assertInvalid(t, err, tt.field)
				return
			}
			if err != nil {
				t.Fatalf("ParseInbound: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseStatusReports(t *testing.T) {
	at := func(h, m, s, ns int) time.Time { return time.Date(2024, 3, 1, h, m, s, ns, time.UTC) }
	tests := []struct {
		name  string
		body  string
		want  []StatusReport
		field string
	}{
		{"json one", dlrJSONOne, []StatusReport{{Reference: "e1b6f0c3a9d24b7f8e5a1c2d3b4f5a6e", To: "+447911123456", Status: StatusDelivered, Operator: "20404", Time: at(10, 52, 10, 0)}}, ""},
		{"json list, numeric codes", dlrJSONMany, []StatusReport{
			{Reference: "ref1", To: "+447911123456", Status: StatusAccepted, Time: at(10, 52, 10, 0)},
			{Reference: "ref2", To: "+447911123457", Status: StatusFailed, ErrorCode: "8", ErrorDescription: "Message expired", Time: at(10, 55, 0, 0)},
		}, ""},
		{"xml", "\n  " + dlrXMLMany, []StatusReport{
			{Reference: "ref1", To: "+447911123456", Status: StatusRejected, ErrorCode: "5", ErrorDescription: "Message not delivered at third party", Time: at(10, 52, 10, 0)},
			{Reference: "ref2", To: "+447911123457", Status: StatusDelivered, Operator: "23410", Time: at(10, 53, 0, 123e6)},
		}, ""},
		{"no code", `{"messages":{"msg":{"to":"00447911123456","reference":"r","status":{}}}}`, nil, "messages.msg[0].status.code"},
		{"negative code", `{"messages":{"msg":[{"status":{"code":"2"}},{"status":{"code":-1}}]}}`, nil, "messages.msg[1].status.code"},
		{"code is an object", `{"messages":{"msg":{"status":{"code":{"v":2}}}}}`, nil, ""},
		{"no messages", `{"messages":{"msg":[]}}`, nil, "messages.msg"},
		{"empty xml", `<MESSAGES></MESSAGES>`, nil, "messages.msg"},
		{"wrong xml root", `<REPORTS><MSG><STATUS><CODE>2</CODE></STATUS></MSG></REPORTS>`, nil, ""},
		{"garbage", `status=2`, nil, ""},
		{"too big", `{"messages":{"msg":{"status":{"code":2},"operator":"` + strings.Repeat("x", maxWebhook) + `"}}}`, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseStatusReports([]byte(tt.body))
			if tt.want == nil {
				assertInvalid(t, err, tt.field)
				return
			}
			if err != nil {
				t.Fatalf("ParseStatusReports: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func assertInvalid(t *testing.T, err error, field string) {
	t.Helper()
	if parley.ErrorCode(err) != parley.EINVALID {
		t.Fatalf("error %v, want EINVALID", err)
	}
	if field != "" && parley.ErrorField(err) != field {
		t.Errorf("field %q, want %q", parley.ErrorField(err), field)
	}
}

func TestStatus(t *testing.T) {
	tests := []struct {
		s             Status
		name          string
		final, failed bool
	}{
		{StatusAccepted, "accepted", false, false},
		{StatusRejected, "rejected", true, true},
		{StatusDelivered, "delivered", true, false},
		{StatusFailed, "failed", true, true},
		{StatusRead, "read", true, false},
		{Status(9), "Status(9)", false, false},
		{Status(-1), "Status(-1)", false, false},
	}
	for _, tt := range tests {
		if tt.s.String() != tt.name || tt.s.Final() != tt.final || tt.s.Failed() != tt.failed {
			t.Errorf("%d: %s final=%v failed=%v", int(tt.s), tt.s, tt.s.Final(), tt.s.Failed())
		}
	}
}

func TestVerifyToken(t *testing.T) {
	tests := []struct {
		expected, got string
		ok            bool
	}{
		{"s3cret-Account-1", "s3cret-Account-1", true},
		{"s3cret-Account-1", "s3cret-Account-2", false},
		{"s3cret-Account-1", "s3cret-Account-1 ", false},
		{"s3cret-Account-1", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		if got := VerifyToken(tt.expected, tt.got); got != tt.ok {
			t.Errorf("VerifyToken(%q, %q) = %v", tt.expected, tt.got, got)
		}
	}
}

func TestNumbers(t *testing.T) {
	to := []struct {
		in, want string
		ok       bool
	}{
		{"+447911123456", "00447911123456", true},
		{"+1", "001", true},
		{"447911123456", "", false},
		{"+0447911123456", "", false},
		{"+4479111234567890", "", false},
		{"+44 7911 123456", "", false},
		{"", "", false},
	}
	for _, tt := range to {
		if got, ok := ToCM(tt.in); got != tt.want || ok != tt.ok {
			t.Errorf("ToCM(%q) = %q, %v", tt.in, got, ok)
		}
	}
	from := []struct{ in, want string }{
		{"00447911123456", "+447911123456"},
		{" +447911123456 ", "+447911123456"},
		{"3010", "3010"},
		{"0612345678", "0612345678"},
		{"000447911123456", "000447911123456"},
		{"ParleyShop", "ParleyShop"},
	}
	for _, tt := range from {
		if got := FromCM(tt.in); got != tt.want {
			t.Errorf("FromCM(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func BenchmarkParseStatusReports(b *testing.B) {
	for _, body := range []string{dlrJSONMany, dlrXMLMany} {
		b.Run(body[:1], func(b *testing.B) {
			for b.Loop() {
				if _, err := ParseStatusReports([]byte(body)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
