package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/obs"
	"github.com/parleyhq/parley/internal/parley"
)

// TestRouteWithoutRuleFailsClosed checks that a route missing from the
// access table is refused, not served, once authentication is on.
func TestRouteWithoutRuleFailsClosed(t *testing.T) {
	key, err := auth.GenerateEd25519()
	if err != nil {
		t.Fatal(err)
	}
	keys, _ := auth.NewKeySet(key)
	called := false
	rt := Route{Method: http.MethodGet, Pattern: "/unlisted", handler: func(*Server, http.ResponseWriter, *http.Request) { called = true }}
	s := &Server{Auth: &auth.Tokens{Keys: keys, Issuer: "i", Audience: "a", Clock: parley.SystemClock{}}, Log: obs.Discard()}
	rec := httptest.NewRecorder()
	s.guard(rt)(rec, httptest.NewRequest(http.MethodGet, "/unlisted", nil))
	if called || rec.Code != http.StatusInternalServerError {
		t.Errorf("served %v, status %d; want a 500 and no handler", called, rec.Code)
	}
	s.Auth = nil
	s.guard(rt)(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/unlisted", nil))
	if !called {
		t.Error("without an authenticator the route was not served")
	}
}

// FuzzMapKeyAt: whatever the body and offset, mapKeyAt returns without
// panicking, and a key it names is in the body.
func FuzzMapKeyAt(f *testing.F) {
	f.Add([]byte(`{"variables":{"1":5}}`), int64(20))
	f.Add([]byte(`{"a":[{"b":{"c":true}}]}`), int64(18))
	f.Add([]byte(`[1,2,{`), int64(6))
	f.Fuzz(func(t *testing.T, data []byte, offset int64) {
		key, ok := mapKeyAt(data, offset)
		if ok && !bytes.Contains(data, []byte(key)) && !json.Valid(data) {
			t.Fatalf("mapKeyAt(%q, %d) = %q, which is not in the body", data, offset, key)
		}
	})
}
