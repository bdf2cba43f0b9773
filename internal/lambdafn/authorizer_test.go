package lambdafn_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/lambdafn"
	"github.com/parleyhq/parley/internal/obs"
	"github.com/parleyhq/parley/internal/parley"
)

// readEvent reads a file of events/ with each placeholder replaced.
func readEvent(t *testing.T, name string, replace ...string) events.APIGatewayV2CustomAuthorizerV2Request {
	t.Helper()
	data, err := os.ReadFile("../../events/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var ev events.APIGatewayV2CustomAuthorizerV2Request
	if err := json.Unmarshal([]byte(strings.NewReplacer(replace...).Replace(string(data))), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Version != "2.0" || ev.Type != "REQUEST" {
		t.Fatalf("events/%s is not a payload 2.0 request authorizer event: %+v", name, ev)
	}
	return ev
}

// sampleEvent reads events/authorizer.json with token in place of its
// placeholder ("" removes the Authorization header).
func sampleEvent(t *testing.T, token string) events.APIGatewayV2CustomAuthorizerV2Request {
	t.Helper()
	ev := readEvent(t, "authorizer.json", "REPLACE_WITH_TOKEN", token)
	if ev.Headers["authorization"] == "" {
		t.Fatal("events/authorizer.json has no Authorization header")
	}
	if token == "" {
		delete(ev.Headers, "authorization")
	}
	return ev
}

// sessionEvent reads events/authorizer-session.json, the webtool's POST
// with its session cookie, with session and csrf in place of their
// placeholders ("" removes the CSRF header).
func sessionEvent(t *testing.T, session, csrf string) events.APIGatewayV2CustomAuthorizerV2Request {
	t.Helper()
	ev := readEvent(t, "authorizer-session.json", "REPLACE_WITH_SESSION", session, "REPLACE_WITH_CSRF", csrf)
	if ev.RequestContext.HTTP.Method != http.MethodPost || len(ev.Cookies) == 0 || ev.Headers["authorization"] != "" {
		t.Fatalf("events/authorizer-session.json is not a POST with cookies and no Authorization header: %+v", ev)
	}
	if csrf == "" {
		delete(ev.Headers, "x-parley-csrf")
	}
	return ev
}

// testTokens issues and verifies tokens with a new key, on a clock
// standing at now.
func testTokens(t *testing.T, now time.Time) *auth.Tokens {
	t.Helper()
	key, err := auth.GenerateEd25519()
	if err != nil {
		t.Fatal(err)
	}
	keys, _ := auth.NewKeySet(key)
	return &auth.Tokens{Keys: keys, Issuer: "parley", Audience: "parley-api", Clock: parley.ClockFunc(func() time.Time { return now })}
}

func TestAuthorizer(t *testing.T) {
	now := time.Date(2026, 11, 21, 15, 0, 0, 0, time.UTC)
	tokens := testTokens(t, now)
	issue := func(tt *auth.Tokens, ttl time.Duration) string {
		tok, err := tt.Issue(context.Background(), auth.Principal{AccountID: "demo", Role: auth.RoleSupport, Subject: "pc_1"}, ttl)
		if err != nil {
			t.Fatal(err)
		}
		return tok.AccessToken
	}
	valid := issue(tokens, time.Hour)
	past := *tokens
	past.Clock = parley.ClockFunc(func() time.Time { return now.Add(-3 * time.Hour) })
	otherAudience := *tokens
	otherAudience.Audience = "someone-else"
	handler := lambdafn.Authorizer(tokens, obs.Discard())

	resp, err := handler(context.Background(), sampleEvent(t, valid))
	if err != nil || !resp.IsAuthorized {
		t.Fatalf("valid token: %+v, %v", resp, err)
	}
	want := map[string]any{"account": "demo", "role": "support", "subject": "pc_1"}
	for k, v := range want {
		if resp.Context[k] != v {
			t.Errorf("context[%s] = %v, want %v", k, resp.Context[k], v)
		}
	}
	out, _ := json.Marshal(resp)
	if !strings.Contains(string(out), `"isAuthorized":true`) {
		t.Errorf("response JSON %s", out)
	}

	for name, token := range map[string]string{
		"no token":       "",
		"expired":        issue(&past, time.Hour),
		"wrong audience": issue(&otherAudience, time.Hour),
		"tampered":       valid[:len(valid)-4] + "AAAA",
		"garbage":        "x.y.z",
	} {
		resp, err := handler(context.Background(), sampleEvent(t, token))
		if err != nil || resp.IsAuthorized || resp.Context != nil {
			t.Errorf("%s: %+v, %v; want a refusal", name, resp, err)
		}
	}
	basic := sampleEvent(t, valid)
	basic.Headers["authorization"] = "Basic " + valid
	if resp, _ := handler(context.Background(), basic); resp.IsAuthorized {
		t.Error("a Basic header was authorized")
	}

	unconfigured := *tokens
	unconfigured.Issuer = ""
	if _, err := lambdafn.Authorizer(&unconfigured, obs.Discard())(context.Background(), sampleEvent(t, valid)); err == nil {
		t.Error("a misconfigured verifier refused quietly instead of failing")
	}
}

func TestAuthorizerSession(t *testing.T) {
	now := time.Date(2026, 11, 21, 15, 0, 0, 0, time.UTC)
	tokens := testTokens(t, now)
	tokens.MaxTTL = 8 * time.Hour // a session's lifetime
	issue := func(tt *auth.Tokens) string {
		tok, err := tt.Issue(context.Background(), auth.Principal{AccountID: "demo", Role: auth.RoleCampaignManager, Subject: "oidc:jane"}, 8*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return tok.AccessToken
	}
	session := issue(tokens)
	csrf := auth.CSRFToken(session)
	past := *tokens
	past.Clock = parley.ClockFunc(func() time.Time { return now.Add(-10 * time.Hour) })
	expired := issue(&past)
	handler := lambdafn.Authorizer(tokens, obs.Discard())
	authorized := func(name string, ev events.APIGatewayV2CustomAuthorizerV2Request) bool {
		t.Helper()
		resp, err := handler(context.Background(), ev)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !resp.IsAuthorized && resp.Context != nil {
			t.Errorf("%s: refused with a context %v", name, resp.Context)
		}
		return resp.IsAuthorized
	}

	resp, err := handler(context.Background(), sessionEvent(t, session, csrf))
	if err != nil || !resp.IsAuthorized {
		t.Fatalf("a session's POST with its CSRF token: %+v, %v", resp, err)
	}
	for k, v := range map[string]any{"account": "demo", "role": "campaign_manager", "subject": "oidc:jane"} {
		if resp.Context[k] != v {
			t.Errorf("context[%s] = %v, want %v", k, resp.Context[k], v)
		}
	}

	get := sessionEvent(t, session, "")
	get.RequestContext.HTTP.Method = http.MethodGet
	if !authorized("a session's GET without a CSRF token", get) {
		t.Error("a session's GET without a CSRF token was refused: reading needs none")
	}
	inHeader := sessionEvent(t, session, csrf)
	inHeader.Headers["cookie"] = strings.Join(inHeader.Cookies, "; ")
	inHeader.Cookies = nil
	if !authorized("the session in a Cookie header", inHeader) {
		t.Error("the session in a Cookie header was refused")
	}

	other := issue(tokens)
	for name, ev := range map[string]events.APIGatewayV2CustomAuthorizerV2Request{
		"tampered session":          sessionEvent(t, session[:len(session)-4]+"AAAA", auth.CSRFToken(session[:len(session)-4]+"AAAA")),
		"expired session":           sessionEvent(t, expired, auth.CSRFToken(expired)),
		"POST without CSRF token":   sessionEvent(t, session, ""),
		"POST with another's token": sessionEvent(t, session, auth.CSRFToken(other)),
		"POST with a token altered": sessionEvent(t, session, csrf[:len(csrf)-1]+"x"),
		"no session cookie":         sessionEvent(t, "", ""),
		"garbage session":           sessionEvent(t, "x.y.z", auth.CSRFToken("x.y.z")),
	} {
		if authorized(name, ev) {
			t.Errorf("%s was authorized", name)
		}
	}
	for _, m := range []string{http.MethodPut, http.MethodPatch, http.MethodDelete} {
		ev := sessionEvent(t, session, "")
		ev.RequestContext.HTTP.Method = m
		if authorized(m+" without CSRF token", ev) {
			t.Errorf("a session's %s without its CSRF token was authorized", m)
		}
	}
	// An Authorization header is the request's credential, as in parley
	// serve: a bad one is refused whatever cookie comes with it, and a
	// bearer token needs no CSRF token.
	bad := sessionEvent(t, session, csrf)
	bad.Headers["authorization"] = "Bearer x.y.z"
	if authorized("a bad bearer token with a valid session", bad) {
		t.Error("a bad bearer token was authorized by the session beside it")
	}
	bearer := sessionEvent(t, "", "")
	bearer.Headers["authorization"] = "Bearer " + session
	if !authorized("a bearer token on a POST", bearer) {
		t.Error("a valid bearer token on a POST without CSRF token was refused")
	}
}
