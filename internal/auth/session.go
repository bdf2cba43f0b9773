package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"

	"github.com/parleyhq/parley/internal/parley"
)

// Webtool sessions: a session is an access token for the signed-in
// principal, kept in the SessionCookie cookie (HttpOnly, Secure,
// SameSite=Lax). A request that changes anything must also carry the
// session's CSRF token (CSRFToken) in the CSRFHeader header. VerifySession
// is the one check of both, made by parley serve's router and by the API
// Gateway authorizer alike.
const (
	// SessionCookie is the session's cookie.
	SessionCookie = "__Host-parley_session"
	// CSRFHeader carries the session's CSRF token (GET /auth/session
	// answers it).
	CSRFHeader = "X-Parley-CSRF"
)

// Verifier verifies access tokens (*Tokens is one).
type Verifier interface {
	Verify(ctx context.Context, token string) (Principal, error)
}

// CSRFToken is the CSRF token of a session: a hash of its cookie's value,
// which a page of another site can neither read nor compute.
func CSRFToken(session string) string {
	sum := sha256.Sum256([]byte("parley-csrf\x00" + session))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// SafeMethod reports whether an HTTP method changes nothing (GET, HEAD),
// so that a session's request by it needs no CSRF token.
func SafeMethod(method string) bool { return method == "GET" || method == "HEAD" }

// VerifySession returns the principal of the session whose cookie value is
// session, for a request by method carrying csrf in CSRFHeader: the token
// must verify (EUNAUTHORIZED otherwise), and unless the method is safe
// csrf must be the session's CSRF token (EFORBIDDEN otherwise). A verifier
// that cannot work returns its own error.
func VerifySession(ctx context.Context, v Verifier, session, method, csrf string) (Principal, error) {
	p, err := v.Verify(ctx, session)
	switch {
	case parley.ErrorCode(err) == parley.EUNAUTHORIZED:
		return Principal{}, parley.Errorf(parley.EUNAUTHORIZED, "the session has expired or is not valid: sign in again")
	case err != nil:
		return Principal{}, err
	}
	if !SafeMethod(method) && (csrf == "" || subtle.ConstantTimeCompare([]byte(csrf), []byte(CSRFToken(session))) != 1) {
		return Principal{}, parley.Errorf(parley.EFORBIDDEN, "a call with the session cookie that changes anything must carry the session's CSRF token in the %s header (GET /auth/session gives it)", CSRFHeader)
	}
	return p, nil
}
