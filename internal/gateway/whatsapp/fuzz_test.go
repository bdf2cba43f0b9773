package whatsapp

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/parley"
)

type object = map[string]any

// encode writes n back in Meta's webhook shape, one entry per message or
// status, so that parsing the result must give n again.
func encode(t *testing.T, n Notification) []byte {
	t.Helper()
	var entries []any
	for _, in := range n.Inbound {
		v := changeValue(in.PhoneNumberID, in.To)
		from := strings.TrimPrefix(in.From, "+")
		v["contacts"] = []any{object{"profile": object{"name": in.Name}, "wa_id": from, "user_id": in.UserID}}
		v["messages"] = []any{inboundObject(in, from)}
		entries = append(entries, entry(v))
	}
	for _, s := range n.Statuses {
		v := changeValue(s.PhoneNumberID, s.From)
		v["statuses"] = []any{object{
			"id": s.ID, "status": s.Status, "timestamp": strconv.FormatInt(s.Timestamp.Unix(), 10),
			"recipient_id": strings.TrimPrefix(s.To, "+"), "recipient_user_id": s.UserID, "errors": errorObjects(t, s.Errors),
		}}
		entries = append(entries, entry(v))
	}
	for _, e := range n.Templates {
		te := object{"id": e.BusinessAccountID, "changes": []any{object{"field": fieldTemplateStatus, "value": object{
			"event": e.Event, "message_template_id": e.TemplateID, "message_template_name": e.Name,
			"message_template_language": e.Language, "message_template_category": e.Category, "reason": e.Reason,
		}}}}
		if !e.Time.IsZero() {
			te["time"] = e.Time.Unix()
		}
		entries = append(entries, te)
	}
	b, err := json.Marshal(object{"object": "whatsapp_business_account", "entry": entries})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func changeValue(phoneID, business string) object {
	return object{"messaging_product": "whatsapp", "metadata": object{
		"display_phone_number": strings.TrimPrefix(business, "+"), "phone_number_id": phoneID}}
}

func entry(v object) object {
	return object{"id": "102290129340398", "changes": []any{object{"field": "messages", "value": v}}}
}

func inboundObject(in Inbound, from string) object {
	m := object{"from": from, "from_user_id": in.UserID, "id": in.ID, "type": in.Type,
		"timestamp": strconv.FormatInt(in.Timestamp.Unix(), 10), "errors": errorObjects(nil, in.Errors)}
	if in.ContextID != "" {
		m["context"] = object{"id": in.ContextID}
	}
	switch in.Type {
	case TypeText:
		m["text"] = object{"body": in.Text}
	case TypeButton:
		m["button"] = object{"payload": in.Payload, "text": in.Text}
	case TypeInteractive:
		m["interactive"] = object{"type": "button_reply", "button_reply": object{"id": in.Payload, "title": in.Text}}
	default:
		m["image"] = object{"caption": in.Text}
	}
	return m
}

func errorObjects(t *testing.T, es []ErrorInfo) []any {
	var out []any
	for _, e := range es {
		code, err := strconv.Atoi(e.Code)
		if err != nil && t != nil {
			t.Fatalf("error code %q is not a number", e.Code)
		}
		out = append(out, object{"code": code, "title": e.Title, "message": e.Message,
			"error_data": object{"details": e.Details}})
	}
	return out
}

// FuzzParseNotification feeds arbitrary bodies to the webhook parser: it
// never panics, refuses with EINVALID only, returns messages and statuses
// that have their id, time and sender, and gives the same notification back
// when what it parsed is written out again.
func FuzzParseNotification(f *testing.F) {
	f.Add([]byte(sigBody))
	f.Add([]byte(envelope(`{` + metadata + `,"contacts":[{"profile":{"name":"Sheena"},"wa_id":"16505551234"}],
		"messages":[{"from":"16505551234","id":"wamid.A","timestamp":"1749416383","type":"text","text":{"body":"hi"}}]}`)))
	f.Add([]byte(envelope(`{` + metadata + `,"messages":[{"context":{"id":"wamid.O"},"from":"16505551234","id":"wamid.B",
		"timestamp":"1750000000","type":"button","button":{"payload":"P","text":"T"}}]}`)))
	f.Add([]byte(envelope(`{` + metadata + `,"messages":[{"from_user_id":"US.1","id":"wamid.C","timestamp":"1750000000",
		"type":"interactive","interactive":{"type":"list_reply","list_reply":{"id":"r","title":"Row"}}}]}`)))
	f.Add([]byte(envelope(`{` + metadata + `,"statuses":[{"id":"wamid.D","status":"failed","timestamp":"1750000000",
		"recipient_id":"16505551234","errors":[{"code":131026,"title":"Message undeliverable"}]}]}`)))
	f.Add([]byte(`{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":null}]}]}`))
	f.Add([]byte(`{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","time":1750000000,"changes":[{"field":"message_template_status_update",
		"value":{"event":"REJECTED","message_template_id":594425479261596,"message_template_name":"renewal","message_template_language":"en_US","reason":"INVALID_FORMAT"}}]}]}`))
	f.Add([]byte(`{"object":"whatsapp_business_account","entry":[{"id":"1","time":"x","changes":[{"field":"message_template_status_update","value":{"event":"APPROVED","message_template_id":"7"}}]}]}`))
	f.Add([]byte(`{"object":"page"}`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := ParseNotification(body)
		if err != nil {
			if parley.ErrorCode(err) != parley.EINVALID {
				t.Fatalf("error %v is not EINVALID", err)
			}
			return
		}
		checkParsed(t, n)
		again, err := ParseNotification(encode(t, n))
		if err != nil {
			t.Fatalf("re-encoded notification refused: %v", err)
		}
		if !reflect.DeepEqual(again, n) {
			t.Fatalf("round trip changed the notification\n got %+v\nwant %+v", again, n)
		}
	})
}

// checkParsed holds what ParseNotification promises of every result.
func checkParsed(t *testing.T, n Notification) {
	t.Helper()
	sender := func(e164, userID string) bool {
		if e164 == "" {
			return userID != ""
		}
		d, ok := strings.CutPrefix(e164, "+")
		return ok && d != "" && strings.Trim(d, "0123456789") == ""
	}
	for _, in := range n.Inbound {
		if in.ID == "" || in.PhoneNumberID == "" || in.Timestamp.IsZero() || !sender(in.From, in.UserID) {
			t.Fatalf("incomplete inbound message %+v", in)
		}
	}
	for _, s := range n.Statuses {
		if s.ID == "" || s.PhoneNumberID == "" || s.Status == "" || s.Timestamp.IsZero() || !sender(s.To, s.UserID) {
			t.Fatalf("incomplete status %+v", s)
		}
	}
	digits := func(s string) bool { return s != "" && strings.Trim(s, "0123456789") == "" }
	for _, e := range n.Templates {
		if !digits(e.BusinessAccountID) || !digits(e.TemplateID) || e.Event == "" || e.Event != strings.ToUpper(e.Event) || e.Reason == "NONE" {
			t.Fatalf("incomplete template event %+v", e)
		}
		if st := e.Review().Status; st != "" && st != reviewEvents[e.Event] {
			t.Fatalf("event %s means %s", e.Event, st)
		}
	}
}

// FuzzVerifySignature checks that exactly the right signature passes: the
// header must be "sha256=" and the HMAC of the body under the secret, and a
// correct signature always passes.
func FuzzVerifySignature(f *testing.F) {
	f.Add(sigSecret, []byte(sigBody), "sha256="+sigHex)
	f.Add(sigSecret, []byte(sigBody), "sha256="+sigHexOtherSecret)
	f.Add(sigSecret, []byte{}, "sha256="+sigHexEmpty)
	f.Add("", []byte("x"), "sha256=")
	f.Add("s", []byte("x"), "sha1=00")
	f.Fuzz(func(t *testing.T, secret string, body []byte, header string) {
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(body)
		want := hex.EncodeToString(mac.Sum(nil))
		hexPart, prefixed := strings.CutPrefix(header, "sha256=")
		expect := secret != "" && prefixed && strings.EqualFold(hexPart, want)
		if got := VerifySignature(secret, body, header); got != expect {
			t.Fatalf("VerifySignature(%q, %q, %q) = %v, want %v", secret, body, header, got, expect)
		}
		if got := VerifySignature(secret, body, "sha256="+want); got != (secret != "") {
			t.Fatalf("the correct signature gave %v", got)
		}
	})
}

// FuzzTemplateError feeds arbitrary Graph answers to a template call's
// error mapping: it never panics, always answers a *parley.Error of a kind
// a caller can act on, and a field only where Meta named a template's.
func FuzzTemplateError(f *testing.F) {
	f.Add(400, []byte(`{"error":{"message":"Invalid parameter","type":"OAuthException","code":100,"error_subcode":2388024,"error_user_msg":"Content in this language already exists","fbtrace_id":"A1"}}`))
	f.Add(400, []byte(`{"error":{"message":"Unsupported post request","code":100,"error_subcode":33}}`))
	f.Add(401, []byte(`{"error":{"message":"Invalid OAuth access token","code":190}}`))
	f.Add(429, []byte(`{"error":{"message":"Too many calls","code":80007}}`))
	f.Add(500, []byte(`{"error":{"message":"Unknown","code":1,"is_transient":true}}`))
	f.Add(502, []byte(`<html>bad gateway</html>`))
	f.Add(404, []byte(`{"error":null}`))
	kinds := map[string]bool{parley.EINVALID: true, parley.ECONFLICT: true, parley.ENOTFOUND: true, parley.ETOOMANY: true,
		parley.EUNPROCESSABLE: true, parley.EUNAVAILABLE: true}
	fields := map[string]bool{"": true, "name": true, "body": true, "wabaId": true}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 300 || status > 599 {
			return // only error answers reach templateError
		}
		err := templateError(status, body)
		var pe *parley.Error
		if !errors.As(err, &pe) || !kinds[pe.Code] || !fields[pe.Field] || pe.Message == "" {
			t.Fatalf("templateError(%d, %q) = %#v", status, body, err)
		}
	})
}
