package httpapi_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/gateway/cm"
	"github.com/parleyhq/parley/internal/gateway/sandbox"
	"github.com/parleyhq/parley/internal/gateway/twilio"
	"github.com/parleyhq/parley/internal/gateway/whatsapp"
	"github.com/parleyhq/parley/internal/httpapi"
	"github.com/parleyhq/parley/internal/inbound"
	"github.com/parleyhq/parley/internal/inbound/conversation"
	"github.com/parleyhq/parley/internal/inbound/optout"
	"github.com/parleyhq/parley/internal/inbound/receipts"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/settings/account"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// Accounts and their providers' secrets.
const (
	hookAccount = "A"
	otherHook   = "B"

	twilioSID       = "AC0123456789abcdef0123456789abcdef"
	twilioAuthToken = "a-twilio-auth-token-of-account-A"
	otherAuthToken  = "a-twilio-auth-token-of-account-B"

	waAppSecret   = "the-meta-app-secret-of-account-A"
	waOtherSecret = "the-meta-app-secret-of-account-B"
	waVerify      = "verify-me-0123456789"
	waPhoneID     = "106540352242922"

	cmProduct      = "9b1f3c2e-4a5d-4e6f-8a7b-1c2d3e4f5a6b"
	cmWebhookToken = "cm-hook-0123456789abcdef"

	hookBrand    = "+12025550100"
	hookConsumer = "+12025550181"
	publicBase   = "https://api.example.com"
)

// hookWorld is the API with the inbox behind its webhooks: real opt-out,
// reply and delivery services on the embedded store, and the sandbox
// gateway sending keywords' answers.
type hookWorld struct {
	*authWorld
	sent *sandbox.Gateway
}

func newHookWorld(t *testing.T) *hookWorld {
	t.Helper()
	aw := newAuthWorld(t) // tokens enforced: webhooks must not need one
	w := aw.world
	clock := parley.ClockFunc(func() time.Time { return noonUTC })
	gw := w.srv.Sandbox.(*sandbox.Gateway)
	accounts := &account.Service{Store: w.store, Clock: clock}
	w.srv.Inbox = &inbound.Service{
		Seen:     w.store,
		Keywords: &optout.Service{Store: w.store, Accounts: accounts, Clock: clock},
		Replies:  &conversation.Service{Store: w.store, Events: w.store, Clock: clock},
		Statuses: &receipts.Service{Store: w.store, Clock: clock},
		Sender:   gw, Clock: clock,
	}
	w.srv.ChannelConfigs = w.store
	w.srv.PublicURL = publicBase
	w.h = w.srv.Handler()
	ctx := context.Background()
	for _, c := range []parley.ChannelConfig{
		{AccountID: hookAccount, Channel: parley.ChannelSMS, Provider: twilio.Name,
			Credentials: twilio.Credentials{AccountSID: twilioSID, AuthToken: twilioAuthToken}.Channel(),
			Senders:     []parley.ChannelSender{{OutboundNumber: hookBrand, ID: hookBrand}}},
		{AccountID: otherHook, Channel: parley.ChannelSMS, Provider: twilio.Name,
			Credentials: twilio.Credentials{AccountSID: twilioSID, AuthToken: otherAuthToken}.Channel(),
			Senders:     []parley.ChannelSender{{OutboundNumber: hookBrand, ID: hookBrand}}},
		{AccountID: hookAccount, Channel: parley.ChannelWhatsApp, Provider: whatsapp.Name,
			Credentials: whatsapp.Credentials{AccessToken: "token", AppSecret: waAppSecret, VerifyToken: waVerify}.Channel(),
			Senders:     []parley.ChannelSender{{OutboundNumber: hookBrand, ID: waPhoneID}}},
		{AccountID: otherHook, Channel: parley.ChannelWhatsApp, Provider: whatsapp.Name,
			Credentials: whatsapp.Credentials{AccessToken: "token", AppSecret: waOtherSecret, VerifyToken: "verify-other-0123"}.Channel(),
			Senders:     []parley.ChannelSender{{OutboundNumber: hookBrand, ID: "999"}}},
	} {
		c.Version = 1
		if err := w.store.PutChannelConfig(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	return &hookWorld{authWorld: aw, sent: gw}
}

// useCM switches account A's SMS to CM, with or without a webhook token.
func (w *hookWorld) useCM(t *testing.T, webhookToken string) {
	t.Helper()
	c := parley.ChannelConfig{AccountID: hookAccount, Channel: parley.ChannelSMS, Provider: cm.Name, Version: 2,
		Credentials: cm.Credentials{ProductToken: cmProduct, WebhookToken: parley.Secret(webhookToken)}.Channel(),
		Senders:     []parley.ChannelSender{{OutboundNumber: hookBrand, ID: hookBrand}}}
	if webhookToken == "" {
		c.Version = 3
	}
	if err := w.store.PutChannelConfig(context.Background(), c); err != nil {
		t.Fatal(err)
	}
}

// post sends a request with headers and answers status and body.
func (w *hookWorld) post(t *testing.T, method, target string, header map[string]string, body string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	w.h.ServeHTTP(rec, req)
	data, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, string(data)
}

// twilioSign signs a request the way Twilio's security guide describes,
// written out independently of the twilio package: the full URL, then
// every POST parameter's name and value in order of name, HMAC-SHA1 keyed
// with the auth token, base64.
func twilioSign(token, fullURL string, params url.Values) string {
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	sort.Strings(names)
	data := fullURL
	for _, k := range names {
		vs := slices.Clone(params[k])
		sort.Strings(vs)
		for _, v := range vs {
			data += k + v
		}
	}
	mac := hmac.New(sha1.New, []byte(token))
	mac.Write([]byte(data))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func TestTwilioSignerMatchesTheDocumentedExample(t *testing.T) {
	// Twilio's worked example: this URL, these parameters, auth token
	// 12345.
	params := url.Values{"CallSid": {"CA1234567890ABCDE"}, "Caller": {"+12349013030"}, "Digits": {"1234"},
		"From": {"+12349013030"}, "To": {"+18005551212"}}
	if got := twilioSign("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", params); got != "0/KCTR6DLpKmkAf8muzZqo1nDgQ=" {
		t.Fatalf("signature = %q, want Twilio's documented 0/KCTR6DLpKmkAf8muzZqo1nDgQ=", got)
	}
}

func twilioInbound(sid, body string) url.Values {
	return url.Values{
		"MessageSid": {sid}, "SmsSid": {sid}, "SmsMessageSid": {sid}, "AccountSid": {twilioSID},
		"From": {hookConsumer}, "To": {hookBrand}, "Body": {body}, "NumMedia": {"0"}, "NumSegments": {"1"},
		"SmsStatus": {"received"}, "ApiVersion": {"2010-04-01"}, "FromCountry": {"US"}, "ToCountry": {"US"},
	}
}

func twilioStatus(sid, status, code string) url.Values {
	v := url.Values{"MessageSid": {sid}, "SmsSid": {sid}, "AccountSid": {twilioSID}, "MessageStatus": {status},
		"SmsStatus": {status}, "To": {hookConsumer}, "From": {hookBrand}, "ApiVersion": {"2010-04-01"}}
	if code != "" {
		v.Set("ErrorCode", code)
	}
	return v
}

// twilioPost posts form to target (a path with any query), signed with
// token for the public URL signedURL ("" means the public base + target).
func (w *hookWorld) twilioPost(t *testing.T, target string, form url.Values, token, signedURL string) (int, string) {
	t.Helper()
	if signedURL == "" {
		signedURL = publicBase + target
	}
	h := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	if token != "" {
		h["X-Twilio-Signature"] = twilioSign(token, signedURL, form)
	}
	return w.post(t, "POST", target, h, form.Encode())
}

// untouched checks that nothing of the consumer's changed: no
// conversation, no opt-out, no answer sent.
func (w *hookWorld) untouched(t *testing.T, label string) {
	t.Helper()
	ctx := context.Background()
	for _, a := range []string{hookAccount, otherHook} {
		if _, found, err := w.store.LatestConversation(ctx, a, hookConsumer); found || err != nil {
			t.Errorf("%s: account %s has a conversation (%v)", label, a, err)
		}
		if es, _ := w.store.PhoneOptOuts(ctx, a, hookConsumer); len(es) != 0 {
			t.Errorf("%s: account %s has opt-outs %+v", label, a, es)
		}
	}
	if ms, _ := w.sent.Messages(ctx, hookAccount); len(ms) != 0 {
		t.Errorf("%s: answers were sent: %+v", label, ms)
	}
}

// TestTwilioWebhookRejections checks the refusals of the route: before the
// configuration is read, for an account that does not send through
// Twilio, and the uniform answer to a signature that does not verify (the
// signature cases are package twilio's TestWebhook).
func TestTwilioWebhookRejections(t *testing.T) {
	w := newHookWorld(t)
	path := "/webhooks/twilio/" + hookAccount
	form := twilioInbound("SM0000000000000000000000000000001", "STOP")
	tests := []struct {
		name      string
		target    string
		form      url.Values
		token     string
		signedURL string
		status    int
		code      string
	}{
		{"unsigned", path, form, "", "", http.StatusUnauthorized, "unauthorized"},
		{"another account's token", path, form, otherAuthToken, "", http.StatusForbidden, "forbidden"},
		{"account without configuration", "/webhooks/twilio/C", form, twilioAuthToken, publicBase + "/webhooks/twilio/C", http.StatusForbidden, "forbidden"},
	}
	for _, tt := range tests {
		h := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
		if tt.token != "" {
			u := tt.signedURL
			if u == "" {
				u = publicBase + tt.target
			}
			h["X-Twilio-Signature"] = twilioSign(tt.token, u, tt.form)
		}
		status, body := w.post(t, "POST", tt.target, h, tt.form.Encode())
		if status != tt.status || !strings.Contains(body, `"code":"`+tt.code+`"`) {
			t.Errorf("%s: %d %s; want %d %s", tt.name, status, body, tt.status, tt.code)
		}
		w.untouched(t, tt.name)
	}
	// An account whose SMS goes through another provider takes no Twilio
	// webhooks.
	w.useCM(t, cmWebhookToken)
	if status, body := w.twilioPost(t, path, form, twilioAuthToken, ""); status != http.StatusForbidden {
		t.Errorf("account on CM: %d %s", status, body)
	}
	w.untouched(t, "account on CM")
}

func TestTwilioInboundOnce(t *testing.T) {
	w := newHookWorld(t)
	ctx := context.Background()
	path := "/webhooks/twilio/" + hookAccount
	// Refused deliveries first: they leave no mark, so the valid one is
	// taken in.
	form := twilioInbound("SM0000000000000000000000000000001", "STOP")
	w.twilioPost(t, path, form, otherAuthToken, "")
	for i := range 2 {
		status, body := w.twilioPost(t, path, form, twilioAuthToken, "")
		if status != http.StatusOK || !strings.Contains(body, "<Response>") {
			t.Fatalf("delivery %d: %d %s", i+1, status, body)
		}
	}
	if es, _ := w.store.PhoneOptOuts(ctx, hookAccount, hookConsumer); len(es) != 1 || es[0].Channel != parley.ChannelSMS {
		t.Errorf("opt-outs = %+v; want one SMS entry", es)
	}
	ms, _ := w.sent.Messages(ctx, hookAccount)
	if len(ms) != 1 || ms[0].Body != account.DefaultOptOutConfirm || ms[0].To != hookConsumer || ms[0].From != hookBrand {
		t.Errorf("answers = %+v; want one confirmation from %s", ms, hookBrand)
	}
	// A reply is routed once however often Twilio delivers it.
	reply := twilioInbound("SM0000000000000000000000000000002", "When does it renew?")
	for range 2 {
		if status, body := w.twilioPost(t, path, reply, twilioAuthToken, ""); status != http.StatusOK {
			t.Fatalf("reply: %d %s", status, body)
		}
	}
	conv, found, err := w.store.LatestConversation(ctx, hookAccount, hookConsumer)
	if err != nil || !found || len(conv.Transcript) != 1 || conv.Transcript[0].Body != "When does it renew?" {
		t.Errorf("conversation %+v, %v, %v; want the one line", conv.Transcript, found, err)
	}
}

// TestTwilioPublicURL checks the URLs the signature is checked against:
// the configured public base, the scheme and host a proxy forwards, and
// API Gateway's domain on Lambda.
func TestTwilioPublicURL(t *testing.T) {
	path := "/webhooks/twilio/" + hookAccount
	t.Run("forwarded", func(t *testing.T) {
		w := newHookWorld(t)
		w.srv.PublicURL, w.srv.TrustForwarded = "", true
		w.h = w.srv.Handler()
		form := twilioInbound("SM0000000000000000000000000000011", "hello")
		h := map[string]string{"Content-Type": "application/x-www-form-urlencoded", "X-Forwarded-Proto": "https",
			"X-Twilio-Signature": twilioSign(twilioAuthToken, "https://tunnel.example.net"+path, form)}
		req := httptest.NewRequest("POST", path, strings.NewReader(form.Encode()))
		req.Host = "tunnel.example.net"
		for k, v := range h {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		w.h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("behind a proxy: %d %s", rec.Code, rec.Body)
		}
		// Signed for http while the proxy says https: refused.
		form = twilioInbound("SM0000000000000000000000000000012", "hello")
		req = httptest.NewRequest("POST", path, strings.NewReader(form.Encode()))
		req.Host = "tunnel.example.net"
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-Proto", "https")
		req.Header.Set("X-Twilio-Signature", twilioSign(twilioAuthToken, "http://tunnel.example.net"+path, form))
		rec = httptest.NewRecorder()
		w.h.ServeHTTP(rec, req)
		if rec.Code != http.StatusForbidden {
			t.Errorf("signed for another scheme: %d", rec.Code)
		}
	})
	t.Run("lambda", func(t *testing.T) {
		w := newHookWorld(t)
		w.srv.PublicURL = ""
		w.h = w.srv.Handler()
		const domain = "abc123.execute-api.eu-west-1.amazonaws.com"
		form := twilioStatus("SM0000000000000000000000000000021", "delivered", "")
		ref := "camp1/000001"
		query := twilio.RefParam + "=" + url.QueryEscape(ref)
		signed := twilio.StatusCallbackURL("https://"+domain+path, ref)
		ev := events.APIGatewayV2HTTPRequest{
			RawPath: path, RawQueryString: query,
			Headers: map[string]string{"content-type": "application/x-www-form-urlencoded", "host": domain,
				"x-forwarded-proto": "https", "x-twilio-signature": twilioSign(twilioAuthToken, signed, form)},
			Body: form.Encode(),
			RequestContext: events.APIGatewayV2HTTPRequestContext{DomainName: domain, Stage: "$default",
				HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST", Path: path}},
		}
		resp, err := httpapi.LambdaHandler(w.h)(context.Background(), ev)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("on Lambda: %d %s, %v", resp.StatusCode, resp.Body, err)
		}
		// The port Twilio may add to the URL it signs is accepted too.
		ev.Headers["x-twilio-signature"] = twilioSign(twilioAuthToken, twilio.StatusCallbackURL("https://"+domain+":443"+path, ref), form)
		if resp, _ := httpapi.LambdaHandler(w.h)(context.Background(), ev); resp.StatusCode != http.StatusOK {
			t.Errorf("signed with the default port: %d %s", resp.StatusCode, resp.Body)
		}
		ev.Headers["x-twilio-signature"] = twilioSign(twilioAuthToken, twilio.StatusCallbackURL("https://other.example.com"+path, ref), form)
		if resp, _ := httpapi.LambdaHandler(w.h)(context.Background(), ev); resp.StatusCode != http.StatusForbidden {
			t.Errorf("signed for another domain: %d %s", resp.StatusCode, resp.Body)
		}
	})
}

// sentRecipients creates a campaign of n recipients for account A and
// records each as sent with the provider id ids[i].
func (w *hookWorld) sentRecipients(t *testing.T, campaignID string, ids ...string) []parley.Recipient {
	t.Helper()
	ctx := context.Background()
	c, rs := storetest.Fixture(hookAccount, campaignID, len(ids))
	if err := w.store.CreateCampaign(ctx, c, rs); err != nil {
		t.Fatal(err)
	}
	for i, r := range rs {
		if _, err := w.store.UpdateRecipient(ctx, r.Ref(), parley.RecipientChange{From: parley.Claimable, Status: parley.StatusSending, At: noonUTC}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.store.UpdateRecipient(ctx, r.Ref(), parley.RecipientChange{
			From: []parley.RecipientStatus{parley.StatusSending}, Status: parley.StatusSent, ProviderMessageID: ids[i], At: noonUTC,
		}); err != nil {
			t.Fatal(err)
		}
	}
	return rs
}

func (w *hookWorld) status(t *testing.T, r parley.Recipient) (parley.RecipientStatus, string) {
	t.Helper()
	got, err := w.store.Recipient(context.Background(), r.Ref())
	if err != nil {
		t.Fatal(err)
	}
	return got.Status, got.ErrorMessage
}

func TestTwilioStatusCallbacks(t *testing.T) {
	w := newHookWorld(t)
	ids := []string{"SM0000000000000000000000000000101", "SM0000000000000000000000000000102"}
	rs := w.sentRecipients(t, "camp1", ids...)
	base := "/webhooks/twilio/" + hookAccount
	callback := func(r parley.Recipient) string {
		m := parley.Message{CampaignID: r.CampaignID, RecipientID: r.ID}
		return strings.TrimPrefix(twilio.StatusCallbackURL(publicBase+base, m.CallbackRef()), publicBase)
	}
	steps := []struct {
		name     string
		r        parley.Recipient
		target   string
		form     url.Values
		want     parley.RecipientStatus
		wantCode string
	}{
		{"delivered", rs[0], callback(rs[0]), twilioStatus(ids[0], "delivered", ""), parley.StatusDelivered, ""},
		{"the same callback again", rs[0], callback(rs[0]), twilioStatus(ids[0], "delivered", ""), parley.StatusDelivered, ""},
		{"sent, after delivered", rs[0], callback(rs[0]), twilioStatus(ids[0], "sent", ""), parley.StatusDelivered, ""},
		{"undelivered after delivered", rs[0], callback(rs[0]), twilioStatus(ids[0], "undelivered", "30003"), parley.StatusDelivered, ""},
		{"another recipient's message, signed", rs[1], callback(rs[1]), twilioStatus(ids[0], "failed", "30008"), parley.StatusSent, ""},
		{"without a reference", rs[1], base, twilioStatus(ids[1], "failed", "30008"), parley.StatusSent, ""},
		{"undelivered", rs[1], callback(rs[1]), twilioStatus(ids[1], "undelivered", "30005"), parley.StatusUndelivered, "30005"},
	}
	for _, st := range steps {
		if status, body := w.twilioPost(t, st.target, st.form, twilioAuthToken, ""); status != http.StatusOK {
			t.Fatalf("%s: %d %s", st.name, status, body)
		}
		if got, code := w.status(t, st.r); got != st.want || code != st.wantCode {
			t.Fatalf("%s: recipient %s is %s %q; want %s %q", st.name, st.r.ID, got, code, st.want, st.wantCode)
		}
	}
}

func hubSignature(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func waMessage(phoneID, id, from, text string) string {
	return fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"field":"messages","value":{
		"messaging_product":"whatsapp","metadata":{"display_phone_number":"12025550100","phone_number_id":%q},
		"contacts":[{"profile":{"name":"Ann"},"wa_id":%q}],
		"messages":[{"from":%q,"id":%q,"timestamp":"1795453200","type":"text","text":{"body":%q}}]}}]}]}`,
		phoneID, strings.TrimPrefix(from, "+"), strings.TrimPrefix(from, "+"), id, text)
}

func waStatus(phoneID, id, status, ref string) string {
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

func (w *hookWorld) waPost(t *testing.T, account, body, secret string) (int, WebhookResult) {
	t.Helper()
	h := map[string]string{"Content-Type": "application/json"}
	if secret != "" {
		h["X-Hub-Signature-256"] = hubSignature(secret, []byte(body))
	}
	status, data := w.post(t, "POST", "/webhooks/whatsapp/"+account, h, body)
	var res WebhookResult
	if status == http.StatusOK {
		if err := json.Unmarshal([]byte(data), &res); err != nil {
			t.Fatalf("answer %s: %v", data, err)
		}
	}
	return status, res
}

// WebhookResult is the webhooks' answer.
type WebhookResult = httpapi.WebhookResult

func TestWhatsAppHandshake(t *testing.T) {
	w := newHookWorld(t)
	path := "/webhooks/whatsapp/" + hookAccount
	q := func(mode, token, challenge string) string {
		return path + "?" + url.Values{"hub.mode": {mode}, "hub.verify_token": {token}, "hub.challenge": {challenge}}.Encode()
	}
	tests := []struct {
		name, target string
		status       int
		body         string
	}{
		{"verified", q("subscribe", waVerify, "1158201444"), http.StatusOK, "1158201444"},
		{"no token", path + "?hub.mode=subscribe&hub.challenge=1", http.StatusUnauthorized, ""},
		{"wrong token", q("subscribe", "verify-other-0123", "1"), http.StatusForbidden, ""},
		{"account without WhatsApp", strings.Replace(q("subscribe", waVerify, "1"), "/"+hookAccount+"?", "/C?", 1), http.StatusForbidden, ""},
	}
	for _, tt := range tests {
		status, body := w.post(t, "GET", tt.target, nil, "")
		if status != tt.status || (tt.body != "" && body != tt.body) {
			t.Errorf("%s: %d %q; want %d %q", tt.name, status, body, tt.status, tt.body)
		}
	}
}

func TestWhatsAppWebhook(t *testing.T) {
	w := newHookWorld(t)
	ctx := context.Background()
	msg := waMessage(waPhoneID, "wamid.IN1", hookConsumer, "Is my order on its way?")
	// Rejected before anything is read.
	for _, tt := range []struct {
		name    string
		account string
		secret  string
		status  int
	}{
		{"unsigned", hookAccount, "", http.StatusUnauthorized},
		{"another account's app secret", hookAccount, waOtherSecret, http.StatusForbidden},
		{"account without WhatsApp", "C", waAppSecret, http.StatusForbidden},
	} {
		if status, _ := w.waPost(t, tt.account, msg, tt.secret); status != tt.status {
			t.Errorf("%s: %d, want %d", tt.name, status, tt.status)
		}
		w.untouched(t, tt.name)
	}
	h := map[string]string{"X-Hub-Signature-256": hubSignature(waAppSecret, []byte(msg))}
	if status, _ := w.post(t, "POST", "/webhooks/whatsapp/"+hookAccount, h, msg+" "); status != http.StatusForbidden {
		t.Errorf("body changed after signing: %d", status)
	}
	w.untouched(t, "body changed after signing")
	// Another account's signature on a notification of its own number
	// posted to A's URL is refused; A's number under B's URL too.
	if status, _ := w.waPost(t, otherHook, msg, waAppSecret); status != http.StatusForbidden {
		t.Errorf("A's notification signed with A's secret at B's URL: %d", status)
	}

	// Taken in once.
	for i, want := range []WebhookResult{{Messages: 1}, {Duplicates: 1}} {
		status, res := w.waPost(t, hookAccount, msg, waAppSecret)
		if status != http.StatusOK || res != want {
			t.Fatalf("delivery %d: %d %+v; want %+v", i+1, status, res, want)
		}
	}
	conv, found, err := w.store.LatestConversation(ctx, hookAccount, hookConsumer)
	if err != nil || !found || conv.Channel != parley.ChannelWhatsApp || len(conv.Transcript) != 1 {
		t.Fatalf("conversation %+v, %v, %v", conv, found, err)
	}
	// A number the account has not configured: ignored.
	if status, res := w.waPost(t, hookAccount, waMessage("999", "wamid.IN2", hookConsumer, "hi"), waAppSecret); status != http.StatusOK || res != (WebhookResult{Ignored: 1}) {
		t.Errorf("another number's message: %d %+v", status, res)
	}

	// A keyword is answered through the sender the consumer wrote to: from
	// the outbound number mapped to its phone-number id, whatever number
	// Meta displays.
	stop := strings.Replace(waMessage(waPhoneID, "wamid.IN3", hookConsumer, "STOP"), `"display_phone_number":"12025550100"`, `"display_phone_number":"1 555 078 3881"`, 1)
	if status, res := w.waPost(t, hookAccount, stop, waAppSecret); status != http.StatusOK || res != (WebhookResult{Messages: 1}) {
		t.Fatalf("STOP: %d %+v", status, res)
	}
	if ms, _ := w.sent.Messages(ctx, hookAccount); len(ms) != 1 || ms[0].From != hookBrand || ms[0].Channel != parley.ChannelWhatsApp || ms[0].Body != account.DefaultOptOutConfirm {
		t.Errorf("answers = %+v; want the confirmation on WhatsApp from %s", ms, hookBrand)
	}

	// Statuses find their recipient by biz_opaque_callback_data.
	rs := w.sentRecipients(t, "camp1", "wamid.OUT1", "wamid.OUT2")
	ref := func(r parley.Recipient) string {
		return parley.Message{CampaignID: r.CampaignID, RecipientID: r.ID}.CallbackRef()
	}
	steps := []struct {
		name string
		body string
		want WebhookResult
		r    parley.Recipient
		st   parley.RecipientStatus
		code string
	}{
		{"read first", waStatus(waPhoneID, "wamid.OUT1", "read", ref(rs[0])), WebhookResult{Statuses: 1}, rs[0], parley.StatusRead, ""},
		{"delivered after read", waStatus(waPhoneID, "wamid.OUT1", "delivered", ref(rs[0])), WebhookResult{Statuses: 1}, rs[0], parley.StatusRead, ""},
		{"no reference", waStatus(waPhoneID, "wamid.OUT2", "failed", ""), WebhookResult{Ignored: 1}, rs[1], parley.StatusSent, ""},
		{"a reference to no recipient", waStatus(waPhoneID, "wamid.OUT2", "failed", "camp9/000001"), WebhookResult{Ignored: 1}, rs[1], parley.StatusSent, ""},
		{"another recipient's reference", waStatus(waPhoneID, "wamid.OUT2", "failed", ref(rs[0])), WebhookResult{Statuses: 1}, rs[0], parley.StatusRead, ""},
		{"failed", waStatus(waPhoneID, "wamid.OUT2", "failed", ref(rs[1])), WebhookResult{Statuses: 1}, rs[1], parley.StatusFailed, "131026"},
	}
	for _, st := range steps {
		status, res := w.waPost(t, hookAccount, st.body, waAppSecret)
		if status != http.StatusOK || res != st.want {
			t.Fatalf("%s: %d %+v; want %+v", st.name, status, res, st.want)
		}
		if got, code := w.status(t, st.r); got != st.st || code != st.code {
			t.Fatalf("%s: recipient %s is %s %q; want %s %q", st.name, st.r.ID, got, code, st.st, st.code)
		}
	}
}

func cmMO(from, body, at string) string {
	return fmt.Sprintf(`{"reference":"","messageContext":"","from":{"number":%q,"name":""},"to":{"number":"0012025550100"},
		"message":{"text":%q,"media":{"mediaName":"","mediaUri":"","mimeType":""},"custom":{}},"groupings":["","",""],
		"time":%q,"timeUtc":%q,"channel":"SMS"}`, "00"+strings.TrimPrefix(from, "+"), body, at, at)
}

func cmDLR(ref, code, errorCode string) string {
	return fmt.Sprintf(`{"messages":{"msg":{"received":"2026-11-23T17:01:00","to":"0012025550181","reference":%q,
		"status":{"code":%q,"errorCode":%q,"errorDescription":""},"operator":"310260"}}}`, ref, code, errorCode)
}

func TestCMWebhook(t *testing.T) {
	w := newHookWorld(t)
	ctx := context.Background()
	path := "/webhooks/cm/" + hookAccount
	stop := cmMO(hookConsumer, "STOP", "2026-11-23T17:00:30")
	w.useCM(t, cmWebhookToken)
	for _, tt := range []struct {
		name, target string
		status       int
	}{
		{"no token", path, http.StatusUnauthorized},
		{"wrong token", path + "?token=cm-hook-of-someone-else", http.StatusForbidden},
		{"another account", "/webhooks/cm/" + otherHook + "?token=" + cmWebhookToken, http.StatusForbidden},
	} {
		if status, body := w.post(t, "POST", tt.target, nil, stop); status != tt.status {
			t.Errorf("%s: %d %s; want %d", tt.name, status, body, tt.status)
		}
		w.untouched(t, tt.name)
	}
	target := path + "?token=" + cmWebhookToken
	for i := range 2 {
		if status, body := w.post(t, "POST", target, nil, stop); status != http.StatusOK {
			t.Fatalf("delivery %d: %d %s", i+1, status, body)
		}
	}
	if es, _ := w.store.PhoneOptOuts(ctx, hookAccount, hookConsumer); len(es) != 1 {
		t.Errorf("opt-outs = %+v; want one", es)
	}
	if ms, _ := w.sent.Messages(ctx, hookAccount); len(ms) != 1 {
		t.Errorf("%d answers; want one confirmation", len(ms))
	}

	// Delivery reports find their recipient by the reference.
	ids := make([]string, 2)
	for i := range ids {
		ids[i] = cm.Reference(parley.Message{CampaignID: "camp1", RecipientID: parley.RecipientID(i + 1)})
	}
	rs := w.sentRecipients(t, "camp1", ids...)
	for _, st := range []struct {
		name string
		body string
		r    parley.Recipient
		want parley.RecipientStatus
	}{
		{"delivered", cmDLR(ids[0], "2", ""), rs[0], parley.StatusDelivered},
		{"accepted, late", cmDLR(ids[0], "0", ""), rs[0], parley.StatusDelivered},
		{"failed", cmDLR(ids[1], "3", "8"), rs[1], parley.StatusUndelivered},
	} {
		if status, body := w.post(t, "POST", target, nil, st.body); status != http.StatusOK {
			t.Fatalf("%s: %d %s", st.name, status, body)
		}
		if got, _ := w.status(t, st.r); got != st.want {
			t.Fatalf("%s: %s, want %s", st.name, got, st.want)
		}
	}
	xml := `<?xml version="1.0"?><MESSAGES><MSG RECEIVED="2026-11-23T17:02:00"><TO>0012025550181</TO><REFERENCE>` + ids[0] +
		`</REFERENCE><STATUS><CODE>4</CODE><ERRORCODE></ERRORCODE><ERRORDESCRIPTION></ERRORDESCRIPTION></STATUS></MSG></MESSAGES>`
	if status, body := w.post(t, "POST", target, map[string]string{"Content-Type": "application/xml"}, xml); status != http.StatusOK {
		t.Fatalf("XML report: %d %s", status, body)
	}
	if got, _ := w.status(t, rs[0]); got != parley.StatusRead {
		t.Errorf("after the XML read report: %s", got)
	}

	// The token is checked before the body is read; the body is bounded.
	big := strings.Repeat("x", 1<<20+1)
	if status, _ := w.post(t, "POST", path+"?token=cm-hook-of-someone-else", nil, big); status != http.StatusForbidden {
		t.Errorf("a large body with the wrong token: %d; want 403", status)
	}
	if status, _ := w.post(t, "POST", target, nil, big); status != http.StatusRequestEntityTooLarge {
		t.Errorf("a body over the bound: %d; want 413", status)
	}

	// Without a webhook token configured, CM's webhooks are refused.
	w.useCM(t, "")
	if status, _ := w.post(t, "POST", target, nil, cmMO(hookConsumer, "hi", "2026-11-23T17:05:00")); status != http.StatusForbidden {
		t.Errorf("account without a webhook token: %d", status)
	}
}

func TestSandboxInjection(t *testing.T) {
	w := newHookWorld(t)
	ctx := context.Background()
	asC := map[string]string{"Authorization": "Bearer " + w.mint(t, "C", auth.RoleAdmin)}
	status, body := w.post(t, "POST", "/sandbox/replies", asC,
		`{"from":"+12025550181","to":"+12025550100","body":"STOP","channel":"sms","accountId":"C"}`)
	var rep httpapi.SandboxReplyResponse
	if err := json.Unmarshal([]byte(body), &rep); status != http.StatusOK || err != nil || rep.Keyword != "OPT_OUT" || rep.AnswerID == "" {
		t.Fatalf("STOP: %d %s", status, body)
	}
	status, body = w.post(t, "POST", "/sandbox/replies", asC, `{"from":"+12025550182","body":"Call me"}`)
	var routed httpapi.SandboxReplyResponse
	if err := json.Unmarshal([]byte(body), &routed); status != http.StatusOK || err != nil || routed.ConversationID == "" || routed.Keyword != "" {
		t.Fatalf("reply: %d %s", status, body)
	}
	for _, bad := range []struct{ body, field string }{
		{`{"accountId":"C","body":"hi"}`, "from"},
		{`{"accountId":"C","from":"+12025550181","channel":"fax"}`, "channel"},
	} {
		if status, body := w.post(t, "POST", "/sandbox/replies", asC, bad.body); status != http.StatusBadRequest || !strings.Contains(body, `"field":"`+bad.field+`"`) {
			t.Errorf("%s: %d %s", bad.body, status, body)
		}
	}

	// A status of a message the sandbox sent reaches its recipient.
	c, rs := storetest.Fixture("C", "camp1", 1)
	if err := w.store.CreateCampaign(ctx, c, rs); err != nil {
		t.Fatal(err)
	}
	r := rs[0]
	if _, err := w.store.UpdateRecipient(ctx, r.Ref(), parley.RecipientChange{From: parley.Claimable, Status: parley.StatusSending, At: noonUTC}); err != nil {
		t.Fatal(err)
	}
	id, err := w.sent.Send(ctx, parley.Message{Channel: parley.ChannelSMS, From: hookBrand, To: r.Phone, Body: r.Body, AccountID: "C", CampaignID: r.CampaignID, RecipientID: r.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.store.UpdateRecipient(ctx, r.Ref(), parley.RecipientChange{
		From: []parley.RecipientStatus{parley.StatusSending}, Status: parley.StatusSent, ProviderMessageID: id, At: noonUTC}); err != nil {
		t.Fatal(err)
	}
	statusBody := func(id, status string) string {
		return fmt.Sprintf(`{"providerMessageId":%q,"status":%q,"accountId":"C","errorCode":""}`, id, status)
	}
	for _, st := range []struct {
		body    string
		code    int
		applied bool
		want    parley.RecipientStatus
	}{
		{statusBody(id, "delivered"), http.StatusOK, true, parley.StatusDelivered},
		{statusBody(id, "delivered"), http.StatusOK, false, parley.StatusDelivered},
		{statusBody(id, "sent"), http.StatusOK, false, parley.StatusDelivered},
		{statusBody("SBnone", "read"), http.StatusNotFound, false, parley.StatusDelivered},
		{strings.Replace(statusBody(id, "read"), `"C"`, `"D"`, 1), http.StatusForbidden, false, parley.StatusDelivered},
		{statusBody(id, "lost"), http.StatusBadRequest, false, parley.StatusDelivered},
		{statusBody(id, "read"), http.StatusOK, true, parley.StatusRead},
	} {
		code, body := w.post(t, "POST", "/sandbox/statuses", asC, st.body)
		var res httpapi.SandboxStatusResponse
		_ = json.Unmarshal([]byte(body), &res)
		if code != st.code || (code == http.StatusOK && res.Applied != st.applied) {
			t.Fatalf("%s: %d %s; want %d applied=%v", st.body, code, body, st.code, st.applied)
		}
		if got, _ := w.status(t, r); got != st.want {
			t.Fatalf("%s: recipient %s, want %s", st.body, got, st.want)
		}
	}
}

func TestWebhooksWithoutInbox(t *testing.T) {
	w := newWorld(t)
	for _, target := range []string{"/webhooks/twilio/A", "/webhooks/whatsapp/A", "/webhooks/cm/A?token=x", "/sandbox/replies", "/sandbox/statuses"} {
		resp, _ := w.do(t, "POST", target, "{}")
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s without an inbox: %d, want 404", target, resp.StatusCode)
		}
	}
}

// TestSandboxNeedsTokenAndIsScoped is finding 1's regression test: the
// sandbox's routes take a tenant's token and act on its account alone, its
// injections never act on a channel that goes through a real provider (so
// a HELP or STOP answer cannot leave through the tenant's Twilio), and its
// fault list is bounded.
func TestSandboxNeedsTokenAndIsScoped(t *testing.T) {
	w := newHookWorld(t)
	ctx := context.Background()
	as := func(account string) map[string]string {
		return map[string]string{"Authorization": "Bearer " + w.mint(t, account, auth.RoleAdmin)}
	}
	for _, rt := range []struct{ method, target, body string }{
		{"GET", "/sandbox/messages", ""},
		{"POST", "/sandbox/replies", `{"accountId":"C","from":"+12025550181","body":"HELP"}`},
		{"POST", "/sandbox/statuses", `{"accountId":"C","providerMessageId":"SB1","status":"delivered"}`},
		{"POST", "/sandbox/faults", `{"kind":"fail"}`},
	} {
		if status, body := w.post(t, rt.method, rt.target, nil, rt.body); status != http.StatusUnauthorized {
			t.Errorf("%s %s without a token: %d %s, want 401", rt.method, rt.target, status, body)
		}
	}
	// C's message is C's alone.
	if _, err := w.sent.Send(ctx, parley.Message{Channel: parley.ChannelSMS, From: hookBrand, To: hookConsumer, Body: "for C", AccountID: "C", CampaignID: "c1", RecipientID: "000001"}); err != nil {
		t.Fatal(err)
	}
	if status, body := w.post(t, "GET", "/sandbox/messages", as("D"), ""); status != http.StatusOK || strings.TrimSpace(body) != "[]" {
		t.Errorf("D reads the sandbox: %d %s; want none of C's messages", status, body)
	}
	if status, body := w.post(t, "GET", "/sandbox/messages", as("C"), ""); status != http.StatusOK || !strings.Contains(body, "for C") {
		t.Errorf("C reads the sandbox: %d %s", status, body)
	}
	// No injection for another account.
	if status, body := w.post(t, "POST", "/sandbox/replies", as("D"), `{"accountId":"C","from":"+12025550181","body":"STOP"}`); status != http.StatusForbidden {
		t.Errorf("D injects for C: %d %s, want 403", status, body)
	}
	// Account A's SMS goes through Twilio: its keywords stay untouched.
	if status, body := w.post(t, "POST", "/sandbox/replies", as(hookAccount), `{"from":"`+hookConsumer+`","to":"`+hookBrand+`","body":"STOP"}`); status != http.StatusForbidden {
		t.Errorf("injection on a Twilio channel: %d %s, want 403", status, body)
	}
	if es, _ := w.store.PhoneOptOuts(ctx, hookAccount, hookConsumer); len(es) != 0 {
		t.Errorf("the refused injection opted the consumer out: %+v", es)
	}
	// Faults are per account and bounded.
	for i := range sandbox.MaxFaults {
		if status, body := w.post(t, "POST", "/sandbox/faults", as("C"), `{"kind":"fail"}`); status != http.StatusCreated {
			t.Fatalf("fault %d: %d %s", i, status, body)
		}
	}
	if status, body := w.post(t, "POST", "/sandbox/faults", as("C"), `{"kind":"fail"}`); status != http.StatusConflict {
		t.Errorf("fault past the bound: %d %s, want 409", status, body)
	}
	if status, body := w.post(t, "GET", "/sandbox/faults", as("D"), ""); status != http.StatusOK || strings.TrimSpace(body) != "[]" {
		t.Errorf("D lists C's faults: %d %s", status, body)
	}
}

// TestWebhookRefusalsSayNothing is finding 7's regression test: a refused
// webhook answers the same 403 whether the account does not exist, sends
// through another provider, or the signature is wrong, so webhooks tell
// nobody which accounts exist or what they use; and forwarded headers
// choose the signed URL only when trusted.
func TestWebhookRefusalsSayNothing(t *testing.T) {
	w := newHookWorld(t)
	form := twilioInbound("SM0000000000000000000000000000031", "hello")
	bodies := map[string]string{}
	for label, c := range map[string]struct{ account, token string }{
		"no such account":        {"nobody", twilioAuthToken},
		"account without Twilio": {"C", twilioAuthToken},
		"wrong signature":        {hookAccount, "not-the-token"},
		"other account's secret": {hookAccount, otherAuthToken},
	} {
		status, body := w.twilioPost(t, "/webhooks/twilio/"+c.account, form, c.token, publicBase+"/webhooks/twilio/"+c.account)
		if status != http.StatusForbidden {
			t.Errorf("%s: %d %s, want 403", label, status, body)
		}
		bodies[label] = strings.ReplaceAll(body, c.account, "ACCOUNT")
	}
	var first string
	for label, b := range bodies {
		if first == "" {
			first = b
		} else if b != first {
			t.Errorf("%s answers %s; another refusal answers %s", label, b, first)
		}
	}

	// Without TrustForwarded, X-Forwarded-Host does not choose the URL.
	w.srv.PublicURL = ""
	w.h = w.srv.Handler()
	path := "/webhooks/twilio/" + hookAccount
	req := httptest.NewRequest("POST", path, strings.NewReader(form.Encode()))
	req.Host = "api.internal"
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-Host", "attacker.example")
	req.Header.Set("X-Twilio-Signature", twilioSign(twilioAuthToken, "http://attacker.example"+path, form))
	rec := httptest.NewRecorder()
	w.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusForbidden {
		t.Errorf("a signature over a forwarded host nobody trusted: %d %s, want 403", rec.Code, rec.Body)
	}
}
