package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/httpapi"
)

// TestAppJWT checks LivePerson's "Get AppJWT" route: the client's
// credentials in the form body or in the query, v and grant_type in the
// query, answering LivePerson's token shape with a Parley token that the
// API takes.
func TestAppJWT(t *testing.T) {
	w := newAuthWorld(t)
	client, err := w.srv.Clients.Create(context.Background(), "A", auth.RoleCampaignManager, "lp")
	if err != nil {
		t.Fatal(err)
	}
	form := "client_id=" + url.QueryEscape(client.Client.ID) + "&client_secret=" + url.QueryEscape(client.Secret)
	tests := []struct {
		name, path, body, contentType string
		status                        int
		errCode                       string
	}{
		{"form body", "/sentinel/api/account/A/app/token?v=1.0&grant_type=client_credentials", form, "application/x-www-form-urlencoded", 200, ""},
		{"query", "/sentinel/api/account/A/app/token?v=1.0&grant_type=client_credentials&" + form, "", "application/x-www-form-urlencoded", 200, ""},
		{"query without content type", "/sentinel/api/account/A/app/token?v=1.0&grant_type=client_credentials&" + form, "", "", 200, ""},
		{"another account", "/sentinel/api/account/B/app/token?v=1.0&grant_type=client_credentials", form, "application/x-www-form-urlencoded", 401, "invalid_client"},
		{"no grant type", "/sentinel/api/account/A/app/token?v=1.0", form, "application/x-www-form-urlencoded", 400, "invalid_request"},
		{"other grant", "/sentinel/api/account/A/app/token?v=1.0&grant_type=password", form, "application/x-www-form-urlencoded", 400, "unsupported_grant_type"},
		{"other version", "/sentinel/api/account/A/app/token?v=2.0&grant_type=client_credentials", form, "application/x-www-form-urlencoded", 400, "invalid_request"},
		{"id twice", "/sentinel/api/account/A/app/token?v=1.0&grant_type=client_credentials&client_id=x", form, "application/x-www-form-urlencoded", 400, "invalid_request"},
		{"wrong secret", "/sentinel/api/account/A/app/token?v=1.0&grant_type=client_credentials", "client_id=" + url.QueryEscape(client.Client.ID) + "&client_secret=nope", "application/x-www-form-urlencoded", 401, "invalid_client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", tt.path, strings.NewReader(tt.body))
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			rec := httptest.NewRecorder()
			w.h.ServeHTTP(rec, req)
			var out map[string]any
			_ = json.Unmarshal(rec.Body.Bytes(), &out)
			if rec.Code != tt.status {
				t.Fatalf("%d %s, want %d", rec.Code, rec.Body, tt.status)
			}
			if tt.status != 200 {
				// LivePerson's {code, message}: code 0 for a failed
				// authentication, else the status; the OAuth code as parleyCode.
				var p httpapi.Problem
				wantCode := tt.status
				if tt.status == http.StatusUnauthorized {
					wantCode = 0
				}
				if err := decodeError(rec.Body.Bytes(), &p); err != nil || p.Code != tt.errCode || p.Status != wantCode || p.Detail == "" {
					t.Errorf("error %s (%v), want code %d and parleyCode %s", rec.Body, err, wantCode, tt.errCode)
				}
				return
			}
			tok, _ := out["access_token"].(string)
			if tok == "" || out["token_type"] != "Bearer" || out["expires_in"] != float64(3600) {
				t.Fatalf("answer %s", rec.Body)
			}
			status, _, data := w.call(t, "GET", "/api/v2/account/A/campaign/nope/conversations", "Bearer "+tok, "")
			if status != http.StatusNotFound {
				t.Errorf("the AppJWT on the API: %d %s, want 404 (authenticated)", status, data)
			}
		})
	}
}
