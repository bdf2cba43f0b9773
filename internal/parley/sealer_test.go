package parley

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeSealer keeps what it seals and hands out a handle: enough to see
// that the codec stores no secret and binds each sealed value to its item.
type fakeSealer struct {
	mu     sync.Mutex
	sealed map[string]fakeSealed
}

type fakeSealed struct{ plain, aad []byte }

var _ Sealer = (*fakeSealer)(nil)

func newFakeSealer() *fakeSealer { return &fakeSealer{sealed: map[string]fakeSealed{}} }

func (f *fakeSealer) Seal(_ context.Context, plain, aad []byte) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	h := fmt.Sprintf("sealed-%d", len(f.sealed))
	f.sealed[h] = fakeSealed{bytes.Clone(plain), bytes.Clone(aad)}
	return []byte(h), nil
}

func (f *fakeSealer) Open(_ context.Context, sealed, aad []byte) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.sealed[string(sealed)]
	if !ok || !bytes.Equal(s.aad, aad) {
		return nil, errors.New("does not open")
	}
	return bytes.Clone(s.plain), nil
}

func TestStoredEncodingSealsSecrets(t *testing.T) {
	at := time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC)
	const fcmKey = `{"type":"service_account","private_key":"-----BEGIN PRIVATE KEY-----fcm-key-material"}`
	tests := []struct {
		name    string
		c       ChannelConfig
		secrets []string
	}{
		{"twilio", func() ChannelConfig {
			c := twilioSMS()
			c.Version, c.UpdatedAt, c.BaseURL = 3, at, "https://x.example"
			c.Twilio.APIKeySID, c.Twilio.APIKeySecret = testKeySID, "twilio-api-key-secret-0123456789"
			return c
		}(), []string{testTwilioToken, "twilio-api-key-secret-0123456789"}},
		{"whatsapp", ChannelConfig{AccountID: "a", Channel: ChannelWhatsApp, Provider: ProviderWhatsApp,
			WhatsApp: &WhatsAppCredentials{AccessToken: testWAToken, AppSecret: "wa-app-secret-0123", VerifyToken: "wa-verify-token-0123", APIVersion: "v26.0"}},
			[]string{testWAToken, "wa-app-secret-0123", "wa-verify-token-0123"}},
		{"cm", ChannelConfig{AccountID: "a", Channel: ChannelSMS, Provider: ProviderCM,
			CM: &CMCredentials{ProductToken: testCMToken, WebhookToken: "cm-webhook-token-0123"}}, []string{testCMToken, "cm-webhook-token-0123"}},
		{"fcm", ChannelConfig{AccountID: "a", Channel: ChannelInApp, Provider: ProviderFCM, FCM: &FCMCredentials{ServiceAccountJSON: fcmKey}},
			[]string{"fcm-key-material"}},
		{"sandbox", ChannelConfig{AccountID: "a", Channel: ChannelInApp, Provider: ProviderSandbox}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, s, c := t.Context(), newFakeSealer(), tt.c
			data, err := EncodeChannelConfig(ctx, s, c)
			if err != nil {
				t.Fatal(err)
			}
			for _, secret := range tt.secrets {
				if bytes.Contains(data, []byte(secret)) {
					t.Errorf("the stored form shows a secret: %s", data)
				}
			}
			if got := len(s.sealed); got != min(len(tt.secrets), 1) {
				t.Errorf("%d values sealed; want the credentials sealed whole, once, or nothing without credentials", got)
			}
			got, inClear, err := DecodeChannelConfig(ctx, s, c.AccountID, c.Channel, data)
			if err != nil || inClear {
				t.Fatalf("DecodeChannelConfig = %v, inClear %t, %v", got, inClear, err)
			}
			if !reflect.DeepEqual(got, c) {
				t.Errorf("round trip of %v gave %v", c, got)
			}
		})
	}
}

func TestSealedChannelConfigBoundToItem(t *testing.T) {
	ctx, s := t.Context(), newFakeSealer()
	c := twilioSMS()
	data, err := EncodeChannelConfig(ctx, s, c)
	if err != nil {
		t.Fatal(err)
	}
	// The item copied under another key, as it is or rewritten to name it.
	moved := bytes.Replace(data, []byte(`"accountId":"acct1"`), []byte(`"accountId":"acct2"`), 1)
	asWhatsApp := bytes.Replace(data, []byte(`"channel":"sms"`), []byte(`"channel":"whatsapp"`), 1)
	tests := []struct {
		name      string
		accountID string
		channel   Channel
		data      []byte
	}{
		{"under another account", "acct2", ChannelSMS, data},
		{"rewritten for another account", "acct2", ChannelSMS, moved},
		{"under another channel", "acct1", ChannelWhatsApp, data},
		{"rewritten for another channel", "acct1", ChannelWhatsApp, asWhatsApp},
		{"broken", "acct1", ChannelSMS, []byte("{")},
		{"sealed and in clear", "acct1", ChannelSMS, bytes.Replace(data, []byte(`"sealed"`), []byte(`"cm":{"productToken":"x"},"sealed"`), 1)},
	}
	for _, tt := range tests {
		if got, _, err := DecodeChannelConfig(ctx, s, tt.accountID, tt.channel, tt.data); err == nil {
			t.Errorf("%s: decoded %v", tt.name, got)
		} else if strings.Contains(err.Error(), testTwilioToken) {
			t.Errorf("%s: the error shows the secret: %v", tt.name, err)
		}
	}
}

// TestLegacyChannelConfigReadable reads an item as stores wrote it before
// credentials were sealed: in clear, flagged for sealing.
func TestLegacyChannelConfigReadable(t *testing.T) {
	legacy := `{"accountId":"acct1","channel":"sms","provider":"twilio","senders":[{"outboundNumber":"+12025550100","id":"+12025550150"}],` +
		`"twilio":{"accountSid":"` + testTwilioSID + `","authToken":"` + testTwilioToken + `"},"version":2,"updatedAt":"2026-11-23T17:00:00Z"}`
	got, inClear, err := DecodeChannelConfig(t.Context(), newFakeSealer(), "acct1", ChannelSMS, []byte(legacy))
	if err != nil || !inClear || got.Twilio == nil || got.Twilio.AuthToken.Reveal() != testTwilioToken || got.Version != 2 || len(got.Senders) != 1 {
		t.Fatalf("legacy item = %v (twilio %+v), inClear %t, %v; want it whole and flagged in clear", got, got.Twilio, inClear, err)
	}
	sandbox := `{"accountId":"acct1","channel":"inapp","provider":"sandbox","version":1,"updatedAt":"2026-11-23T17:00:00Z"}`
	if _, inClear, err := DecodeChannelConfig(t.Context(), newFakeSealer(), "acct1", ChannelInApp, []byte(sandbox)); err != nil || inClear {
		t.Errorf("a config without credentials: inClear %t, %v; want nothing to seal", inClear, err)
	}
}

func TestNoSealerRefuses(t *testing.T) {
	ctx := t.Context()
	if _, err := EncodeChannelConfig(ctx, nil, twilioSMS()); err == nil {
		t.Errorf("credentials were encoded without a Sealer")
	}
	data, err := EncodeChannelConfig(ctx, newFakeSealer(), twilioSMS())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := DecodeChannelConfig(ctx, nil, "acct1", ChannelSMS, data); err == nil {
		t.Errorf("sealed credentials were decoded without a Sealer")
	}
	sandbox := ChannelConfig{AccountID: "a", Channel: ChannelInApp, Provider: ProviderSandbox, Version: 1}
	if data, err := EncodeChannelConfig(ctx, nil, sandbox); err != nil {
		t.Errorf("a config without credentials needs no Sealer: %v", err)
	} else if got, _, err := DecodeChannelConfig(ctx, nil, "a", ChannelInApp, data); err != nil || got.Provider != ProviderSandbox {
		t.Errorf("DecodeChannelConfig = %v, %v", got, err)
	}
}

func TestSecretAADUnambiguous(t *testing.T) {
	pairs := [][2]string{{"a", "connector"}, {`a" item="connector`, "connector"}, {"a", "channel:sms"}, {"b", "connector"}}
	seen := map[string]bool{}
	for _, p := range pairs {
		aad := string(SecretAAD(p[0], p[1]))
		if seen[aad] {
			t.Errorf("%q names two items", aad)
		}
		seen[aad] = true
	}
}
