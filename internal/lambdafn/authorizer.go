package lambdafn

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/parley"
)

// AuthorizerCacheTTL is how long API Gateway may cache an authorizer
// decision (ReauthorizeEvery in template.yaml): not at all. A request is
// authorized by its bearer token or by its webtool session cookie, and API
// Gateway invokes the authorizer only when every identity source it is
// given is present, so the authorizer has none, which API Gateway allows
// only without caching. A decision on a session also depends on the
// method and the CSRF header, which a cache keyed by the cookie could not
// see. Without a cache, an API client revoked or rotated stops getting
// through within auth.ClientCacheTTL.
const AuthorizerCacheTTL time.Duration = 0

// TokenVerifier verifies access tokens (*auth.Tokens is one).
type TokenVerifier = auth.Verifier

// Authorizer returns the handler of the authorizer function: an API
// Gateway HTTP API Lambda authorizer (payload format 2.0, simple
// responses). A request is authorized by a valid bearer token in its
// Authorization header or, without that header, by a valid webtool session
// cookie, with the session's CSRF token for a method that changes anything
// (auth.VerifySession, the check parley serve makes); the principal's
// account, role and subject go in the context the api function receives
// (httpapi.LambdaAuthorizedHandler reads them). Any other request is
// refused, and API Gateway answers 403.
//
// The decision depends on the credentials (and an API client's state),
// never on the path: whether the role may use the route and whether the
// path's account is the principal's is decided by the api function's
// access table, in one place for parley serve and Lambda alike. A verifier
// that cannot work (no keys configured) fails the invocation, so that
// misconfiguration shows as an error, not as refusals.
func Authorizer(v TokenVerifier, log *slog.Logger) func(context.Context, events.APIGatewayV2CustomAuthorizerV2Request) (events.APIGatewayV2CustomAuthorizerSimpleResponse, error) {
	return func(ctx context.Context, ev events.APIGatewayV2CustomAuthorizerV2Request) (events.APIGatewayV2CustomAuthorizerSimpleResponse, error) {
		refused := events.APIGatewayV2CustomAuthorizerSimpleResponse{IsAuthorized: false}
		p, err := principal(ctx, v, ev)
		switch code := parley.ErrorCode(err); {
		case err == nil:
		case code == parley.EUNAUTHORIZED || code == parley.EFORBIDDEN:
			log.InfoContext(ctx, "authorizer refused", "route", ev.RouteKey, "reason", parley.ErrorMessage(err))
			return refused, nil
		default:
			return refused, err
		}
		return events.APIGatewayV2CustomAuthorizerSimpleResponse{
			IsAuthorized: true,
			Context: map[string]any{
				auth.ContextAccount: p.AccountID,
				auth.ContextRole:    string(p.Role),
				auth.ContextSubject: p.Subject,
			},
		}, nil
	}
}

// principal verifies the request's credentials: its bearer token when it
// has an Authorization header, else its session cookie.
func principal(ctx context.Context, v TokenVerifier, ev events.APIGatewayV2CustomAuthorizerV2Request) (auth.Principal, error) {
	if h := header(ev, "Authorization"); h != "" {
		scheme, token, _ := strings.Cut(strings.TrimSpace(h), " ")
		if token = strings.TrimSpace(token); !strings.EqualFold(scheme, "Bearer") || token == "" {
			return auth.Principal{}, parley.Errorf(parley.EUNAUTHORIZED, "the Authorization header is not \"Bearer <token>\"")
		}
		return v.Verify(ctx, token)
	}
	session, ok := sessionCookie(ev)
	if !ok {
		return auth.Principal{}, parley.Errorf(parley.EUNAUTHORIZED, "no bearer token and no session cookie")
	}
	return auth.VerifySession(ctx, v, session, ev.RequestContext.HTTP.Method, header(ev, auth.CSRFHeader))
}

// header returns the request's header name. Payload format 2.0 names
// headers in lower case; any case is taken.
func header(ev events.APIGatewayV2CustomAuthorizerV2Request, name string) string {
	if v, ok := ev.Headers[strings.ToLower(name)]; ok {
		return v
	}
	for k, v := range ev.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// sessionCookie returns the value of the request's session cookie, read
// as parley serve reads it (net/http's parsing). Payload format 2.0 puts
// the request's cookies in their own list, one "name=value" each; a Cookie
// header is read too.
func sessionCookie(ev events.APIGatewayV2CustomAuthorizerV2Request) (string, bool) {
	lines := slices.Clone(ev.Cookies)
	if h := header(ev, "Cookie"); h != "" {
		lines = append(lines, h)
	}
	r := http.Request{Header: http.Header{"Cookie": lines}}
	c, err := r.Cookie(auth.SessionCookie)
	if err != nil || c.Value == "" {
		return "", false
	}
	return c.Value, true
}
