package router_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/gateway/cm"
	"github.com/parleyhq/parley/internal/gateway/push"
	"github.com/parleyhq/parley/internal/gateway/router"
	"github.com/parleyhq/parley/internal/gateway/whatsapp"
	"github.com/parleyhq/parley/internal/parley"
)

// stored saves c in w's store as it is, unchecked: a configuration saved
// before its URLs were checked, which only the connect-time check stops.
func (w *world) stored(t *testing.T, c parley.ChannelConfig) {
	t.Helper()
	c.Version, c.UpdatedAt = 1, t0
	if err := w.store.PutChannelConfig(context.Background(), c); err != nil {
		t.Fatal(err)
	}
}

// TestSSRFBaseURLRefused sends through configurations whose baseUrl (or
// token_uri) reaches internal addresses, with production's router client:
// each send fails as a configuration failure naming the refused address,
// and nothing reaches the local server.
func TestSSRFBaseURLRefused(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	t.Cleanup(srv.Close)
	loopback := srv.Listener.Addr().String()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		cfg     parley.ChannelConfig
		m       parley.Message
		address string
	}{
		{"twilio on loopback", twilioConfig("acct-a", srv.URL), sms("acct-a", brandNumber, "hi"), loopback},
		{"twilio on the Lambda runtime API", twilioConfig("acct-a", "http://127.0.0.1:9001"), sms("acct-a", brandNumber, "hi"), "127.0.0.1:9001"},
		{"cm on the metadata address", parley.ChannelConfig{AccountID: "acct-a", Channel: parley.ChannelSMS, Provider: cm.Name,
			BaseURL: "http://169.254.169.254", Credentials: cm.Credentials{ProductToken: cmToken}.Channel(),
			Senders: []parley.ChannelSender{{OutboundNumber: brandNumber, ID: "Brand"}}}, sms("acct-a", brandNumber, "hi"), "169.254.169.254:80"},
		{"whatsapp on IPv6 metadata", parley.ChannelConfig{AccountID: "acct-a", Channel: parley.ChannelWhatsApp, Provider: whatsapp.Name,
			BaseURL:     "https://[fd00:ec2::254]",
			Credentials: whatsapp.Credentials{AccessToken: waToken, AppSecret: waAppSecret, VerifyToken: waVerifyToken}.Channel(),
			Senders:     []parley.ChannelSender{{OutboundNumber: brandNumber, ID: waPhoneID}}},
			parley.Message{Channel: parley.ChannelWhatsApp, From: brandNumber, To: consumer, Body: "hi", AccountID: "acct-a", CampaignID: "camp1", RecipientID: "000001"},
			"[fd00:ec2::254]:443"},
		{"fcm token_uri on the metadata address", parley.ChannelConfig{AccountID: "acct-a", Channel: parley.ChannelInApp, Provider: push.Name,
			Credentials: push.Credentials{ServiceAccountJSON: parley.Secret(serviceAccountJSON(t, "brand-app", "https://169.254.169.254/token", key))}.Channel()},
			parley.Message{Channel: parley.ChannelInApp, From: brandNumber, To: "consumer-7", Body: "hi", AccountID: "acct-a", CampaignID: "camp1", RecipientID: "000001"},
			"169.254.169.254:443"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			// Production's client: the zero egress policy, as app wires it
			// without PARLEY_ALLOW_LOOPBACK_EGRESS.
			w.router.HTTP, w.router.Devices = nil, w.store
			if err := w.store.PutPushToken(context.Background(), parley.PushToken{AccountID: "acct-a", ConsumerID: "consumer-7", Token: "device-1", Platform: parley.PlatformAndroid}); err != nil {
				t.Fatal(err)
			}
			w.stored(t, tt.cfg)
			_, err := w.router.Send(context.Background(), tt.m)
			se := sendError(t, err, gateway.CodeEgressRefused, parley.FailConfig)
			if !strings.Contains(se.Reason, tt.address) {
				t.Errorf("reason %q does not name %s", se.Reason, tt.address)
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("%d requests reached the loopback server", n)
	}
}

// TestSSRFRedirectNotFollowed points Twilio's baseUrl at a server that
// redirects to the real (fake) Twilio: the redirect is not followed, so
// neither the credentials nor the message go there.
func TestSSRFRedirectNotFollowed(t *testing.T) {
	w := newWorld(t)
	tw, twSrv := newFakeTwilio(t, twilioSID, twilioSID, twilioToken, t0)
	redirect := httptest.NewServer(http.RedirectHandler(twSrv.URL+"/2010-04-01/Accounts/"+twilioSID+"/Messages.json", http.StatusTemporaryRedirect))
	t.Cleanup(redirect.Close)
	w.put(t, twilioConfig("acct-a", redirect.URL))
	if _, err := w.router.Send(context.Background(), sms("acct-a", brandNumber, "hi")); err == nil {
		t.Fatal("Send through a redirecting baseUrl succeeded")
	}
	if got := tw.sent(); len(got) != 0 {
		t.Errorf("the redirect was followed: Twilio got %d messages", len(got))
	}
}

// TestSSRFRouterDefaultIsStrict checks that a router without a client
// refuses loopback: only an explicit policy allows it.
func TestSSRFRouterDefaultIsStrict(t *testing.T) {
	w := newWorld(t)
	tw, twSrv := newFakeTwilio(t, twilioSID, twilioSID, twilioToken, t0)
	w.put(t, twilioConfig("acct-a", twSrv.URL))
	if _, err := w.router.Send(context.Background(), sms("acct-a", brandNumber, "allowed")); err != nil {
		t.Fatalf("with loopback allowed: %v", err)
	}
	r := router.New(w.store, nil)
	_, err := r.Send(context.Background(), sms("acct-a", brandNumber, "refused"))
	sendError(t, err, gateway.CodeEgressRefused, parley.FailConfig)
	if got := tw.sent(); len(got) != 1 {
		t.Errorf("Twilio got %d messages, want only the allowed one", len(got))
	}
}
