package twilio

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/parleyhq/parley/internal/parley"
)

// inboundForm is an incoming MMS as Twilio posts it, with the fields
// ParseInbound does not read.
func inboundForm() url.Values {
	return url.Values{
		"ToCountry": {"GB"}, "ToState": {""}, "SmsMessageSid": {"MM0123456789abcdef0123456789abcdef"},
		"NumMedia": {"2"}, "ToCity": {""}, "FromZip": {""}, "SmsSid": {"MM0123456789abcdef0123456789abcdef"},
		"FromState": {""}, "SmsStatus": {"received"}, "FromCity": {""}, "Body": {"STOP please ✋"},
		"FromCountry": {"GB"}, "To": {"+447700900000"}, "ToZip": {""}, "NumSegments": {"1"},
		"MessageSid": {"MM0123456789abcdef0123456789abcdef"}, "AccountSid": {testAccount},
		"From": {"+447700900123"}, "ApiVersion": {"2010-04-01"},
		"MessagingServiceSid": {"MG0123456789abcdef0123456789abcdef"},
		"MediaContentType0":   {"image/jpeg"},
		"MediaUrl0":           {"https://api.twilio.com/2010-04-01/Accounts/" + testAccount + "/Messages/MM01/Media/ME01"},
		"MediaContentType1":   {"audio/ogg"},
		"MediaUrl1":           {"https://api.twilio.com/2010-04-01/Accounts/" + testAccount + "/Messages/MM01/Media/ME02"},
	}
}

func TestParseInbound(t *testing.T) {
	want := Inbound{
		MessageSID: "MM0123456789abcdef0123456789abcdef", AccountSID: testAccount,
		MessagingServiceSID: "MG0123456789abcdef0123456789abcdef",
		From:                "+447700900123", To: "+447700900000", Body: "STOP please ✋",
		Media: []Media{
			{URL: "https://api.twilio.com/2010-04-01/Accounts/" + testAccount + "/Messages/MM01/Media/ME01", ContentType: "image/jpeg"},
			{URL: "https://api.twilio.com/2010-04-01/Accounts/" + testAccount + "/Messages/MM01/Media/ME02", ContentType: "audio/ogg"},
		},
	}
	got, err := ParseInbound(inboundForm())
	if err != nil {
		t.Fatalf("ParseInbound: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ParseInbound = %+v, want %+v", got, want)
	}
	if again, err := ParseInbound(got.Values()); err != nil || !reflect.DeepEqual(again, got) {
		t.Errorf("round trip = %+v, %v", again, err)
	}
}

func TestParseInboundRejects(t *testing.T) {
	tests := []struct {
		name   string
		change func(url.Values)
		field  string
	}{
		{"no MessageSid", func(v url.Values) { v.Del("MessageSid") }, "MessageSid"},
		{"no AccountSid", func(v url.Values) { v.Set("AccountSid", "") }, "AccountSid"},
		{"no From", func(v url.Values) { v.Del("From") }, "From"},
		{"no To", func(v url.Values) { v.Del("To") }, "To"},
		{"SID with a slash", func(v url.Values) { v.Set("MessageSid", "MM01/../x") }, "MessageSid"},
		{"SID too long", func(v url.Values) { v.Set("MessageSid", "MM"+strings.Repeat("0", 80)) }, "MessageSid"},
		{"service SID with a space", func(v url.Values) { v.Set("MessagingServiceSid", "MG 1") }, "MessagingServiceSid"},
		{"body not UTF-8", func(v url.Values) { v.Set("Body", "\xff\xfe") }, "Body"},
		{"NumMedia not a number", func(v url.Values) { v.Set("NumMedia", "two") }, "NumMedia"},
		{"NumMedia negative", func(v url.Values) { v.Set("NumMedia", "-1") }, "NumMedia"},
		{"NumMedia above Twilio's limit", func(v url.Values) { v.Set("NumMedia", "11") }, "NumMedia"},
		{"media URL missing", func(v url.Values) { v.Del("MediaUrl1") }, "MediaUrl1"},
		{"media URL not http", func(v url.Values) { v.Set("MediaUrl0", "file:///etc/passwd") }, "MediaUrl0"},
		{"media URL without host", func(v url.Values) { v.Set("MediaUrl0", "https:///x") }, "MediaUrl0"},
		{"media content type not UTF-8", func(v url.Values) { v.Set("MediaContentType1", "\xc0") }, "MediaContentType1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := inboundForm()
			tt.change(form)
			_, err := ParseInbound(form)
			if parley.ErrorCode(err) != parley.EINVALID || parley.ErrorField(err) != tt.field {
				t.Errorf("ParseInbound = %v, want EINVALID on %s", err, tt.field)
			}
		})
	}
}

func TestParseInboundOptionalFields(t *testing.T) {
	form := url.Values{"MessageSid": {"SM1"}, "AccountSid": {"AC1"}, "From": {"+1"}, "To": {"+2"}}
	got, err := ParseInbound(form)
	if err != nil || !reflect.DeepEqual(got, Inbound{MessageSID: "SM1", AccountSID: "AC1", From: "+1", To: "+2"}) {
		t.Errorf("ParseInbound of a minimal form = %+v, %v", got, err)
	}
}

func TestParseStatus(t *testing.T) {
	tests := []struct {
		name   string
		change func(url.Values)
		want   Status
		field  string // of the EINVALID error, "" for success
	}{
		{name: "undelivered", change: func(url.Values) {}, want: Status{
			MessageSID: "SM0123456789abcdef0123456789abcdef", AccountSID: testAccount,
			MessageStatus: StatusUndelivered, ErrorCode: "30003", To: "+447700900123", From: "+15005550006",
		}},
		{name: "delivered without error code", change: func(v url.Values) { v.Set("MessageStatus", "delivered"); v.Del("ErrorCode") }, want: Status{
			MessageSID: "SM0123456789abcdef0123456789abcdef", AccountSID: testAccount,
			MessageStatus: StatusDelivered, To: "+447700900123", From: "+15005550006",
		}},
		{name: "status Twilio may add later", change: func(v url.Values) { v.Set("MessageStatus", "partially_delivered"); v.Del("ErrorCode"); v.Del("From") }, want: Status{
			MessageSID: "SM0123456789abcdef0123456789abcdef", AccountSID: testAccount,
			MessageStatus: "partially_delivered", To: "+447700900123",
		}},
		{name: "no MessageSid", change: func(v url.Values) { v.Del("MessageSid") }, field: "MessageSid"},
		{name: "no AccountSid", change: func(v url.Values) { v.Del("AccountSid") }, field: "AccountSid"},
		{name: "no MessageStatus", change: func(v url.Values) { v.Del("MessageStatus") }, field: "MessageStatus"},
		{name: "status with capitals", change: func(v url.Values) { v.Set("MessageStatus", "Delivered") }, field: "MessageStatus"},
		{name: "status with markup", change: func(v url.Values) { v.Set("MessageStatus", "<b>sent</b>") }, field: "MessageStatus"},
		{name: "error code not a number", change: func(v url.Values) { v.Set("ErrorCode", "30003x") }, field: "ErrorCode"},
		{name: "To not UTF-8", change: func(v url.Values) { v.Set("To", "\xff") }, field: "To"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := statusForm()
			tt.change(form)
			got, err := ParseStatus(form)
			if tt.field != "" {
				if parley.ErrorCode(err) != parley.EINVALID || parley.ErrorField(err) != tt.field {
					t.Errorf("ParseStatus = %+v, %v; want EINVALID on %s", got, err, tt.field)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ParseStatus = %+v, %v; want %+v", got, err, tt.want)
			}
			if again, err := ParseStatus(got.Values()); err != nil || again != got {
				t.Errorf("round trip = %+v, %v", again, err)
			}
		})
	}
}

// checkParseError holds a parse error to its documented kind.
func checkParseError(t *testing.T, err error) {
	t.Helper()
	if parley.ErrorCode(err) != parley.EINVALID || parley.ErrorField(err) == "" {
		t.Fatalf("error %v is not EINVALID naming a field", err)
	}
}

func FuzzParseInbound(f *testing.F) {
	f.Add(inboundForm().Encode())
	f.Add("MessageSid=SM1&AccountSid=AC1&From=%2B1&To=%2B2&Body=hi&NumMedia=0")
	f.Add("MessageSid=SM1&AccountSid=AC1&From=%2B1&To=%2B2&NumMedia=1&MediaUrl0=https%3A%2F%2Fm%2F1")
	f.Add("MessageSid=SM1&AccountSid=AC1&From=%2B1&To=%2B2&NumMedia=99999999999999999999")
	f.Add("MessageSid=&Body=%ff")
	f.Fuzz(func(t *testing.T, raw string) {
		form, _ := url.ParseQuery(raw)
		in, err := ParseInbound(form)
		if err != nil {
			checkParseError(t, err)
			return
		}
		if in.MessageSID == "" || in.AccountSID == "" || in.From == "" || in.To == "" || len(in.Media) > MaxMedia {
			t.Fatalf("accepted an incomplete message: %+v", in)
		}
		for _, s := range []string{in.From, in.To, in.Body} {
			if !utf8.ValidString(s) {
				t.Fatalf("accepted invalid UTF-8 %q", s)
			}
		}
		again, err := ParseInbound(in.Values())
		if err != nil || !reflect.DeepEqual(again, in) {
			t.Fatalf("round trip of %+v = %+v, %v", in, again, err)
		}
	})
}

func FuzzParseStatus(f *testing.F) {
	f.Add(statusForm().Encode())
	f.Add("MessageSid=SM1&AccountSid=AC1&MessageStatus=read")
	f.Add("MessageSid=SM1&AccountSid=AC1&MessageStatus=failed&ErrorCode=30008&To=whatsapp%3A%2B1")
	f.Add("MessageSid=SM1&MessageStatus=")
	f.Fuzz(func(t *testing.T, raw string) {
		form, _ := url.ParseQuery(raw)
		s, err := ParseStatus(form)
		if err != nil {
			checkParseError(t, err)
			return
		}
		if s.MessageSID == "" || s.AccountSID == "" || s.MessageStatus == "" {
			t.Fatalf("accepted an incomplete callback: %+v", s)
		}
		DeliveryFailure(s.ErrorCode) // any code has a kind
		again, err := ParseStatus(s.Values())
		if err != nil || again != s {
			t.Fatalf("round trip of %+v = %+v, %v", s, again, err)
		}
	})
}

func BenchmarkParseInbound(b *testing.B) {
	form := inboundForm()
	for b.Loop() {
		if _, err := ParseInbound(form); err != nil {
			b.Fatal(err)
		}
	}
}
