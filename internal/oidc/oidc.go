// Package oidc is Parley's OpenID Connect relying party: the webtool's
// sign-in against the identity provider an operator configures (Cognito,
// Entra ID, Okta, Google, any issuer with a discovery document). It runs
// the authorization code flow with PKCE (RFC 7636, S256), verifies the ID
// token (signature by the issuer's JWKS, iss, aud, azp, exp, iat, nonce) and
// maps two of its claims to the Parley account and role the session acts
// as.
package oidc

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/parley"
)

// Default claims the account and the role are read from.
const (
	DefaultAccountClaim = "parley_account"
	DefaultRoleClaim    = "parley_role"
)

// Leeway is how far the issuer's clock and Parley's may differ.
const Leeway = 60 * time.Second

// maxDocument bounds what is read from the issuer: discovery document,
// JWKS, token answer.
const maxDocument = 1 << 20

// jwksRefreshEvery is how often, at most, the JWKS is fetched again for a
// key id it does not hold (a rotated key): an ID token naming unknown keys
// cannot make Parley fetch without bound.
const jwksRefreshEvery = time.Minute

// Config is the operator's configuration of the identity provider.
type Config struct {
	// Issuer is the issuer identifier; its discovery document is at
	// Issuer + "/.well-known/openid-configuration".
	Issuer string
	// ClientID is Parley's client at the issuer; ClientSecret is empty for
	// a public client (PKCE alone), else sent with client_secret_basic.
	ClientID, ClientSecret string
	// AccountClaim and RoleClaim name the ID token claims that say which
	// Parley account and role the user signs in as (DefaultAccountClaim and
	// DefaultRoleClaim when empty). The role claim may be a string or an
	// array of strings (groups): its first value that is a Parley role is
	// taken.
	AccountClaim, RoleClaim string
	// Scopes are requested beyond "openid" (default "email profile").
	Scopes []string
}

// Provider is a configured identity provider.
type Provider struct {
	cfg   Config
	http  *http.Client
	clock parley.Clock

	mu        sync.Mutex
	discovery *Discovery
	keys      *auth.KeySet
	fetched   time.Time // when the JWKS was last fetched
}

// Discovery is the part of the discovery document (OpenID Connect
// Discovery 1.0 §3) Parley uses.
type Discovery struct {
	Issuer                string   `json:"issuer"`
	AuthorizationEndpoint string   `json:"authorization_endpoint"`
	TokenEndpoint         string   `json:"token_endpoint"`
	JWKSURI               string   `json:"jwks_uri"`
	CodeChallengeMethods  []string `json:"code_challenge_methods_supported,omitempty"`
}

// New returns the provider cfg describes; it is contacted on first use.
func New(cfg Config, client *http.Client, clock parley.Clock) (*Provider, error) {
	u, err := url.Parse(cfg.Issuer)
	if err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname()))) || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("PARLEY_OIDC_ISSUER=%q: want an https URL (http only on a loopback address) without query or fragment", cfg.Issuer)
	}
	if cfg.ClientID == "" {
		return nil, errors.New("PARLEY_OIDC_CLIENT_ID is required with PARLEY_OIDC_ISSUER")
	}
	cfg.Issuer = strings.TrimRight(cfg.Issuer, "/")
	if cfg.AccountClaim == "" {
		cfg.AccountClaim = DefaultAccountClaim
	}
	if cfg.RoleClaim == "" {
		cfg.RoleClaim = DefaultRoleClaim
	}
	if cfg.Scopes == nil {
		cfg.Scopes = []string{"email", "profile"}
	}
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return &Provider{cfg: cfg, http: client, clock: clock}, nil
}

func isLoopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// Flow is what one sign-in keeps between the redirect to the issuer and
// the callback: the state it must come back with, the nonce the ID token
// must carry, and the PKCE verifier of the code challenge sent.
type Flow struct {
	State, Nonce, Verifier string
}

// NewFlow returns a flow with fresh random values (256 bits each).
func NewFlow() Flow {
	return Flow{State: random(), Nonce: random(), Verifier: random()}
}

func random() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

// Challenge is the S256 code challenge of verifier (RFC 7636 §4.2).
func Challenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// AuthURL returns the issuer's authorization URL for f, to come back to
// redirectURI.
func (p *Provider) AuthURL(ctx context.Context, f Flow, redirectURI string) (string, error) {
	d, err := p.discover(ctx)
	if err != nil {
		return "", err
	}
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {p.cfg.ClientID},
		"redirect_uri":          {redirectURI},
		"scope":                 {strings.Join(append([]string{"openid"}, p.cfg.Scopes...), " ")},
		"state":                 {f.State},
		"nonce":                 {f.Nonce},
		"code_challenge":        {Challenge(f.Verifier)},
		"code_challenge_method": {"S256"},
	}
	sep := "?"
	if strings.Contains(d.AuthorizationEndpoint, "?") {
		sep = "&"
	}
	return d.AuthorizationEndpoint + sep + q.Encode(), nil
}

// SignIn completes f: it checks that the callback's state is f's, exchanges
// code with f's verifier, verifies the ID token the issuer answers with and
// returns the principal its claims map to. Every refusal is EUNAUTHORIZED
// or EFORBIDDEN, saying why.
func (p *Provider) SignIn(ctx context.Context, f Flow, state, code, redirectURI string) (auth.Principal, error) {
	if f.State == "" || subtle.ConstantTimeCompare([]byte(state), []byte(f.State)) != 1 {
		return auth.Principal{}, parley.Errorf(parley.EUNAUTHORIZED, "the sign-in's state does not match the one this browser was sent with: start the sign-in again")
	}
	if code == "" {
		return auth.Principal{}, parley.Errorf(parley.EUNAUTHORIZED, "the identity provider sent no authorization code")
	}
	raw, err := p.exchange(ctx, code, f.Verifier, redirectURI)
	if err != nil {
		return auth.Principal{}, err
	}
	claims, err := p.Verify(ctx, raw, f.Nonce)
	if err != nil {
		return auth.Principal{}, err
	}
	return p.principal(claims)
}

func (p *Provider) discover(ctx context.Context) (Discovery, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.discovery != nil {
		return *p.discovery, nil
	}
	var d Discovery
	if err := p.getJSON(ctx, p.cfg.Issuer+"/.well-known/openid-configuration", &d); err != nil {
		return Discovery{}, err
	}
	switch {
	case d.Issuer != p.cfg.Issuer:
		return Discovery{}, parley.Errorf(parley.EUNAVAILABLE, "the identity provider's discovery document names issuer %q, not the configured %q", d.Issuer, p.cfg.Issuer)
	case d.AuthorizationEndpoint == "" || d.TokenEndpoint == "" || d.JWKSURI == "":
		return Discovery{}, parley.Errorf(parley.EUNAVAILABLE, "the identity provider's discovery document lacks authorization_endpoint, token_endpoint or jwks_uri")
	case len(d.CodeChallengeMethods) > 0 && !slices.Contains(d.CodeChallengeMethods, "S256"):
		return Discovery{}, parley.Errorf(parley.EUNAVAILABLE, "the identity provider does not support PKCE with S256 (code_challenge_methods_supported %v)", d.CodeChallengeMethods)
	}
	p.discovery = &d
	return d, nil
}

func (p *Provider) getJSON(ctx context.Context, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return parley.Wrap(parley.EUNAVAILABLE, err, "identity provider")
	}
	req.Header.Set("Accept", "application/json")
	return p.do(req, v)
}

func (p *Provider) do(req *http.Request, v any) error {
	resp, err := p.http.Do(req)
	if err != nil {
		return parley.Wrap(parley.EUNAVAILABLE, err, "the identity provider cannot be reached")
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxDocument+1))
	switch {
	case err != nil:
		return parley.Wrap(parley.EUNAVAILABLE, err, "reading the identity provider's answer")
	case len(data) > maxDocument:
		return parley.Errorf(parley.EUNAVAILABLE, "the identity provider's answer to %s exceeds %d bytes", req.URL.Path, maxDocument)
	case resp.StatusCode != http.StatusOK:
		var oauth struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		if json.Unmarshal(data, &oauth) == nil && oauth.Error != "" {
			return parley.Errorf(parley.EUNAUTHORIZED, "the identity provider refused: %s %s", oauth.Error, oauth.Description)
		}
		return parley.Errorf(parley.EUNAVAILABLE, "the identity provider answered %s %d", req.URL.Path, resp.StatusCode)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return parley.Errorf(parley.EUNAVAILABLE, "the identity provider's answer to %s is not the JSON expected: %v", req.URL.Path, err)
	}
	return nil
}

// exchange trades the code for the issuer's ID token (RFC 6749 §4.1.3,
// with RFC 7636's code_verifier).
func (p *Provider) exchange(ctx context.Context, code, verifier, redirectURI string) (string, error) {
	d, err := p.discover(ctx)
	if err != nil {
		return "", err
	}
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {redirectURI},
		"code_verifier": {verifier},
	}
	if p.cfg.ClientSecret == "" {
		form.Set("client_id", p.cfg.ClientID)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.TokenEndpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return "", parley.Wrap(parley.EUNAVAILABLE, err, "identity provider")
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if p.cfg.ClientSecret != "" {
		req.SetBasicAuth(url.QueryEscape(p.cfg.ClientID), url.QueryEscape(p.cfg.ClientSecret)) // RFC 6749 §2.3.1
	}
	var tok struct {
		IDToken   string `json:"id_token"`
		TokenType string `json:"token_type"`
	}
	if err := p.do(req, &tok); err != nil {
		return "", err
	}
	if tok.IDToken == "" {
		return "", parley.Errorf(parley.EUNAUTHORIZED, "the identity provider's token answer has no id_token")
	}
	return tok.IDToken, nil
}

// Claims are an ID token's claims, by name.
type Claims map[string]any

// Verify checks the ID token raw: its signature by a key of the issuer's
// JWKS (RS256 or EdDSA, never none or HMAC), iss, aud (the client id, and
// azp when there are several audiences), exp and iat within Leeway, and
// that its nonce is nonce. It returns the token's claims.
func (p *Provider) Verify(ctx context.Context, raw, nonce string) (Claims, error) {
	header, payload, err := auth.SplitJWS(raw)
	if err != nil {
		return nil, err
	}
	keys, err := p.keySet(ctx, header.Kid)
	if err != nil {
		return nil, err
	}
	if err := auth.VerifyJWS(keys, raw); err != nil {
		return nil, err
	}
	var c struct {
		Issuer   string           `json:"iss"`
		Subject  string           `json:"sub"`
		Audience auth.Audience    `json:"aud"`
		AZP      string           `json:"azp"`
		Expires  auth.NumericDate `json:"exp"`
		IssuedAt auth.NumericDate `json:"iat"`
		Nonce    string           `json:"nonce"`
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, unauthorized("the ID token's claims: %v", err)
	}
	var claims Claims
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil, unauthorized("the ID token's claims: %v", err)
	}
	now := p.clock.Now()
	switch {
	case c.Issuer != p.cfg.Issuer:
		return nil, unauthorized("the ID token's issuer is %q, not %q", c.Issuer, p.cfg.Issuer)
	case !slices.Contains(c.Audience, p.cfg.ClientID):
		return nil, unauthorized("the ID token is for audience %v, not this client %q", []string(c.Audience), p.cfg.ClientID)
	case len(c.Audience) > 1 && c.AZP != p.cfg.ClientID:
		return nil, unauthorized("the ID token has several audiences and its azp %q is not this client", c.AZP)
	case c.Subject == "":
		return nil, unauthorized("the ID token has no sub")
	case c.Expires == 0 || !now.Before(time.Unix(int64(c.Expires), 0).Add(Leeway)):
		return nil, unauthorized("the ID token has expired")
	case c.IssuedAt == 0 || time.Unix(int64(c.IssuedAt), 0).After(now.Add(Leeway)):
		return nil, unauthorized("the ID token's iat is missing or in the future")
	case nonce == "" || subtle.ConstantTimeCompare([]byte(c.Nonce), []byte(nonce)) != 1:
		return nil, unauthorized("the ID token's nonce is not this sign-in's: start the sign-in again")
	}
	return claims, nil
}

func unauthorized(format string, args ...any) error {
	return parley.Errorf(parley.EUNAUTHORIZED, format, args...)
}

// keySet returns the issuer's keys, fetched again when kid is not among
// them and the last fetch is older than jwksRefreshEvery.
func (p *Provider) keySet(ctx context.Context, kid string) (*auth.KeySet, error) {
	d, err := p.discover(ctx)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.keys != nil {
		if _, ok := p.keys.Key(kid); ok || p.clock.Now().Sub(p.fetched) < jwksRefreshEvery {
			return p.keys, nil
		}
	}
	var set auth.JWKS
	if err := p.getJSON(ctx, d.JWKSURI, &set); err != nil {
		return nil, err
	}
	var keys []*auth.Key
	for _, j := range set.Keys {
		if j.Use != "" && j.Use != "sig" {
			continue
		}
		k, err := auth.ParseJWK(j)
		if err != nil {
			continue // a key of a kind Parley does not verify with (EC, encryption)
		}
		keys = append(keys, k)
	}
	ks, err := auth.NewKeySet(nil, keys...)
	if err != nil {
		return nil, parley.Errorf(parley.EUNAVAILABLE, "the identity provider's JWKS has no RS256 or EdDSA signing key")
	}
	p.keys, p.fetched = ks, p.clock.Now()
	return ks, nil
}

// principal maps the claims to the account and role signed in as. Agents
// and agent managers have no access to the webtool, as they have none to
// the API.
func (p *Provider) principal(c Claims) (auth.Principal, error) {
	account, _ := c[p.cfg.AccountClaim].(string)
	if account == "" {
		return auth.Principal{}, parley.Errorf(parley.EFORBIDDEN, "the identity provider's ID token has no %q claim naming the Parley account: ask the operator to map one", p.cfg.AccountClaim)
	}
	if err := parley.ValidateAccountID(account, p.cfg.AccountClaim); err != nil {
		return auth.Principal{}, parley.Errorf(parley.EFORBIDDEN, "the ID token's %q claim: %v", p.cfg.AccountClaim, err)
	}
	var values []string
	switch v := c[p.cfg.RoleClaim].(type) {
	case string:
		values = []string{v}
	case []any:
		for _, e := range v {
			if s, ok := e.(string); ok {
				values = append(values, s)
			}
		}
	}
	for _, v := range values {
		role, err := auth.ParseTenantRole(v, p.cfg.RoleClaim)
		if err != nil {
			continue
		}
		if err := WebtoolRole(role); err != nil {
			return auth.Principal{}, err
		}
		sub, _ := c["sub"].(string)
		return auth.Principal{AccountID: account, Role: role, Subject: "oidc:" + sub}, nil
	}
	return auth.Principal{}, parley.Errorf(parley.EFORBIDDEN, "the ID token's %q claim (%v) names no Parley role (admin, campaign_manager, support)", p.cfg.RoleClaim, values)
}

// WebtoolRole refuses the roles that may not enter the webtool: those
// without read access to an account (agents, agent managers).
func WebtoolRole(r auth.Role) error {
	if !r.Can(auth.Read) {
		return parley.Errorf(parley.EFORBIDDEN, "role %s has no access to Parley's webtool", r)
	}
	return nil
}
