package httpapi_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/httpapi"
	"github.com/parleyhq/parley/internal/parley"
)

var noonUTC = time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC)

// authWorld is the test world with authentication enforced, as app wiring
// always runs it.
type authWorld struct {
	*world
	tokens *auth.Tokens
}

func newAuthWorld(t *testing.T) *authWorld {
	t.Helper()
	w := newWorld(t)
	clock := parley.ClockFunc(func() time.Time { return noonUTC })
	tokens := testTokens(t, clock, w.store)
	w.srv.Auth, w.srv.Operators = tokens, tokens.Operators()
	w.srv.Clients = &auth.Clients{Store: w.store, Tokens: tokens, Clock: clock, Cost: auth.HashCost{Time: 1, MemoryKiB: 64, Threads: 1}}
	w.srv.TokenLimits = httpapi.NewTokenLimits(clock)
	w.h = w.srv.Handler()
	return &authWorld{world: w, tokens: tokens}
}

// testTokens issues and verifies the tokens of a test world, with a new
// key, on clock, its API clients read from clients.
func testTokens(t *testing.T, clock parley.Clock, clients auth.ClientReader) *auth.Tokens {
	t.Helper()
	key, err := auth.GenerateEd25519()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := auth.NewKeySet(key)
	if err != nil {
		t.Fatal(err)
	}
	return &auth.Tokens{Keys: keys, Issuer: "parley", Audience: "parley-api", Clock: clock, Clients: clients}
}

func (w *authWorld) mint(t *testing.T, account string, role auth.Role) string {
	t.Helper()
	tok, err := w.tokens.Issue(context.Background(), auth.Principal{AccountID: account, Role: role, Subject: "test"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok.AccessToken
}

// call sends a request with an Authorization header (none if "") and
// returns the answer. A handler that panics for want of a dependency this
// world lacks has been let through the access check: that is reported as
// status 0, which is neither 401 nor 403.
func (w *authWorld) call(t *testing.T, method, path, authorization, body string) (status int, header http.Header, data []byte) {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	func() {
		defer func() {
			if recover() != nil {
				status = 0
			}
		}()
		w.h.ServeHTTP(rec, req)
		status = rec.Code
	}()
	data, _ = io.ReadAll(rec.Result().Body)
	return status, rec.Result().Header, data
}

var pathParam = regexp.MustCompile(`\{([^}.]+)(\.\.\.)?\}`)

// fill puts account into a pattern's {accountId} and a plausible value in
// every other parameter.
func fill(pattern, account string) string {
	return pathParam.ReplaceAllStringFunc(pattern, func(m string) string {
		switch name := pathParam.FindStringSubmatch(m)[1]; name {
		case "accountId":
			return account
		case "channel":
			return "sms"
		case "$": // the end of the path, not a parameter
			return ""
		default:
			return "no-such-" + strings.ToLower(name)
		}
	})
}

// TestAccessMatrix checks every route the router serves, against every
// role, on its own account and on another: 401 without a token or with a
// bad one; 403 on another account's path whatever the role, and for a
// role the route's permission is not granted to; neither otherwise. It
// fails for a route missing from the access table, so routes added later
// are covered as soon as they exist.
func TestAccessMatrix(t *testing.T) {
	w := newAuthWorld(t)
	// The seeds' tables, restated independently of the auth package.
	allowed := map[auth.Permission][]auth.Role{
		auth.Read:       {auth.RoleAdmin, auth.RoleCampaignManager, auth.RoleSupport},
		auth.Write:      {auth.RoleAdmin, auth.RoleCampaignManager},
		auth.ManageKeys: {auth.RoleAdmin},
		auth.TakeCalls:  {auth.RoleAgent},
		auth.Operate:    {}, // an operator token alone: TestOperatorRoutesRefuseTenants
	}
	expired, _ := (&auth.Tokens{Keys: w.tokens.Keys, Issuer: "parley", Audience: "parley-api",
		Clock: parley.ClockFunc(func() time.Time { return noonUTC.Add(-2 * time.Hour) })}).Issue(context.Background(),
		auth.Principal{AccountID: "A", Role: auth.RoleAdmin, Subject: "test"}, time.Hour)
	badTokens := map[string]string{
		"no token":       "",
		"not bearer":     "Basic " + base64.StdEncoding.EncodeToString([]byte("a:b")),
		"empty bearer":   "Bearer ",
		"garbage":        "Bearer not.a.token",
		"expired":        "Bearer " + expired.AccessToken,
		"tampered admin": "Bearer " + tamper(w.mint(t, "A", auth.RoleSupport)),
	}
	for _, rt := range w.srv.Routes() {
		name := rt.Method + " " + rt.Pattern
		access, ok := httpapi.AccessOf(rt.Method, rt.Pattern)
		if !ok {
			t.Errorf("%s has no entry in the access table (routeAccess in internal/httpapi/auth.go)", name)
			continue
		}
		if strings.HasPrefix(rt.Pattern, "/webhooks/") && access.Kind != httpapi.AccessSignature {
			t.Errorf("%s: webhooks are authenticated by provider signatures, not %v", name, access)
		}
		if access.Kind != httpapi.AccessToken {
			continue
		}
		roles, known := allowed[access.Permission]
		if !known {
			t.Errorf("%s requires %q, which this test has no expectation for", name, access.Permission)
			continue
		}
		// LivePerson's filtered analytics and transactions are reads that
		// LivePerson has sent by POST.
		readByPost := rt.Method == http.MethodPost && (rt.Pattern == "/api/account/{accountId}/app/{app}/analytics/{$}" ||
			rt.Pattern == "/api/account/{accountId}/app/{app}/transactions/{$}")
		if rt.Method != http.MethodGet && access.Permission == auth.Read && !readByPost {
			t.Errorf("%s changes things but requires only read: support could use it", name)
		}
		scoped := strings.Contains(rt.Pattern, "{accountId}")
		own := fill(rt.Pattern, "A")
		t.Run(name, func(t *testing.T) {
			for label, authz := range badTokens {
				status, header, data := w.call(t, rt.Method, own, authz, "")
				code := `"code":"unauthorized"`
				switch {
				case httpapi.IsConnectToMessagingRoute(rt.Method, rt.Pattern):
					code = `"errorCode":1100,` // LivePerson's C2M {errorCode, errorMessage}
				case httpapi.IsLivePersonRoute(rt.Method, rt.Pattern):
					// LivePerson's {code, message}: code 0, "jwt expired" for an expired token.
					code = `"code":0,"message":"`
					if label == "expired" {
						code += `jwt expired"`
					}
				}
				if status != http.StatusUnauthorized || !strings.HasPrefix(header.Get("WWW-Authenticate"), "Bearer") || !strings.Contains(string(data), code) {
					t.Errorf("%s: %d %s %s, want 401", label, status, header.Get("WWW-Authenticate"), data)
				}
			}
			for _, role := range auth.TenantRoles {
				token := "Bearer " + w.mint(t, "A", role)
				status, _, data := w.call(t, rt.Method, own, token, "")
				if slices.Contains(roles, role) {
					if status == http.StatusUnauthorized || status == http.StatusForbidden {
						t.Errorf("%s on its own account: %d %s, want access", role, status, data)
					}
				} else if status != http.StatusForbidden {
					t.Errorf("%s on its own account: %d %s, want 403", role, status, data)
				}
				if scoped {
					if status, _, data := w.call(t, rt.Method, fill(rt.Pattern, "B"), token, ""); status != http.StatusForbidden {
						t.Errorf("%s of account A on account B: %d %s, want 403", role, status, data)
					}
				}
			}
		})
	}
}

// tamper turns a support token into an admin one without re-signing it.
func tamper(token string) string {
	parts := strings.Split(token, ".")
	claims, _ := base64.RawURLEncoding.DecodeString(parts[1])
	parts[1] = base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(claims), `"role":"support"`, `"role":"admin"`, 1)))
	return strings.Join(parts, ".")
}

// TestRejectedRequestsPersistNothing sends valid writes with credentials
// that must be refused and checks nothing was stored or queued.
func TestRejectedRequestsPersistNothing(t *testing.T) {
	w := newAuthWorld(t)
	otherAudience := &auth.Tokens{Keys: w.tokens.Keys, Issuer: "parley", Audience: "another-api", Clock: w.tokens.Clock}
	wrongAud, _ := otherAudience.Issue(context.Background(), auth.Principal{AccountID: "A", Role: auth.RoleAdmin, Subject: "x"}, time.Hour)
	creds := map[string]string{
		"none":               "",
		"tampered":           "Bearer " + tamper(w.mint(t, "A", auth.RoleSupport)),
		"wrong audience":     "Bearer " + wrongAud.AccessToken,
		"support":            "Bearer " + w.mint(t, "A", auth.RoleSupport),
		"agent":              "Bearer " + w.mint(t, "A", auth.RoleAgent),
		"agent manager":      "Bearer " + w.mint(t, "A", auth.RoleAgentManager),
		"admin of B":         "Bearer " + w.mint(t, "B", auth.RoleAdmin),
		"campaign manager B": "Bearer " + w.mint(t, "B", auth.RoleCampaignManager),
	}
	writes := []struct{ method, path, body string }{
		{"POST", "/api/v2/account/A/campaign", validBody},
		{"POST", "/api/v2/account/A/templates", `{"name":"order_shipped","language":"en_US","body":"Hi {{1}}"}`},
		{"PUT", "/api/v2/account/A/settings", `{"optOutText":"Text STOP to quit"}`},
		{"POST", "/api/v2/account/A/clients", `{"name":"x","role":"admin"}`},
	}
	for label, authz := range creds {
		for _, wr := range writes {
			if status, _, data := w.call(t, wr.method, wr.path, authz, wr.body); status != http.StatusUnauthorized && status != http.StatusForbidden {
				t.Errorf("%s: %s %s answered %d %s", label, wr.method, wr.path, status, data)
			}
		}
	}
	cm := "Bearer " + w.mint(t, "A", auth.RoleCampaignManager)
	if status, _, _ := w.call(t, "POST", "/api/v2/account/A/clients", cm, `{"role":"admin"}`); status != http.StatusForbidden {
		t.Errorf("a campaign manager created an API client: %d", status)
	}

	ctx := context.Background()
	if pending, _ := w.store.PendingFanout(ctx); len(pending) != 0 {
		t.Error("a refused request created a campaign")
	}
	if ts, _ := w.store.Templates(ctx, "A"); len(ts) != 0 {
		t.Error("a refused request registered a template")
	}
	if a, _ := w.store.Account(ctx, "A"); a.OptOutText != "" {
		t.Error("a refused request changed the settings")
	}
	if cs, _ := w.store.ClientsOf(ctx, "A"); len(cs) != 0 {
		t.Error("a refused request created an API client")
	}
	if !w.queueEmpty(t) {
		t.Error("a refused request queued jobs")
	}
}

func form(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v.Encode()
}

// tokenRequest posts a token request; basic is "id:secret" or "".
func (w *authWorld) tokenRequest(t *testing.T, body, basic string) (int, http.Header, map[string]any) {
	t.Helper()
	req := httptest.NewRequest("POST", "/oauth/token", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic != "" {
		id, secret, _ := strings.Cut(basic, ":")
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	}
	rec := httptest.NewRecorder()
	w.h.ServeHTTP(rec, req)
	var out map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &out)
	return rec.Code, rec.Result().Header, out
}

// TestClientCredentials walks an API client's life through the API: an
// admin creates it, it gets tokens with Basic and form credentials, the
// tokens carry its account and role, and rotation and revocation stop the
// old secret.
func TestClientCredentials(t *testing.T) {
	w := newAuthWorld(t)
	admin := "Bearer " + w.mint(t, "A", auth.RoleAdmin)
	status, header, data := w.call(t, "POST", "/api/v2/account/A/clients", admin, `{"name":"CRM","role":"campaign_manager"}`)
	var created httpapi.ClientResponse
	if err := json.Unmarshal(data, &created); status != http.StatusCreated || err != nil {
		t.Fatalf("create: %d %s", status, data)
	}
	if created.ClientID == "" || created.ClientSecret == "" || created.Role != "campaign_manager" || created.AccountID != "A" || header.Get("Cache-Control") != "no-store" {
		t.Fatalf("created %+v", created)
	}

	status, header, out := w.tokenRequest(t, form("grant_type", "client_credentials"), created.ClientID+":"+created.ClientSecret)
	if status != http.StatusOK || out["token_type"] != "Bearer" || out["expires_in"] != float64(3600) || header.Get("Cache-Control") != "no-store" {
		t.Fatalf("token with Basic: %d %v", status, out)
	}
	p, err := w.tokens.Verify(context.Background(), out["access_token"].(string))
	if err != nil || p != (auth.Principal{AccountID: "A", Role: auth.RoleCampaignManager, Subject: created.ClientID}) {
		t.Fatalf("the token speaks for %+v, %v", p, err)
	}
	bearer := "Bearer " + out["access_token"].(string)
	if status, _, data := w.call(t, "GET", "/api/v2/account/A/settings", bearer, ""); status != http.StatusOK {
		t.Errorf("the client's token reading settings: %d %s", status, data)
	}
	if status, _, _ := w.call(t, "GET", "/api/v2/account/A/clients", bearer, ""); status != http.StatusForbidden {
		t.Errorf("a campaign manager's token listed API clients: %d", status)
	}
	if status, _, out := w.tokenRequest(t, form("grant_type", "client_credentials", "client_id", created.ClientID, "client_secret", created.ClientSecret), ""); status != http.StatusOK || out["access_token"] == "" {
		t.Errorf("token with form credentials: %d %v", status, out)
	}

	status, _, data = w.call(t, "GET", "/api/v2/account/A/clients", admin, "")
	if status != http.StatusOK || !strings.Contains(string(data), created.ClientID) || strings.Contains(string(data), "clientSecret") || strings.Contains(string(data), "argon2") {
		t.Errorf("list: %d %s", status, data)
	}

	status, _, data = w.call(t, "POST", "/api/v2/account/A/clients/"+created.ClientID+"/rotate", admin, "")
	var rotated httpapi.ClientResponse
	if err := json.Unmarshal(data, &rotated); status != http.StatusOK || err != nil || rotated.ClientSecret == "" || rotated.ClientSecret == created.ClientSecret || rotated.RotatedAt.IsZero() {
		t.Fatalf("rotate: %d %s", status, data)
	}
	if status, _, out := w.tokenRequest(t, form("grant_type", "client_credentials"), created.ClientID+":"+created.ClientSecret); status != http.StatusUnauthorized || out["error"] != "invalid_client" {
		t.Errorf("the old secret after rotation: %d %v", status, out)
	}
	if status, _, _ := w.call(t, "GET", "/api/v2/account/A/settings", bearer, ""); status != http.StatusUnauthorized {
		t.Errorf("a token of the old secret after rotation: %d, want 401", status)
	}
	status, _, out = w.tokenRequest(t, form("grant_type", "client_credentials"), created.ClientID+":"+rotated.ClientSecret)
	if status != http.StatusOK {
		t.Errorf("the new secret: %d", status)
	}
	bearer = "Bearer " + out["access_token"].(string)
	adminB := "Bearer " + w.mint(t, "B", auth.RoleAdmin)
	if status, _, _ := w.call(t, "DELETE", "/api/v2/account/B/clients/"+created.ClientID, adminB, ""); status != http.StatusNotFound {
		t.Errorf("account B's admin revoking A's client on B's path: %d, want 404", status)
	}
	if status, _, data := w.call(t, "DELETE", "/api/v2/account/A/clients/"+created.ClientID, admin, ""); status != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", status, data)
	}
	if status, _, out := w.tokenRequest(t, form("grant_type", "client_credentials"), created.ClientID+":"+rotated.ClientSecret); status != http.StatusUnauthorized || out["error"] != "invalid_client" {
		t.Errorf("a revoked client: %d %v", status, out)
	}
	if status, _, _ := w.call(t, "GET", "/api/v2/account/A/settings", bearer, ""); status != http.StatusUnauthorized {
		t.Errorf("a revoked client's token: %d, want 401", status)
	}
	if status, _, data := w.call(t, "POST", "/api/v2/account/A/clients", admin, `{"role":"root"}`); status != http.StatusBadRequest || !strings.Contains(string(data), `"field":"role"`) {
		t.Errorf("unknown role: %d %s", status, data)
	}
}

func TestTokenEndpointErrors(t *testing.T) {
	w := newAuthWorld(t)
	admin := "Bearer " + w.mint(t, "A", auth.RoleAdmin)
	_, _, data := w.call(t, "POST", "/api/v2/account/A/clients", admin, `{"role":"support"}`)
	var c httpapi.ClientResponse
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	grant := "grant_type=client_credentials"
	tests := []struct {
		name, body, basic string
		contentType       string
		status            int
		error             string
	}{
		{"wrong secret (Basic)", grant, c.ClientID + ":wrong", "", 401, "invalid_client"},
		{"wrong secret (form)", form("grant_type", "client_credentials", "client_id", c.ClientID, "client_secret", "wrong"), "", "", 401, "invalid_client"},
		{"unknown client", grant, "pc_nobody:" + c.ClientSecret, "", 401, "invalid_client"},
		{"no credentials", grant, "", "", 401, "invalid_client"},
		{"id without secret", form("grant_type", "client_credentials", "client_id", c.ClientID), "", "", 401, "invalid_client"},
		{"Basic and form", form("grant_type", "client_credentials", "client_secret", c.ClientSecret), c.ClientID + ":" + c.ClientSecret, "", 400, "invalid_request"},
		{"no grant_type", "", c.ClientID + ":" + c.ClientSecret, "", 400, "invalid_request"},
		{"password grant", form("grant_type", "password"), c.ClientID + ":" + c.ClientSecret, "", 400, "unsupported_grant_type"},
		{"repeated parameter", grant + "&" + grant, c.ClientID + ":" + c.ClientSecret, "", 400, "invalid_request"},
		{"JSON body", `{"grant_type":"client_credentials"}`, c.ClientID + ":" + c.ClientSecret, "application/json", 400, "invalid_request"},
		{"bad form", "grant_type=%zz", c.ClientID + ":" + c.ClientSecret, "", 400, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/oauth/token", strings.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			if tt.basic != "" {
				id, secret, _ := strings.Cut(tt.basic, ":")
				req.SetBasicAuth(id, secret)
			}
			rec := httptest.NewRecorder()
			w.h.ServeHTTP(rec, req)
			var out httpapi.OAuthError
			if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || rec.Code != tt.status || out.Error != tt.error {
				t.Errorf("%d %s, want %d %s", rec.Code, rec.Body.Bytes(), tt.status, tt.error)
			}
			if tt.status == 401 && rec.Header().Get("WWW-Authenticate") == "" {
				t.Error("401 without a WWW-Authenticate challenge")
			}
			if rec.Header().Get("Cache-Control") != "no-store" {
				t.Error("token endpoint answer may be cached")
			}
		})
	}
}

func TestJWKSEndpoint(t *testing.T) {
	w := newAuthWorld(t)
	status, header, data := w.call(t, "GET", "/.well-known/jwks.json", "", "")
	var set auth.JWKS
	if err := json.Unmarshal(data, &set); status != http.StatusOK || err != nil {
		t.Fatalf("%d %s", status, data)
	}
	if len(set.Keys) != 1 || set.Keys[0].Kid != w.tokens.Keys.Signing().Public().ID() || set.Keys[0].Kty != "OKP" || !strings.Contains(header.Get("Cache-Control"), "max-age") {
		t.Errorf("JWKS %s", data)
	}
	if strings.Contains(string(data), `"d"`) {
		t.Error("the JWKS holds a private key")
	}
}

func TestBearerScheme(t *testing.T) {
	w := newAuthWorld(t)
	tok := w.mint(t, "A", auth.RoleAdmin)
	for _, authz := range []string{"Bearer " + tok, "bearer " + tok, "BEARER  " + tok} {
		if status, _, data := w.call(t, "GET", "/api/v2/account/A/settings", authz, ""); status != http.StatusOK {
			t.Errorf("%.10q: %d %s", authz, status, data)
		}
	}
	if status, _, _ := w.call(t, "GET", "/openapi.yaml", "", ""); status != http.StatusOK {
		t.Errorf("the OpenAPI document without a token: %d", status)
	}
	status, header, _ := w.call(t, "GET", "/api/v2/account/A/settings", "Bearer x.y.z", "")
	if status != http.StatusUnauthorized || !strings.Contains(header.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Errorf("a bad token: %d %q", status, header.Get("WWW-Authenticate"))
	}
}

// TestLambdaAuthorizedHandler checks that behind API Gateway the
// authorizer's principal stands in for the bearer token, and that the
// access table still applies to it.
func TestLambdaAuthorizedHandler(t *testing.T) {
	w := newAuthWorld(t)
	h := httpapi.LambdaAuthorizedHandler(w.h)
	ev := func(method, path string, authorizer map[string]any) events.APIGatewayV2HTTPRequest {
		e := events.APIGatewayV2HTTPRequest{RawPath: path, Body: `{"optOutText":"Text STOP to quit"}`,
			RequestContext: events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method}}}
		if authorizer != nil {
			e.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: authorizer}
		}
		return e
	}
	support := map[string]any{"account": "A", "role": "support", "subject": "pc_1"}
	tests := []struct {
		name         string
		method, path string
		authorizer   map[string]any
		status       int
	}{
		{"support reads", "GET", "/api/v2/account/A/settings", support, 200},
		{"support writes", "PUT", "/api/v2/account/A/settings", support, 403},
		{"support on another account", "GET", "/api/v2/account/B/settings", support, 403},
		{"no authorizer, no token", "GET", "/api/v2/account/A/settings", nil, 401},
		{"authorizer context without a role", "GET", "/api/v2/account/A/settings", map[string]any{"account": "A", "subject": "x"}, 401},
		{"public route without authorizer", "GET", "/openapi.yaml", nil, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := h(context.Background(), ev(tt.method, tt.path, tt.authorizer))
			if err != nil || resp.StatusCode != tt.status {
				t.Errorf("%d %s, %v; want %d", resp.StatusCode, resp.Body, err, tt.status)
			}
		})
	}
}

// TestOperatorRoutesRefuseTenants is finding 5's regression test: a
// tenant's admin (or its API client) cannot run an operator action over
// every tenant's jobs; only an operator token can, and an operator token
// opens no tenant's routes.
func TestOperatorRoutesRefuseTenants(t *testing.T) {
	w := newAuthWorld(t)
	client, err := w.srv.Clients.Create(context.Background(), "A", auth.RoleAdmin, "ci")
	if err != nil {
		t.Fatal(err)
	}
	fromClient, err := w.srv.Clients.Exchange(context.Background(), client.Client.ID, client.Secret)
	if err != nil {
		t.Fatal(err)
	}
	for label, token := range map[string]string{"tenant admin": w.mint(t, "A", auth.RoleAdmin), "admin API client": fromClient.AccessToken} {
		if status, _, data := w.call(t, "POST", "/admin/dlq/redrive", "Bearer "+token, ""); status != http.StatusForbidden {
			t.Errorf("%s redrives: %d %s, want 403", label, status, data)
		}
	}
	op, err := w.tokens.Operators().Issue(context.Background(), auth.Principal{AccountID: "operator", Role: auth.RoleOperator, Subject: "ops"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if status, _, data := w.call(t, "POST", "/admin/dlq/redrive", "Bearer "+op.AccessToken, ""); status != http.StatusOK {
		t.Errorf("operator redrives: %d %s, want 200", status, data)
	}
	if status, _, _ := w.call(t, "GET", "/api/v2/account/operator/settings", "Bearer "+op.AccessToken, ""); status != http.StatusUnauthorized {
		t.Errorf("operator token on a tenant route: %d, want 401", status)
	}
	if _, err := w.srv.Clients.Create(context.Background(), "A", auth.RoleOperator, "escalate"); parley.ErrorCode(err) != parley.EINVALID {
		t.Errorf("an API client with the operator role: %v, want EINVALID", err)
	}
	if _, err := w.tokens.Issue(context.Background(), auth.Principal{AccountID: "A", Role: auth.RoleOperator, Subject: "x"}, time.Hour); err != nil {
		t.Fatal(err)
	} else if status, _, _ := w.call(t, "POST", "/admin/dlq/redrive", "Bearer "+w.mint(t, "A", auth.RoleOperator), ""); status != http.StatusForbidden && status != http.StatusUnauthorized {
		t.Errorf("a tenant-audience token with the operator role: %d, want refused", status)
	}
}

// TestAccountIDsValidated is finding 11's regression test: an account id
// outside parley.AccountIDPattern (a NUL, an escaped slash, a key
// separator) is 400 on every route that names one, webhooks included,
// before anything is read or stored.
func TestAccountIDsValidated(t *testing.T) {
	w := newAuthWorld(t)
	for _, id := range []string{"A%00x", "A%2FB", "A%23B", "-A", "%C3%A9"} {
		for _, rt := range []struct{ method, path, body string }{
			{"GET", "/api/v2/account/" + id + "/settings", ""},
			{"PUT", "/api/v2/account/" + id + "/settings", `{"defaultSkill":"x"}`},
			{"POST", "/webhooks/twilio/" + id, "From=%2B12025550181"},
		} {
			status, _, data := w.call(t, rt.method, rt.path, "Bearer "+w.mint(t, "A", auth.RoleAdmin), rt.body)
			if status != http.StatusBadRequest || !strings.Contains(string(data), `"field":"accountId"`) {
				t.Errorf("%s %s: %d %s, want 400 on accountId", rt.method, rt.path, status, data)
			}
		}
	}
	if _, err := w.tokens.Issue(context.Background(), auth.Principal{AccountID: "A\x00x", Role: auth.RoleAdmin, Subject: "x"}, time.Hour); parley.ErrorCode(err) != parley.EINVALID {
		t.Errorf("a token for account A\\x00x: %v, want EINVALID", err)
	}
}

// TestWebhooksHandlerServesWebhooksAlone: the webhooks function's handler,
// reached outside the HTTP API and its authorizer, answers 404 to every
// route but the providers' webhooks, even with an admin's valid token,
// and passes the webhooks to their own handlers (which, in this world
// without an inbox, refuse them in their own words).
func TestWebhooksHandlerServesWebhooksAlone(t *testing.T) {
	w := newAuthWorld(t)
	w.h = w.srv.WebhooksHandler()
	admin := "Bearer " + w.mint(t, "A", auth.RoleAdmin)
	noRoute := `"detail":"no route `
	webhooks := 0
	for _, rt := range w.srv.Routes() {
		access, _ := httpapi.AccessOf(rt.Method, rt.Pattern)
		status, header, data := w.call(t, rt.Method, fill(rt.Pattern, "A"), admin, "")
		switch {
		case access.Kind == httpapi.AccessSignature:
			webhooks++
			if status < 400 || strings.Contains(string(data), noRoute) {
				t.Errorf("%s %s: HTTP %d, want its own handler's refusal: %s", rt.Method, rt.Pattern, status, data)
			}
		case status != http.StatusNotFound || header.Get("Content-Type") != "application/problem+json" || !strings.Contains(string(data), noRoute):
			t.Errorf("%s %s through the webhooks handler: HTTP %d (%s), want a 404 problem: %s", rt.Method, rt.Pattern, status, header.Get("Content-Type"), data)
		}
	}
	if webhooks == 0 {
		t.Fatal("the router has no webhook routes")
	}
}
