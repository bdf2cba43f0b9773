package twilio

import (
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/parley"
)

const hookURL = "https://api.example.com/webhooks/twilio/A"

// hookConfig is account A's SMS through Twilio, its brand number mapped.
func hookConfig(creds Credentials) parley.ChannelConfig {
	return parley.ChannelConfig{AccountID: "A", Channel: parley.ChannelSMS, Provider: Name,
		Credentials: creds.Channel(), Senders: []parley.ChannelSender{{OutboundNumber: "+12025550100", ID: "+12025550150"}}}
}

func hookInbound(body string) url.Values {
	return url.Values{"MessageSid": {"SM0000000000000000000000000000001"}, "AccountSid": {testAccount},
		"From": {"+12025550181"}, "To": {"+12025550150"}, "Body": {body}, "NumMedia": {"0"}, "SmsStatus": {"received"}}
}

func hookStatus(status, code string) url.Values {
	v := url.Values{"MessageSid": {"SM0000000000000000000000000000101"}, "AccountSid": {testAccount}, "MessageStatus": {status},
		"To": {"+12025550181"}, "From": {"+12025550150"}}
	if code != "" {
		v.Set("ErrorCode", code)
	}
	return v
}

// hookRequest is a webhook request for form, posted to target and signed
// with token for signedURL.
func hookRequest(target, signedURL, token string, form url.Values) gateway.WebhookRequest {
	u, _ := url.Parse(target)
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	if token != "" {
		h.Set(SignatureHeader, Signature(token, signedURL, form))
	}
	return gateway.WebhookRequest{AccountID: "A", Method: http.MethodPost, URL: target, Header: h, Query: u.Query(), Body: []byte(form.Encode())}
}

func TestWebhook(t *testing.T) {
	creds := Credentials{AccountSID: testAccount, AuthToken: testToken}
	ref := hookURL + "?" + RefParam + "=" + url.QueryEscape("camp1/000002")
	tampered := hookRequest(hookURL, hookURL, testToken, hookInbound("STOP"))
	tampered.Body = []byte(strings.Replace(string(tampered.Body), "STOP", "START", 1))
	otherAccount := hookInbound("STOP")
	otherAccount.Set("AccountSid", "AC99999999999999999999999999999999")
	tests := []struct {
		name   string
		cfg    parley.ChannelConfig
		req    gateway.WebhookRequest
		code   string // the refusal's code; "" for events
		events gateway.Events
	}{
		{"inbound", hookConfig(creds), hookRequest(hookURL, hookURL, testToken, hookInbound("STOP")), "", gateway.Events{
			Messages: []gateway.InboundMessage{{AccountID: "A", Provider: Name, Channel: parley.ChannelSMS,
				ID: "SM0000000000000000000000000000001", From: "+12025550181", To: "+12025550150", AnswerFrom: "+12025550100", Body: "STOP"}}}},
		{"status with a reference", hookConfig(creds), hookRequest(ref, ref, testToken, hookStatus("undelivered", "30005")), "", gateway.Events{
			Statuses: []gateway.StatusUpdate{{AccountID: "A", CampaignID: "camp1", RecipientID: "000002", Provider: Name,
				ProviderMessageID: "SM0000000000000000000000000000101", Status: parley.StatusUndelivered, Word: "undelivered", ErrorCode: "30005"}}}},
		{"status of a message on its way", hookConfig(creds), hookRequest(hookURL, hookURL, testToken, hookStatus("sending", "")), "", gateway.Events{
			Statuses: []gateway.StatusUpdate{{AccountID: "A", Provider: Name,
				ProviderMessageID: "SM0000000000000000000000000000101", Status: parley.StatusSent, Word: "sending"}}}},
		{"another account's token", hookConfig(creds), hookRequest(hookURL, hookURL, "another-token", hookInbound("STOP")), parley.EFORBIDDEN, gateway.Events{}},
		{"signed for another URL", hookConfig(creds), hookRequest(hookURL, "https://evil.example.com/webhooks/twilio/A", testToken, hookInbound("STOP")), parley.EFORBIDDEN, gateway.Events{}},
		{"reference added after signing", hookConfig(creds), hookRequest(ref, hookURL, testToken, hookStatus("delivered", "")), parley.EFORBIDDEN, gateway.Events{}},
		{"signed over other parameters", hookConfig(creds), tampered, parley.EFORBIDDEN, gateway.Events{}},
		{"another Twilio account", hookConfig(creds), hookRequest(hookURL, hookURL, testToken, otherAccount), parley.EFORBIDDEN, gateway.Events{}},
		{"no auth token configured", hookConfig(Credentials{AccountSID: testAccount, APIKeySID: testKeySID, APIKeySecret: testKeySecret}),
			hookRequest(hookURL, hookURL, testToken, hookInbound("STOP")), parley.EFORBIDDEN, gateway.Events{}},
		{"not a form", hookConfig(creds), gateway.WebhookRequest{AccountID: "A", Method: http.MethodPost, URL: hookURL,
			Header: http.Header{SignatureHeader: {"x"}}, Body: []byte("%zz")}, parley.EINVALID, gateway.Events{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := Provider{}.Webhook(tt.cfg, tt.req)
			if parley.ErrorCode(err) != tt.code && !(tt.code == "" && err == nil) {
				t.Fatalf("Webhook = %+v, %v; want code %q", ev, err, tt.code)
			}
			if tt.code == parley.EFORBIDDEN && parley.ErrorMessage(err) != gateway.WebhookRefusedMessage {
				t.Errorf("the refusal says %q, not the uniform message", parley.ErrorMessage(err))
			}
			if tt.code != "" {
				return
			}
			if string(ev.Answer) != twimlEmpty || ev.ContentType != "text/xml; charset=utf-8" {
				t.Errorf("answer %q (%s); want empty TwiML", ev.Answer, ev.ContentType)
			}
			ev.Answer, ev.ContentType = nil, ""
			if !reflect.DeepEqual(ev, tt.events) {
				t.Errorf("Webhook = %+v; want %+v", ev, tt.events)
			}
		})
	}
}

func TestSigned(t *testing.T) {
	unsigned := gateway.WebhookRequest{Method: http.MethodPost, Header: http.Header{}}
	if err := (Provider{}).Signed(unsigned); parley.ErrorCode(err) != parley.EUNAUTHORIZED || !strings.Contains(err.Error(), SignatureHeader) {
		t.Errorf("Signed(unsigned) = %v; want EUNAUTHORIZED naming %s", err, SignatureHeader)
	}
	if err := (Provider{}).Signed(hookRequest(hookURL, hookURL, testToken, hookInbound("hi"))); err != nil {
		t.Errorf("Signed(signed) = %v", err)
	}
}

func TestCredentialsBlock(t *testing.T) {
	block := `{"accountSid":"` + testAccount + `","authToken":"` + testToken + `","apiKeySid":"` + testKeySID + `","apiKeySecret":"` + testKeySecret + `"}`
	creds, err := Provider{}.DecodeCredentials([]byte(block))
	if err != nil || string(creds.Reveal()) != block || creds.Provider() != Name {
		t.Fatalf("DecodeCredentials = %s of %s, %v; want the block in clear", creds.Reveal(), creds.Provider(), err)
	}
	shown, err := Provider{}.RedactCredentials(creds)
	want := `{"accountSid":"` + testAccount + `","authToken":"••••89ab","apiKeySid":"` + testKeySID + `","apiKeySecret":"••••1234"}`
	if err != nil || string(shown) != want {
		t.Errorf("RedactCredentials = %s, %v; want %s", shown, err, want)
	}
	back, err := Provider{}.DecodeCredentials(shown)
	if err != nil {
		t.Fatal(err)
	}
	if kept := (Provider{}).KeepSecrets(back, creds); !kept.Equal(creds) {
		t.Errorf("KeepSecrets kept %s", kept)
	}
}

func TestNew(t *testing.T) {
	cfg := hookConfig(Credentials{AccountSID: testAccount, AuthToken: testToken})
	c, err := Provider{}.New(cfg, gateway.Deps{PublicURL: "https://api.example.com/"})
	g, ok := c.Sender.(*Gateway)
	if err != nil || !ok || c.Find == nil || g.StatusCallback != hookURL || g.Credentials.AuthToken.Reveal() != testToken {
		t.Fatalf("New = %+v, %v; want a Twilio gateway with status callbacks at %s", c, err, hookURL)
	}
	if _, err := (Provider{}).New(parley.ChannelConfig{Provider: Name}, gateway.Deps{}); err == nil {
		t.Errorf("New without credentials succeeded")
	}
}
