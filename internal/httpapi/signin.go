package httpapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/oidc"
	"github.com/parleyhq/parley/internal/parley"
)

// Webtool sign-in: a session is a Parley access token for the signed-in
// principal, kept in an HttpOnly, Secure, SameSite=Lax cookie; the API's
// routes take it in place of a bearer token (Server.authenticate), and a
// state-changing call must also carry the session's CSRF token in the
// X-Parley-CSRF header (auth.VerifySession checks both; on AWS the
// authorizer makes that check).
const (
	sessionCookie = auth.SessionCookie
	flowCookie    = "__Host-parley_oidc"
	// CSRFHeader carries the session's CSRF token (GET /auth/session).
	CSRFHeader = auth.CSRFHeader
	// DefaultSessionTTL is a session's lifetime, at most the longest
	// token lifetime (PARLEY_MAX_TOKEN_TTL).
	DefaultSessionTTL = 8 * time.Hour
	flowTTL           = 10 * time.Minute

	signInPath   = "/auth/login"
	callbackPath = "/auth/callback"
	logoutPath   = "/auth/logout"
	sessionPath  = "/auth/session"
	localPath    = "/auth/local"
)

// OIDCProvider is the identity provider webtool users sign in with
// (*oidc.Provider is one).
type OIDCProvider interface {
	AuthURL(ctx context.Context, f oidc.Flow, redirectURI string) (string, error)
	SignIn(ctx context.Context, f oidc.Flow, state, code, redirectURI string) (auth.Principal, error)
}

// SessionIssuer signs sessions' tokens (*auth.Tokens is one).
type SessionIssuer interface {
	Issue(ctx context.Context, p auth.Principal, ttl time.Duration) (auth.Issued, error)
}

// SignIn is how webtool users sign in.
type SignIn struct {
	// OIDC, when set, offers sign-in with the operator's identity provider.
	OIDC OIDCProvider
	// Local offers signing in as any account and role, without a password:
	// only parley serve on the embedded backend sets it.
	Local bool
	// Sessions signs the sessions' tokens; TTL is their lifetime
	// (DefaultSessionTTL when zero).
	Sessions SessionIssuer
	TTL      time.Duration
}

func signInRoutes() []Route {
	return []Route{
		{http.MethodGet, sessionPath, (*Server).session},
		{http.MethodGet, signInPath, needOIDC((*Server).oidcLogin)},
		{http.MethodGet, callbackPath, needOIDC((*Server).oidcCallback)},
		{http.MethodPost, localPath, (*Server).localSignIn},
		{http.MethodPost, logoutPath, (*Server).logout},
	}
}

func needOIDC(h func(*Server, http.ResponseWriter, *http.Request)) func(*Server, http.ResponseWriter, *http.Request) {
	return func(s *Server, w http.ResponseWriter, r *http.Request) {
		if s.SignIn == nil || s.SignIn.OIDC == nil || s.SignIn.Sessions == nil {
			s.fail(w, r, parley.Errorf(parley.ENOTFOUND, "no identity provider is configured (PARLEY_OIDC_ISSUER)"))
			return
		}
		h(s, w, r)
	}
}

// sessionOf returns the principal of r's session cookie, if it has one;
// for a method other than GET and HEAD the request must also carry the
// session's CSRF token. ok is false when there is no session cookie.
func (s *Server) sessionOf(r *http.Request) (p auth.Principal, ok bool, err error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return auth.Principal{}, false, nil
	}
	p, err = auth.VerifySession(r.Context(), s.Auth, c.Value, r.Method, r.Header.Get(CSRFHeader))
	return p, true, err
}

// requestSource is how r reaches Parley, as campaigns record it:
// parley.SourceUI for the web tool's signed-in session (its cookie, no
// bearer token), parley.SourceAPI otherwise.
func requestSource(r *http.Request) string {
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" && r.Header.Get("Authorization") == "" {
		return parley.SourceUI
	}
	return parley.SourceAPI
}

func secureCookie(name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode}
}

// SessionResponse is GET /auth/session: who is signed in, the CSRF token
// state-changing calls carry, and the ways to sign in.
type SessionResponse struct {
	SignedIn    bool     `json:"signedIn"`
	Account     string   `json:"account,omitempty"`
	Role        string   `json:"role,omitempty"`
	Subject     string   `json:"subject,omitempty"`
	Permissions []string `json:"permissions,omitempty"`
	CSRFToken   string   `json:"csrfToken,omitempty"`
	OIDC        bool     `json:"oidc"`
	Local       bool     `json:"local"`
	// Roles are those a local sign-in may pick.
	Roles []string `json:"roles,omitempty"`
}

func (s *Server) session(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	out := SessionResponse{}
	if s.SignIn != nil {
		out.OIDC, out.Local = s.SignIn.OIDC != nil, s.SignIn.Local
	}
	if out.Local {
		for _, role := range auth.TenantRoles {
			if oidc.WebtoolRole(role) == nil {
				out.Roles = append(out.Roles, string(role))
			}
		}
	}
	if s.Auth != nil {
		if p, ok, err := s.sessionOf(r); ok && err == nil {
			c, _ := r.Cookie(sessionCookie)
			out.SignedIn, out.Account, out.Role, out.Subject, out.CSRFToken = true, p.AccountID, string(p.Role), p.Subject, auth.CSRFToken(c.Value)
			for _, perm := range []auth.Permission{auth.Read, auth.Write, auth.ManageKeys} {
				if p.Role.Can(perm) {
					out.Permissions = append(out.Permissions, string(perm))
				}
			}
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// callbackURL is where the identity provider sends the browser back.
func (s *Server) callbackURL(r *http.Request) string {
	return strings.TrimSuffix(s.publicURL(r), r.URL.RequestURI()) + callbackPath
}

func (s *Server) oidcLogin(w http.ResponseWriter, r *http.Request) {
	f := oidc.NewFlow()
	u, err := s.SignIn.OIDC.AuthURL(r.Context(), f, s.callbackURL(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v, _ := json.Marshal(f)
	http.SetCookie(w, secureCookie(flowCookie, base64.RawURLEncoding.EncodeToString(v), int(flowTTL/time.Second)))
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u, http.StatusFound)
}

func (s *Server) oidcCallback(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	http.SetCookie(w, secureCookie(flowCookie, "", -1)) // a flow is used once
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		s.fail(w, r, parley.Errorf(parley.EUNAUTHORIZED, "the identity provider refused the sign-in: %.100s %.300s", e, q.Get("error_description")))
		return
	}
	var f oidc.Flow
	c, err := r.Cookie(flowCookie)
	if err == nil {
		var data []byte
		if data, err = base64.RawURLEncoding.DecodeString(c.Value); err == nil {
			err = json.Unmarshal(data, &f)
		}
	}
	if err != nil {
		s.fail(w, r, parley.Errorf(parley.EUNAUTHORIZED, "this browser has no sign-in under way (it expires after %s): start the sign-in again", flowTTL))
		return
	}
	p, err := s.SignIn.OIDC.SignIn(r.Context(), f, q.Get("state"), q.Get("code"), s.callbackURL(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.startSession(w, r, p); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (s *Server) startSession(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	ttl := DefaultSessionTTL
	if s.SignIn.TTL > 0 {
		ttl = s.SignIn.TTL
	}
	issued, err := s.SignIn.Sessions.Issue(r.Context(), p, ttl)
	if err != nil {
		return err
	}
	http.SetCookie(w, secureCookie(sessionCookie, issued.AccessToken, int(issued.ExpiresIn/time.Second)))
	s.Log.InfoContext(r.Context(), "webtool sign-in", "accountId", p.AccountID, "role", string(p.Role), "subject", p.Subject)
	return nil
}

// LocalSignInRequest is POST /auth/local: the account and role to act as.
type LocalSignInRequest struct {
	Account string `json:"account"`
	Role    string `json:"role"`
}

// localSignIn signs in as any account and role, on the embedded backend
// alone. It takes JSON only, which a page of another site cannot send
// without this server's consent (CORS), so no other site can sign a
// browser in.
func (s *Server) localSignIn(w http.ResponseWriter, r *http.Request) {
	if s.SignIn == nil || !s.SignIn.Local || s.SignIn.Sessions == nil {
		s.fail(w, r, parley.Errorf(parley.ENOTFOUND, "local sign-in is offered only by parley serve on the embedded backend"))
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		s.fail(w, r, parley.Errorf(parley.EUNSUPPORTED, "local sign-in takes application/json"))
		return
	}
	data, err := readBody(r, w, 4<<10)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req LocalSignInRequest
	if err := decodeJSON(data, &req, ""); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := parley.ValidateAccountID(req.Account, "account"); err != nil {
		s.fail(w, r, err)
		return
	}
	role, err := auth.ParseTenantRole(req.Role, "role")
	if err == nil {
		err = oidc.WebtoolRole(role)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := auth.Principal{AccountID: req.Account, Role: role, Subject: "local:" + string(role)}
	if err := s.startSession(w, r, p); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"signedIn": true})
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if s.Auth != nil {
		if _, ok, err := s.sessionOf(r); ok && parley.ErrorCode(err) == parley.EFORBIDDEN {
			s.fail(w, r, err) // no CSRF token: another site cannot sign the user out
			return
		}
	}
	http.SetCookie(w, secureCookie(sessionCookie, "", -1))
	w.WriteHeader(http.StatusNoContent)
}
