package agentpush_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/egress"
	"github.com/parleyhq/parley/internal/inbound/agentpush"
	"github.com/parleyhq/parley/internal/obs"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/testworld"
)

const secret = "whsec-test-0123456789"

var noon = time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC)

// platform is a brand's agent platform: it verifies every delivery and
// answers with the statuses it is given, then 200.
type platform struct {
	mu       sync.Mutex
	statuses []int
	received []received
	rejected int
}

type received struct {
	event    parley.ConversationEvent
	delivery string
	stamp    string
}

func (p *platform) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := agentpush.Verify(secret, r.Header.Get(agentpush.HeaderSignature), body, noon, time.Minute); err != nil {
		p.rejected++
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var ev parley.ConversationEvent
	if err := json.Unmarshal(body, &ev); err != nil || r.Header.Get("Content-Type") != "application/json" {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	p.received = append(p.received, received{ev, r.Header.Get(agentpush.HeaderDelivery), r.Header.Get(agentpush.HeaderTimestamp)})
	if len(p.statuses) > 0 {
		status := p.statuses[0]
		p.statuses = p.statuses[1:]
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "2")
		}
		w.WriteHeader(status)
	}
}

// setup returns a client pushing to a platform for account acct1, and the
// waits it slept.
func setup(t *testing.T, p http.Handler) (*agentpush.Client, *[]time.Duration, string) {
	t.Helper()
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	s, _ := testworld.Open(t)
	if err := s.PutAccount(context.Background(), parley.Account{ID: "acct1", ConnectorURL: srv.URL + "/hook?token=abc", ConnectorSecret: secret}); err != nil {
		t.Fatal(err)
	}
	var slept []time.Duration
	// The platform is a local server: loopback is allowed here, and only here.
	c := agentpush.New(s, egress.Policy{AllowLoopback: true}.Client(agentpush.DefaultTimeout), parley.SystemClock{}, obs.Discard())
	c.Clock = parley.ClockFunc(func() time.Time { return noon })
	c.Sleep = func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }
	return c, &slept, srv.URL
}

func event() parley.ConversationEvent {
	conv := parley.Conversation{ID: "conv1", AccountID: "acct1", Consumer: "+12025550101", Skill: "sales", Status: parley.ConversationOpen,
		Transcript: []parley.Line{{Direction: parley.Inbound, Body: "Yes", At: noon}}, OpenedAt: noon}
	return parley.NewConversationEvent(parley.EventStarted, conv, noon)
}

func TestPushRetries(t *testing.T) {
	tests := []struct {
		name      string
		statuses  []int
		attempts  int
		slept     []time.Duration
		fails     bool
		permanent bool
	}{
		{"accepted", nil, 1, nil, false, false},
		{"5xx then accepted", []int{503, 500}, 3, []time.Duration{250 * time.Millisecond, 500 * time.Millisecond}, false, false},
		{"429 waits its Retry-After", []int{429}, 2, []time.Duration{2 * time.Second}, false, false},
		{"4xx is not retried", []int{422}, 1, nil, true, true},
		{"always 5xx gives up", []int{502, 502, 502, 502, 502}, 3, []time.Duration{250 * time.Millisecond, 500 * time.Millisecond}, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &platform{statuses: slices.Clone(tt.statuses)}
			c, slept, _ := setup(t, p)
			err := c.Push(context.Background(), event())
			if (err != nil) != tt.fails {
				t.Fatalf("Push = %v, want failure %v", err, tt.fails)
			}
			if len(p.received) != tt.attempts || p.rejected != 0 {
				t.Fatalf("%d deliveries verified, %d rejected; want %d verified", len(p.received), p.rejected, tt.attempts)
			}
			if !slices.Equal(*slept, tt.slept) {
				t.Errorf("waits = %v, want %v", *slept, tt.slept)
			}
			for _, r := range p.received {
				if r.delivery != "conv1.0" || r.event.Type != parley.EventStarted || r.event.Conversation.Skill != "sales" ||
					r.stamp != strconv.FormatInt(noon.Unix(), 10) {
					t.Errorf("delivery = %+v", r)
				}
			}
			if !tt.fails {
				return
			}
			var de *agentpush.DeliveryError
			if !errors.As(err, &de) || de.Permanent != tt.permanent || de.Attempts != tt.attempts || parley.ErrorCode(err) != parley.EUNAVAILABLE {
				t.Fatalf("error = %#v (%v), want a DeliveryError, permanent %v", de, err, tt.permanent)
			}
			if strings.Contains(err.Error(), "token=abc") || strings.Contains(err.Error(), secret) {
				t.Errorf("error reveals the URL's token or the secret: %v", err)
			}
		})
	}
}

func TestPushNetworkErrorsAreRetried(t *testing.T) {
	c, slept, _ := setup(t, &platform{})
	c.Attempts = 3
	// A closed server refuses connections.
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	err := c.Deliver(context.Background(), srv.URL, secret, parley.EventStarted, "d1", []byte(`{}`))
	var de *agentpush.DeliveryError
	if !errors.As(err, &de) || de.Permanent || de.Attempts != 3 || de.Err == nil || len(*slept) != 2 {
		t.Fatalf("Deliver to a dead host = %v (waits %v), want 3 attempts", err, *slept)
	}
}

func TestPushWithoutConnectorIsSkipped(t *testing.T) {
	s, _ := testworld.Open(t)
	c := agentpush.New(s, egress.Policy{}.Client(agentpush.DefaultTimeout), parley.SystemClock{}, obs.Discard())
	if err := c.Push(context.Background(), event()); err != nil {
		t.Fatalf("Push for an account without a connector = %v", err)
	}
}

// TestSSRFConnectorRefusesLoopback stores connector URLs that reach
// internal addresses (as settings saved before they were checked would
// be) and pushes with production's egress policy: each push is refused
// before connecting, once, as a permanent failure naming the address.
func TestSSRFConnectorRefusesLoopback(t *testing.T) {
	p := &platform{}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	port := srv.URL[strings.LastIndexByte(srv.URL, ':')+1:]
	tests := []struct{ url, address string }{
		{srv.URL + "/hook", "127.0.0.1:" + port},
		{"http://localhost:" + port + "/hook", ":" + port},
		{"http://127.0.0.1:9001/2018-06-01/runtime/invocation/next", "127.0.0.1:9001"},
		{"http://169.254.169.254/latest/meta-data/", "169.254.169.254:80"},
		{"https://[fd00:ec2::254]/latest/api/token", "[fd00:ec2::254]:443"},
		{"https://10.0.0.8/hook", "10.0.0.8:443"},
	}
	for _, tt := range tests {
		s, _ := testworld.Open(t)
		if err := s.PutAccount(context.Background(), parley.Account{ID: "acct1", ConnectorURL: tt.url, ConnectorSecret: secret}); err != nil {
			t.Fatal(err)
		}
		c := agentpush.New(s, egress.Policy{}.Client(agentpush.DefaultTimeout), parley.SystemClock{}, obs.Discard())
		var slept []time.Duration
		c.Sleep = func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }
		err := c.Push(context.Background(), event())
		var de *agentpush.DeliveryError
		var refused *egress.RefusedError
		if !errors.As(err, &de) || !de.Permanent || de.Attempts != 1 || len(slept) != 0 || !errors.As(err, &refused) || !strings.Contains(err.Error(), tt.address) {
			t.Errorf("push to %s = %v (waits %v); want one permanent refusal naming %s", tt.url, err, slept, tt.address)
		}
	}
	if len(p.received) != 0 || p.rejected != 0 {
		t.Errorf("the loopback platform got %d deliveries", len(p.received)+p.rejected)
	}
}

func TestRedirectIsNotFollowed(t *testing.T) {
	p := &platform{}
	c, _, _ := setup(t, p)
	target := httptest.NewServer(p)
	t.Cleanup(target.Close)
	redirect := httptest.NewServer(http.RedirectHandler(target.URL, http.StatusTemporaryRedirect))
	t.Cleanup(redirect.Close)
	err := c.Deliver(context.Background(), redirect.URL, secret, parley.EventStarted, "d1", []byte(`{}`))
	var de *agentpush.DeliveryError
	if !errors.As(err, &de) || !de.Permanent || de.Status != http.StatusTemporaryRedirect || len(p.received) != 0 {
		t.Fatalf("Deliver to a redirect = %v, received %d; want a permanent failure, nothing delivered", err, len(p.received))
	}
}

func TestVerify(t *testing.T) {
	body := []byte(`{"id":"conv1.0"}`)
	good := agentpush.Sign(secret, noon, body)
	other := agentpush.Sign("another-secret-0123", noon, body)
	_, v1, _ := strings.Cut(good, ",")
	tests := []struct {
		name, secret, header string
		body                 []byte
		now                  time.Time
		want                 error
	}{
		{"good", secret, good, body, noon, nil},
		{"within tolerance", secret, good, body, noon.Add(59 * time.Second), nil},
		{"clock behind", secret, good, body, noon.Add(-59 * time.Second), nil},
		{"rotation: one of two matches", secret, other + "," + v1, body, noon, nil},
		{"unknown keys ignored", secret, good + ",v0=zz", body, noon, nil},
		{"spaces", secret, strings.ReplaceAll(good, ",", ", "), body, noon, nil},
		{"tampered body", secret, good, []byte(`{"id":"conv1.1"}`), noon, agentpush.ErrMismatch},
		{"wrong secret", "not-the-secret-000", good, body, noon, agentpush.ErrMismatch},
		{"replayed later", secret, good, body, noon.Add(2 * time.Minute), agentpush.ErrExpired},
		{"from the future", secret, good, body, noon.Add(-2 * time.Minute), agentpush.ErrExpired},
		{"timestamp changed", secret, strings.Replace(good, "t=", "t=1", 1), body, noon, agentpush.ErrExpired},
		{"empty", secret, "", body, noon, agentpush.ErrMalformed},
		{"no v1", secret, "t=" + strconv.FormatInt(noon.Unix(), 10), body, noon, agentpush.ErrMalformed},
		{"no t", secret, v1, body, noon, agentpush.ErrMalformed},
		{"two t", secret, good + ",t=1", body, noon, agentpush.ErrMalformed},
		{"short v1", secret, "t=1,v1=abcd", body, noon, agentpush.ErrMalformed},
		{"not hex", secret, "t=1,v1=" + strings.Repeat("z", 64), body, noon, agentpush.ErrMalformed},
	}
	for _, tt := range tests {
		err := agentpush.Verify(tt.secret, tt.header, tt.body, tt.now, time.Minute)
		if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
			t.Errorf("%s: Verify = %v, want %v", tt.name, err, tt.want)
		}
		if err != nil && parley.ErrorCode(err) != parley.EUNAUTHORIZED {
			t.Errorf("%s: code %s, want unauthorized", tt.name, parley.ErrorCode(err))
		}
	}
}

func FuzzParseSignature(f *testing.F) {
	f.Add(agentpush.Sign(secret, noon, []byte("x")))
	f.Add("t=1,v1=00")
	f.Add(",,=")
	f.Fuzz(func(t *testing.T, header string) {
		sig, err := agentpush.ParseSignature(header)
		if err != nil {
			if !errors.Is(err, agentpush.ErrMalformed) {
				t.Fatalf("ParseSignature(%q) = %v", header, err)
			}
			return
		}
		if len(sig.V1) == 0 {
			t.Fatalf("ParseSignature(%q) accepted no v1", header)
		}
		if err := agentpush.Verify(secret, header, []byte("x"), sig.At, time.Minute); err != nil && !errors.Is(err, agentpush.ErrMismatch) {
			t.Fatalf("Verify of a parsed header at its own time = %v", err)
		}
	})
}

func TestRetryAfter(t *testing.T) {
	for _, tt := range []struct {
		v    string
		want time.Duration
	}{
		{"", 0},
		{"120", 2 * time.Minute},
		{" 7 ", 7 * time.Second},
		{"0", 0},
		{"-5", 0},
		{"soon", 0},
		{"99999999999999999999", 0}, // out of int64: garbage
		{"999999999", 24 * time.Hour},
		{noon.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{noon.Add(-time.Hour).Format(http.TimeFormat), 0},
		{noon.Add(72 * time.Hour).Format(http.TimeFormat), 24 * time.Hour},
		{noon.Add(30 * time.Second).Format(time.RFC850), 30 * time.Second},
	} {
		if got := agentpush.RetryAfter(tt.v, noon); got != tt.want {
			t.Errorf("RetryAfter(%q) = %s, want %s", tt.v, got, tt.want)
		}
	}
}

func TestRetryable(t *testing.T) {
	for status, want := range map[int]bool{200: false, 301: false, 400: false, 401: false, 404: false, 408: true, 410: false, 429: true, 500: true, 502: true, 503: true} {
		if got := agentpush.Retryable(status); got != want {
			t.Errorf("Retryable(%d) = %v, want %v", status, got, want)
		}
	}
}

func FuzzRetryAfter(f *testing.F) {
	f.Add("120")
	f.Add(noon.Format(http.TimeFormat))
	f.Add("Sun, 06 Nov 1994 08:49:37 GMT")
	f.Fuzz(func(t *testing.T, v string) {
		if d := agentpush.RetryAfter(v, noon); d < 0 || d > 24*time.Hour {
			t.Fatalf("RetryAfter(%q) = %s, outside 0..24h", v, d)
		}
	})
}
