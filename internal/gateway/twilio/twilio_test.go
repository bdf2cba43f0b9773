package twilio

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/egress"
	"github.com/parleyhq/parley/internal/parley"
)

// localHTTP reaches the fake Twilio on loopback: these tests allow it
// explicitly, where the default client refuses it.
var localHTTP = egress.Policy{AllowLoopback: true}.Client(5 * time.Second)

// gateway returns a gateway on srvURL with the account's auth token.
func testGateway(srvURL string) *Gateway {
	return &Gateway{BaseURL: srvURL, Credentials: Credentials{AccountSID: testAccount, AuthToken: testToken}, HTTP: localHTTP}
}

func TestSendCreatesMessage(t *testing.T) {
	tests := []struct {
		name     string
		creds    Credentials
		callback string
		from     string
		want     map[string]string // form fields the create carries; "" means absent
	}{
		{
			name: "from number with auth token", creds: Credentials{AccountSID: testAccount, AuthToken: testToken},
			from: "+15005550006",
			want: map[string]string{"To": "+447700900123", "Body": "Hi Ann, 20% off today", "From": "+15005550006", "MessagingServiceSid": "", "StatusCallback": ""},
		},
		{
			name:  "messaging service with API key and status callback",
			creds: Credentials{AccountSID: testAccount, AuthToken: "unused", APIKeySID: testKeySID, APIKeySecret: testKeySecret},
			from:  "MG0123456789abcdef0123456789abcdef", callback: "https://hooks.example.com/twilio/status?acct=7",
			want: map[string]string{"MessagingServiceSid": "MG0123456789abcdef0123456789abcdef", "From": "", "StatusCallback": "https://hooks.example.com/twilio/status?acct=7&ref=camp-1%2F000042"},
		},
		{
			name: "alphanumeric sender", creds: Credentials{AccountSID: testAccount, AuthToken: testToken},
			from: "PARLEY",
			want: map[string]string{"From": "PARLEY", "MessagingServiceSid": ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, srv := newFake(t)
			g := &Gateway{BaseURL: srv.URL + "/", Credentials: tt.creds, StatusCallback: tt.callback, HTTP: localHTTP}
			sid, err := g.Send(context.Background(), parley.Message{
				Channel: parley.ChannelSMS, From: tt.from, To: "+447700900123", Body: "Hi Ann, 20% off today",
				AccountID: "acct1", CampaignID: "camp-1", RecipientID: "000042",
			})
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if sid != "SM00000000000000000000000000000001" {
				t.Errorf("sid = %q", sid)
			}
			form := f.lastCreate()
			for field, want := range tt.want {
				if got := form.Get(field); got != want || form.Has(field) != (want != "") {
					t.Errorf("%s = %q (present %v), want %q", field, got, form.Has(field), want)
				}
			}
			if got := f.seen(); len(got) != 1 || got[0] != "POST /2010-04-01/Accounts/"+testAccount+"/Messages.json" {
				t.Errorf("requests = %q", got)
			}
		})
	}
}

func TestSendRefusals(t *testing.T) {
	clock := time.Date(2026, 3, 9, 14, 30, 0, 0, time.UTC)
	tests := []struct {
		name   string
		to     string
		from   string
		body   string
		creds  *Credentials
		refuse refusal
		code   string
		kind   parley.FailKind
		retry  time.Duration
	}{
		{name: "invalid To", refuse: refusal{status: 400, code: 21211}, code: "21211", kind: parley.FailPermanent},
		{name: "unsubscribed", refuse: refusal{status: 400, code: 21610}, code: "21610", kind: parley.FailPermanent},
		{name: "not a mobile", refuse: refusal{status: 400, code: 21614}, code: "21614", kind: parley.FailPermanent},
		{name: "cannot connect", refuse: refusal{status: 400, code: 21612}, code: "21612", kind: parley.FailPermanent},
		{name: "region not enabled", refuse: refusal{status: 400, code: 21408}, code: "21408", kind: parley.FailPermanent},
		{name: "unknown 400 code", refuse: refusal{status: 400, code: 21999}, code: "21999", kind: parley.FailPermanent},
		{name: "queue full", refuse: refusal{status: 400, code: 21611}, code: "21611", kind: parley.FailThrottled},
		{name: "too many requests", refuse: refusal{status: 429, code: 20429, retryAfter: "7"}, code: "20429", kind: parley.FailThrottled, retry: 7 * time.Second},
		{name: "retry after a date", refuse: refusal{status: 429, code: 20429, retryAfter: clock.Add(90 * time.Second).Format(http.TimeFormat)}, code: "20429", kind: parley.FailThrottled, retry: 90 * time.Second},
		{name: "retry after too long", refuse: refusal{status: 429, code: 20429, retryAfter: "999999999999"}, code: "20429", kind: parley.FailThrottled, retry: maxRetryAfter},
		{name: "429 without Twilio body", refuse: refusal{status: 429, body: "<html>slow down</html>", retryAfter: "2"}, code: "HTTP_429", kind: parley.FailThrottled, retry: 2 * time.Second},
		{name: "From not usable", refuse: refusal{status: 400, code: 21606}, code: "21606", kind: parley.FailConfig},
		{name: "From not a Twilio number", refuse: refusal{status: 400, code: 21659}, code: "21659", kind: parley.FailConfig},
		{name: "server error with Twilio body", refuse: refusal{status: 500, code: 20500}, code: "20500", kind: parley.FailTransient},
		{name: "bad gateway page", refuse: refusal{status: 502, body: "<html>Bad Gateway</html>"}, code: "HTTP_502", kind: parley.FailTransient},
		{name: "retry-after ignored unless throttled", refuse: refusal{status: 503, code: 20503, retryAfter: "30"}, code: "20503", kind: parley.FailTransient},
		{name: "missing sender", from: "-", code: "21603", kind: parley.FailConfig},
		{name: "missing body", body: "-", code: "21602", kind: parley.FailPermanent},
		{name: "missing To", to: "-", code: "21604", kind: parley.FailPermanent},
		{name: "bad messaging service", from: "MGnot-a-service", code: "21705", kind: parley.FailConfig},
		{name: "wrong auth token", creds: &Credentials{AccountSID: testAccount, AuthToken: "stale"}, code: "20003", kind: parley.FailConfig},
		{name: "API key of another account", creds: &Credentials{AccountSID: "AC99999999999999999999999999999999", APIKeySID: testKeySID, APIKeySecret: testKeySecret}, code: "20404", kind: parley.FailConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, srv := newFake(t)
			g := testGateway(srv.URL)
			g.Clock = parley.ClockFunc(func() time.Time { return clock })
			if tt.creds != nil {
				g.Credentials = *tt.creds
			}
			m := parley.Message{From: "+15005550006", To: "+15005550009", Body: "hello"}
			for field, v := range map[*string]string{&m.From: tt.from, &m.To: tt.to, &m.Body: tt.body} {
				if v == "-" {
					*field = ""
				} else if v != "" {
					*field = v
				}
			}
			if tt.refuse.status != 0 {
				f.refuse[m.To] = tt.refuse
			}
			sid, err := g.Send(context.Background(), m)
			var se *parley.SendError
			if !errors.As(err, &se) {
				t.Fatalf("Send = %q, %v; want a *parley.SendError", sid, err)
			}
			if se.Provider != "twilio" || se.Code != tt.code || se.Kind != tt.kind || se.RetryAfter != tt.retry || se.Reason == "" {
				t.Errorf("error = %+v, want code %s kind %s retry %v", se, tt.code, tt.kind, tt.retry)
			}
		})
	}
}

func TestSendWithoutAnswer(t *testing.T) {
	_, srv := newFake(t)
	srv.Close()
	_, err := testGateway(srv.URL).Send(context.Background(), parley.Message{From: "+15005550006", To: "+15005550009", Body: "x"})
	var se *parley.SendError
	if !errors.As(err, &se) || se.Kind != parley.FailTransient || se.Code != "NETWORK" {
		t.Fatalf("Send to a closed server: %v, want a transient NETWORK error", err)
	}
}

func TestSendContextCancelled(t *testing.T) {
	f, srv := newFake(t)
	f.arrived = make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := testGateway(srv.URL).Send(ctx, parley.Message{From: "+15005550006", To: "+15005550009", Body: "x"})
		done <- err
	}()
	<-f.arrived
	cancel()
	err := <-done
	var se *parley.SendError
	if !errors.As(err, &se) || se.Kind != parley.FailTransient || !errors.Is(err, context.Canceled) {
		t.Fatalf("Send with a cancelled context: %v, want a transient error wrapping context.Canceled", err)
	}
}

func TestSendRefusesIncompleteCredentials(t *testing.T) {
	tests := []struct {
		name  string
		creds Credentials
	}{
		{"nothing", Credentials{}},
		{"no account", Credentials{AuthToken: testToken}},
		{"no token", Credentials{AccountSID: testAccount}},
		{"key without secret", Credentials{AccountSID: testAccount, AuthToken: testToken, APIKeySID: testKeySID}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, srv := newFake(t)
			g := &Gateway{BaseURL: srv.URL, Credentials: tt.creds, HTTP: localHTTP}
			_, err := g.Send(context.Background(), parley.Message{From: "+15005550006", To: "+15005550009", Body: "x"})
			var se *parley.SendError
			if !errors.As(err, &se) || se.Kind != parley.FailConfig || se.Code != "CREDENTIALS" {
				t.Errorf("Send = %v, want a config CREDENTIALS error", err)
			}
			if n := len(f.seen()); n != 0 {
				t.Errorf("%d requests sent without credentials", n)
			}
		})
	}
}

func TestSendBadBaseURL(t *testing.T) {
	g := &Gateway{BaseURL: "http://bad host", Credentials: Credentials{AccountSID: testAccount, AuthToken: testToken}}
	_, err := g.Send(context.Background(), parley.Message{From: "+15005550006", To: "+15005550009", Body: "x"})
	var se *parley.SendError
	if !errors.As(err, &se) || se.Kind != parley.FailConfig {
		t.Fatalf("Send = %v, want a config error", err)
	}
}

func TestCredentialsNeverPrinted(t *testing.T) {
	creds := Credentials{AccountSID: testAccount, AuthToken: testToken, APIKeySID: testKeySID, APIKeySecret: testKeySecret}
	g := &Gateway{Credentials: creds, StatusCallback: "https://hooks.example.com/s"}
	var text, js bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("config", "creds", creds, "gateway", g, "value", *g)
	slog.New(slog.NewJSONHandler(&js, nil)).Info("config", "creds", creds, "gateway", g, "value", *g)
	marshalled, err := json.Marshal(g)
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{
		"%v": fmt.Sprintf("%v", creds), "%+v": fmt.Sprintf("%+v", creds), "%#v": fmt.Sprintf("%#v", creds),
		"%s": fmt.Sprintf("%s", creds), "%q": fmt.Sprintf("%q", creds), "%x": fmt.Sprintf("%x", creds),
		"%d":         fmt.Sprintf("%d", creds),
		"gateway %v": fmt.Sprintf("%v", g), "gateway %+v": fmt.Sprintf("%+v", *g), "gateway %#v": fmt.Sprintf("%#v", *g),
		"slog text": text.String(), "slog json": js.String(), "json": string(marshalled),
	}
	for name, out := range outputs {
		for _, secret := range []string{testToken, testKeySecret} {
			if strings.Contains(out, secret) {
				t.Errorf("%s reveals a secret: %s", name, out)
			}
		}
		if !strings.Contains(out, testAccount) {
			t.Errorf("%s lost the account SID: %s", name, out)
		}
	}
}
