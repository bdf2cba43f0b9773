package twilio

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/clocktest"
	"github.com/parleyhq/parley/internal/parley"
)

const testAppSID = "APfedcba9876543210fedcba9876543210"

// verifyAccessToken checks a token as Twilio does: three parts, HS256 over
// the first two with the API key secret, and returns its header and claims.
func verifyAccessToken(t *testing.T, tok, secret string) (header map[string]any, claims map[string]any) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q has %d parts, want 3", tok, len(parts))
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(parts[0] + "." + parts[1]))
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || !hmac.Equal(sig, mac.Sum(nil)) {
		t.Fatalf("signature does not verify with the API key secret (%v)", err)
	}
	for i, into := range []*map[string]any{&header, &claims} {
		data, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, into); err != nil {
			t.Fatal(err)
		}
	}
	return header, claims
}

func TestAccessToken(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	c := Credentials{AccountSID: testAccount, AuthToken: parley.Secret(testToken), APIKeySID: testKeySID, APIKeySecret: testKeySecret}
	tok, err := AccessToken(c, "ann", VoiceGrant{IncomingAllow: true, OutgoingApplicationSID: testAppSID}, now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	header, claims := verifyAccessToken(t, tok, testKeySecret)
	if header["alg"] != "HS256" || header["typ"] != "JWT" || header["cty"] != "twilio-fpa;v=1" {
		t.Errorf("header %v", header)
	}
	if claims["iss"] != testKeySID || claims["sub"] != testAccount || claims["jti"] != testKeySID+"-1800000000" ||
		claims["nbf"] != float64(now.Unix()) || claims["exp"] != float64(now.Add(time.Hour).Unix()) {
		t.Errorf("claims %v", claims)
	}
	grants, _ := claims["grants"].(map[string]any)
	voice, _ := grants["voice"].(map[string]any)
	in, _ := voice["incoming"].(map[string]any)
	out, _ := voice["outgoing"].(map[string]any)
	if grants["identity"] != "ann" || in["allow"] != true || out["application_sid"] != testAppSID {
		t.Errorf("grants %v", grants)
	}
	// Signed with the API key secret, not the auth token.
	parts := strings.Split(tok, ".")
	mac := hmac.New(sha256.New, []byte(testToken))
	mac.Write([]byte(parts[0] + "." + parts[1]))
	if base64.RawURLEncoding.EncodeToString(mac.Sum(nil)) == parts[2] {
		t.Error("the token is signed with the auth token")
	}

	// Without an outgoing app, the grant only receives calls.
	tok, err = AccessToken(c, "bob", VoiceGrant{IncomingAllow: true}, now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	_, claims = verifyAccessToken(t, tok, testKeySecret)
	voice = claims["grants"].(map[string]any)["voice"].(map[string]any)
	if _, ok := voice["outgoing"]; ok || voice["incoming"] == nil {
		t.Errorf("incoming-only voice grant %v", voice)
	}

	for _, tt := range []struct {
		name     string
		c        Credentials
		identity string
		ttl      time.Duration
		field    string
	}{
		{"no API key", Credentials{AccountSID: testAccount, AuthToken: parley.Secret(testToken)}, "ann", time.Hour, "twilio.apiKeySid"},
		{"no identity", c, "", time.Hour, "identity"},
		{"identity too long", c, strings.Repeat("a", 122), time.Hour, "identity"},
		{"lives too long", c, "ann", 25 * time.Hour, "ttl"},
	} {
		if _, err := AccessToken(tt.c, tt.identity, VoiceGrant{IncomingAllow: true}, now, tt.ttl); parley.ErrorField(err) != tt.field {
			t.Errorf("%s: %v, want an error on %s", tt.name, err, tt.field)
		}
	}
}

func TestVoiceToken(t *testing.T) {
	ctx := context.Background()
	clock := clocktest.New(time.Unix(1_800_000_000, 0))
	cfgs := configs{
		"a1": {AccountID: "a1", Channel: parley.ChannelSMS, Provider: Name, Credentials: Credentials{AccountSID: testAccount,
			APIKeySID: testKeySID, APIKeySecret: testKeySecret, VoiceAppSID: testAppSID}.Channel()},
		"nokey": {AccountID: "nokey", Channel: parley.ChannelSMS, Provider: Name, Credentials: Credentials{AccountSID: testAccount, AuthToken: parley.Secret(testToken)}.Channel()},
		"cm":    {AccountID: "cm", Channel: parley.ChannelSMS, Provider: "cm"},
	}
	v := &Voice{Configs: cfgs, Clock: clock}
	got, err := v.VoiceToken(ctx, "a1", "ann")
	if err != nil {
		t.Fatal(err)
	}
	if got.Identity != "ann" || !got.ExpiresAt.Equal(clock.Now().Add(VoiceTokenTTL)) {
		t.Errorf("token %+v", got)
	}
	_, claims := verifyAccessToken(t, got.Token.Reveal(), testKeySecret)
	if claims["grants"].(map[string]any)["identity"] != "ann" {
		t.Errorf("claims %v", claims)
	}
	if s := got.Token.String(); strings.Contains(s, ".") {
		t.Errorf("the token prints as %q; want it redacted", s)
	}
	if _, err := v.VoiceToken(ctx, "nokey", "ann"); parley.ErrorField(err) != "twilio.apiKeySid" {
		t.Errorf("an account without an API key: %v, want an error on twilio.apiKeySid", err)
	}
	for _, acct := range []string{"cm", "none"} {
		if _, err := v.VoiceToken(ctx, acct, "ann"); parley.ErrorCode(err) != parley.ECONFLICT {
			t.Errorf("account %s without Twilio: %v, want ECONFLICT", acct, err)
		}
	}
}
