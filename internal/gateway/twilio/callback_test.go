package twilio

import (
	"context"
	"net/url"
	"testing"

	"github.com/parleyhq/parley/internal/parley"
)

func TestStatusCallbackURL(t *testing.T) {
	tests := []struct{ base, ref, want string }{
		{"https://api.example.com/webhooks/twilio/acct1", "camp1/000001", "https://api.example.com/webhooks/twilio/acct1?ref=camp1%2F000001"},
		{"https://h.example.com/s?acct=7", "c/1", "https://h.example.com/s?acct=7&ref=c%2F1"},
		{"https://h.example.com/s?", "c/1", "https://h.example.com/s?ref=c%2F1"},
		{"https://h.example.com/s", "c d/1&x=2", "https://h.example.com/s?ref=c+d%2F1%26x%3D2"},
		{"", "c/1", ""},
		{"https://h.example.com/s", "", ""},
	}
	for _, tt := range tests {
		got := StatusCallbackURL(tt.base, tt.ref)
		if got != tt.want {
			t.Errorf("StatusCallbackURL(%q, %q) = %q, want %q", tt.base, tt.ref, got, tt.want)
			continue
		}
		if got == "" {
			continue
		}
		// The reference reads back from the URL Twilio requests.
		u, err := url.Parse(got)
		if err != nil || u.Query().Get(RefParam) != tt.ref {
			t.Errorf("%q: ref reads back as %q, %v", got, u.Query().Get(RefParam), err)
		}
	}
}

func TestSendWithoutRecipientAsksNoCallback(t *testing.T) {
	f, srv := newFake(t)
	g := &Gateway{BaseURL: srv.URL, Credentials: Credentials{AccountSID: testAccount, AuthToken: testToken}, HTTP: localHTTP,
		StatusCallback: "https://api.example.com/webhooks/twilio/acct1"}
	if _, err := g.Send(context.Background(), parley.Message{Channel: parley.ChannelSMS, From: "+15005550006", To: "+447700900123",
		Body: "You are unsubscribed.", AccountID: "acct1"}); err != nil {
		t.Fatal(err)
	}
	if form := f.lastCreate(); form.Has("StatusCallback") {
		t.Errorf("an answer to a keyword asked for status callbacks: %q", form.Get("StatusCallback"))
	}
}
