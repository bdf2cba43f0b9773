package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/httpapi"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/ratelimit"
	"github.com/parleyhq/parley/internal/ratelimit/local"
)

// TestRequestGate holds an account to its request budget on every
// authenticated /api/ route, on a fixed clock: the burst is admitted, the
// next call is 429 with Retry-After, another account is not held back,
// unauthenticated and public calls take nothing from the budget, and
// LivePerson's routes answer LivePerson's {code, message}.
func TestRequestGate(t *testing.T) {
	w := newAuthWorld(t)
	clock := parley.ClockFunc(func() time.Time { return noonUTC })
	w.srv.RequestGate = &ratelimit.Gate{Limiter: local.New(clock), Clock: clock, Name: "api-request",
		Limit: ratelimit.Limit{Rate: 10, Burst: 10}}
	w.h = w.srv.Handler()
	tokA, tokB := "Bearer "+w.mint(t, "A", auth.RoleAdmin), "Bearer "+w.mint(t, "B", auth.RoleAdmin)
	for range 20 { // refused before the gate: they take no slot
		if status, _, _ := w.call(t, "GET", "/api/v2/account/A/settings", "", ""); status != http.StatusUnauthorized {
			t.Fatalf("without a token: %d", status)
		}
		if status, _, _ := w.call(t, "GET", "/openapi.yaml", "", ""); status != http.StatusOK {
			t.Fatalf("public route: %d", status)
		}
	}
	for i := range 10 {
		path := "/api/v2/account/A/settings"
		if i%2 == 1 {
			path = "/api/v2/account/A/templates"
		}
		if status, _, data := w.call(t, "GET", path, tokA, ""); status != http.StatusOK {
			t.Fatalf("call %d within the burst: %d %s", i+1, status, data)
		}
	}
	status, h, data := w.call(t, "GET", "/api/v2/account/A/settings", tokA, "")
	if s, err := strconv.Atoi(h.Get("Retry-After")); status != http.StatusTooManyRequests || err != nil || s < 1 {
		t.Fatalf("past the burst: %d Retry-After %q %s", status, h.Get("Retry-After"), data)
	}
	var got httpapi.Problem
	if err := json.Unmarshal(data, &got); err != nil || got.Code != parley.ETOOMANY {
		t.Errorf("past the burst, a Parley route answers problem %+v", got)
	}
	// LivePerson's status route answers LivePerson's body, with Retry-After.
	status, h, data = w.call(t, "GET", "/api/v2/account/A/campaign/c1/conversations", tokA, "")
	var lp httpapi.Problem
	if err := decodeError(data, &lp); status != http.StatusTooManyRequests || h.Get("Retry-After") == "" || err != nil ||
		lp.Status != http.StatusTooManyRequests || lp.Code != parley.ETOOMANY || lp.Detail == "" {
		t.Errorf("past the burst on LivePerson's route: %d Retry-After %q %s (%v)", status, h.Get("Retry-After"), data, err)
	}
	if status, _, data := w.call(t, "GET", "/api/v2/account/B/settings", tokB, ""); status != http.StatusOK {
		t.Errorf("another account: %d %s", status, data)
	}
}
