package router_test

import (
	"context"
	"testing"

	"github.com/parleyhq/parley/internal/gateway/router"
	"github.com/parleyhq/parley/internal/parley"
)

// TestTwilioStatusCallback checks that a Twilio message to a recipient asks
// for status callbacks at the account's webhook under the public URL, with
// the recipient's reference, and that nothing else does.
func TestTwilioStatusCallback(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	tw, srv := newFakeTwilio(t, twilioSID, twilioSID, twilioToken, t0)
	w.put(t, twilioConfig("acct a", srv.URL))

	// Without a public URL, no callbacks.
	if _, err := w.router.Send(ctx, sms("acct a", brandNumber, "first")); err != nil {
		t.Fatal(err)
	}
	w.router = newWorldRouter(w, "https://api.example.com/")
	if _, err := w.router.Send(ctx, sms("acct a", brandNumber, "second")); err != nil {
		t.Fatal(err)
	}
	answer := parley.Message{Channel: parley.ChannelSMS, From: brandNumber, To: consumer, Body: "You are unsubscribed.", AccountID: "acct a"}
	if _, err := w.router.Send(ctx, answer); err != nil {
		t.Fatal(err)
	}
	got := tw.sent()
	if len(got) != 3 {
		t.Fatalf("Twilio got %d messages, want 3", len(got))
	}
	want := []string{"", "https://api.example.com/webhooks/twilio/acct%20a?ref=camp1%2F000001", ""}
	for i, m := range got {
		if m.StatusCallback != want[i] {
			t.Errorf("message %d (%s): StatusCallback %q, want %q", i, m.Body, m.StatusCallback, want[i])
		}
	}
}

// newWorldRouter is a second router over w's store with a public URL.
func newWorldRouter(w *world, publicURL string) *router.Router {
	r := router.New(w.store, w.sandbox)
	r.Sandbox, r.Clock, r.PublicURL, r.HTTP = w.sandbox, w.clock, publicURL, w.router.HTTP
	return r
}
