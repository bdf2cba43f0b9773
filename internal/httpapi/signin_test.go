package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/httpapi"
	"github.com/parleyhq/parley/internal/oidc"
	"github.com/parleyhq/parley/internal/oidc/oidctest"
	"github.com/parleyhq/parley/internal/parley"
)

// signInWorld is the API behind a real listener, with a test OpenID
// Connect provider registered for its callback.
type signInWorld struct {
	*authWorld
	api    *httptest.Server
	issuer *oidctest.Issuer
	client *http.Client
}

func newSignInWorld(t *testing.T, secret string) *signInWorld {
	t.Helper()
	w := newAuthWorld(t)
	var h http.Handler
	api := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) { h.ServeHTTP(rw, r) }))
	t.Cleanup(api.Close)
	is := oidctest.New(t, "parley-webtool", secret, api.URL+"/auth/callback")
	is.Claims["parley_account"], is.Claims["parley_role"] = "acct1", []any{"staff", "campaign_manager"}
	p, err := oidc.New(oidc.Config{Issuer: is.URL, ClientID: "parley-webtool", ClientSecret: secret}, nil, parley.SystemClock{})
	if err != nil {
		t.Fatal(err)
	}
	w.srv.SignIn = &httpapi.SignIn{OIDC: p, Sessions: w.tokens, TTL: time.Hour}
	h = w.srv.Handler()
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &signInWorld{authWorld: w, api: api, issuer: is, client: noFollow}
}

func (w *signInWorld) send(t *testing.T, method, u string, cookies []*http.Cookie, header map[string]string, body string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader(body))
	for _, c := range cookies {
		req.AddCookie(c)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := w.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp, string(data)
}

func cookie(t *testing.T, resp *http.Response, name string) *http.Cookie {
	t.Helper()
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no %s cookie in %v", name, resp.Header["Set-Cookie"])
	return nil
}

// login runs the browser's side up to the callback: /auth/login, the
// provider's authorization endpoint, and returns the callback URL and the
// flow cookie.
func (w *signInWorld) login(t *testing.T) (callback string, flow *http.Cookie) {
	t.Helper()
	resp, _ := w.send(t, "GET", w.api.URL+"/auth/login", nil, nil, "")
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	flow = cookie(t, resp, "__Host-parley_oidc")
	if !flow.HttpOnly || !flow.Secure || flow.SameSite != http.SameSiteLaxMode || flow.Path != "/" {
		t.Errorf("flow cookie %+v is not HttpOnly, Secure, SameSite=Lax, Path=/", flow)
	}
	authz, _ := url.Parse(resp.Header.Get("Location"))
	q := authz.Query()
	if !strings.HasPrefix(authz.String(), w.issuer.URL+"/authorize?") || q.Get("code_challenge_method") != "S256" ||
		q.Get("scope") != "openid email profile" || q.Get("redirect_uri") != w.api.URL+"/auth/callback" {
		t.Fatalf("authorization request %s", authz)
	}
	resp, body := w.send(t, "GET", authz.String(), nil, nil, "")
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize: %d %s", resp.StatusCode, body)
	}
	return resp.Header.Get("Location"), flow
}

func TestOIDCSignInFlow(t *testing.T) {
	for _, secret := range []string{"", "s3cret/with+chars"} {
		name := map[bool]string{true: "public client", false: "confidential client"}[secret == ""]
		t.Run(name, func(t *testing.T) {
			w := newSignInWorld(t, secret)
			callback, flow := w.login(t)
			resp, body := w.send(t, "GET", callback, []*http.Cookie{flow}, nil, "")
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
				t.Fatalf("callback: %d %s", resp.StatusCode, body)
			}
			session := cookie(t, resp, "__Host-parley_session")
			if !session.HttpOnly || !session.Secure || session.SameSite != http.SameSiteLaxMode || session.MaxAge != 3600 {
				t.Errorf("session cookie %+v", session)
			}
			if c := cookie(t, resp, "__Host-parley_oidc"); c.MaxAge >= 0 {
				t.Errorf("the flow cookie is not cleared: %+v", c)
			}
			// The session speaks for the account and role the claims map to.
			p, err := w.tokens.Verify(t.Context(), session.Value)
			if err != nil || p.AccountID != "acct1" || p.Role != auth.RoleCampaignManager || p.Subject != "oidc:user-1" {
				t.Fatalf("session principal %+v %v", p, err)
			}
			jar := []*http.Cookie{session}
			resp, body = w.send(t, "GET", w.api.URL+"/auth/session", jar, nil, "")
			var s httpapi.SessionResponse
			_ = json.Unmarshal([]byte(body), &s)
			if !s.SignedIn || s.Account != "acct1" || s.Role != "campaign_manager" || s.CSRFToken == "" || !s.OIDC || s.Local {
				t.Fatalf("session: %s", body)
			}
			// The API takes the cookie: reads without more, changes with the CSRF header.
			if resp, body = w.send(t, "GET", w.api.URL+"/sandbox/faults", jar, nil, ""); resp.StatusCode != 200 {
				t.Errorf("GET with the session: %d %s", resp.StatusCode, body)
			}
			fault := `{"kind":"throttle","to":"+12025550101","times":1}`
			if resp, body = w.send(t, "POST", w.api.URL+"/sandbox/faults", jar, nil, fault); resp.StatusCode != 403 || !strings.Contains(body, "X-Parley-CSRF") {
				t.Errorf("POST without the CSRF header: %d %s, want 403", resp.StatusCode, body)
			}
			if resp, body = w.send(t, "POST", w.api.URL+"/sandbox/faults", jar, map[string]string{"X-Parley-CSRF": "wrong"}, fault); resp.StatusCode != 403 {
				t.Errorf("POST with a wrong CSRF token: %d %s, want 403", resp.StatusCode, body)
			}
			csrf := map[string]string{"X-Parley-CSRF": s.CSRFToken}
			if resp, body = w.send(t, "POST", w.api.URL+"/sandbox/faults", jar, csrf, fault); resp.StatusCode != 201 {
				t.Errorf("POST with the CSRF header: %d %s", resp.StatusCode, body)
			}
			// Every route's rule still applies: another account, a key manager's route.
			if resp, _ = w.send(t, "GET", w.api.URL+"/api/v2/account/other/settings", jar, nil, ""); resp.StatusCode != 403 {
				t.Errorf("another account with the session: %d, want 403", resp.StatusCode)
			}
			if resp, _ = w.send(t, "GET", w.api.URL+"/api/v2/account/acct1/clients", jar, nil, ""); resp.StatusCode != 403 {
				t.Errorf("a campaign manager's session on API clients: %d, want 403", resp.StatusCode)
			}
			// The code was used once: replaying the callback fails.
			if resp, _ = w.send(t, "GET", callback, []*http.Cookie{flow}, nil, ""); resp.StatusCode != 401 {
				t.Errorf("replayed code: %d, want 401", resp.StatusCode)
			}
			// Logout needs the CSRF token, then clears the cookie.
			if resp, _ = w.send(t, "POST", w.api.URL+"/auth/logout", jar, nil, ""); resp.StatusCode != 403 {
				t.Errorf("logout without CSRF: %d, want 403", resp.StatusCode)
			}
			resp, _ = w.send(t, "POST", w.api.URL+"/auth/logout", jar, csrf, "")
			if c := cookie(t, resp, "__Host-parley_session"); resp.StatusCode != 204 || c.MaxAge >= 0 || c.Value != "" {
				t.Errorf("logout: %d %+v", resp.StatusCode, c)
			}
			if len(w.issuer.Challenges) != 1 || len(w.issuer.Challenges[0]) != 43 {
				t.Errorf("challenges %v", w.issuer.Challenges)
			}
		})
	}
}

func TestOIDCSignInRefusals(t *testing.T) {
	tests := []struct {
		name   string
		change func(w *signInWorld)
		tamper func(callback string, flow *http.Cookie) (string, []*http.Cookie)
		status int
		want   string
	}{
		{name: "bad state", status: 401, want: "state",
			tamper: func(cb string, f *http.Cookie) (string, []*http.Cookie) {
				u, _ := url.Parse(cb)
				q := u.Query()
				q.Set("state", "forged")
				u.RawQuery = q.Encode()
				return u.String(), []*http.Cookie{f}
			}},
		{name: "no flow cookie", status: 401, want: "no sign-in under way",
			tamper: func(cb string, _ *http.Cookie) (string, []*http.Cookie) { return cb, nil }},
		{name: "bad nonce", status: 401, want: "nonce", change: func(w *signInWorld) { w.issuer.Nonce = "another" }},
		{name: "wrong audience", status: 401, want: "audience", change: func(w *signInWorld) { w.issuer.Audience = "someone-else" }},
		{name: "expired token", status: 401, want: "expired", change: func(w *signInWorld) { w.issuer.IssuedAt = time.Now().Add(-time.Hour) }},
		{name: "no account claim", status: 403, want: "parley_account", change: func(w *signInWorld) { delete(w.issuer.Claims, "parley_account") }},
		{name: "agent", status: 403, want: "no access", change: func(w *signInWorld) { w.issuer.Claims["parley_role"] = "agent" }},
		{name: "provider error", status: 401, want: "access_denied",
			tamper: func(cb string, f *http.Cookie) (string, []*http.Cookie) {
				u, _ := url.Parse(cb)
				u.RawQuery = "error=access_denied&state=" + u.Query().Get("state")
				return u.String(), []*http.Cookie{f}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newSignInWorld(t, "")
			if tt.change != nil {
				tt.change(w)
			}
			callback, flow := w.login(t)
			jar := []*http.Cookie{flow}
			if tt.tamper != nil {
				callback, jar = tt.tamper(callback, flow)
			}
			resp, body := w.send(t, "GET", callback, jar, nil, "")
			if resp.StatusCode != tt.status || !strings.Contains(body, tt.want) {
				t.Errorf("callback: %d %s, want %d naming %q", resp.StatusCode, body, tt.status, tt.want)
			}
			for _, c := range resp.Cookies() {
				if c.Name == "__Host-parley_session" && c.Value != "" {
					t.Errorf("a session was started: %+v", c)
				}
			}
		})
	}
}

func TestLocalSignIn(t *testing.T) {
	w := newSignInWorld(t, "")
	post := func(body, contentType string) (*http.Response, string) {
		return w.send(t, "POST", w.api.URL+"/auth/local", nil, map[string]string{"Content-Type": contentType}, body)
	}
	if resp, body := post(`{"account":"acct1","role":"admin"}`, "application/json"); resp.StatusCode != 404 {
		t.Fatalf("local sign-in while off: %d %s, want 404", resp.StatusCode, body)
	}
	w.srv.SignIn.Local = true
	if resp, _ := post(`account=acct1&role=admin`, "application/x-www-form-urlencoded"); resp.StatusCode != 415 {
		t.Errorf("a form post (what another site could send): %d, want 415", resp.StatusCode)
	}
	if resp, body := post(`{"account":"acct1","role":"agent"}`, "application/json"); resp.StatusCode != 403 {
		t.Errorf("agent: %d %s, want 403", resp.StatusCode, body)
	}
	if resp, body := post(`{"account":"a/b","role":"admin"}`, "application/json"); resp.StatusCode != 400 || !strings.Contains(body, "account") {
		t.Errorf("bad account: %d %s", resp.StatusCode, body)
	}
	resp, body := post(`{"account":"acct1","role":"support"}`, "application/json")
	if resp.StatusCode != 200 {
		t.Fatalf("local sign-in: %d %s", resp.StatusCode, body)
	}
	jar := []*http.Cookie{cookie(t, resp, "__Host-parley_session")}
	_, body = w.send(t, "GET", w.api.URL+"/auth/session", jar, nil, "")
	var s httpapi.SessionResponse
	_ = json.Unmarshal([]byte(body), &s)
	if !s.SignedIn || s.Role != "support" || !s.Local || strings.Join(s.Roles, ",") != "admin,campaign_manager,support" {
		t.Fatalf("session: %s", body)
	}
	// Support reads, and cannot change anything even with the CSRF token.
	csrf := map[string]string{"X-Parley-CSRF": s.CSRFToken}
	if resp, _ := w.send(t, "POST", w.api.URL+"/sandbox/faults", jar, csrf, `{"kind":"throttle","times":1}`); resp.StatusCode != 403 {
		t.Errorf("support's POST: %d, want 403", resp.StatusCode)
	}
	// A forged or expired session cookie is 401, not an anonymous call.
	forged := []*http.Cookie{{Name: "__Host-parley_session", Value: "not.a.token"}}
	if resp, _ := w.send(t, "GET", w.api.URL+"/sandbox/faults", forged, nil, ""); resp.StatusCode != 401 {
		t.Errorf("forged session: %d, want 401", resp.StatusCode)
	}
}
