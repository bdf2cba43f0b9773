// Package oidctest is an OpenID Connect provider for tests: discovery
// document, JWKS, authorization endpoint (which signs the configured user
// in at once) and token endpoint, checking requests as a real provider
// does — registered redirect URI, PKCE S256 verifier, one-time codes,
// client authentication — and issuing RS256 ID tokens.
package oidctest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/oidc"
)

// Issuer is a running test provider. Tests change Claims, Audience,
// Nonce and TTL between sign-ins to make it misbehave.
type Issuer struct {
	*httptest.Server
	ClientID, ClientSecret, RedirectURI string
	key                                 *auth.Key

	mu sync.Mutex
	// Claims are added to every ID token (the account and role claims).
	Claims map[string]any
	// Audience, when set, replaces the client id as the token's aud.
	Audience string
	// Nonce, when set, replaces the nonce the authorization request sent.
	Nonce string
	// IssuedAt shifts the token's iat and exp; TTL is its lifetime.
	IssuedAt time.Time
	TTL      time.Duration
	// Challenges are the PKCE challenges the authorization endpoint got.
	Challenges []string
	codes      map[string]grant
}

type grant struct{ challenge, nonce, redirect string }

// New starts a provider with one registered client and redirect URI.
func New(t testing.TB, clientID, clientSecret, redirectURI string) *Issuer {
	t.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	key, err := auth.NewKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	is := &Issuer{ClientID: clientID, ClientSecret: clientSecret, RedirectURI: redirectURI, key: key,
		Claims: map[string]any{}, TTL: 5 * time.Minute, codes: map[string]grant{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", is.discovery)
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, auth.JWKS{Keys: []auth.JWK{key.JWK()}})
	})
	mux.HandleFunc("GET /authorize", is.authorize)
	mux.HandleFunc("POST /token", is.token)
	is.Server = httptest.NewServer(mux)
	t.Cleanup(is.Close)
	return is
}

func (is *Issuer) discovery(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, 200, map[string]any{
		"issuer": is.URL, "authorization_endpoint": is.URL + "/authorize", "token_endpoint": is.URL + "/token",
		"jwks_uri": is.URL + "/jwks", "response_types_supported": []string{"code"},
		"subject_types_supported": []string{"public"}, "id_token_signing_alg_values_supported": []string{"RS256"},
		"code_challenge_methods_supported": []string{"S256"},
	})
}

// authorize signs the user in at once and redirects back with a code, as a
// provider does after its login page (OpenID Connect Core §3.1.2).
func (is *Issuer) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	switch {
	case q.Get("response_type") != "code" || q.Get("client_id") != is.ClientID:
		http.Error(w, "unknown client or response type", 400)
		return
	case q.Get("redirect_uri") != is.RedirectURI:
		http.Error(w, "redirect_uri is not registered", 400)
		return
	case q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43:
		http.Error(w, "PKCE with S256 is required", 400)
		return
	case q.Get("nonce") == "" || q.Get("state") == "":
		http.Error(w, "state and nonce are required", 400)
		return
	}
	is.mu.Lock()
	code := oidc.NewFlow().State
	is.codes[code] = grant{challenge: q.Get("code_challenge"), nonce: q.Get("nonce"), redirect: q.Get("redirect_uri")}
	is.Challenges = append(is.Challenges, q.Get("code_challenge"))
	is.mu.Unlock()
	back, _ := url.Parse(is.RedirectURI)
	back.RawQuery = url.Values{"code": {code}, "state": {q.Get("state")}}.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

func (is *Issuer) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, 400, "invalid_request")
		return
	}
	id, secret, basic := r.BasicAuth()
	if !basic {
		id = r.PostForm.Get("client_id")
	}
	id, _ = url.QueryUnescape(id)
	secret, _ = url.QueryUnescape(secret)
	if id != is.ClientID || secret != is.ClientSecret {
		oauthError(w, 401, "invalid_client")
		return
	}
	is.mu.Lock()
	g, ok := is.codes[r.PostForm.Get("code")]
	delete(is.codes, r.PostForm.Get("code")) // a code is used once
	claims := map[string]any{}
	for k, v := range is.Claims {
		claims[k] = v
	}
	aud, nonce, iat, ttl := is.Audience, is.Nonce, is.IssuedAt, is.TTL
	is.mu.Unlock()
	switch {
	case r.PostForm.Get("grant_type") != "authorization_code" || !ok || r.PostForm.Get("redirect_uri") != g.redirect:
		oauthError(w, 400, "invalid_grant")
		return
	case oidc.Challenge(r.PostForm.Get("code_verifier")) != g.challenge:
		oauthError(w, 400, "invalid_grant") // RFC 7636 §4.6
		return
	}
	if aud == "" {
		aud = is.ClientID
	}
	if nonce == "" {
		nonce = g.nonce
	}
	if iat.IsZero() {
		iat = time.Now()
	}
	claims["iss"], claims["sub"], claims["aud"], claims["nonce"] = is.URL, "user-1", aud, nonce
	claims["iat"], claims["exp"] = iat.Unix(), iat.Add(ttl).Unix()
	tok, err := auth.SignJWS(context.Background(), is.key, claims)
	if err != nil {
		oauthError(w, 500, "server_error")
		return
	}
	writeJSON(w, 200, map[string]any{"access_token": "opaque", "token_type": "Bearer", "expires_in": 300, "id_token": tok})
}

func oauthError(w http.ResponseWriter, status int, code string) {
	writeJSON(w, status, map[string]string{"error": code})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
