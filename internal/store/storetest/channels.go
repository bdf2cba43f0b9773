package storetest

import (
	"context"
	"testing"

	"github.com/parleyhq/parley/internal/gateway/cm"
	"github.com/parleyhq/parley/internal/gateway/twilio"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Channels checks store.Channels.
func Channels(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("RoundTrip", func(t *testing.T) { testChannels(t, newStore(t)) })
}

// Secrets of the channel configurations the suite saves; they must come
// back in clear.
const (
	testAuthToken    = "0123456789abcdef0123456789abcdef"
	testProductToken = "4d1c35e9-7b6a-4f2e-9a51-0c8d2f6b7e10"
)

func testChannels(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.ChannelConfig(ctx, "acct1", parley.ChannelSMS); parley.ErrorCode(err) != parley.ENOTFOUND {
		t.Fatalf("ChannelConfig of an unconfigured channel: %v; want ENOTFOUND", err)
	}
	if list, err := s.ChannelConfigs(ctx, "acct1"); err != nil || list == nil || len(list) != 0 {
		t.Fatalf("ChannelConfigs with none = %#v, %v; want an empty list", list, err)
	}
	sms := parley.ChannelConfig{
		AccountID: "acct1", Channel: parley.ChannelSMS, Provider: twilio.Name, BaseURL: "https://api.example.com",
		Credentials: twilio.Credentials{AccountSID: "AC0123456789abcdef0123456789abcdef", AuthToken: testAuthToken,
			MessagingServiceSID: "MG0123456789abcdef0123456789abcdef"}.Channel(),
		Senders: []parley.ChannelSender{{OutboundNumber: "+12025550100", ID: "+12025550100"}, {Default: true, ID: "MG0123456789abcdef0123456789abcdef"}},
		Version: 1, UpdatedAt: t0,
	}
	wa := parley.ChannelConfig{AccountID: "acct1", Channel: parley.ChannelWhatsApp, Provider: parley.Provider("sandbox"), Version: 1, UpdatedAt: t0}
	other := parley.ChannelConfig{
		AccountID: "acct2", Channel: parley.ChannelSMS, Provider: cm.Name,
		Credentials: cm.Credentials{ProductToken: testProductToken}.Channel(),
		Senders:     []parley.ChannelSender{{OutboundNumber: "+31612345678", ID: "Brand"}}, Version: 1, UpdatedAt: t0,
	}
	for _, c := range []parley.ChannelConfig{sms, wa, other} {
		if err := s.PutChannelConfig(ctx, c); err != nil {
			t.Fatalf("PutChannelConfig(%v): %v", c, err)
		}
	}
	got, err := s.ChannelConfig(ctx, "acct1", parley.ChannelSMS)
	if err != nil || got.Provider != twilio.Name || got.BaseURL != sms.BaseURL || got.Version != 1 || !got.UpdatedAt.Equal(t0) ||
		!got.Credentials.Equal(sms.Credentials) || len(got.Senders) != 2 || got.Senders[1] != sms.Senders[1] {
		t.Fatalf("ChannelConfig = %+v, %v; want %+v", got, err, sms)
	}
	if twilioOf(got).AuthToken.Reveal() != testAuthToken {
		t.Errorf("the auth token did not come back in clear")
	}
	c, err := s.ChannelConfig(ctx, "acct2", parley.ChannelSMS)
	if err != nil || cmOf(c).ProductToken.Reveal() != testProductToken {
		t.Errorf("another account's config = %+v, %v", c, err)
	}
	if _, err := s.ChannelConfig(ctx, "acct2", parley.ChannelWhatsApp); parley.ErrorCode(err) != parley.ENOTFOUND {
		t.Errorf("a channel only another account configured: %v; want ENOTFOUND", err)
	}
	list, err := s.ChannelConfigs(ctx, "acct1")
	if err != nil || len(list) != 2 || list[0].Channel != parley.ChannelSMS || list[1].Channel != parley.ChannelWhatsApp {
		t.Fatalf("ChannelConfigs = %+v, %v; want sms, whatsapp", list, err)
	}

	// Versions: only the next one is accepted.
	stale := sms
	stale.Provider = parley.Provider("sandbox")
	for _, v := range []int{1, 3} {
		stale.Version = v
		if err := s.PutChannelConfig(ctx, stale); parley.ErrorCode(err) != parley.ECONFLICT {
			t.Errorf("PutChannelConfig version %d over version 1: %v; want ECONFLICT", v, err)
		}
	}
	if err := s.PutChannelConfig(ctx, parley.ChannelConfig{AccountID: "acct3", Channel: parley.ChannelSMS, Provider: parley.Provider("sandbox"), Version: 2}); parley.ErrorCode(err) != parley.ECONFLICT {
		t.Errorf("PutChannelConfig version 2 with none saved: %v; want ECONFLICT", err)
	}
	next := sms
	next.Credentials = parley.Credentials{}
	next.Senders = nil
	next.Provider, next.Version, next.UpdatedAt = parley.Provider("sandbox"), 2, t0.Add(1)
	if err := s.PutChannelConfig(ctx, next); err != nil {
		t.Fatal(err)
	}
	got, err = s.ChannelConfig(ctx, "acct1", parley.ChannelSMS)
	if err != nil || got.Version != 2 || got.Provider != parley.Provider("sandbox") || !got.Credentials.IsZero() || len(got.Senders) != 0 || !got.UpdatedAt.Equal(t0.Add(1)) {
		t.Errorf("after the update = %+v, %v", got, err)
	}
}

// twilioOf returns the Twilio credentials of c, zero when it has none.
func twilioOf(c parley.ChannelConfig) twilio.Credentials {
	t, _ := twilio.CredentialsOf(c.Credentials)
	return t
}

// cmOf returns the CM.com credentials of c, zero when it has none.
func cmOf(c parley.ChannelConfig) cm.Credentials {
	m, _ := cm.CredentialsOf(c.Credentials)
	return m
}
