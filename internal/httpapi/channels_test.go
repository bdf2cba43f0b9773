package httpapi_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/gateway/push"
	"github.com/parleyhq/parley/internal/gateway/twilio"
	"github.com/parleyhq/parley/internal/httpapi"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/settings/channels"
)

const (
	chanAuthToken = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
	chanCMToken   = "9b1f3c2e-4a5d-4e6f-8a7b-1c2d3e4f5a6b"
)

// channelWorld is the API with the channel service and a captured log.
func channelWorld(t *testing.T) (*world, *bytes.Buffer) {
	t.Helper()
	w := newWorld(t)
	noon := parley.ClockFunc(func() time.Time { return time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC) })
	w.srv.Channels = &channels.Service{Store: w.store, Clock: noon}
	logs := &bytes.Buffer{}
	w.srv.Log = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return w, logs
}

const twilioBody = `{"provider":"twilio",
  "twilio":{"accountSid":"AC0123456789abcdef0123456789abcdef","authToken":"` + chanAuthToken + `"},
  "senders":[{"outboundNumber":"1(202)555-0100","id":"+12025550150"},{"default":true,"id":"MG0123456789abcdef0123456789abcdef"}]}`

func TestChannelRoutes(t *testing.T) {
	w, logs := channelWorld(t)
	resp, data := w.do(t, "PUT", "/api/v2/account/acct1/channels/sms", twilioBody)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT: %d %s", resp.StatusCode, data)
	}
	var saved struct {
		AccountID string                 `json:"accountId"`
		Channel   parley.Channel         `json:"channel"`
		Provider  parley.Provider        `json:"provider"`
		Senders   []parley.ChannelSender `json:"senders"`
		Version   int                    `json:"version"`
		Twilio    struct {
			AuthToken string `json:"authToken"`
		} `json:"twilio"`
	}
	if err := json.Unmarshal(data, &saved); err != nil {
		t.Fatal(err)
	}
	if saved.Version != 1 || saved.Provider != twilio.Name || saved.Senders[0].OutboundNumber != "+12025550100" ||
		saved.Twilio.AuthToken != "••••e1f0" || saved.AccountID != "acct1" || saved.Channel != parley.ChannelSMS {
		t.Errorf("PUT answered %s", data)
	}
	resp, one := w.do(t, "GET", "/api/v2/account/acct1/channels/sms", "")
	if resp.StatusCode != http.StatusOK || !bytes.Equal(one, data) {
		t.Errorf("GET one: %d %s; want what PUT answered", resp.StatusCode, one)
	}
	resp, list := w.do(t, "GET", "/api/v2/account/acct1/channels", "")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(string(list), "[{") || strings.Count(string(list), `"provider"`) != 1 {
		t.Errorf("GET list: %d %s", resp.StatusCode, list)
	}
	if resp, data := w.do(t, "GET", "/api/v2/account/acct2/channels", ""); strings.TrimSpace(string(data)) != "[]" {
		t.Errorf("GET list of another account: %d %s", resp.StatusCode, data)
	}
	if resp, _ := w.do(t, "GET", "/api/v2/account/acct1/channels/whatsapp", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET an unconfigured channel: %d; want 404", resp.StatusCode)
	}

	// What GET returned goes back with one change: the saved token stays.
	edited := strings.Replace(string(one), `"+12025550150"`, `"+12025550160"`, 1)
	resp, data = w.do(t, "PUT", "/api/v2/account/acct1/channels/sms", edited)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(data), `"version":2`) {
		t.Fatalf("PUT back: %d %s", resp.StatusCode, data)
	}
	stored, err := w.store.ChannelConfig(context.Background(), "acct1", parley.ChannelSMS)
	if err != nil || func() string { c, _ := twilio.CredentialsOf(stored.Credentials); return c.AuthToken.Reveal() }() != chanAuthToken || stored.Senders[0].ID != "+12025550160" {
		t.Errorf("stored %+v, %v; want the saved token and the new sender", stored, err)
	}

	// Nor may the saved token follow a new API host.
	moved := strings.Replace(edited, `"provider":"twilio"`, `"provider":"twilio","baseUrl":"https://collector.example"`, 1)
	if resp, data := w.do(t, "PUT", "/api/v2/account/acct1/channels/sms", moved); resp.StatusCode != http.StatusBadRequest ||
		!strings.Contains(string(data), `"field":"twilio.authToken"`) {
		t.Errorf("PUT the redacted token to another host: %d %s; want 400 on twilio.authToken", resp.StatusCode, data)
	}

	for _, body := range append([]string{string(one), edited, logs.String()}, string(list)) {
		if strings.Contains(body, chanAuthToken) {
			t.Errorf("the auth token shows in %s", body)
		}
	}
	if !strings.Contains(logs.String(), "channel configured") {
		t.Errorf("the change is not logged:\n%s", logs)
	}
}

// TestSandboxBlockIgnored checks that the sandbox, which takes no
// credentials, ignores a block named after it, as any member the request
// does not know.
func TestSandboxBlockIgnored(t *testing.T) {
	w, _ := channelWorld(t)
	resp, data := w.do(t, "PUT", "/api/v2/account/acct1/channels/sms", `{"provider":"sandbox","sandbox":{"token":"x"},"fax":{}}`)
	if resp.StatusCode != http.StatusOK || strings.Contains(string(data), `"sandbox":`) {
		t.Errorf("PUT the sandbox with a block: %d %s; want 200 without a block", resp.StatusCode, data)
	}
}

func TestChannelRejections(t *testing.T) {
	w, _ := channelWorld(t)
	tests := []struct {
		name, channel, body, field string
	}{
		{"unknown channel", "fax", twilioBody, "channel"},
		{"provider of another channel", "whatsapp", twilioBody, "provider"},
		{"unknown provider", "sms", `{"provider":"pigeon"}`, "provider"},
		{"no credentials", "sms", `{"provider":"twilio","senders":[{"outboundNumber":"+12025550100","id":"+12025550100"}]}`, "twilio"},
		{"bad account SID", "sms", strings.Replace(twilioBody, "AC0123", "XX0123", 1), "twilio.accountSid"},
		{"secret of the wrong type", "sms", strings.Replace(twilioBody, `"`+chanAuthToken+`"`, `5`, 1), "twilio.authToken"},
		{"a redacted secret with nothing saved", "sms", strings.Replace(twilioBody, chanAuthToken, "••••e1f0", 1), "twilio.authToken"},
		{"another provider's credentials", "sms", strings.Replace(twilioBody, `"senders"`, `"cm":{"productToken":"`+chanCMToken+`"},"senders"`, 1), "cm"},
		{"bad outbound number", "sms", strings.Replace(twilioBody, "1(202)555-0100", "12345", 1), "senders[0].outboundNumber"},
		{"bad sender id", "sms", strings.Replace(twilioBody, `"id":"+12025550150"`, `"id":"not a sender id"`, 1), "senders[0].id"},
		{"metadata address", "sms", strings.Replace(twilioBody, `"provider":"twilio"`, `"provider":"twilio","baseUrl":"https://169.254.169.254"`, 1), "baseUrl"},
		{"loopback", "sms", strings.Replace(twilioBody, `"provider":"twilio"`, `"provider":"twilio","baseUrl":"http://127.0.0.1:9001"`, 1), "baseUrl"},
		{"plain http to a remote host", "sms", strings.Replace(twilioBody, `"provider":"twilio"`, `"provider":"twilio","baseUrl":"http://api.example.com"`, 1), "baseUrl"},
		{"CM token not a GUID", "sms", `{"provider":"cm","cm":{"productToken":"abc"},"senders":[{"outboundNumber":"+12025550100","id":"Brand"}]}`, "cm.productToken"},
		{"WhatsApp without its app secret", "whatsapp", `{"provider":"whatsapp","whatsapp":{"accessToken":"EAAG-0123456789abcdef","verifyToken":"v-0123456789"},"senders":[{"outboundNumber":"+12025550100","id":"106540352242922"}]}`, "whatsapp.appSecret"},
		{"an empty block of another provider", "sms", strings.Replace(twilioBody, `"senders"`, `"whatsapp":{},"senders"`, 1), "whatsapp"},
		{"a CM secret of the wrong type", "sms", strings.Replace(twilioBody, `"senders"`, `"cm":{"productToken":5},"senders"`, 1), "cm.productToken"},
		{"FCM key of the wrong type", "inapp", `{"provider":"fcm","fcm":{"serviceAccountJson":5}}`, "fcm.serviceAccountJson"},
		{"FCM key not a key file", "inapp", `{"provider":"fcm","fcm":{"serviceAccountJson":{"type":"authorized_user"}}}`, "fcm.serviceAccountJson"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, data := w.do(t, "PUT", "/api/v2/account/acct1/channels/"+tt.channel, tt.body)
			var p httpapi.Problem
			if err := json.Unmarshal(data, &p); err != nil || resp.StatusCode != http.StatusBadRequest || p.Field != tt.field {
				t.Errorf("%d %s; want 400 naming %s", resp.StatusCode, data, tt.field)
			}
			if strings.Contains(string(data), chanAuthToken) || strings.Contains(string(data), chanCMToken) {
				t.Errorf("the problem quotes a secret: %s", data)
			}
		})
	}
	if _, err := w.store.ChannelConfig(context.Background(), "acct1", parley.ChannelSMS); parley.ErrorCode(err) != parley.ENOTFOUND {
		t.Errorf("a rejected configuration was saved: %v", err)
	}
}

// serviceAccountKey is a Google service-account key file with a fresh key.
func serviceAccountKey(t *testing.T) map[string]string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"type": "service_account", "project_id": "brand-app", "private_key_id": "0123abcd",
		"private_key":  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email": "push@brand-app.iam.gserviceaccount.com", "token_uri": "https://oauth2.googleapis.com/token",
	}
}

func TestChannelFCMKeyFile(t *testing.T) {
	w, logs := channelWorld(t)
	key := serviceAccountKey(t)
	obj, _ := json.Marshal(key)
	str, _ := json.Marshal(string(obj))
	pemBody := strings.Split(key["private_key"], "\n")[1] // a line of the key
	for i, sa := range [][]byte{obj, str} {
		resp, data := w.do(t, "PUT", "/api/v2/account/acct1/channels/inapp", `{"provider":"fcm","fcm":{"serviceAccountJson":`+string(sa)+`}}`)
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(data), `"serviceAccountJson":"••••"`) ||
			!strings.Contains(string(data), `"projectId":"brand-app"`) || strings.Contains(string(data), pemBody) {
			t.Fatalf("PUT key file as %s: %d %s", []string{"object", "string"}[i], resp.StatusCode, data)
		}
		// Sent back redacted, the saved key file stays.
		resp, data = w.do(t, "PUT", "/api/v2/account/acct1/channels/inapp", string(data))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("PUT back: %d %s", resp.StatusCode, data)
		}
	}
	stored, err := w.store.ChannelConfig(context.Background(), "acct1", parley.ChannelInApp)
	if err != nil || !strings.Contains(func() string { c, _ := push.CredentialsOf(stored.Credentials); return c.ServiceAccountJSON.Reveal() }(), pemBody) || stored.Version != 4 {
		t.Errorf("stored version %d, %v; want the key file at version 4", stored.Version, err)
	}
	if strings.Contains(logs.String(), pemBody) {
		t.Errorf("the log shows the private key")
	}
	bad := strings.Replace(string(obj), pemBody, "AAAA", 1)
	if resp, data := w.do(t, "PUT", "/api/v2/account/acct1/channels/inapp", `{"provider":"fcm","fcm":{"serviceAccountJson":`+bad+`}}`); resp.StatusCode != http.StatusBadRequest ||
		!strings.Contains(string(data), `"field":"fcm.serviceAccountJson"`) {
		t.Errorf("a broken key: %d %s", resp.StatusCode, data)
	}
}

func TestChannelRoutesWithoutService(t *testing.T) {
	w := newWorld(t)
	if resp, _ := w.do(t, "GET", "/api/v2/account/acct1/channels", ""); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("GET without the service: %d; want 503", resp.StatusCode)
	}
}
