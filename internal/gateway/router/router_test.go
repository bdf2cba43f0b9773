package router_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/clocktest"
	"github.com/parleyhq/parley/internal/egress"
	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/gateway/cm"
	"github.com/parleyhq/parley/internal/gateway/push"
	"github.com/parleyhq/parley/internal/gateway/router"
	"github.com/parleyhq/parley/internal/gateway/sandbox"
	"github.com/parleyhq/parley/internal/gateway/twilio"
	"github.com/parleyhq/parley/internal/gateway/whatsapp"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/settings/channels"
	"github.com/parleyhq/parley/internal/store/embedded"
	"github.com/parleyhq/parley/internal/testworld"
)

// Credentials of the test accounts. Each is a secret that must never show
// in a log line or an error.
const (
	twilioSID     = "AC0123456789abcdef0123456789abcdef"
	twilioToken   = "twilio-auth-token-7f3c9a1e5b2d4c6e"
	twilioKeySID  = "SK0123456789abcdef0123456789abcdef"
	twilioKeySec  = "twilio-key-secret-a1b2c3d4e5f60718"
	serviceSID    = "MG0123456789abcdef0123456789abcdef"
	cmToken       = "9b1f3c2e-4a5d-4e6f-8a7b-1c2d3e4f5a6b"
	waToken       = "EAAG-wa-access-token-5e7d9c1b3a2f4e6d"
	waAppSecret   = "wa-app-secret-0f1e2d3c4b5a6978"
	waVerifyToken = "wa-verify-token-3141592653589793"
	waPhoneID     = "106540352242922"
)

var secrets = []string{twilioToken, twilioKeySec, cmToken, waToken, waAppSecret, waVerifyToken}

const (
	brandNumber = "+12025550100"
	otherNumber = "+12025550111"
	consumer    = "+12025550181"
)

var t0 = time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC)

type world struct {
	store   *embedded.Store
	svc     *channels.Service
	sandbox *sandbox.Gateway
	clock   *clocktest.Clock
	router  *router.Router
	logs    *bytes.Buffer
}

func newWorld(t *testing.T) *world {
	t.Helper()
	s, _ := testworld.Open(t)
	clock := clocktest.New(t0)
	sb := &sandbox.Gateway{Recorder: s, Clock: clock}
	logs := &bytes.Buffer{}
	r := router.New(s, sb)
	// The fake providers listen on loopback: these tests allow it, and
	// only they do.
	r.Sandbox, r.Clock, r.HTTP = sb, clock, local.Client(5*time.Second)
	r.Log = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return &world{store: s, svc: &channels.Service{Store: s, Clock: clock, Egress: local}, sandbox: sb, clock: clock, router: r, logs: logs}
}

// local is the egress policy of tests whose providers are local servers.
var local = egress.Policy{AllowLoopback: true}

func (w *world) put(t *testing.T, c parley.ChannelConfig) parley.ChannelConfig {
	t.Helper()
	saved, err := w.svc.Put(context.Background(), c)
	if err != nil {
		t.Fatalf("Put(%v): %v", c, err)
	}
	return saved
}

func twilioConfig(account, baseURL string) parley.ChannelConfig {
	return parley.ChannelConfig{
		AccountID: account, Channel: parley.ChannelSMS, Provider: twilio.Name, BaseURL: baseURL,
		Credentials: twilio.Credentials{AccountSID: twilioSID, AuthToken: twilioToken}.Channel(),
		Senders:     []parley.ChannelSender{{OutboundNumber: brandNumber, ID: "+12025550150"}},
	}
}

func sms(account, from, body string) parley.Message {
	return parley.Message{Channel: parley.ChannelSMS, From: from, To: consumer, Body: body,
		AccountID: account, CampaignID: "camp1", RecipientID: "000001"}
}

func sendError(t *testing.T, err error, code string, kind parley.FailKind) *parley.SendError {
	t.Helper()
	var se *parley.SendError
	if !errors.As(err, &se) || se.Code != code || se.Kind != kind {
		t.Fatalf("error %v; want a %s SendError %s", err, kind, code)
	}
	return se
}

func TestAccountsRouteToTheirProviders(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	tw, twSrv := newFakeTwilio(t, twilioSID, twilioSID, twilioToken, t0)
	cmf, cmSrv := newFakeCM(t, cmToken)
	wa, waSrv := newFakeWhatsApp(t, waToken)
	w.put(t, twilioConfig("acct-a", twSrv.URL))
	w.put(t, parley.ChannelConfig{AccountID: "acct-b", Channel: parley.ChannelSMS, Provider: cm.Name, BaseURL: cmSrv.URL,
		Credentials: cm.Credentials{ProductToken: cmToken}.Channel(),
		Senders:     []parley.ChannelSender{{OutboundNumber: brandNumber, ID: "Brand"}}})
	w.put(t, parley.ChannelConfig{AccountID: "acct-b", Channel: parley.ChannelWhatsApp, Provider: whatsapp.Name, BaseURL: waSrv.URL,
		Credentials: whatsapp.Credentials{AccessToken: waToken, AppSecret: waAppSecret, VerifyToken: waVerifyToken}.Channel(),
		Senders:     []parley.ChannelSender{{OutboundNumber: brandNumber, ID: waPhoneID}}})

	if id, err := w.router.Send(ctx, sms("acct-a", brandNumber, "to Twilio")); err != nil || !strings.HasPrefix(id, "SM") {
		t.Fatalf("acct-a sms: %q, %v", id, err)
	}
	if id, err := w.router.Send(ctx, sms("acct-b", brandNumber, "to CM")); err != nil || id != cm.Reference(sms("acct-b", brandNumber, "to CM")) {
		t.Fatalf("acct-b sms: %q, %v", id, err)
	}
	waMsg := sms("acct-b", brandNumber, "to WhatsApp")
	waMsg.Channel = parley.ChannelWhatsApp
	if id, err := w.router.Send(ctx, waMsg); err != nil || !strings.HasPrefix(id, "wamid.") {
		t.Fatalf("acct-b whatsapp: %q, %v", id, err)
	}
	// acct-a has not configured WhatsApp: the default gateway (the sandbox).
	waMsg.AccountID, waMsg.Body = "acct-a", "to the sandbox"
	if id, err := w.router.Send(ctx, waMsg); err != nil || !strings.HasPrefix(id, "SB") {
		t.Fatalf("acct-a whatsapp: %q, %v", id, err)
	}

	if got := tw.sent(); len(got) != 1 || got[0].Body != "to Twilio" || got[0].From != "+12025550150" || got[0].To != consumer {
		t.Errorf("Twilio got %+v; want one message from the mapped sender", got)
	}
	if got := cmf.sent(); len(got) != 1 || got[0].Body.Content != "to CM" || got[0].From != "Brand" || got[0].To[0].Number != "0012025550181" {
		t.Errorf("CM got %+v; want one message from the mapped sender", got)
	}
	if got := wa.sent(); len(got) != 1 || got[0].Text != "to WhatsApp" || got[0].PhoneNumberID != waPhoneID || got[0].To != consumer {
		t.Errorf("WhatsApp got %+v; want one message from the mapped phone-number id", got)
	}
	recorded, err := w.sandbox.Messages(ctx, "acct-a")
	if err != nil || len(recorded) != 1 || recorded[0].Body != "to the sandbox" || recorded[0].From != brandNumber {
		t.Errorf("sandbox recorded %+v, %v; want the unconfigured channel's message", recorded, err)
	}
}

func TestUnconfiguredChannelWithoutDefault(t *testing.T) {
	w := newWorld(t)
	w.router.Default = nil
	_, err := w.router.Send(context.Background(), sms("acct-x", brandNumber, "hello"))
	se := sendError(t, err, router.CodeNotConfigured, parley.FailConfig)
	if se.Reason != "channel sms not configured for account acct-x" {
		t.Errorf("reason %q", se.Reason)
	}
	// A channel configured with the sandbox where the process has none.
	w.put(t, parley.ChannelConfig{AccountID: "acct-x", Channel: parley.ChannelSMS, Provider: sandbox.Name})
	w.router.Sandbox = nil
	_, err = w.router.Send(context.Background(), sms("acct-x", brandNumber, "hello"))
	sendError(t, err, router.CodeUnusable, parley.FailConfig)
}

func TestSenderMapping(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	tw, srv := newFakeTwilio(t, twilioSID, twilioKeySID, twilioKeySec, t0)
	cfg := twilioConfig("acct-a", srv.URL)
	cfg.Credentials = twilio.Credentials{AccountSID: twilioSID, APIKeySID: twilioKeySID, APIKeySecret: twilioKeySec}.Channel()
	w.put(t, cfg)

	_, err := w.router.Send(ctx, sms("acct-a", otherNumber, "unmapped"))
	se := sendError(t, err, router.CodeNoSender, parley.FailConfig)
	if !strings.Contains(se.Reason, otherNumber) || !strings.Contains(se.Reason, "acct-a") {
		t.Errorf("reason %q does not say which number and account", se.Reason)
	}

	cfg.Credentials = twilio.Credentials{AccountSID: twilioSID, APIKeySID: twilioKeySID, APIKeySecret: twilioKeySec, MessagingServiceSID: serviceSID}.Channel()
	w.put(t, cfg)
	if _, err := w.router.Send(ctx, sms("acct-a", otherNumber, "through the service")); err != nil {
		t.Fatal(err)
	}
	cfg.Senders = append(cfg.Senders, parley.ChannelSender{Default: true, ID: "+12025550160"})
	w.put(t, cfg)
	if _, err := w.router.Send(ctx, sms("acct-a", otherNumber, "from the default")); err != nil {
		t.Fatal(err)
	}
	if _, err := w.router.Send(ctx, sms("acct-a", brandNumber, "from the mapped")); err != nil {
		t.Fatal(err)
	}
	got := tw.sent()
	want := []struct{ from, service, body string }{
		{"+12025550199", serviceSID, "through the service"},
		{"+12025550160", "", "from the default"},
		{"+12025550150", "", "from the mapped"},
	}
	if len(got) != len(want) {
		t.Fatalf("Twilio got %+v", got)
	}
	for i, m := range got {
		if m.From != want[i].from || m.MessagingServiceSID != want[i].service || m.Body != want[i].body {
			t.Errorf("message %d = %+v; want %+v", i, m, want[i])
		}
	}
}

func TestConfigChangeRebuildsTheClient(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	first, srv1 := newFakeTwilio(t, twilioSID, twilioSID, twilioToken, t0)
	second, srv2 := newFakeTwilio(t, twilioSID, twilioSID, "rotated-token-0123456789abcdef", t0)
	w.put(t, twilioConfig("acct-a", srv1.URL))
	if _, err := w.router.Send(ctx, sms("acct-a", brandNumber, "one")); err != nil {
		t.Fatal(err)
	}
	// The token is rotated and the account moves to another region.
	cfg := twilioConfig("acct-a", srv2.URL)
	cfg.Credentials = twilio.Credentials{AccountSID: twilioSID, AuthToken: "rotated-token-0123456789abcdef"}.Channel()
	w.put(t, cfg)
	if _, err := w.router.Send(ctx, sms("acct-a", brandNumber, "two")); err != nil {
		t.Fatal(err)
	}
	if len(first.sent()) != 1 || len(second.sent()) != 1 {
		t.Errorf("first server got %d, second %d; want 1 each", len(first.sent()), len(second.sent()))
	}

	// With Refresh, a read is trusted until it is that old.
	w.router.Refresh = time.Minute
	if _, err := w.router.Send(ctx, sms("acct-a", brandNumber, "three")); err != nil {
		t.Fatal(err)
	}
	w.put(t, twilioConfig("acct-a", srv1.URL))
	if _, err := w.router.Send(ctx, sms("acct-a", brandNumber, "four")); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(time.Minute)
	if _, err := w.router.Send(ctx, sms("acct-a", brandNumber, "five")); err != nil {
		t.Fatal(err)
	}
	bodies := func(f *fakeTwilio) (out []string) {
		for _, m := range f.sent() {
			out = append(out, m.Body)
		}
		return out
	}
	if got := fmt.Sprint(bodies(first), bodies(second)); got != "[one five] [two three four]" {
		t.Errorf("first, second got %s; want [one five] [two three four]", got)
	}
}

func TestFind(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	tw, twSrv := newFakeTwilio(t, twilioSID, twilioSID, twilioToken, t0.Add(time.Second))
	_, cmSrv := newFakeCM(t, cmToken)
	w.put(t, twilioConfig("acct-a", twSrv.URL))
	w.put(t, parley.ChannelConfig{AccountID: "acct-b", Channel: parley.ChannelSMS, Provider: cm.Name, BaseURL: cmSrv.URL,
		Credentials: cm.Credentials{ProductToken: cmToken}.Channel(), Senders: []parley.ChannelSender{{OutboundNumber: brandNumber, ID: "Brand"}}})
	claimed := t0 // the configurations were saved at t0, before the claims
	w.clock.Advance(time.Second)

	rec := func(account, phone, body string) parley.Recipient {
		return parley.Recipient{AccountID: account, CampaignID: "camp1", ID: "000001", Channel: parley.ChannelSMS, Phone: phone, Body: body}
	}
	sid, err := w.router.Send(ctx, sms("acct-a", brandNumber, "Hi Jane"))
	if err != nil {
		t.Fatal(err)
	}

	id, found, err := w.router.Find(ctx, rec("acct-a", consumer, "Hi Jane"), brandNumber, claimed)
	if err != nil || !found || id != sid {
		t.Errorf("Find of a sent message = %q, %v, %v; want %s", id, found, err, sid)
	}
	if q := tw.lists[len(tw.lists)-1]; q.Get("From") != "+12025550150" || q.Get("To") != consumer {
		t.Errorf("Twilio was asked for %v; want the mapped sender and the consumer", q)
	}
	if _, found, err := w.router.Find(ctx, rec("acct-a", "+12025550182", "Hi Bob"), brandNumber, claimed); err != nil || found {
		t.Errorf("Find of a message never sent = %v, %v; want not found", found, err)
	}
	if _, _, err := w.router.Find(ctx, rec("acct-a", consumer, "another text"), brandNumber, claimed); !errors.Is(err, gateway.ErrNoLookup) {
		t.Errorf("Find with only another message to the consumer: %v; want ErrNoLookup", err)
	}
	if _, _, err := w.router.Find(ctx, rec("acct-b", consumer, "Hi"), brandNumber, claimed); !errors.Is(err, gateway.ErrNoLookup) {
		t.Errorf("Find on CM: %v; want ErrNoLookup", err)
	}
	if _, _, err := w.router.Find(ctx, rec("acct-a", consumer, "Hi Jane"), brandNumber, t0.Add(-time.Hour)); !errors.Is(err, gateway.ErrNoLookup) {
		t.Errorf("Find of a send before the channel was reconfigured: %v; want ErrNoLookup", err)
	}

	// An unconfigured channel asks the default gateway (the sandbox).
	r := rec("acct-c", consumer, "Hi Ann")
	m := sms("acct-c", brandNumber, "Hi Ann")
	m.RecipientID = r.ID
	sbID, err := w.router.Send(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	if id, found, err := w.router.Find(ctx, r, brandNumber, claimed); err != nil || !found || id != sbID {
		t.Errorf("Find through the default = %q, %v, %v; want %s", id, found, err, sbID)
	}
	w.router.Default = nil
	if _, _, err := w.router.Find(ctx, r, brandNumber, claimed); !errors.Is(err, gateway.ErrNoLookup) {
		t.Errorf("Find with no default: %v; want ErrNoLookup", err)
	}
}

// TestSecretsNeverLogged sends through every provider, successfully and
// with refused credentials, and checks that no secret reaches the log or
// an error, however the configuration is printed.
func TestSecretsNeverLogged(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	_, twSrv := newFakeTwilio(t, twilioSID, twilioSID, "a-token-the-fake-expects-000000", t0)
	_, cmSrv := newFakeCM(t, "00000000-0000-4000-8000-000000000000")
	_, waSrv := newFakeWhatsApp(t, waToken)
	cfgs := []parley.ChannelConfig{
		twilioConfig("acct-a", twSrv.URL),
		{AccountID: "acct-b", Channel: parley.ChannelSMS, Provider: cm.Name, BaseURL: cmSrv.URL,
			Credentials: cm.Credentials{ProductToken: cmToken}.Channel(), Senders: []parley.ChannelSender{{OutboundNumber: brandNumber, ID: "Brand"}}},
		{AccountID: "acct-b", Channel: parley.ChannelWhatsApp, Provider: whatsapp.Name, BaseURL: waSrv.URL,
			Credentials: whatsapp.Credentials{AccessToken: waToken, AppSecret: waAppSecret, VerifyToken: waVerifyToken}.Channel(),
			Senders:     []parley.ChannelSender{{OutboundNumber: brandNumber, ID: waPhoneID}}},
		{AccountID: "acct-c", Channel: parley.ChannelSMS, Provider: twilio.Name, BaseURL: twSrv.URL,
			Credentials: twilio.Credentials{AccountSID: twilioSID, APIKeySID: twilioKeySID, APIKeySecret: twilioKeySec}.Channel(),
			Senders:     []parley.ChannelSender{{OutboundNumber: brandNumber, ID: brandNumber}}},
	}
	var errs []string
	for _, c := range cfgs {
		saved := w.put(t, c)
		m := sms(c.AccountID, brandNumber, "hello")
		m.Channel = c.Channel
		_, err := w.router.Send(ctx, m)
		if c.Channel == parley.ChannelSMS && err == nil {
			t.Errorf("%v: sent with refused credentials", c)
		}
		if err != nil {
			errs = append(errs, err.Error(), fmt.Sprintf("%+v", err))
		}
		// However a configuration is printed, logged or encoded.
		tc, _ := twilio.CredentialsOf(saved.Credentials)
		mc, _ := cm.CredentialsOf(saved.Credentials)
		wc, _ := whatsapp.CredentialsOf(saved.Credentials)
		w.router.Log.Info("printing", "config", saved, "credentials", saved.Credentials, "twilio", tc, "cm", mc, "whatsapp", wc)
		text := slog.New(slog.NewTextHandler(w.logs, nil))
		text.Info("printing", "config", saved, "credentials", saved.Credentials, "twilio", tc, "cm", mc, "whatsapp", wc)
		enc, _ := json.Marshal(saved)
		errs = append(errs, fmt.Sprintf("%v %+v %#v %s", saved, saved, saved, saved), string(enc))
		for _, p := range []any{saved.Credentials, tc, mc, wc} {
			errs = append(errs, fmt.Sprintf("%v %+v %#v %s %q %x", p, p, p, p, p, p))
		}
	}
	logged := w.logs.String()
	for _, s := range secrets {
		if strings.Contains(logged, s) {
			t.Errorf("the log shows secret %s:\n%s", s, logged)
		}
		for _, e := range errs {
			if strings.Contains(e, s) {
				t.Errorf("secret %s printed in %s", s, e)
			}
		}
	}
	if strings.Count(logged, "channel gateway ready") != len(cfgs) || !strings.Contains(logged, `"account":"acct-b"`) {
		t.Errorf("the log does not record the clients built:\n%s", logged)
	}
}

func TestInAppThroughFCM(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	google, srv := newFakeGoogle(t, "brand-app", &key.PublicKey)
	w.router.HTTP, w.router.Devices = localTLS(srv), w.store
	for _, tok := range []string{"device-token-1", "device-token-2"} {
		if err := w.store.PutPushToken(ctx, parley.PushToken{AccountID: "acct-a", ConsumerID: "consumer-7", Token: tok, Platform: parley.PlatformAndroid}); err != nil {
			t.Fatal(err)
		}
	}
	cfg := parley.ChannelConfig{AccountID: "acct-a", Channel: parley.ChannelInApp, Provider: push.Name, BaseURL: srv.URL,
		Credentials: push.Credentials{ServiceAccountJSON: parley.Secret(serviceAccountJSON(t, "brand-app", srv.URL+"/token", key))}.Channel()}
	w.put(t, cfg)
	push := parley.Message{Channel: parley.ChannelInApp, From: brandNumber, To: "consumer-7", Body: "Your order shipped",
		AccountID: "acct-a", CampaignID: "camp1", RecipientID: "000001"}
	for range 2 {
		if id, err := w.router.Send(ctx, push); err != nil || !strings.HasPrefix(id, "projects/brand-app/messages/") {
			t.Fatalf("Send = %q, %v", id, err)
		}
	}
	// One client, so one token exchange, for both messages.
	if exchanges, pushed := google.counts(); exchanges != 1 || len(pushed) != 4 {
		t.Errorf("%d exchanges, pushed to %v; want 1 exchange and both devices twice", exchanges, pushed)
	}
	// A new version of the configuration builds a new client.
	w.put(t, cfg)
	if _, err := w.router.Send(ctx, push); err != nil {
		t.Fatal(err)
	}
	if exchanges, _ := google.counts(); exchanges != 2 {
		t.Errorf("%d exchanges after the configuration changed; want 2", exchanges)
	}
	if _, _, err := w.router.Find(ctx, parley.Recipient{AccountID: "acct-a", Channel: parley.ChannelInApp, Phone: "consumer-7"}, brandNumber, t0.Add(time.Hour)); !errors.Is(err, gateway.ErrNoLookup) {
		t.Errorf("Find on FCM: %v; want ErrNoLookup", err)
	}
	// Without a device token store the channel cannot be used.
	w.router.Devices = nil
	w.put(t, cfg)
	_, err = w.router.Send(ctx, push)
	sendError(t, err, router.CodeUnusable, parley.FailConfig)
}

func TestConcurrentSends(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	tw, twSrv := newFakeTwilio(t, twilioSID, twilioSID, twilioToken, t0)
	cmf, cmSrv := newFakeCM(t, cmToken)
	w.put(t, twilioConfig("acct-a", twSrv.URL))
	w.put(t, parley.ChannelConfig{AccountID: "acct-b", Channel: parley.ChannelSMS, Provider: cm.Name, BaseURL: cmSrv.URL,
		Credentials: cm.Credentials{ProductToken: cmToken}.Channel(), Senders: []parley.ChannelSender{{OutboundNumber: brandNumber, ID: "Brand"}}})
	var wg sync.WaitGroup
	errs := make(chan error, 30)
	for i := range 30 {
		account := []string{"acct-a", "acct-b", "acct-c"}[i%3]
		wg.Go(func() {
			m := sms(account, brandNumber, fmt.Sprintf("message %d", i))
			m.RecipientID = fmt.Sprintf("%06d", i)
			if _, err := w.router.Send(ctx, m); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	recorded, _ := w.sandbox.Messages(ctx, "acct-c")
	if len(tw.sent()) != 10 || len(cmf.sent()) != 10 || len(recorded) != 10 {
		t.Errorf("Twilio %d, CM %d, sandbox %d; want 10 each", len(tw.sent()), len(cmf.sent()), len(recorded))
	}
}
