package auth

import (
	"crypto/rand"
	"encoding/hex"
	"slices"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// Leeway is the clock skew tolerated on exp, nbf and iat.
const Leeway = 60 * time.Second

// Issued is an access token as the token endpoint answers it.
type Issued struct {
	AccessToken string
	// TokenType is always "Bearer".
	TokenType string
	ExpiresIn time.Duration
	ExpiresAt time.Time
}

// Tokens issues and verifies access tokens for one issuer and audience.
// Tokens for OperatorAudience carry RoleOperator and no other role; tokens
// for any other audience never carry it.
type Tokens struct {
	Keys     *KeySet
	Issuer   string
	Audience string
	Clock    parley.Clock
}

// Issue signs a token for p valid for ttl from now.
func (t *Tokens) Issue(p Principal, ttl time.Duration) (Issued, error) {
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
	now := t.Clock.Now().Truncate(time.Second)
	exp := now.Add(ttl.Truncate(time.Second))
	jti := make([]byte, 16)
	_, _ = rand.Read(jti) // crypto/rand.Read never fails
	tok, err := sign(t.Keys.Signing(), Claims{
		Issuer: t.Issuer, Subject: p.Subject, Audience: Audience{t.Audience},
		IssuedAt: NumericDate(now.Unix()), Expires: NumericDate(exp.Unix()), ID: hex.EncodeToString(jti),
		Account: p.AccountID, Role: p.Role,
	})
	if err != nil {
		return Issued{}, parley.Wrap(parley.EINTERNAL, err, "sign token")
	}
	return Issued{AccessToken: tok, TokenType: "Bearer", ExpiresIn: exp.Sub(now), ExpiresAt: exp}, nil
}

// Verify checks a token's signature (see verifySignature), its expiry, its
// not-before and issued-at times (within Leeway), its issuer and audience,
// and that it names an account, a known role and a subject; then returns
// whom it speaks for. Every failure is EUNAUTHORIZED.
func (t *Tokens) Verify(token string) (Principal, error) {
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

// JWKS returns the public keys tokens are verified with.
func (t *Tokens) JWKS() JWKS { return t.Keys.JWKS() }

// Operators returns the issuer and verifier of operator tokens: t's keys,
// issuer and clock, for OperatorAudience.
func (t *Tokens) Operators() *Tokens {
	return &Tokens{Keys: t.Keys, Issuer: t.Issuer, Audience: OperatorAudience, Clock: t.Clock}
}
