package whatsapp

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// Signature vectors computed outside Go, with
// printf '%s' "$body" | openssl dgst -sha256 -hmac "$secret".
const (
	sigSecret = "e1b7c0a4d2f94e0b8c3a6f5d9e2b1c70"
	sigBody   = `{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"statuses":[{"id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3NTc2RjhERjI2QTQ2NDkyRTkA","status":"delivered","timestamp":"1750263773","recipient_id":"16505551234"}]},"field":"messages"}]}]}`
	sigHex    = "9fda7dae141c399ff31c82d8885e9e4a5aa0e9a2f394db3ee89334cd7bd8f233"
	// sigHexOtherSecret signs sigBody with the secret's last digit changed.
	sigHexOtherSecret = "771cc74a9b1fea56efbe6a9ab7d37e2863690ea9167ea2b2f4c200b92742a46a"
	// sigHexEmpty signs an empty body.
	sigHexEmpty = "18f11e7b50050e1cbd6340f54c01dc7d1afdba71a3ac7825a0fdc946e6e6522b"
)

func TestVerifySignature(t *testing.T) {
	tests := []struct {
		name   string
		secret string
		body   string
		header string
		want   bool
	}{
		{"valid", sigSecret, sigBody, "sha256=" + sigHex, true},
		{"valid, empty body", sigSecret, "", "sha256=" + sigHexEmpty, true},
		{"upper-case hex", sigSecret, sigBody, "sha256=" + strings.ToUpper(sigHex), true},
		{"signed with another secret", sigSecret, sigBody, "sha256=" + sigHexOtherSecret, false},
		{"body changed by one byte", sigSecret, strings.Replace(sigBody, "delivered", "Delivered", 1), "sha256=" + sigHex, false},
		{"body re-serialised", sigSecret, strings.ReplaceAll(sigBody, ",", ", "), "sha256=" + sigHex, false},
		{"missing header", sigSecret, sigBody, "", false},
		{"no prefix", sigSecret, sigBody, sigHex, false},
		{"sha1 prefix", sigSecret, sigBody, "sha1=" + sigHex, false},
		{"upper-case prefix", sigSecret, sigBody, "SHA256=" + sigHex, false},
		{"truncated", sigSecret, sigBody, "sha256=" + sigHex[:63], false},
		{"too long", sigSecret, sigBody, "sha256=" + sigHex + "00", false},
		{"not hex", sigSecret, sigBody, "sha256=" + strings.Repeat("zz", 32), false},
		{"surrounding space", sigSecret, sigBody, " sha256=" + sigHex, false},
		{"empty secret", "", sigBody, "sha256=" + sigHex, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := VerifySignature(tt.secret, []byte(tt.body), tt.header); got != tt.want {
				t.Errorf("VerifySignature = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestHandshake(t *testing.T) {
	const token = "parley-verify-7f3e"
	q := func(mode, tok, challenge string) url.Values {
		v := url.Values{}
		for k, s := range map[string]string{"hub.mode": mode, "hub.verify_token": tok, "hub.challenge": challenge} {
			if s != "" {
				v.Set(k, s)
			}
		}
		return v
	}
	tests := []struct {
		name          string
		query         url.Values
		verifyToken   string
		wantChallenge string
		wantOK        bool
	}{
		{"subscribe with the right token", q("subscribe", token, "1158201444"), token, "1158201444", true},
		{"wrong token", q("subscribe", "guess", "1158201444"), token, "", false},
		{"token differs in case", q("subscribe", strings.ToUpper(token), "1158201444"), token, "", false},
		{"other mode", q("unsubscribe", token, "1158201444"), token, "", false},
		{"no mode", q("", token, "1158201444"), token, "", false},
		{"no challenge", q("subscribe", token, ""), token, "", false},
		{"markup challenge", q("subscribe", token, "<script>alert(1)</script>"), token, "", false},
		{"oversized challenge", q("subscribe", token, strings.Repeat("9", 65)), token, "", false},
		{"no token configured", q("subscribe", "", "1158201444"), "", "", false},
		{"empty query", url.Values{}, token, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ok := Handshake(tt.query, tt.verifyToken)
			if c != tt.wantChallenge || ok != tt.wantOK {
				t.Errorf("Handshake = %q, %v; want %q, %v", c, ok, tt.wantChallenge, tt.wantOK)
			}
		})
	}
}

// envelope wraps one change value the way Meta posts it.
func envelope(value string) string {
	return `{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"field":"messages","value":` +
		value + `}]}]}`
}

// metadata is the value prefix naming the business number.
const metadata = `"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"}`

func at(sec int64) time.Time { return time.Unix(sec, 0).UTC() }

func TestParseNotification(t *testing.T) {
	inbound := func(in Inbound) Inbound {
		in.PhoneNumberID, in.To = "106540352242922", "+15550783881"
		return in
	}
	status := func(s Status) Status {
		s.PhoneNumberID, s.From = "106540352242922", "+15550783881"
		return s
	}
	tests := []struct {
		name string
		body string
		want Notification
	}{
		{
			name: "text message with the sender's profile",
			body: envelope(`{` + metadata + `,
				"contacts":[{"profile":{"name":"Sheena Nelson"},"wa_id":"16505551234","user_id":"US.13491208655302741918"}],
				"messages":[{"from":"16505551234","from_user_id":"US.13491208655302741918","id":"wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQUJDRA==",
				"timestamp":"1749416383","type":"text","text":{"body":"Does it come in another colour?"}}]}`),
			want: Notification{Inbound: []Inbound{inbound(Inbound{
				ID: "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQUJDRA==", From: "+16505551234", UserID: "US.13491208655302741918",
				Name: "Sheena Nelson", Timestamp: at(1749416383), Type: "text", Text: "Does it come in another colour?",
			})}},
		},
		{
			name: "quick-reply button of a template, answering our message",
			body: envelope(`{` + metadata + `,
				"contacts":[{"profile":{"name":"Ana"},"wa_id":"5511987654321"}],
				"messages":[{"context":{"from":"15550783881","id":"wamid.OUTBOUND1"},"from":"5511987654321","id":"wamid.IN2",
				"timestamp":"1750000000","type":"button","button":{"payload":"STOP_UPDATES","text":"Stop updates"}}]}`),
			want: Notification{Inbound: []Inbound{inbound(Inbound{
				ID: "wamid.IN2", From: "+5511987654321", Name: "Ana", Timestamp: at(1750000000), Type: "button",
				Text: "Stop updates", Payload: "STOP_UPDATES", ContextID: "wamid.OUTBOUND1",
			})}},
		},
		{
			name: "interactive reply button and list row in one delivery",
			body: envelope(`{` + metadata + `,
				"contacts":[{"profile":{"name":"Kai"},"wa_id":"4915123456789"}],
				"messages":[
				{"context":{"from":"15550783881","id":"wamid.OUT3"},"from":"4915123456789","id":"wamid.IN3","timestamp":"1750000100",
				 "type":"interactive","interactive":{"type":"button_reply","button_reply":{"id":"slot-am","title":"Morning"}}},
				{"context":{"from":"15550783881","id":"wamid.OUT4"},"from":"4915123456789","id":"wamid.IN4","timestamp":"1750000160",
				 "type":"interactive","interactive":{"type":"list_reply","list_reply":{"id":"store-42","title":"Berlin Mitte","description":"Open until 20:00"}}}]}`),
			want: Notification{Inbound: []Inbound{
				inbound(Inbound{ID: "wamid.IN3", From: "+4915123456789", Name: "Kai", Timestamp: at(1750000100), Type: "interactive",
					Text: "Morning", Payload: "slot-am", ContextID: "wamid.OUT3"}),
				inbound(Inbound{ID: "wamid.IN4", From: "+4915123456789", Name: "Kai", Timestamp: at(1750000160), Type: "interactive",
					Text: "Berlin Mitte", Payload: "store-42", ContextID: "wamid.OUT4"}),
			}},
		},
		{
			name: "image with caption, location and unsupported types",
			body: envelope(`{` + metadata + `,
				"contacts":[{"profile":{"name":"Lee"},"wa_id":"6591234567"}],
				"messages":[
				{"from":"6591234567","id":"wamid.IMG","timestamp":"1750000200","type":"image",
				 "image":{"caption":"my receipt","mime_type":"image/jpeg","sha256":"abc","id":"1003383421387256"}},
				{"from":"6591234567","id":"wamid.LOC","timestamp":"1750000201","type":"location",
				 "location":{"latitude":1.29,"longitude":103.85,"name":"Raffles Place"}},
				{"from":"6591234567","id":"wamid.UNS","timestamp":"1750000202","type":"unsupported",
				 "errors":[{"code":131051,"title":"Message type unknown","message":"Message type unknown",
				 "error_data":{"details":"Message type is currently not supported."}}]}]}`),
			want: Notification{Inbound: []Inbound{
				inbound(Inbound{ID: "wamid.IMG", From: "+6591234567", Name: "Lee", Timestamp: at(1750000200), Type: "image", Text: "my receipt"}),
				inbound(Inbound{ID: "wamid.LOC", From: "+6591234567", Name: "Lee", Timestamp: at(1750000201), Type: "location"}),
				inbound(Inbound{ID: "wamid.UNS", From: "+6591234567", Name: "Lee", Timestamp: at(1750000202), Type: "unsupported",
					Errors: []ErrorInfo{{Code: "131051", Title: "Message type unknown", Message: "Message type unknown",
						Details: "Message type is currently not supported.", Kind: parley.FailPermanent}}}),
			}},
		},
		{
			name: "user with a username: no phone number, only the business-scoped id",
			body: envelope(`{` + metadata + `,
				"contacts":[{"profile":{"name":"Mo","username":"mo.builds"},"user_id":"GB.8841209912"}],
				"messages":[{"from_user_id":"GB.8841209912","id":"wamid.IN5","timestamp":"1750000300","type":"text","text":{"body":"hi"}}]}`),
			want: Notification{Inbound: []Inbound{inbound(Inbound{
				ID: "wamid.IN5", UserID: "GB.8841209912", Name: "Mo", Timestamp: at(1750000300), Type: "text", Text: "hi",
			})}},
		},
		{
			name: "sent, delivered and read statuses",
			body: envelope(`{` + metadata + `,"statuses":[
				{"id":"wamid.OUT1","status":"sent","timestamp":"1750000400","recipient_id":"16505551234",
				 "conversation":{"id":"c1","origin":{"type":"marketing"}},"pricing":{"billable":true,"pricing_model":"PMP","category":"marketing"}},
				{"id":"wamid.OUT1","status":"delivered","timestamp":"1750000401","recipient_id":"16505551234"},
				{"id":"wamid.OUT1","status":"read","timestamp":"1750000460","recipient_id":"16505551234","recipient_user_id":"US.13491208655302741918",
				 "biz_opaque_callback_data":"camp-7/000042"}]}`),
			want: Notification{Statuses: []Status{
				status(Status{ID: "wamid.OUT1", To: "+16505551234", Status: "sent", Timestamp: at(1750000400)}),
				status(Status{ID: "wamid.OUT1", To: "+16505551234", Status: "delivered", Timestamp: at(1750000401)}),
				status(Status{ID: "wamid.OUT1", To: "+16505551234", UserID: "US.13491208655302741918", Status: "read", Timestamp: at(1750000460),
					CallbackData: "camp-7/000042"}),
			}},
		},
		{
			name: "failed statuses carry classified errors",
			body: envelope(`{` + metadata + `,"statuses":[
				{"id":"wamid.OUT6","status":"failed","timestamp":"1750000500","recipient_id":"442079460000",
				 "errors":[{"code":131026,"title":"Message undeliverable","message":"Message undeliverable",
				 "error_data":{"details":"Message could not be delivered"},"href":"https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"}]},
				{"id":"wamid.OUT7","status":"failed","timestamp":"1750000501","recipient_id":"16505551234",
				 "errors":[{"code":131049,"title":"This message was not delivered to maintain healthy ecosystem engagement.",
				 "message":"This message was not delivered to maintain healthy ecosystem engagement."}]}]}`),
			want: Notification{Statuses: []Status{
				status(Status{ID: "wamid.OUT6", To: "+442079460000", Status: "failed", Timestamp: at(1750000500),
					Errors: []ErrorInfo{{Code: "131026", Title: "Message undeliverable", Message: "Message undeliverable",
						Details: "Message could not be delivered", Kind: parley.FailIneligible}}}),
				status(Status{ID: "wamid.OUT7", To: "+16505551234", Status: "failed", Timestamp: at(1750000501),
					Errors: []ErrorInfo{{Code: "131049", Title: "This message was not delivered to maintain healthy ecosystem engagement.",
						Message: "This message was not delivered to maintain healthy ecosystem engagement.", Kind: parley.FailIneligible}}}),
			}},
		},
		{
			name: "other fields are skipped, several entries are read in order",
			body: `{"object":"whatsapp_business_account","entry":[
				{"id":"1","changes":[{"field":"message_template_quality_update","value":{"previous_quality_score":"GREEN","new_quality_score":"YELLOW","message_template_id":7}}]},
				{"id":"1","changes":[{"field":"message_template_status_update","value":{"event":"APPROVED","message_template_id":7,"message_template_name":"welcome"}}]},
				{"id":"1","changes":[{"field":"messages","value":{` + metadata + `,"statuses":[{"id":"wamid.A","status":"sent","timestamp":"1750000600","recipient_id":"16505551234"}]}}]},
				{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"+1 555-010-0000","phone_number_id":"200"},
				 "messages":[{"from":"16505551234","id":"wamid.B","timestamp":"1750000601","type":"text","text":{"body":"yes"}}]}}]}]}`,
			want: Notification{
				Statuses: []Status{status(Status{ID: "wamid.A", To: "+16505551234", Status: "sent", Timestamp: at(1750000600)})},
				Inbound: []Inbound{{ID: "wamid.B", PhoneNumberID: "200", To: "+15550100000", From: "+16505551234",
					Timestamp: at(1750000601), Type: "text", Text: "yes"}},
				Templates: []TemplateEvent{{BusinessAccountID: "1", TemplateID: "7", Name: "welcome", Event: "APPROVED"}},
			},
		},
		{
			name: "nothing in it",
			body: `{"object":"whatsapp_business_account","entry":[]}`,
			want: Notification{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseNotification([]byte(tt.body))
			if err != nil {
				t.Fatalf("ParseNotification: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseNotificationRejects(t *testing.T) {
	msg := func(fields string) string {
		return envelope(`{` + metadata + `,"messages":[{` + fields + `}]}`)
	}
	tests := []struct {
		name      string
		body      string
		wantField string
	}{
		{"not JSON", `{"object":`, ""},
		{"JSON null", `null`, "object"},
		{"another object", `{"object":"page","entry":[]}`, "object"},
		{"entry is not a list", `{"object":"whatsapp_business_account","entry":{}}`, ""},
		{"value of the wrong shape", `{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":[]}]}]}`,
			"entry[0].changes[0].value"},
		{"no phone-number id", envelope(`{"messages":[{"from":"1","id":"w","timestamp":"1","type":"text"}]}`),
			"entry[0].changes[0].value.metadata.phone_number_id"},
		{"message without id", msg(`"from":"16505551234","timestamp":"1750000000","type":"text"`),
			"entry[0].changes[0].value.messages[0].id"},
		{"timestamp not a number", msg(`"from":"16505551234","id":"w","timestamp":"yesterday","type":"text"`),
			"entry[0].changes[0].value.messages[0].timestamp"},
		{"timestamp zero", msg(`"from":"16505551234","id":"w","timestamp":"0","type":"text"`),
			"entry[0].changes[0].value.messages[0].timestamp"},
		{"timestamp past year 9999", msg(`"from":"16505551234","id":"w","timestamp":"253402300800","type":"text"`),
			"entry[0].changes[0].value.messages[0].timestamp"},
		{"timestamp as a JSON number", msg(`"from":"16505551234","id":"w","timestamp":1750000000,"type":"text"`),
			"entry[0].changes[0].value"},
		{"no sender at all", msg(`"id":"w","timestamp":"1750000000","type":"text"`),
			"entry[0].changes[0].value.messages[0].from"},
		{"sender not digits", msg(`"from":"+1 650 555","id":"w","timestamp":"1750000000","type":"text"`),
			"entry[0].changes[0].value.messages[0].from"},
		{"status without status", envelope(`{` + metadata + `,"statuses":[{"id":"w","timestamp":"1750000000","recipient_id":"1"}]}`),
			"entry[0].changes[0].value.statuses[0].status"},
		{"status without recipient", envelope(`{` + metadata + `,"statuses":[{"id":"w","status":"sent","timestamp":"1750000000"}]}`),
			"entry[0].changes[0].value.statuses[0].recipient_id"},
		{"error code not a number", envelope(`{` + metadata + `,"statuses":[{"id":"w","status":"failed","timestamp":"1750000000",
			"recipient_id":"1","errors":[{"code":"131026"}]}]}`), "entry[0].changes[0].value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseNotification([]byte(tt.body))
			if parley.ErrorCode(err) != parley.EINVALID {
				t.Fatalf("err = %v, want EINVALID", err)
			}
			if f := parley.ErrorField(err); f != tt.wantField {
				t.Errorf("field = %q, want %q", f, tt.wantField)
			}
		})
	}
}
