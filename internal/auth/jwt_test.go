package auth_test

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/parley"
)

// now is the fixed time the tests verify at.
var now = time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC)

const (
	issuer   = "https://parley.test"
	audience = "parley-api"
)

// keys are generated once: an RSA key takes a while.
type keys struct {
	edPriv  ed25519.PrivateKey
	ed      *auth.Key
	rsaPriv *rsa.PrivateKey
	rsa     *auth.Key
	// stranger is a key the verifier does not know.
	strangerPriv ed25519.PrivateKey
}

var testKeys = sync.OnceValue(func() keys {
	var k keys
	var err error
	_, k.edPriv, _ = ed25519.GenerateKey(rand.Reader)
	_, k.strangerPriv, _ = ed25519.GenerateKey(rand.Reader)
	if k.rsaPriv, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		panic(err)
	}
	if k.ed, err = auth.NewKey(k.edPriv); err != nil {
		panic(err)
	}
	if k.rsa, err = auth.NewKey(k.rsaPriv); err != nil {
		panic(err)
	}
	return k
})

// verifier signs with the Ed25519 key and still accepts the RSA key, as
// after a rotation from RSA to Ed25519.
func verifier(t testing.TB) *auth.Tokens {
	t.Helper()
	k := testKeys()
	set, err := auth.NewKeySet(k.ed, k.rsa.Public())
	if err != nil {
		t.Fatal(err)
	}
	return &auth.Tokens{Keys: set, Issuer: issuer, Audience: audience, Clock: parley.ClockFunc(func() time.Time { return now })}
}

func seg(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(data)
}

// forge builds a compact JWS by hand: header and claims as given, signed
// by sign over the signing input.
func forge(header, claims map[string]any, sign func(input []byte) []byte) string {
	input := seg(header) + "." + seg(claims)
	return input + "." + base64.RawURLEncoding.EncodeToString(sign([]byte(input)))
}

func edSigner(priv ed25519.PrivateKey) func([]byte) []byte {
	return func(in []byte) []byte { return ed25519.Sign(priv, in) }
}

func rsaSigner(priv *rsa.PrivateKey) func([]byte) []byte {
	return func(in []byte) []byte {
		sum := sha256.Sum256(in)
		sig, err := rsa.SignPKCS1v15(rand.Reader, priv, crypto.SHA256, sum[:])
		if err != nil {
			panic(err)
		}
		return sig
	}
}

func hmacSigner(secret []byte) func([]byte) []byte {
	return func(in []byte) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write(in)
		return m.Sum(nil)
	}
}

func claims(changes map[string]any) map[string]any {
	c := map[string]any{
		"iss": issuer, "aud": audience, "sub": "pc_1", "jti": "j1",
		"iat": now.Add(-10 * time.Second).Unix(), "exp": now.Add(50 * time.Minute).Unix(),
		"account": "A", "role": "admin",
	}
	maps.Copy(c, changes)
	for k, v := range c {
		if v == nil {
			delete(c, k)
		}
	}
	return c
}

func TestVerify(t *testing.T) {
	k := testKeys()
	edHeader := map[string]any{"alg": "EdDSA", "typ": "JWT", "kid": k.ed.ID()}
	rsHeader := map[string]any{"alg": "RS256", "typ": "JWT", "kid": k.rsa.ID()}
	header := func(base map[string]any, changes map[string]any) map[string]any {
		h := maps.Clone(base)
		maps.Copy(h, changes)
		for k, v := range h {
			if v == nil {
				delete(h, k)
			}
		}
		return h
	}
	ed := func(c map[string]any) string { return forge(edHeader, c, edSigner(k.edPriv)) }
	valid := ed(claims(nil))
	parts := strings.Split(valid, ".")
	rsaPublicPEM, err := x509.MarshalPKIXPublicKey(&k.rsaPriv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	rsaPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: rsaPublicPEM})

	tests := []struct {
		name  string
		token string
		want  string // "" for a token that verifies; else part of the error
	}{
		{"valid EdDSA", valid, ""},
		{"valid RS256 from the previous key", forge(rsHeader, claims(nil), rsaSigner(k.rsaPriv)), ""},
		{"audience among several", ed(claims(map[string]any{"aud": []string{"other", audience}})), ""},
		{"expired within leeway", ed(claims(map[string]any{"exp": now.Add(-30 * time.Second).Unix()})), ""},
		{"nbf within leeway", ed(claims(map[string]any{"nbf": now.Add(30 * time.Second).Unix()})), ""},
		{"iat within leeway", ed(claims(map[string]any{"iat": now.Add(30 * time.Second).Unix()})), ""},
		{"fractional times", ed(claims(map[string]any{"exp": float64(now.Add(50*time.Minute).Unix()) + 0.5})), ""},

		{"tampered claims", parts[0] + "." + seg(claims(map[string]any{"account": "B"})) + "." + parts[2], "signature is invalid"},
		{"tampered header", seg(header(edHeader, map[string]any{"typ": "at+jwt"})) + "." + parts[1] + "." + parts[2], "signature is invalid"},
		{"tampered signature", parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(make([]byte, 64)), "signature is invalid"},
		{"truncated signature", parts[0] + "." + parts[1] + "." + parts[2][:20], "signature is invalid"},
		{"signed by a stranger under our kid", forge(edHeader, claims(nil), edSigner(k.strangerPriv)), "signature is invalid"},
		{"expired", ed(claims(map[string]any{"exp": now.Add(-61 * time.Second).Unix()})), "expired"},
		{"no exp", ed(claims(map[string]any{"exp": nil})), "no exp"},
		{"not yet valid", ed(claims(map[string]any{"nbf": now.Add(2 * time.Minute).Unix()})), "not valid before"},
		{"issued in the future", ed(claims(map[string]any{"iat": now.Add(2 * time.Minute).Unix()})), "issued in the future"},
		{"no iat", ed(claims(map[string]any{"iat": nil})), "no iat"},
		{"wrong issuer", ed(claims(map[string]any{"iss": "https://evil.test"})), "issuer"},
		{"no issuer", ed(claims(map[string]any{"iss": nil})), "issuer"},
		{"wrong audience", ed(claims(map[string]any{"aud": "other-api"})), "audience"},
		{"no audience", ed(claims(map[string]any{"aud": nil})), "audience"},
		{"audience of the wrong type", ed(claims(map[string]any{"aud": 7})), "claims"},
		{"no account", ed(claims(map[string]any{"account": nil})), "no account"},
		{"no subject", ed(claims(map[string]any{"sub": ""})), "no subject"},
		{"unknown role", ed(claims(map[string]any{"role": "root"})), "not a role"},
		{"exp out of range", ed(claims(map[string]any{"exp": 1e300})), "claims"},
		{"exp in 9999", ed(claims(map[string]any{"exp": time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC).Unix()})), "at most"},
		{"lifetime over the maximum", ed(claims(map[string]any{"iat": now.Add(-2 * time.Hour).Unix()})), "at most"},
		{"exp negative", ed(claims(map[string]any{"exp": -5})), "claims"},

		{"alg none", forge(header(edHeader, map[string]any{"alg": "none"}), claims(nil), func([]byte) []byte { return nil }), "alg none"},
		{"alg None", forge(header(edHeader, map[string]any{"alg": "None"}), claims(nil), func([]byte) []byte { return nil }), "alg none"},
		{"alg none without kid", forge(map[string]any{"alg": "none"}, claims(nil), func([]byte) []byte { return nil }), "alg none"},
		{"HS256 keyed with the RSA public key PEM", forge(header(rsHeader, map[string]any{"alg": "HS256"}), claims(nil), hmacSigner(rsaPEM)), "HS256 is not accepted"},
		{"HS256 keyed with the RSA public key DER", forge(header(rsHeader, map[string]any{"alg": "HS256"}), claims(nil), hmacSigner(rsaPublicPEM)), "HS256 is not accepted"},
		{"HS512 keyed with the Ed25519 public key", forge(header(edHeader, map[string]any{"alg": "HS512"}), claims(nil), hmacSigner(k.edPriv.Public().(ed25519.PublicKey))), "not accepted"},
		{"RS256 claimed for the Ed25519 key", forge(header(edHeader, map[string]any{"alg": "RS256"}), claims(nil), rsaSigner(k.rsaPriv)), "does not match key"},
		{"EdDSA claimed for the RSA key", forge(header(rsHeader, map[string]any{"alg": "EdDSA"}), claims(nil), edSigner(k.edPriv)), "does not match key"},
		{"PS256", forge(header(rsHeader, map[string]any{"alg": "PS256"}), claims(nil), rsaSigner(k.rsaPriv)), "does not match key"},
		{"unknown kid", forge(header(edHeader, map[string]any{"kid": "nope"}), claims(nil), edSigner(k.edPriv)), "unknown key"},
		{"no kid", forge(header(edHeader, map[string]any{"kid": nil}), claims(nil), edSigner(k.edPriv)), "no kid"},
		{"critical extension", forge(header(edHeader, map[string]any{"crit": []string{"b64"}, "b64": false}), claims(nil), edSigner(k.edPriv)), "critical"},
		{"embedded jwk is ignored", forge(header(edHeader, map[string]any{"kid": "x", "jwk": k.ed.JWK()}), claims(nil), edSigner(k.edPriv)), "unknown key"},
		{"no alg", forge(header(edHeader, map[string]any{"alg": nil}), claims(nil), edSigner(k.edPriv)), "no alg"},

		{"empty", "", "segments"},
		{"two segments", parts[0] + "." + parts[1], "segments"},
		{"four segments", valid + ".x", "segments"},
		{"padded base64", parts[0] + "=." + parts[1] + "." + parts[2], "header"},
		{"standard base64", strings.NewReplacer("-", "+", "_", "/").Replace(parts[0]) + "x+/." + parts[1] + "." + parts[2], "header"},
		{"header not JSON", base64.RawURLEncoding.EncodeToString([]byte("hello")) + "." + parts[1] + "." + parts[2], "header"},
		{"claims with trailing data", parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"x"} {}`)) + "." + parts[2], "claims"},
		{"signature not base64url", parts[0] + "." + parts[1] + ".***", "signature"},
		{"oversized", valid + strings.Repeat("A", auth.MaxTokenBytes), "bytes"},
	}
	v := verifier(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := v.Verify(context.Background(), tt.token)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if p != (auth.Principal{AccountID: "A", Role: auth.RoleAdmin, Subject: "pc_1"}) {
					t.Errorf("principal = %+v", p)
				}
				return
			}
			if parley.ErrorCode(err) != parley.EUNAUTHORIZED || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Verify = %+v, %v; want EUNAUTHORIZED naming %q", p, err, tt.want)
			}
		})
	}
}

func TestIssueAndVerify(t *testing.T) {
	v := verifier(t)
	p := auth.Principal{AccountID: "A", Role: auth.RoleSupport, Subject: "pc_9"}
	tok, err := v.Issue(context.Background(), p, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if tok.TokenType != "Bearer" || tok.ExpiresIn != time.Hour || !tok.ExpiresAt.Equal(now.Add(time.Hour)) {
		t.Errorf("issued %+v", tok)
	}
	if got, err := v.Verify(context.Background(), tok.AccessToken); err != nil || got != p {
		t.Fatalf("Verify = %+v, %v", got, err)
	}
	parsed, err := auth.Parse(tok.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	h, c := parsed.Header, parsed.Claims
	if h.Alg != "EdDSA" || h.Typ != "JWT" || h.Kid != testKeys().ed.ID() {
		t.Errorf("header %+v", h)
	}
	if c.Issuer != issuer || len(c.Audience) != 1 || c.Audience[0] != audience || c.ID == "" || int64(c.IssuedAt) != now.Unix() || int64(c.Expires) != now.Add(time.Hour).Unix() {
		t.Errorf("claims %+v", c)
	}
	later := *v
	later.Clock = parley.ClockFunc(func() time.Time { return now.Add(time.Hour + auth.Leeway + time.Second) })
	if _, err := later.Verify(context.Background(), tok.AccessToken); parley.ErrorCode(err) != parley.EUNAUTHORIZED {
		t.Errorf("a token an hour and a minute old verified: %v", err)
	}

	for _, bad := range []auth.Principal{{Role: auth.RoleAdmin, Subject: "s"}, {AccountID: "A", Role: "root", Subject: "s"}, {AccountID: "A", Role: auth.RoleAdmin}} {
		if _, err := v.Issue(context.Background(), bad, time.Hour); err == nil {
			t.Errorf("Issue(%+v) succeeded", bad)
		}
	}
	verifyOnly := *v
	verifyOnly.Keys, _ = auth.NewKeySet(nil, testKeys().ed)
	if _, err := verifyOnly.Issue(context.Background(), p, time.Hour); parley.ErrorCode(err) != parley.EUNAVAILABLE {
		t.Errorf("a verify-only key set issued a token: %v", err)
	}
	if got, err := verifyOnly.Verify(context.Background(), tok.AccessToken); err != nil || got != p {
		t.Errorf("a verify-only key set: %+v, %v", got, err)
	}
	unconfigured := *v
	unconfigured.Audience = ""
	if _, err := unconfigured.Verify(context.Background(), tok.AccessToken); err == nil {
		t.Error("a verifier without an audience accepted a token")
	}
}

// TestRotation signs with a new key while the old one still verifies, then
// drops the old key: its tokens stop verifying.
func TestRotation(t *testing.T) {
	clock := parley.ClockFunc(func() time.Time { return now })
	k := testKeys()
	oldSet, _ := auth.NewKeySet(k.ed)
	old := &auth.Tokens{Keys: oldSet, Issuer: issuer, Audience: audience, Clock: clock}
	p := auth.Principal{AccountID: "A", Role: auth.RoleAdmin, Subject: "s"}
	oldTok, err := old.Issue(context.Background(), p, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	rotatedSet, _ := auth.NewKeySet(k.rsa, k.ed)
	rotated := &auth.Tokens{Keys: rotatedSet, Issuer: issuer, Audience: audience, Clock: clock}
	newTok, err := rotated.Issue(context.Background(), p, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for name, tok := range map[string]string{"old": oldTok.AccessToken, "new": newTok.AccessToken} {
		if _, err := rotated.Verify(context.Background(), tok); err != nil {
			t.Errorf("%s token after rotation: %v", name, err)
		}
	}
	if h, _ := auth.Parse(newTok.AccessToken); h.Header.Alg != "RS256" || h.Header.Kid != k.rsa.ID() {
		t.Errorf("new token header %+v", h.Header)
	}
	doneSet, _ := auth.NewKeySet(k.rsa)
	done := &auth.Tokens{Keys: doneSet, Issuer: issuer, Audience: audience, Clock: clock}
	if _, err := done.Verify(context.Background(), oldTok.AccessToken); err == nil || !strings.Contains(err.Error(), "unknown key") {
		t.Errorf("a token of a retired key: %v", err)
	}
	jwks := rotated.JWKS()
	if len(jwks.Keys) != 2 || jwks.Keys[0].Kid != k.rsa.ID() || jwks.Keys[1].Kid != k.ed.ID() {
		t.Errorf("JWKS after rotation %+v", jwks)
	}
}
