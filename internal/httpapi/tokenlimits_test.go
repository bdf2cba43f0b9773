package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/httpapi"
)

// slowClients counts the secret checks in flight.
type slowClients struct {
	httpapi.Clients
	inFlight, most atomic.Int32
}

func (c *slowClients) Exchange(ctx context.Context, id, secret string) (auth.Issued, error) {
	n := c.inFlight.Add(1)
	defer c.inFlight.Add(-1)
	for {
		m := c.most.Load()
		if n <= m || c.most.CompareAndSwap(m, n) {
			break
		}
	}
	time.Sleep(20 * time.Millisecond)
	return c.Clients.Exchange(ctx, id, secret)
}

func tokenRequest(w http.Handler, source, clientID string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", "/oauth/token", strings.NewReader("grant_type=client_credentials&client_id="+clientID+"&client_secret=pcs_wrong"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.RemoteAddr = source + ":40000"
	rec := httptest.NewRecorder()
	w.ServeHTTP(rec, req)
	return rec
}

// TestTokenEndpointBounded is finding 2's regression test: bad token
// requests cannot make the process hash without bound. Requests a minute
// are held per source and per client id, and at most MaxTokenChecks secret
// checks (19 MiB each) run at once.
func TestTokenEndpointBounded(t *testing.T) {
	w := newAuthWorld(t)
	slow := &slowClients{Clients: w.srv.Clients}
	w.srv.Clients = slow
	h := w.srv.Handler()

	for i := range httpapi.TokenRequestsPerSource {
		if rec := tokenRequest(h, "203.0.113.7", fmt.Sprint("pc_", i)); rec.Code != http.StatusUnauthorized {
			t.Fatalf("request %d: %d %s", i, rec.Code, rec.Body)
		}
	}
	rec := tokenRequest(h, "203.0.113.7", "pc_next")
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" {
		t.Errorf("past the source's budget: %d %q %s, want 429 with Retry-After", rec.Code, rec.Header().Get("Retry-After"), rec.Body)
	}
	if rec := tokenRequest(h, "198.51.100.9", "pc_other"); rec.Code != http.StatusUnauthorized {
		t.Errorf("another source: %d, want its own budget", rec.Code)
	}
	for i := range httpapi.TokenRequestsPerClient {
		tokenRequest(h, fmt.Sprint("192.0.2.", i), "pc_victim")
	}
	if rec := tokenRequest(h, "192.0.2.200", "pc_victim"); rec.Code != http.StatusTooManyRequests {
		t.Errorf("past the client's budget from a fresh source: %d, want 429", rec.Code)
	}

	var wg sync.WaitGroup
	for i := range 24 {
		wg.Go(func() { tokenRequest(h, fmt.Sprint("100.64.0.", i), fmt.Sprint("pc_c", i)) })
	}
	wg.Wait()
	if most := slow.most.Load(); most > httpapi.MaxTokenChecks || most == 0 {
		t.Errorf("%d secret checks ran at once; want 1 to %d", most, httpapi.MaxTokenChecks)
	}
}
