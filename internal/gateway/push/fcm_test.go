package push

import (
	"context"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

func TestClientSend(t *testing.T) {
	f := newFakeGoogle(t)
	c := f.client()
	n := Notification{Title: "Parley Shop", Body: "Your order shipped", Data: map[string]string{"campaignId": "camp-9"}}
	name, err := c.Send(t.Context(), "device-1", n)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if !strings.HasPrefix(name, "projects/"+testProject+"/messages/") {
		t.Errorf("name %q", name)
	}
	want := sent{Token: "device-1", Notification: &notification{Title: "Parley Shop", Body: "Your order shipped"}, Data: n.Data}
	if got := f.accepted(); len(got) != 1 || !reflect.DeepEqual(got[0], want) {
		t.Errorf("FCM got %+v, want %+v", got, want)
	}
	if ex, _ := f.counts(); ex != 1 {
		t.Errorf("%d token exchanges, want 1", ex)
	}
}

func TestTokenCachedUntilShortlyBeforeExpiry(t *testing.T) {
	f := newFakeGoogle(t)
	c := f.client()
	// The fake's tokens last 3599 s; the client replaces them a minute early.
	steps := []struct {
		advance   time.Duration
		sends     int
		exchanges int
	}{
		{0, 5, 1},
		{3538 * time.Second, 1, 1},
		{time.Second, 3, 2},
		{3538 * time.Second, 1, 2},
		{time.Hour, 1, 3},
	}
	for i, s := range steps {
		f.clock.Advance(s.advance)
		for range s.sends {
			if _, err := c.Send(t.Context(), "device-1", Notification{Body: "hi"}); err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
		}
		if ex, _ := f.counts(); ex != s.exchanges {
			t.Errorf("step %d: %d exchanges, want %d", i, ex, s.exchanges)
		}
	}
}

func TestConcurrentSendsShareOneExchange(t *testing.T) {
	f := newFakeGoogle(t)
	c := f.client()
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			if _, err := c.Send(t.Context(), "device-"+string(rune('a'+i)), Notification{Body: "hi"}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if ex, attempts := f.counts(); ex != 1 || attempts != 16 {
		t.Errorf("%d exchanges and %d sends, want 1 and 16", ex, attempts)
	}
}

func TestRefreshOn401(t *testing.T) {
	f := newFakeGoogle(t)
	c := f.client()
	if _, err := c.Send(t.Context(), "device-1", Notification{Body: "one"}); err != nil {
		t.Fatal(err)
	}
	f.revokeAll()
	if _, err := c.Send(t.Context(), "device-1", Notification{Body: "two"}); err != nil {
		t.Fatalf("Send after revocation: %v", err)
	}
	if ex, attempts := f.counts(); ex != 2 || attempts != 3 {
		t.Errorf("%d exchanges and %d sends, want 2 and 3", ex, attempts)
	}
}

func TestUnauthorizedAfterRefresh(t *testing.T) {
	f := newFakeGoogle(t)
	f.set(func(f *fakeGoogle) { f.rejectAll = true })
	_, err := f.client().Send(t.Context(), "device-1", Notification{Body: "hi"})
	assertSendError(t, err, "UNAUTHENTICATED", parley.FailConfig)
	if ex, attempts := f.counts(); ex != 2 || attempts != 2 {
		t.Errorf("%d exchanges and %d sends, want 2 and 2 (one refresh)", ex, attempts)
	}
}

func TestSendErrors(t *testing.T) {
	retryAt := func(f *fakeGoogle) string { return f.clock.Now().Add(90 * time.Second).Format(http.TimeFormat) }
	tests := []struct {
		name       string
		reply      func(f *fakeGoogle) reply
		code       string
		kind       parley.FailKind
		retryAfter time.Duration
	}{
		{"unregistered", fixed(404, fcmError(404, "NOT_FOUND", "Requested entity was not found.", "UNREGISTERED")), CodeUnregistered, parley.FailIneligible, 0},
		{"invalid token", fixed(400, fcmError(400, "INVALID_ARGUMENT", "The registration token is not a valid FCM registration token", "INVALID_ARGUMENT")), "INVALID_ARGUMENT", parley.FailPermanent, 0},
		{"bad request without FCM code", fixed(400, `{"error":{"code":400,"message":"Invalid value at 'message.data[0].value'","status":"INVALID_ARGUMENT",`+
			`"details":[{"@type":"type.googleapis.com/google.rpc.BadRequest","fieldViolations":[{"field":"message.data[0].value"}]}]}}`), "INVALID_ARGUMENT", parley.FailPermanent, 0},
		{"sender mismatch", fixed(403, fcmError(403, "PERMISSION_DENIED", "SenderId mismatch", "SENDER_ID_MISMATCH")), "SENDER_ID_MISMATCH", parley.FailPermanent, 0},
		{"quota, seconds", func(*fakeGoogle) reply {
			return reply{429, fcmError(429, "RESOURCE_EXHAUSTED", "Quota exceeded.", "QUOTA_EXCEEDED"), map[string]string{"Retry-After": "30"}}
		}, "QUOTA_EXCEEDED", parley.FailThrottled, 30 * time.Second},
		{"quota, date", func(f *fakeGoogle) reply {
			return reply{429, fcmError(429, "RESOURCE_EXHAUSTED", "Quota exceeded.", "QUOTA_EXCEEDED"), map[string]string{"Retry-After": retryAt(f)}}
		}, "QUOTA_EXCEEDED", parley.FailThrottled, 90 * time.Second},
		{"unavailable", func(*fakeGoogle) reply {
			return reply{503, fcmError(503, "UNAVAILABLE", "The service is currently unavailable.", "UNAVAILABLE"), map[string]string{"Retry-After": "10"}}
		}, "UNAVAILABLE", parley.FailTransient, 10 * time.Second},
		{"internal", fixed(500, fcmError(500, "INTERNAL", "Internal error encountered.", "INTERNAL")), "INTERNAL", parley.FailTransient, 0},
		{"unspecified", fixed(500, fcmError(500, "INTERNAL", "Unknown.", "UNSPECIFIED_ERROR")), "INTERNAL", parley.FailTransient, 0},
		{"APNs auth", fixed(401, fcmError(401, "UNAUTHENTICATED", "Auth error from APNS or Web Push Service", "THIRD_PARTY_AUTH_ERROR")), CodeThirdPartyAuth, parley.FailConfig, 0},
		{"proxy error", fixed(502, `<html><title>502 Bad Gateway</title></html>`), "HTTP_502", parley.FailTransient, 0},
		{"accepted without name", fixed(200, `{}`), CodeBadResponse, parley.FailTransient, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeGoogle(t)
			f.set(func(f *fakeGoogle) { f.replies["device-1"] = tt.reply(f) })
			name, err := f.client().Send(t.Context(), "device-1", Notification{Body: "hi"})
			if name != "" {
				t.Errorf("name %q on failure", name)
			}
			se := assertSendError(t, err, tt.code, tt.kind)
			if se.RetryAfter != tt.retryAfter {
				t.Errorf("RetryAfter %v, want %v", se.RetryAfter, tt.retryAfter)
			}
			if ex, attempts := f.counts(); ex != 1 || attempts != 1 {
				t.Errorf("%d exchanges and %d sends, want 1 and 1 (no refresh)", ex, attempts)
			}
		})
	}
}

func fixed(status int, body string) func(*fakeGoogle) reply {
	return func(*fakeGoogle) reply { return reply{status, body, nil} }
}

func TestTokenEndpointErrors(t *testing.T) {
	tests := []struct {
		name       string
		reply      reply
		code       string
		kind       parley.FailKind
		retryAfter time.Duration
	}{
		{"bad signature", reply{400, `{"error":"invalid_grant","error_description":"Invalid JWT Signature."}`, nil}, "invalid_grant", parley.FailConfig, 0},
		{"disabled account", reply{401, `{"error":"unauthorized_client","error_description":"Client is unauthorized to retrieve access tokens."}`, nil}, "unauthorized_client", parley.FailConfig, 0},
		{"down", reply{503, `Service Unavailable`, nil}, "HTTP_503", parley.FailTransient, 0},
		{"rate limited", reply{429, `{"error":"rate_limit_exceeded"}`, map[string]string{"Retry-After": "5"}}, "rate_limit_exceeded", parley.FailThrottled, 5 * time.Second},
		{"no token", reply{200, `{"expires_in":3599,"token_type":"Bearer"}`, nil}, CodeBadTokenResponse, parley.FailTransient, 0},
		{"not bearer", reply{200, `{"access_token":"x","expires_in":3599,"token_type":"mac"}`, nil}, CodeBadTokenResponse, parley.FailTransient, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeGoogle(t)
			f.set(func(f *fakeGoogle) { f.tokenReply = &tt.reply })
			_, err := f.client().Send(t.Context(), "device-1", Notification{Body: "hi"})
			se := assertSendError(t, err, tt.code, tt.kind)
			if se.RetryAfter != tt.retryAfter {
				t.Errorf("RetryAfter %v, want %v", se.RetryAfter, tt.retryAfter)
			}
			if _, attempts := f.counts(); attempts != 0 {
				t.Errorf("FCM called %d times without a token", attempts)
			}
		})
	}
}

func TestSendRefusedBeforeFCM(t *testing.T) {
	closed := httptest.NewTLSServer(http.NotFoundHandler())
	closed.Close()
	tests := []struct {
		name   string
		client func(f *fakeGoogle) *Client
		token  string
		code   string
		kind   parley.FailKind
	}{
		{"no device token", (*fakeGoogle).client, "", CodeNoToken, parley.FailPermanent},
		{"account not parsed", func(f *fakeGoogle) *Client {
			return &Client{BaseURL: f.srv.URL, Account: ServiceAccount{ProjectID: testProject}, HTTP: f.srv.Client()}
		}, "device-1", CodeNoKey, parley.FailConfig},
		{"FCM unreachable", func(f *fakeGoogle) *Client {
			c := f.client()
			c.BaseURL = closed.URL
			return c
		}, "device-1", CodeNetwork, parley.FailTransient},
		{"bad base URL", func(f *fakeGoogle) *Client {
			c := f.client()
			c.BaseURL = "https://[::1"
			return c
		}, "device-1", CodeBadURL, parley.FailConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeGoogle(t)
			_, err := tt.client(f).Send(t.Context(), tt.token, Notification{Body: "hi"})
			assertSendError(t, err, tt.code, tt.kind)
			if _, attempts := f.counts(); attempts != 0 {
				t.Errorf("FCM called %d times", attempts)
			}
		})
	}
}

func TestTokenWaitHonoursContext(t *testing.T) {
	s := NewTokenSource(ServiceAccount{}, nil, nil)
	s.sem <- struct{}{} // another caller is refreshing
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := s.Token(ctx)
	assertSendError(t, err, CodeNetwork, parley.FailTransient)
}

func BenchmarkAssertion(b *testing.B) {
	a, err := ParseServiceAccount(keyFileJSON(b, DefaultTokenURI, nil))
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	for b.Loop() {
		if _, err := a.assertion(now); err != nil {
			b.Fatal(err)
		}
	}
}
