package lambdafn_test

import (
	"context"
	"encoding/json"
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

// sampleEvent reads events/authorizer.json with token in place of its
// placeholder ("" removes the Authorization header).
func sampleEvent(t *testing.T, token string) events.APIGatewayV2CustomAuthorizerV2Request {
	t.Helper()
	data, err := os.ReadFile("../../events/authorizer.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev events.APIGatewayV2CustomAuthorizerV2Request
	if err := json.Unmarshal([]byte(strings.ReplaceAll(string(data), "REPLACE_WITH_TOKEN", token)), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Version != "2.0" || ev.Type != "REQUEST" || ev.Headers["authorization"] == "" {
		t.Fatalf("events/authorizer.json is not a payload 2.0 request authorizer event: %+v", ev)
	}
	if token == "" {
		delete(ev.Headers, "authorization")
		ev.IdentitySource = nil
	}
	return ev
}

func TestAuthorizer(t *testing.T) {
	now := time.Date(2026, 11, 21, 15, 0, 0, 0, time.UTC)
	key, err := auth.GenerateEd25519()
	if err != nil {
		t.Fatal(err)
	}
	keys, _ := auth.NewKeySet(key)
	tokens := &auth.Tokens{Keys: keys, Issuer: "parley", Audience: "parley-api", Clock: parley.ClockFunc(func() time.Time { return now })}
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
