package providers_test

import (
	"testing"

	"github.com/parleyhq/parley/internal/gateway/providers"
	"github.com/parleyhq/parley/internal/parley"
)

func TestStatusWords(t *testing.T) {
	tests := []struct {
		provider parley.Provider
		status   string
		want     parley.RecipientStatus
		ok       bool
	}{
		{parley.Provider("twilio"), "queued", parley.StatusSent, true},
		{parley.Provider("twilio"), "sent", parley.StatusSent, true},
		{parley.Provider("twilio"), "delivered", parley.StatusDelivered, true},
		{parley.Provider("twilio"), "undelivered", parley.StatusUndelivered, true},
		{parley.Provider("twilio"), "failed", parley.StatusFailed, true},
		{parley.Provider("twilio"), "read", parley.StatusRead, true},
		{parley.Provider("twilio"), "canceled", parley.StatusFailed, true},
		{parley.Provider("twilio"), "receiving", "", false},
		{parley.Provider("sandbox"), "Delivered", parley.StatusDelivered, true},
		{parley.Provider("whatsapp"), "sent", parley.StatusSent, true},
		{parley.Provider("whatsapp"), "read", parley.StatusRead, true},
		{parley.Provider("whatsapp"), "failed", parley.StatusFailed, true},
		{parley.Provider("whatsapp"), "played", "", false},
		{parley.Provider("cm"), "accepted", parley.StatusSent, true},
		{parley.Provider("cm"), "rejected", parley.StatusFailed, true},
		{parley.Provider("cm"), "failed", parley.StatusUndelivered, true},
		{parley.Provider("cm"), "delivered", parley.StatusDelivered, true},
		{parley.Provider("cm"), "read", parley.StatusRead, true},
		{parley.Provider("fcm"), "delivered", "", false},
	}
	for _, tt := range tests {
		p, found := providers.Lookup(tt.provider)
		if !found {
			t.Fatalf("Lookup(%s) found nothing", tt.provider)
		}
		got, ok := p.Status(tt.status)
		if got != tt.want || ok != tt.ok {
			t.Errorf("%s.Status(%s) = %s, %v; want %s, %v", tt.provider, tt.status, got, ok, tt.want, tt.ok)
		}
	}
	if _, ok := providers.Lookup("carrier-pigeon"); ok {
		t.Errorf("Lookup found an unknown provider")
	}
}

func TestNamesAndChannels(t *testing.T) {
	seen := map[parley.Provider]bool{}
	for _, p := range providers.All {
		if seen[p.Name()] {
			t.Errorf("provider %s is registered twice", p.Name())
		}
		seen[p.Name()] = true
		for _, ch := range p.Channels() {
			if !parley.ConfigurableChannel(ch) {
				t.Errorf("provider %s sends on channel %s, which takes no configuration", p.Name(), ch)
			}
		}
	}
	for _, name := range []parley.Provider{parley.Provider("twilio"), parley.Provider("cm"), parley.Provider("whatsapp"), parley.Provider("fcm"), parley.Provider("sandbox")} {
		if !seen[name] {
			t.Errorf("provider %s is not registered", name)
		}
	}
	want := map[parley.Channel]string{parley.ChannelSMS: "twilio cm sandbox", parley.ChannelWhatsApp: "whatsapp sandbox", parley.ChannelInApp: "fcm sandbox"}
	for ch, names := range want {
		got := ""
		for i, p := range providers.ForChannel(ch) {
			if i > 0 {
				got += " "
			}
			got += string(p.Name())
		}
		if got != names {
			t.Errorf("ForChannel(%s) = %s; want %s", ch, got, names)
		}
	}
}
