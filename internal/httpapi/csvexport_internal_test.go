package httpapi

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// TestAcceptsJSONOnly checks which callers of a download kept in a bucket
// get its link as JSON rather than a redirect.
func TestAcceptsJSONOnly(t *testing.T) {
	for accept, want := range map[string]bool{
		"":    false, // curl, and most clients
		"*/*": false,
		"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8": false, // a browser's navigation
		"application/json":                true,
		"application/json; charset=utf-8": true,
		"application/json, text/plain":    true,
		"application/json, text/csv":      false,
		"text/csv":                        false,
		"application/json,text/*;q=0.1":   false,
		"application/problem+json":        false,
		"application/json;;;, garbage/,,": true,
	} {
		r := httptest.NewRequest("GET", "/api/v2/account/a/campaign/export.csv", nil)
		r.Header.Set("Accept", accept)
		if got := acceptsJSONOnly(r); got != want {
			t.Errorf("Accept %q: JSON only %t, want %t", accept, got, want)
		}
	}
}

// FuzzAcceptsJSONOnly feeds arbitrary Accept headers to the download's
// negotiation: it never panics, and never answers JSON to a caller that
// names no JSON.
func FuzzAcceptsJSONOnly(f *testing.F) {
	for _, s := range []string{"", "*/*", "application/json", "application/json, text/csv", "text/*;q=0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, accept string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header["Accept"] = []string{accept}
		if acceptsJSONOnly(r) && !strings.Contains(strings.ToLower(accept), "application/json") {
			t.Fatalf("Accept %q answered JSON", accept)
		}
	})
}
