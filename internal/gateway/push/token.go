package push

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/parley"
)

// Scope is the OAuth 2.0 scope FCM's HTTP v1 API requires.
const Scope = "https://www.googleapis.com/auth/firebase.messaging"

// jwtBearer is the RFC 7523 grant type for exchanging a signed assertion.
const jwtBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer"

const (
	// assertionLifetime is how long a signed assertion is valid; Google
	// accepts at most an hour.
	assertionLifetime = time.Hour
	// refreshMargin is how long before its expiry an access token is
	// replaced, so no request carries a token that lapses in flight.
	refreshMargin = time.Minute
	// maxTokenLifetime caps the lifetime a token endpoint may claim.
	maxTokenLifetime = 24 * time.Hour
)

// Codes for token failures that have no code of Google's.
const (
	CodeNoKey            = "NO_PRIVATE_KEY"
	CodeBadTokenResponse = "BAD_TOKEN_RESPONSE"
)

// TokenSource hands out OAuth 2.0 access tokens for a service account. It
// signs an RS256 JWT assertion, exchanges it at the account's token URI and
// caches the access token until shortly before it expires. It is safe for
// concurrent use: callers wait (or give up with their context) while one of
// them refreshes, so a burst of sends costs one exchange.
type TokenSource struct {
	account ServiceAccount
	http    *http.Client
	clock   parley.Clock

	sem    chan struct{} // one slot; held while the cache is read or refreshed
	token  string
	expiry time.Time
}

// NewTokenSource returns a TokenSource for a; hc and clock default to an
// egress client (public addresses only, no redirects) with a 30 s timeout
// and the system clock when nil.
func NewTokenSource(a ServiceAccount, hc *http.Client, clock parley.Clock) *TokenSource {
	if hc == nil {
		hc = defaultHTTP
	}
	if clock == nil {
		clock = parley.SystemClock{}
	}
	return &TokenSource{account: a, http: hc, clock: clock, sem: make(chan struct{}, 1)}
}

// String describes the source without its token.
func (s *TokenSource) String() string {
	return fmt.Sprintf("push.TokenSource{%v}", s.account)
}

// Token returns a valid access token, exchanging a new assertion when the
// cached one is missing or about to expire. Failures are *parley.SendError.
func (s *TokenSource) Token(ctx context.Context) (string, error) {
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return "", causedBy(sendErr(CodeNetwork, "waiting for an access token: "+ctx.Err().Error(), parley.FailTransient), ctx.Err())
	}
	defer func() { <-s.sem }()
	now := s.clock.Now()
	if s.token != "" && now.Before(s.expiry) {
		return s.token, nil
	}
	token, ttl, err := s.exchange(ctx, now)
	if err != nil {
		return "", err
	}
	s.token, s.expiry = token, now.Add(ttl-min(refreshMargin, ttl/2))
	return token, nil
}

// Invalidate drops token from the cache, if it is still the cached one, so
// the next Token call exchanges a fresh assertion.
func (s *TokenSource) Invalidate(token string) {
	s.sem <- struct{}{}
	defer func() { <-s.sem }()
	if s.token == token {
		s.token, s.expiry = "", time.Time{}
	}
}

// exchange trades a fresh assertion for an access token and its lifetime.
func (s *TokenSource) exchange(ctx context.Context, now time.Time) (string, time.Duration, error) {
	assertion, err := s.account.assertion(now)
	if err != nil {
		return "", 0, err
	}
	form := url.Values{"grant_type": {jwtBearer}, "assertion": {assertion}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.account.TokenURI, strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, causedBy(sendErr(CodeBadURL, err.Error(), parley.FailConfig), err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	status, header, body, err := do(s.http, req)
	if err != nil {
		return "", 0, err
	}
	return parseTokenResponse(status, header, body, now)
}

// jwtHeader and jwtClaims are the parts of the assertion Google reads.
type jwtHeader struct {
	Alg string `json:"alg"`
	Typ string `json:"typ"`
	Kid string `json:"kid"`
}

type jwtClaims struct {
	Iss   string `json:"iss"`
	Scope string `json:"scope"`
	Aud   string `json:"aud"`
	Iat   int64  `json:"iat"`
	Exp   int64  `json:"exp"`
}

// assertion signs the JWT that asks for an FCM-scoped access token.
func (a ServiceAccount) assertion(now time.Time) (string, error) {
	if a.key == nil {
		return "", sendErr(CodeNoKey, "service account has no private key; use ParseServiceAccount", parley.FailConfig)
	}
	header, err := json.Marshal(jwtHeader{Alg: "RS256", Typ: "JWT", Kid: a.PrivateKeyID})
	if err != nil {
		return "", fmt.Errorf("encoding JWT header: %w", err)
	}
	claims, err := json.Marshal(jwtClaims{
		Iss: a.ClientEmail, Scope: Scope, Aud: a.TokenURI,
		Iat: now.Unix(), Exp: now.Add(assertionLifetime).Unix(),
	})
	if err != nil {
		return "", fmt.Errorf("encoding JWT claims: %w", err)
	}
	signed := b64(header) + "." + b64(claims)
	digest := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(nil, a.key, crypto.SHA256, digest[:])
	if err != nil {
		return "", causedBy(sendErr(CodeNoKey, "signing the assertion: "+err.Error(), parley.FailConfig), err)
	}
	return signed + "." + b64(sig), nil
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// tokenResponse is the token endpoint's answer: a token, or an OAuth error.
type tokenResponse struct {
	AccessToken      string `json:"access_token"`
	ExpiresIn        int64  `json:"expires_in"`
	TokenType        string `json:"token_type"`
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

// parseTokenResponse reads the token endpoint's answer: the token and its
// lifetime, or a *parley.SendError. A refused grant (bad key, revoked
// account, wrong clock) is a configuration error.
func parseTokenResponse(status int, header http.Header, body []byte, now time.Time) (string, time.Duration, error) {
	var r tokenResponse
	readable := json.Unmarshal(body, &r) == nil
	if status == http.StatusOK && readable && r.AccessToken != "" && strings.EqualFold(r.TokenType, "Bearer") && r.ExpiresIn > 0 {
		return r.AccessToken, seconds(r.ExpiresIn), nil
	}
	code, reason := r.Error, r.ErrorDescription
	if code == "" {
		code = "HTTP_" + strconv.Itoa(status)
	}
	if reason == "" {
		reason = "token endpoint refused the assertion"
	}
	var kind parley.FailKind
	switch {
	case status == http.StatusOK:
		code, reason, kind = CodeBadTokenResponse, "token response without a bearer token", parley.FailTransient
	case status == http.StatusTooManyRequests:
		kind = parley.FailThrottled
	case status >= 500:
		kind = parley.FailTransient
	default:
		kind = parley.FailConfig
	}
	e := sendErr(code, reason, kind)
	e.RetryAfter = retryAfter(header, now)
	return "", 0, e
}

// retryAfter reads a Retry-After header in seconds or as an HTTP date;
// zero when absent, unreadable or past.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		return seconds(secs)
	}
	if at, err := http.ParseTime(v); err == nil && at.After(now) {
		return at.Sub(now)
	}
	return 0
}

// seconds converts a count of seconds from a response into a duration,
// clamped to [0, maxTokenLifetime] so no answer can overflow it.
func seconds(n int64) time.Duration {
	return time.Duration(max(0, min(n, int64(maxTokenLifetime/time.Second)))) * time.Second
}

// do sends req and returns the status, headers and a bounded body; a
// transport failure is a *parley.SendError (see gateway.TransportError).
func do(hc *http.Client, req *http.Request) (int, http.Header, []byte, error) {
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, nil, gateway.TransportError(provider, CodeNetwork, "no answer from "+req.URL.Host, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return 0, nil, nil, causedBy(sendErr(CodeNetwork, "reading response: "+err.Error(), parley.FailTransient), err)
	}
	return resp.StatusCode, resp.Header, body, nil
}
