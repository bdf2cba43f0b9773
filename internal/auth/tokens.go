package auth

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"slices"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// Leeway is the clock skew tolerated on exp, nbf and iat.
const Leeway = 60 * time.Second

// DefaultMaxTTL is the longest lifetime a token may have unless
// Tokens.MaxTTL says otherwise: that of the tokens the client credentials
// grant issues.
const DefaultMaxTTL = ClientTokenTTL

// Issued is an access token as the token endpoint answers it.
type Issued struct {
	AccessToken string
	// TokenType is always "Bearer".
	TokenType string
	ExpiresIn time.Duration
	ExpiresAt time.Time
}

// ClientReader reads API clients by id (ClientStore and ClientCache are
// ones).
type ClientReader interface {
	Client(ctx context.Context, id string) (parley.APIClient, error)
}

// Tokens issues and verifies access tokens for one issuer and audience.
// Tokens for OperatorAudience carry RoleOperator and no other role; tokens
// for any other audience never carry it.
type Tokens struct {
	Keys     *KeySet
	Issuer   string
	Audience string
	Clock    parley.Clock
	// MaxTTL is the longest lifetime a token may have, from its iat to its
	// exp: Issue refuses a longer ttl, and Verify refuses a token claiming
	// a longer one however well it is signed. Zero means DefaultMaxTTL.
	MaxTTL time.Duration
	// Clients is where Verify looks up the API client a token was issued
	// to (a ClientCache in front of the store). Without it, tokens of API
	// clients cannot be checked and do not verify.
	Clients ClientReader
}

// maxTTL is MaxTTL or its default.
func (t *Tokens) maxTTL() time.Duration { return cmp.Or(t.MaxTTL, DefaultMaxTTL) }

// Issue signs a token for p valid for ttl from now, at most MaxTTL.
func (t *Tokens) Issue(ctx context.Context, p Principal, ttl time.Duration) (Issued, error) {
	return t.issue(ctx, p, ttl, nil)
}

// issue is Issue, for the API client c when c is not nil: the token then
// names the client and its key version, so that it stops verifying when
// the client is revoked or rotated.
func (t *Tokens) issue(ctx context.Context, p Principal, ttl time.Duration, c *parley.APIClient) (Issued, error) {
	if t.Keys.Signing() == nil {
		return Issued{}, parley.Errorf(parley.EUNAVAILABLE, "no signing key is configured")
	}
	if p.AccountID == "" || p.Subject == "" {
		return Issued{}, parley.Errorf(parley.EINVALID, "a token needs an account and a subject")
	}
	if err := parley.ValidateAccountID(p.AccountID, "account"); err != nil {
		return Issued{}, err
	}
	if _, err := ParseRole(string(p.Role), "role"); err != nil {
		return Issued{}, err
	}
	if ttl < time.Second {
		return Issued{}, parley.FieldErrorf("ttl", "ttl %s is shorter than a second", ttl)
	}
	if ttl > t.maxTTL() {
		return Issued{}, parley.FieldErrorf("ttl", "ttl %s is longer than the longest token lifetime, %s", ttl, t.maxTTL())
	}
	now := t.Clock.Now().Truncate(time.Second)
	exp := now.Add(ttl.Truncate(time.Second))
	jti := make([]byte, 16)
	_, _ = rand.Read(jti) // crypto/rand.Read never fails
	claims := Claims{
		Issuer: t.Issuer, Subject: p.Subject, Audience: Audience{t.Audience},
		IssuedAt: NumericDate(now.Unix()), Expires: NumericDate(exp.Unix()), ID: hex.EncodeToString(jti),
		Account: p.AccountID, Role: p.Role,
	}
	if c != nil {
		claims.ClientID, claims.ClientVersion = c.ID, c.KeyVersion
	}
	tok, err := sign(ctx, t.Keys.Signing(), claims)
	var kind *parley.Error
	switch {
	case errors.As(err, &kind):
		return Issued{}, err // the signer's own, such as EUNAVAILABLE when a KMS fails
	case err != nil:
		return Issued{}, parley.Wrap(parley.EINTERNAL, err, "sign token")
	}
	return Issued{AccessToken: tok, TokenType: "Bearer", ExpiresIn: exp.Sub(now), ExpiresAt: exp}, nil
}

// Verify checks a token's signature (see verifySignature), its expiry, its
// not-before and issued-at times (within Leeway), its lifetime (at most
// MaxTTL), its issuer and audience, that it names an account, a known role
// and a subject, and for a token of an API client that the client still
// has the key version the token carries (see checkClient); then returns
// whom it speaks for. Every refusal is EUNAUTHORIZED; a client store that
// fails is its own error.
func (t *Tokens) Verify(ctx context.Context, token string) (Principal, error) {
	if t.Issuer == "" || t.Audience == "" {
		return Principal{}, parley.Errorf(parley.EUNAVAILABLE, "the token issuer and audience are not configured")
	}
	tok, err := Parse(token)
	if err != nil {
		return Principal{}, err
	}
	if err := verifySignature(t.Keys, tok); err != nil {
		return Principal{}, err
	}
	if err := t.checkClaims(tok.Claims); err != nil {
		return Principal{}, err
	}
	if err := t.checkClient(ctx, tok.Claims); err != nil {
		return Principal{}, err
	}
	c := tok.Claims
	return Principal{AccountID: c.Account, Role: c.Role, Subject: c.Subject}, nil
}

func (t *Tokens) checkClaims(c Claims) error {
	now := t.Clock.Now()
	at := func(d NumericDate) time.Time { return time.Unix(int64(d), 0) }
	switch {
	case c.Expires == 0:
		return unauthorized("token has no exp")
	case !now.Before(at(c.Expires).Add(Leeway)):
		return unauthorized("token expired at %s", at(c.Expires).UTC().Format(time.RFC3339))
	case c.NotBefore != 0 && now.Add(Leeway).Before(at(c.NotBefore)):
		return unauthorized("token is not valid before %s", at(c.NotBefore).UTC().Format(time.RFC3339))
	case c.IssuedAt == 0:
		return unauthorized("token has no iat")
	case now.Add(Leeway).Before(at(c.IssuedAt)):
		return unauthorized("token is issued in the future (%s)", at(c.IssuedAt).UTC().Format(time.RFC3339))
	case int64(c.Expires)-int64(c.IssuedAt) > int64(t.maxTTL()/time.Second):
		// In seconds: exp - iat can exceed what a time.Duration holds.
		return unauthorized("token lives %ds from iat to exp; at most %s is accepted", int64(c.Expires)-int64(c.IssuedAt), t.maxTTL())
	case c.Issuer != t.Issuer:
		return unauthorized("token issuer %q is not %q", c.Issuer, t.Issuer)
	case !slices.Contains(c.Audience, t.Audience):
		return unauthorized("token audience %q does not include %q", []string(c.Audience), t.Audience)
	case c.Account == "":
		return unauthorized("token names no account")
	case parley.ValidateAccountID(c.Account, "account") != nil:
		return unauthorized("token account %q is not an account id", c.Account)
	case c.Subject == "":
		return unauthorized("token names no subject")
	}
	if _, err := ParseRole(string(c.Role), ""); err != nil {
		return unauthorized("token role %q is not a role", c.Role)
	}
	if operator := t.Audience == OperatorAudience; (c.Role == RoleOperator) != operator {
		return unauthorized("token role %q is not accepted for audience %q", c.Role, t.Audience)
	}
	return nil
}

// checkClient refuses the token of an API client that has been revoked or
// rotated since: the client must still exist, with the token's account,
// role and subject, at the key version the token carries. Tokens naming no
// client (development tokens) pass.
func (t *Tokens) checkClient(ctx context.Context, c Claims) error {
	if c.ClientID == "" {
		return nil
	}
	if t.Clients == nil {
		return parley.Errorf(parley.EUNAVAILABLE, "tokens of API clients cannot be checked: no client store is configured")
	}
	cl, err := t.Clients.Client(ctx, c.ClientID)
	switch {
	case parley.ErrorCode(err) == parley.ENOTFOUND:
		return unauthorized("token's client %s has been revoked", c.ClientID)
	case err != nil:
		return err
	case cl.KeyVersion != c.ClientVersion:
		return unauthorized("token's client %s has been rotated since the token was issued", c.ClientID)
	case cl.AccountID != c.Account || Role(cl.Role) != c.Role || cl.ID != c.Subject:
		return unauthorized("token does not match its client %s", c.ClientID)
	}
	return nil
}

// JWKS returns the public keys tokens are verified with.
func (t *Tokens) JWKS() JWKS { return t.Keys.JWKS() }

// Operators returns the issuer and verifier of operator tokens: t's keys,
// issuer, clock and lifetime bound, for OperatorAudience.
func (t *Tokens) Operators() *Tokens {
	return &Tokens{Keys: t.Keys, Issuer: t.Issuer, Audience: OperatorAudience, Clock: t.Clock, MaxTTL: t.MaxTTL, Clients: t.Clients}
}
