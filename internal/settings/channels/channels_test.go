package channels_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/egress"
	"github.com/parleyhq/parley/internal/gateway/push"
	"github.com/parleyhq/parley/internal/gateway/twilio"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/settings/channels"
	"github.com/parleyhq/parley/internal/store/embedded"
	"github.com/parleyhq/parley/internal/testworld"
)

const token = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"

var noon = parley.ClockFunc(func() time.Time { return time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC) })

func twilioSMS(account string) parley.ChannelConfig {
	return parley.ChannelConfig{AccountID: account, Channel: parley.ChannelSMS, Provider: twilio.Name,
		Credentials: twilio.Credentials{AccountSID: "AC0123456789abcdef0123456789abcdef", AuthToken: token}.Channel(),
		Senders:     []parley.ChannelSender{{OutboundNumber: "1 (202) 555-0100", ID: "+12025550150"}}}
}

func TestPut(t *testing.T) {
	s, _ := testworld.Open(t)
	svc := &channels.Service{Store: s, Clock: noon}
	ctx := context.Background()
	saved, err := svc.Put(ctx, twilioSMS("acct1"))
	if err != nil {
		t.Fatal(err)
	}
	if saved.Version != 1 || !saved.UpdatedAt.Equal(noon.Now()) || saved.Senders[0].OutboundNumber != "+12025550100" {
		t.Errorf("saved %+v; want version 1 at noon with the number in E.164", saved)
	}
	got, err := svc.Get(ctx, "acct1", parley.ChannelSMS)
	if err != nil || got.Version != 1 || twilioOf(got).AuthToken.Reveal() != token {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	// The redacted token comes back with another sender: the token stays.
	again := twilioSMS("acct1")
	again.Credentials = twilio.Credentials{AccountSID: "AC0123456789abcdef0123456789abcdef", AuthToken: parley.Secret(twilioOf(got).AuthToken.Redacted())}.Channel()
	again.Senders[0].ID = "+12025550160"
	if saved, err = svc.Put(ctx, again); err != nil || saved.Version != 2 || twilioOf(saved).AuthToken.Reveal() != token {
		t.Fatalf("Put with the redacted token = %+v, %v", saved, err)
	}
	list, err := svc.List(ctx, "acct1")
	if err != nil || len(list) != 1 || list[0].Senders[0].ID != "+12025550160" {
		t.Errorf("List = %+v, %v", list, err)
	}
}

func TestPutRejects(t *testing.T) {
	s, _ := testworld.Open(t)
	svc := &channels.Service{Store: s, Clock: noon}
	tests := []struct {
		name  string
		c     parley.ChannelConfig
		field string
	}{
		{"channel", func() parley.ChannelConfig { c := twilioSMS("a"); c.Channel = "fax"; return c }(), "channel"},
		{"number", func() parley.ChannelConfig { c := twilioSMS("a"); c.Senders[0].OutboundNumber = "555"; return c }(), "senders[0].outboundNumber"},
		{"domain rule", func() parley.ChannelConfig {
			c := twilioSMS("a")
			c.Credentials = twilio.Credentials{AccountSID: "AC0123456789abcdef0123456789abcdef"}.Channel()
			return c
		}(), "twilio.authToken"},
		{"fcm key", parley.ChannelConfig{AccountID: "a", Channel: parley.ChannelInApp, Provider: push.Name,
			Credentials: push.Credentials{ServiceAccountJSON: `{"type":"service_account","project_id":"p","private_key_id":"k","client_email":"a@b","private_key":"x"}`}.Channel()},
			"fcm.serviceAccountJson"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := svc.Put(context.Background(), tt.c)
			if parley.ErrorCode(err) != parley.EINVALID || parley.ErrorField(err) != tt.field {
				t.Errorf("Put = %v; want EINVALID on %s", err, tt.field)
			}
		})
	}
	if _, err := svc.Get(context.Background(), "a", "fax"); parley.ErrorField(err) != "channel" {
		t.Errorf("Get of no channel: %v", err)
	}
	if _, err := svc.Get(context.Background(), "a", parley.ChannelSMS); parley.ErrorCode(err) != parley.ENOTFOUND {
		t.Errorf("nothing was to be saved; Get = %v", err)
	}
}

// racing is the store with another writer that saves the same channel
// between the service's read and its write.
type racing struct {
	*embedded.Store
}

func (r racing) ChannelConfig(ctx context.Context, accountID string, ch parley.Channel) (parley.ChannelConfig, error) {
	c, err := r.Store.ChannelConfig(ctx, accountID, ch)
	other := twilioSMS(accountID)
	other.Senders[0].OutboundNumber = "+12025550100"
	other.Version = c.Version + 1
	if perr := r.Store.PutChannelConfig(ctx, other); perr != nil {
		panic(perr)
	}
	return c, err
}

func TestPutConflict(t *testing.T) {
	s, _ := testworld.Open(t)
	svc := &channels.Service{Store: racing{s}, Clock: noon}
	if _, err := svc.Put(context.Background(), twilioSMS("acct1")); parley.ErrorCode(err) != parley.ECONFLICT {
		t.Errorf("Put racing another writer = %v; want ECONFLICT", err)
	}
}

// keyFile is a service-account key file whose token endpoint is tokenURI.
func keyFile(t *testing.T, tokenURI string) parley.Secret {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(map[string]string{
		"type": "service_account", "project_id": "brand-app", "private_key_id": "0123abcd",
		"private_key":  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email": "push@brand-app.iam.gserviceaccount.com", "token_uri": tokenURI,
	})
	if err != nil {
		t.Fatal(err)
	}
	return parley.Secret(data)
}

// TestSSRFTokenURIRefused: a key file whose token_uri names an address
// that is not public is refused when saved, loopback only where egress
// allows it.
func TestSSRFTokenURIRefused(t *testing.T) {
	s, _ := testworld.Open(t)
	tests := []struct {
		uri              string
		strict, loopback bool // accepted by the zero policy, by one allowing loopback
	}{
		{"https://oauth2.googleapis.com/token", true, true},
		{"https://127.0.0.1:8443/token", false, true},
		{"https://localhost/token", false, true},
		{"https://169.254.169.254/token", false, false},
		{"https://[fd00:ec2::254]/token", false, false},
		{"https://10.0.0.1/token", false, false},
	}
	for _, tt := range tests {
		cfg := parley.ChannelConfig{AccountID: "a", Channel: parley.ChannelInApp, Provider: push.Name,
			Credentials: push.Credentials{ServiceAccountJSON: keyFile(t, tt.uri)}.Channel()}
		for _, c := range []struct {
			p    egress.Policy
			want bool
		}{{egress.Policy{}, tt.strict}, {egress.Policy{AllowLoopback: true}, tt.loopback}} {
			svc := &channels.Service{Store: s, Clock: noon, Egress: c.p}
			_, err := svc.Put(context.Background(), cfg)
			if (err == nil) != c.want || err != nil && (parley.ErrorField(err) != "fcm.serviceAccountJson" || !strings.Contains(parley.ErrorMessage(err), "token_uri")) {
				t.Errorf("token_uri %s with %+v: %v; want accepted %v", tt.uri, c.p, err, c.want)
			}
		}
	}
}

// twilioOf returns the Twilio credentials of c, zero when it has none.
func twilioOf(c parley.ChannelConfig) twilio.Credentials {
	t, _ := twilio.CredentialsOf(c.Credentials)
	return t
}
