package sandbox

import (
	"testing"

	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/parley"
)

func TestProvider(t *testing.T) {
	if _, err := (Provider{}).New(parley.ChannelConfig{}, gateway.Deps{}); err == nil {
		t.Errorf("New without a sandbox gateway succeeded")
	}
	g := &Gateway{}
	c, err := Provider{}.New(parley.ChannelConfig{}, gateway.Deps{Sandbox: g})
	if err != nil || c.Sender != g || c.Find == nil {
		t.Errorf("New = %+v, %v; want the sandbox gateway, which looks messages up", c, err)
	}
	for word, want := range map[string]parley.RecipientStatus{"delivered": parley.StatusDelivered, " Read ": parley.StatusRead, "lost": ""} {
		if got, ok := (Provider{}).Status(word); got != want || ok != (want != "") {
			t.Errorf("Status(%q) = %s, %v; want %s", word, got, ok, want)
		}
	}
	if creds, err := (Provider{}).DecodeCredentials([]byte(`{"x":1}`)); err != nil || !creds.IsZero() {
		t.Errorf("DecodeCredentials = %v, %v; want none", creds, err)
	}
}
