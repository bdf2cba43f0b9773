package storetest

import (
	"bytes"
	"context"
	"encoding/base64"
	"reflect"
	"slices"
	"testing"

	"github.com/parleyhq/parley/internal/gateway/cm"
	"github.com/parleyhq/parley/internal/gateway/push"
	"github.com/parleyhq/parley/internal/gateway/twilio"
	"github.com/parleyhq/parley/internal/gateway/whatsapp"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Raw reaches under a store to what it keeps, for the checks of secrets at
// rest. Each function fails the test on error.
type Raw struct {
	// Dump returns everything the store holds, every item and attribute,
	// as bytes (binary attributes as they are).
	Dump func(t *testing.T) []byte
	// PutChannel writes the record of a channel's configuration as the
	// store keeps it, data being parley's stored encoding: how an item
	// written before credentials were sealed is made.
	PutChannel func(t *testing.T, accountID string, channel parley.Channel, data []byte)
	// CopyChannel copies the record of a channel's configuration of one
	// account, as it is, to the same channel of another.
	CopyChannel func(t *testing.T, from, to string, channel parley.Channel)
	// PutLegacyAccount writes an account's settings with its connector
	// secret in clear, as the store did before secrets were sealed.
	PutLegacyAccount func(t *testing.T, a parley.Account)
	// CopyAccount copies the settings record of one account, as it is, to
	// another.
	CopyAccount func(t *testing.T, from, to string)
}

// Provider secrets of the configurations the at-rest checks save.
const (
	restTwilioToken     = "twilio-auth-token-5f3a9c1e7b2d4f60"
	restTwilioKeySecret = "twilio-key-secret-8e1d6b4a2c9f7035"
	restWAAccessToken   = "EAAG-whatsapp-access-token-71c9e3b5a0d2"
	restWAAppSecret     = "whatsapp-app-secret-4b8f2d6e0a1c"
	restWAVerifyToken   = "whatsapp-verify-token-9d3e7f1b5c2a"
	restCMProductToken  = "7c2e9a41-5b3d-4f86-a0e1-d94c6b2f8e35"
	restCMWebhookToken  = "cm-webhook-token-2a6f0c8e4d1b"
	restFCMPrivateKey   = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC-fcm-private-key"
	restConnector       = "connector-secret-3e8b1f5d9a2c6e40"
)

// restConfigs are configurations of every provider with credentials.
func restConfigs() []parley.ChannelConfig {
	return []parley.ChannelConfig{
		{AccountID: "acct1", Channel: parley.ChannelSMS, Provider: twilio.Name,
			Credentials: twilio.Credentials{AccountSID: "AC0123456789abcdef0123456789abcdef", AuthToken: restTwilioToken,
				APIKeySID: "SK0123456789abcdef0123456789abcdef", APIKeySecret: restTwilioKeySecret}.Channel(),
			Senders: []parley.ChannelSender{{OutboundNumber: "+12025550100", ID: "+12025550100"}}, Version: 1, UpdatedAt: t0},
		{AccountID: "acct1", Channel: parley.ChannelWhatsApp, Provider: whatsapp.Name,
			Credentials: whatsapp.Credentials{AccessToken: restWAAccessToken, AppSecret: restWAAppSecret, VerifyToken: restWAVerifyToken, APIVersion: "v26.0"}.Channel(),
			Senders:     []parley.ChannelSender{{OutboundNumber: "+12025550100", ID: "1234567890"}}, Version: 1, UpdatedAt: t0},
		{AccountID: "acct1", Channel: parley.ChannelInApp, Provider: push.Name,
			Credentials: push.Credentials{ServiceAccountJSON: `{"type":"service_account","project_id":"p","private_key":"` + restFCMPrivateKey + `"}`}.Channel(),
			Version:     1, UpdatedAt: t0},
		{AccountID: "acct2", Channel: parley.ChannelSMS, Provider: cm.Name,
			Credentials: cm.Credentials{ProductToken: restCMProductToken, WebhookToken: restCMWebhookToken}.Channel(),
			Senders:     []parley.ChannelSender{{OutboundNumber: "+31612345678", ID: "Brand"}}, Version: 1, UpdatedAt: t0},
	}
}

var restSecrets = []string{restTwilioToken, restTwilioKeySecret, restWAAccessToken, restWAAppSecret, restWAVerifyToken,
	restCMProductToken, restCMWebhookToken, restFCMPrivateKey}

// legacyTwilio is a channel record as stores wrote it before credentials
// were sealed.
const legacyTwilio = `{"accountId":"acct3","channel":"sms","provider":"twilio","senders":[{"outboundNumber":"+12025550100","id":"+12025550100"}],` +
	`"twilio":{"accountSid":"AC0123456789abcdef0123456789abcdef","authToken":"` + restTwilioToken + `"},"version":4,"updatedAt":"2026-11-21T14:00:00Z"}`

// assertNotInDump fails the test if any secret shows in what the store
// holds, in clear or base64-encoded.
func assertNotInDump(t *testing.T, raw Raw, secrets ...string) {
	t.Helper()
	dump := raw.Dump(t)
	if len(dump) == 0 {
		t.Fatal("the store's dump is empty")
	}
	for _, s := range secrets {
		for _, form := range []string{s, base64.StdEncoding.EncodeToString([]byte(s))} {
			if bytes.Contains(dump, []byte(form)) {
				t.Errorf("a secret is stored in clear (%d bytes, starting %.6q)", len(s), s)
			}
		}
	}
}

// ProviderSecretsAtRest checks that the store keeps no channel credential
// in clear, that each reads back intact, that credentials copied to
// another account's record do not open there, and that a record written
// before credentials were sealed reads whole and is sealed once read.
func ProviderSecretsAtRest(t *testing.T, open func(t *testing.T) (store.Store, Raw)) {
	ctx := context.Background()
	t.Run("Written", func(t *testing.T) {
		s, raw := open(t)
		configs := restConfigs()
		for _, c := range configs {
			if err := s.PutChannelConfig(ctx, c); err != nil {
				t.Fatalf("PutChannelConfig(%v): %v", c, err)
			}
		}
		assertNotInDump(t, raw, restSecrets...)
		for _, want := range configs {
			got, err := s.ChannelConfig(ctx, want.AccountID, want.Channel)
			if err != nil || !sameConfig(got, want) {
				t.Errorf("ChannelConfig(%s, %s) = %v, %v; want %v back intact", want.AccountID, want.Channel, got, err, want)
			}
		}
		list, err := s.ChannelConfigs(ctx, "acct1")
		if err != nil || len(list) != 3 {
			t.Fatalf("ChannelConfigs = %v, %v; want 3", list, err)
		}
		for _, want := range configs[:3] {
			i := slices.IndexFunc(list, func(c parley.ChannelConfig) bool { return c.Channel == want.Channel })
			if i < 0 || !sameConfig(list[i], want) {
				t.Errorf("ChannelConfigs lists %v; want %v back intact", list, want)
			}
		}
	})
	t.Run("MovedToAnotherAccount", func(t *testing.T) {
		s, raw := open(t)
		c := restConfigs()[0]
		if err := s.PutChannelConfig(ctx, c); err != nil {
			t.Fatal(err)
		}
		raw.CopyChannel(t, "acct1", "acct9", c.Channel)
		if got, err := s.ChannelConfig(ctx, "acct9", c.Channel); err == nil {
			t.Errorf("credentials copied to another account opened there: %v", got)
		}
		if _, err := s.ChannelConfigs(ctx, "acct9"); err == nil {
			t.Errorf("ChannelConfigs listed credentials copied to another account")
		}
	})
	t.Run("WrittenInClear", func(t *testing.T) {
		s, raw := open(t)
		raw.PutChannel(t, "acct3", parley.ChannelSMS, []byte(legacyTwilio))
		list, err := s.ChannelConfigs(ctx, "acct3")
		if err != nil || len(list) != 1 || twilioOf(list[0]).AuthToken.Reveal() != restTwilioToken || list[0].Version != 4 {
			t.Fatalf("ChannelConfigs of a record in clear = %v, %v; want it whole", list, err)
		}
		assertNotInDump(t, raw, restTwilioToken)
		got, err := s.ChannelConfig(ctx, "acct3", parley.ChannelSMS)
		if err != nil || !sameConfig(got, list[0]) {
			t.Errorf("ChannelConfig once sealed = %v, %v; want %v", got, err, list[0])
		}
		// The next save is the next version, as for any record.
		got.Version++
		if err := s.PutChannelConfig(ctx, got); err != nil {
			t.Errorf("saving version 5 after the record was sealed: %v", err)
		}

		raw.PutChannel(t, "acct4", parley.ChannelSMS, bytes.ReplaceAll([]byte(legacyTwilio), []byte("acct3"), []byte("acct4")))
		if got, err := s.ChannelConfig(ctx, "acct4", parley.ChannelSMS); err != nil || twilioOf(got).AuthToken.Reveal() != restTwilioToken {
			t.Fatalf("ChannelConfig of a record in clear = %v, %v; want it whole", got, err)
		}
		assertNotInDump(t, raw, restTwilioToken)
	})
}

// ConnectorSecretAtRest checks that the store keeps no connector secret in
// clear, that it reads back intact, that a record copied to another account
// does not open there, and that a record written with the secret in clear
// reads whole and is sealed once read.
func ConnectorSecretAtRest(t *testing.T, open func(t *testing.T) (store.Store, Raw)) {
	ctx := context.Background()
	a := parley.Account{ID: "acct1", OptOutText: "Reply STOP to opt out", DefaultSkill: "service",
		ConnectorURL: "https://agents.example.com/parley", ConnectorSecret: restConnector, UpdatedAt: t0}
	t.Run("Written", func(t *testing.T) {
		s, raw := open(t)
		if err := s.PutAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
		assertNotInDump(t, raw, restConnector)
		if got, err := s.Account(ctx, a.ID); err != nil || !reflect.DeepEqual(got, a) {
			t.Errorf("Account = %+v, %v; want %+v back intact", got, err, a)
		}
		without := a
		without.ConnectorURL, without.ConnectorSecret = "", ""
		if err := s.PutAccount(ctx, without); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Account(ctx, a.ID); err != nil || !reflect.DeepEqual(got, without) {
			t.Errorf("Account after the connector was removed = %+v, %v; want %+v", got, err, without)
		}
	})
	t.Run("MovedToAnotherAccount", func(t *testing.T) {
		s, raw := open(t)
		if err := s.PutAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
		raw.CopyAccount(t, a.ID, "acct9")
		if got, err := s.Account(ctx, "acct9"); err == nil {
			t.Errorf("a connector secret copied to another account opened there: %+v", got)
		}
	})
	t.Run("WrittenInClear", func(t *testing.T) {
		s, raw := open(t)
		raw.PutLegacyAccount(t, a)
		got, err := s.Account(ctx, a.ID)
		if err != nil || !reflect.DeepEqual(got, a) {
			t.Fatalf("Account of a record in clear = %+v, %v; want %+v", got, err, a)
		}
		assertNotInDump(t, raw, restConnector)
		if got, err := s.Account(ctx, a.ID); err != nil || !reflect.DeepEqual(got, a) {
			t.Errorf("Account once sealed = %+v, %v; want %+v", got, err, a)
		}
	})
}

// sameConfig compares configurations, secrets included.
func sameConfig(a, b parley.ChannelConfig) bool {
	a.UpdatedAt, b.UpdatedAt = a.UpdatedAt.UTC(), b.UpdatedAt.UTC()
	return reflect.DeepEqual(a, b)
}
