package storecodec_test

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

	"github.com/parleyhq/parley/internal/gateway/cm"
	"github.com/parleyhq/parley/internal/gateway/push"
	"github.com/parleyhq/parley/internal/gateway/twilio"
	"github.com/parleyhq/parley/internal/gateway/whatsapp"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/storecodec"
)

const (
	testTwilioSID   = "AC0123456789abcdef0123456789abcdef"
	testTwilioToken = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
	testKeySID      = "SK0123456789abcdef0123456789abcdef"
	testCMToken     = "9b1f3c2e-4a5d-4e6f-8a7b-1c2d3e4f5a6b"
	testWAToken     = "EAAG-wa-access-token-5e7d9c1b3a2f4e6d"
)

// fakeSealer keeps what it seals and hands out a handle: enough to see
// that the codec stores no secret and binds each sealed value to its item.
type fakeSealer struct {
	mu     sync.Mutex
	sealed map[string]fakeSealed
}

type fakeSealed struct{ plain, aad []byte }

var _ parley.Sealer = (*fakeSealer)(nil)

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

func twilioSMS() parley.ChannelConfig {
	return parley.ChannelConfig{AccountID: "acct1", Channel: parley.ChannelSMS, Provider: twilio.Name,
		Credentials: twilio.Credentials{AccountSID: testTwilioSID, AuthToken: testTwilioToken}.Channel(),
		Senders:     []parley.ChannelSender{{OutboundNumber: "+12025550100", ID: "+12025550150"}}}
}

func TestStoredEncodingSealsSecrets(t *testing.T) {
	at := time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC)
	const fcmKey = `{"type":"service_account","private_key":"-----BEGIN PRIVATE KEY-----fcm-key-material"}`
	tests := []struct {
		name    string
		c       parley.ChannelConfig
		secrets []string
	}{
		{"twilio", func() parley.ChannelConfig {
			c := twilioSMS()
			c.Version, c.UpdatedAt, c.BaseURL = 3, at, "https://x.example"
			c.Credentials = twilio.Credentials{AccountSID: testTwilioSID, AuthToken: testTwilioToken,
				APIKeySID: testKeySID, APIKeySecret: "twilio-api-key-secret-0123456789"}.Channel()
			return c
		}(), []string{testTwilioToken, "twilio-api-key-secret-0123456789"}},
		{"whatsapp", parley.ChannelConfig{AccountID: "a", Channel: parley.ChannelWhatsApp, Provider: whatsapp.Name,
			Credentials: whatsapp.Credentials{AccessToken: testWAToken, AppSecret: "wa-app-secret-0123", VerifyToken: "wa-verify-token-0123", APIVersion: "v26.0"}.Channel()},
			[]string{testWAToken, "wa-app-secret-0123", "wa-verify-token-0123"}},
		{"cm", parley.ChannelConfig{AccountID: "a", Channel: parley.ChannelSMS, Provider: cm.Name,
			Credentials: cm.Credentials{ProductToken: testCMToken, WebhookToken: "cm-webhook-token-0123"}.Channel()}, []string{testCMToken, "cm-webhook-token-0123"}},
		{"fcm", parley.ChannelConfig{AccountID: "a", Channel: parley.ChannelInApp, Provider: push.Name,
			Credentials: push.Credentials{ServiceAccountJSON: fcmKey}.Channel()}, []string{"fcm-key-material"}},
		{"sandbox", parley.ChannelConfig{AccountID: "a", Channel: parley.ChannelInApp, Provider: parley.Provider("sandbox")}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, s, c := t.Context(), newFakeSealer(), tt.c
			data, err := storecodec.EncodeChannelConfig(ctx, s, c)
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
			got, inClear, err := storecodec.DecodeChannelConfig(ctx, s, c.AccountID, c.Channel, data)
			if err != nil || inClear {
				t.Fatalf("DecodeChannelConfig = %v, inClear %t, %v", got, inClear, err)
			}
			if !reflect.DeepEqual(got, c) {
				t.Errorf("round trip of %v gave %v", c, got)
			}
		})
	}
}

// TestSealedPlaintext checks that what is sealed is the JSON object stores
// have always sealed: the provider's block with its secrets in clear,
// under the provider's name.
func TestSealedPlaintext(t *testing.T) {
	s := newFakeSealer()
	if _, err := storecodec.EncodeChannelConfig(t.Context(), s, twilioSMS()); err != nil {
		t.Fatal(err)
	}
	want := `{"twilio":{"accountSid":"` + testTwilioSID + `","authToken":"` + testTwilioToken + `"}}`
	if got := string(s.sealed["sealed-0"].plain); got != want {
		t.Errorf("sealed %s; want %s", got, want)
	}
	// What an earlier version sealed opens the same.
	s.sealed["sealed-0"] = fakeSealed{[]byte(want), s.sealed["sealed-0"].aad}
	data := `{"accountId":"acct1","channel":"sms","provider":"twilio","sealed":"` + "c2VhbGVkLTA=" + `","version":1,"updatedAt":"2026-11-23T17:00:00Z"}`
	got, inClear, err := storecodec.DecodeChannelConfig(t.Context(), s, "acct1", parley.ChannelSMS, []byte(data))
	tc, _ := twilio.CredentialsOf(got.Credentials)
	if err != nil || inClear || tc.AuthToken.Reveal() != testTwilioToken {
		t.Errorf("DecodeChannelConfig = %v, %t, %v; want the token", got, inClear, err)
	}
}

func TestSealedChannelConfigBoundToItem(t *testing.T) {
	ctx, s := t.Context(), newFakeSealer()
	data, err := storecodec.EncodeChannelConfig(ctx, s, twilioSMS())
	if err != nil {
		t.Fatal(err)
	}
	// The item copied under another key, as it is or rewritten to name it.
	moved := bytes.Replace(data, []byte(`"accountId":"acct1"`), []byte(`"accountId":"acct2"`), 1)
	asWhatsApp := bytes.Replace(data, []byte(`"channel":"sms"`), []byte(`"channel":"whatsapp"`), 1)
	tests := []struct {
		name      string
		accountID string
		channel   parley.Channel
		data      []byte
	}{
		{"under another account", "acct2", parley.ChannelSMS, data},
		{"rewritten for another account", "acct2", parley.ChannelSMS, moved},
		{"under another channel", "acct1", parley.ChannelWhatsApp, data},
		{"rewritten for another channel", "acct1", parley.ChannelWhatsApp, asWhatsApp},
		{"broken", "acct1", parley.ChannelSMS, []byte("{")},
		{"sealed and in clear", "acct1", parley.ChannelSMS, bytes.Replace(data, []byte(`"sealed"`), []byte(`"cm":{"productToken":"x"},"sealed"`), 1)},
	}
	for _, tt := range tests {
		if got, _, err := storecodec.DecodeChannelConfig(ctx, s, tt.accountID, tt.channel, tt.data); err == nil {
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
	got, inClear, err := storecodec.DecodeChannelConfig(t.Context(), newFakeSealer(), "acct1", parley.ChannelSMS, []byte(legacy))
	tc, terr := twilio.CredentialsOf(got.Credentials)
	if err != nil || terr != nil || !inClear || tc.AuthToken.Reveal() != testTwilioToken || got.Version != 2 || len(got.Senders) != 1 {
		t.Fatalf("legacy item = %v, inClear %t, %v, %v; want it whole and flagged in clear", got, inClear, err, terr)
	}
	sandbox := `{"accountId":"acct1","channel":"inapp","provider":"sandbox","version":1,"updatedAt":"2026-11-23T17:00:00Z"}`
	if _, inClear, err := storecodec.DecodeChannelConfig(t.Context(), newFakeSealer(), "acct1", parley.ChannelInApp, []byte(sandbox)); err != nil || inClear {
		t.Errorf("a config without credentials: inClear %t, %v; want nothing to seal", inClear, err)
	}
}

func TestNoSealerRefuses(t *testing.T) {
	ctx := t.Context()
	if _, err := storecodec.EncodeChannelConfig(ctx, nil, twilioSMS()); err == nil {
		t.Errorf("credentials were encoded without a Sealer")
	}
	data, err := storecodec.EncodeChannelConfig(ctx, newFakeSealer(), twilioSMS())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := storecodec.DecodeChannelConfig(ctx, nil, "acct1", parley.ChannelSMS, data); err == nil {
		t.Errorf("sealed credentials were decoded without a Sealer")
	}
	sandbox := parley.ChannelConfig{AccountID: "a", Channel: parley.ChannelInApp, Provider: parley.Provider("sandbox"), Version: 1}
	if data, err := storecodec.EncodeChannelConfig(ctx, nil, sandbox); err != nil {
		t.Errorf("a config without credentials needs no Sealer: %v", err)
	} else if got, _, err := storecodec.DecodeChannelConfig(ctx, nil, "a", parley.ChannelInApp, data); err != nil || got.Provider != parley.Provider("sandbox") {
		t.Errorf("DecodeChannelConfig = %v, %v", got, err)
	}
}
