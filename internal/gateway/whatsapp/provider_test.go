package whatsapp

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/parley"
)

const (
	hookSecret  = "the-meta-app-secret-of-account-A"
	hookVerify  = "verify-me-0123456789"
	hookPhoneID = "106540352242922"
)

func hookConfig() parley.ChannelConfig {
	return parley.ChannelConfig{AccountID: "A", Channel: parley.ChannelWhatsApp, Provider: Name,
		Credentials: Credentials{AccessToken: "token", AppSecret: hookSecret, VerifyToken: hookVerify}.Channel(),
		Senders:     []parley.ChannelSender{{OutboundNumber: "+12025550100", ID: hookPhoneID}}}
}

func hookSign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func hookPost(secret, body string) gateway.WebhookRequest {
	h := http.Header{"Content-Type": {"application/json"}}
	if secret != "" {
		h.Set(SignatureHeader, hookSign(secret, []byte(body)))
	}
	return gateway.WebhookRequest{AccountID: "A", Method: http.MethodPost, URL: "https://api.example.com/webhooks/whatsapp/A", Header: h, Body: []byte(body)}
}

func hookGet(mode, token, challenge string) gateway.WebhookRequest {
	return gateway.WebhookRequest{AccountID: "A", Method: http.MethodGet, Header: http.Header{},
		Query: url.Values{"hub.mode": {mode}, "hub.verify_token": {token}, "hub.challenge": {challenge}}}
}

func hookMessage(phoneID, id, text string) string {
	return fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"field":"messages","value":{
		"messaging_product":"whatsapp","metadata":{"display_phone_number":"12025550100","phone_number_id":%q},
		"contacts":[{"profile":{"name":"Ann"},"wa_id":"12025550181"}],
		"messages":[{"from":"12025550181","id":%q,"timestamp":"1795453200","type":"text","text":{"body":%q}}]}}]}]}`, phoneID, id, text)
}

func hookStatus(phoneID, id, status, ref string) string {
	extra := ""
	if ref != "" {
		extra = fmt.Sprintf(`,"biz_opaque_callback_data":%q`, ref)
	}
	if status == "failed" {
		extra += `,"errors":[{"code":131026,"title":"Message undeliverable","message":"Message undeliverable","error_data":{"details":"x"}}]`
	}
	return fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"field":"messages","value":{
		"messaging_product":"whatsapp","metadata":{"display_phone_number":"12025550100","phone_number_id":%q},
		"statuses":[{"id":%q,"status":%q,"timestamp":"1795453260","recipient_id":"12025550181"%s}]}}]}]}`, phoneID, id, status, extra)
}

func TestWebhook(t *testing.T) {
	in, out := time.Unix(1795453200, 0).UTC(), time.Unix(1795453260, 0).UTC()
	tests := []struct {
		name   string
		req    gateway.WebhookRequest
		code   string // the refusal's code; "" for events
		events gateway.Events
	}{
		{"handshake", hookGet("subscribe", hookVerify, "1158201444"), "", gateway.Events{Answer: []byte("1158201444"), ContentType: "text/plain; charset=utf-8"}},
		{"handshake with another token", hookGet("subscribe", "verify-other-0123", "1158201444"), parley.EFORBIDDEN, gateway.Events{}},
		{"markup as challenge", hookGet("subscribe", hookVerify, "<script>"), parley.EFORBIDDEN, gateway.Events{}},
		{"handshake of another mode", hookGet("unsubscribe", hookVerify, "1158201444"), parley.EFORBIDDEN, gateway.Events{}},
		{"message", hookPost(hookSecret, hookMessage(hookPhoneID, "wamid.IN1", "STOP")), "", gateway.Events{
			Messages: []gateway.InboundMessage{{AccountID: "A", Provider: Name, Channel: parley.ChannelWhatsApp, ID: "wamid.IN1",
				From: "+12025550181", To: "+12025550100", AnswerFrom: "+12025550100", Body: "STOP", At: in}}}},
		{"message to another number", hookPost(hookSecret, hookMessage("999", "wamid.IN2", "hi")), "", gateway.Events{Ignored: 1}},
		{"status with a reference", hookPost(hookSecret, hookStatus(hookPhoneID, "wamid.OUT1", "failed", "camp1/000002")), "", gateway.Events{
			Statuses: []gateway.StatusUpdate{{AccountID: "A", CampaignID: "camp1", RecipientID: "000002", Provider: Name,
				ProviderMessageID: "wamid.OUT1", Status: parley.StatusFailed, Word: "failed", ErrorCode: "131026", At: out}}}},
		{"status of another number", hookPost(hookSecret, hookStatus("999", "wamid.OUT1", "read", "")), "", gateway.Events{Ignored: 1}},
		{"another account's secret", hookPost("the-meta-app-secret-of-account-B", hookMessage(hookPhoneID, "wamid.IN1", "STOP")), parley.EFORBIDDEN, gateway.Events{}},
		{"signed body changed", func() gateway.WebhookRequest {
			r := hookPost(hookSecret, hookMessage(hookPhoneID, "wamid.IN1", "STOP"))
			r.Body = []byte(strings.Replace(string(r.Body), "STOP", "START", 1))
			return r
		}(), parley.EFORBIDDEN, gateway.Events{}},
		{"not a notification", hookPost(hookSecret, `{"object":"page"}`), parley.EINVALID, gateway.Events{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := Provider{}.Webhook(hookConfig(), tt.req)
			if parley.ErrorCode(err) != tt.code && !(tt.code == "" && err == nil) {
				t.Fatalf("Webhook = %+v, %v; want code %q", ev, err, tt.code)
			}
			if tt.code == parley.EFORBIDDEN && parley.ErrorMessage(err) != gateway.WebhookRefusedMessage {
				t.Errorf("the refusal says %q, not the uniform message", parley.ErrorMessage(err))
			}
			if tt.code == "" && !reflect.DeepEqual(ev, tt.events) {
				t.Errorf("Webhook = %+v; want %+v", ev, tt.events)
			}
		})
	}
}

func TestSigned(t *testing.T) {
	tests := []struct {
		name string
		req  gateway.WebhookRequest
		what string // what the refusal names; "" when signed
	}{
		{"handshake", hookGet("subscribe", hookVerify, "1"), ""},
		{"handshake without a token", hookGet("subscribe", "", "1"), "hub.verify_token"},
		{"notification", hookPost(hookSecret, "{}"), ""},
		{"notification without a signature", hookPost("", "{}"), SignatureHeader},
	}
	for _, tt := range tests {
		err := Provider{}.Signed(tt.req)
		if tt.what == "" && err != nil || tt.what != "" && (parley.ErrorCode(err) != parley.EUNAUTHORIZED || !strings.Contains(err.Error(), tt.what)) {
			t.Errorf("%s: Signed = %v; want a refusal naming %q", tt.name, err, tt.what)
		}
	}
}
