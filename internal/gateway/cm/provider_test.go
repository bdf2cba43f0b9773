package cm

import (
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
	hookProduct = "9b1f3c2e-4a5d-4e6f-8a7b-1c2d3e4f5a6b"
	hookToken   = "cm-hook-0123456789abcdef"
)

func hookConfig(webhookToken parley.Secret) parley.ChannelConfig {
	return parley.ChannelConfig{AccountID: "A", Channel: parley.ChannelSMS, Provider: Name,
		Credentials: Credentials{ProductToken: hookProduct, WebhookToken: webhookToken}.Channel(),
		Senders:     []parley.ChannelSender{{OutboundNumber: "+12025550100", ID: "+12025550150"}}}
}

func hookPost(token, body string) gateway.WebhookRequest {
	q := url.Values{}
	if token != "" {
		q.Set(TokenParam, token)
	}
	return gateway.WebhookRequest{AccountID: "A", Method: http.MethodPost, Header: http.Header{}, Query: q, Body: []byte(body)}
}

const (
	hookMO = `{"reference":"","messageContext":"","from":{"number":"0012025550181","name":""},"to":{"number":"0012025550150"},
		"message":{"text":"STOP","media":{"mediaName":"","mediaUri":"","mimeType":""},"custom":{}},"groupings":["","",""],
		"time":"2026-11-23T17:00:30","timeUtc":"2026-11-23T17:00:30","channel":"SMS"}`
	hookWhatsAppMO = `{"from":{"number":"0012025550181"},"to":{"number":"0012025550150"},"message":{"text":"hi"},
		"timeUtc":"2026-11-23T17:00:30","channel":"WhatsApp"}`
)

func hookDLR(ref, code, errorCode string) string {
	return `{"messages":{"msg":{"received":"2026-11-23T17:01:00","to":"0012025550181","reference":"` + ref +
		`","status":{"code":"` + code + `","errorCode":"` + errorCode + `","errorDescription":""},"operator":"310260"}}}`
}

func TestWebhook(t *testing.T) {
	ref := Reference(parley.Message{CampaignID: "camp1", RecipientID: "000002"})
	at := time.Date(2026, 11, 23, 17, 0, 30, 0, time.UTC)
	mo, _ := ParseInbound([]byte(hookMO))
	waMO, _ := ParseInbound([]byte(hookWhatsAppMO))
	tests := []struct {
		name   string
		cfg    parley.ChannelConfig
		req    gateway.WebhookRequest
		code   string // the refusal's code; "" for events
		events gateway.Events
	}{
		{"inbound", hookConfig(hookToken), hookPost(hookToken, hookMO), "", gateway.Events{
			Messages: []gateway.InboundMessage{{AccountID: "A", Provider: Name, Channel: parley.ChannelSMS, ID: mo.MessageID(),
				From: "+12025550181", To: "+12025550150", AnswerFrom: "+12025550100", Body: "STOP", At: at}}}},
		{"inbound on WhatsApp", hookConfig(hookToken), hookPost(hookToken, hookWhatsAppMO), "", gateway.Events{
			Messages: []gateway.InboundMessage{{AccountID: "A", Provider: Name, Channel: parley.ChannelWhatsApp, ID: waMO.MessageID(),
				From: "+12025550181", To: "+12025550150", AnswerFrom: "+12025550100", Body: "hi", At: waMO.Time}}}},
		{"status report", hookConfig(hookToken), hookPost(hookToken, hookDLR(ref, "3", "8")), "", gateway.Events{
			Statuses: []gateway.StatusUpdate{{AccountID: "A", CampaignID: "camp1", RecipientID: "000002", Provider: Name,
				ProviderMessageID: ref, Status: parley.StatusUndelivered, Word: "failed", ErrorCode: "8", At: time.Date(2026, 11, 23, 17, 1, 0, 0, time.UTC)}}}},
		{"status report of no recipient", hookConfig(hookToken), hookPost(hookToken, hookDLR("someref", "2", "")), "", gateway.Events{
			Statuses: []gateway.StatusUpdate{{AccountID: "A", Provider: Name,
				ProviderMessageID: "someref", Status: parley.StatusDelivered, Word: "delivered", At: time.Date(2026, 11, 23, 17, 1, 0, 0, time.UTC)}}}},
		{"wrong token", hookConfig(hookToken), hookPost("cm-hook-of-someone-else", hookMO), parley.EFORBIDDEN, gateway.Events{}},
		{"no token configured", hookConfig(""), hookPost(hookToken, hookMO), parley.EFORBIDDEN, gateway.Events{}},
		{"not a message", hookConfig(hookToken), hookPost(hookToken, `{"x":1}`), parley.EINVALID, gateway.Events{}},
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
			if tt.code == "" && !reflect.DeepEqual(ev, tt.events) {
				t.Errorf("Webhook = %+v; want %+v", ev, tt.events)
			}
		})
	}
}

func TestSigned(t *testing.T) {
	if err := (Provider{}).Signed(hookPost("", hookMO)); parley.ErrorCode(err) != parley.EUNAUTHORIZED || !strings.Contains(err.Error(), TokenParam) {
		t.Errorf("Signed without a token = %v; want EUNAUTHORIZED naming %s", err, TokenParam)
	}
	if err := (Provider{}).Signed(hookPost(hookToken, hookMO)); err != nil {
		t.Errorf("Signed with a token = %v", err)
	}
}
