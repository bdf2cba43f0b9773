package lambdafn

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/parley"
)

// AuthorizerCacheTTL is the longest API Gateway may cache an authorizer
// decision (ReauthorizeEvery in template.yaml). The cache is keyed by the
// Authorization header alone and cannot see that a token's API client was
// revoked or rotated, so it is kept short: with auth.ClientCacheTTL it
// bounds how long such a client's tokens still get through (10 s).
const AuthorizerCacheTTL = 5 * time.Second

// TokenVerifier verifies access tokens (*auth.Tokens is one).
type TokenVerifier interface {
	Verify(ctx context.Context, token string) (auth.Principal, error)
}

// Authorizer returns the handler of the authorizer function: an API
// Gateway HTTP API Lambda authorizer (payload format 2.0, simple
// responses). A request whose Authorization header holds a valid bearer
// token is authorized, with the token's account, role and subject in the
// context the api function receives (httpapi.LambdaAuthorizedHandler reads
// them); any other is refused, and API Gateway answers 403 (401 when the
// header is missing).
//
// The decision depends on the token (and its API client's state), never
// on the path, so API Gateway may cache it by the Authorization header, for
// at most AuthorizerCacheTTL: whether the role may use the route and
// whether the path's account is the token's is decided by the api
// function's access table, in one place for parley serve and Lambda alike. A verifier that cannot work (no keys configured) fails the
// invocation, so that misconfiguration shows as an error, not as refusals.
func Authorizer(v TokenVerifier, log *slog.Logger) func(context.Context, events.APIGatewayV2CustomAuthorizerV2Request) (events.APIGatewayV2CustomAuthorizerSimpleResponse, error) {
	return func(ctx context.Context, ev events.APIGatewayV2CustomAuthorizerV2Request) (events.APIGatewayV2CustomAuthorizerSimpleResponse, error) {
		refused := events.APIGatewayV2CustomAuthorizerSimpleResponse{IsAuthorized: false}
		token, ok := bearerToken(ev)
		if !ok {
			log.InfoContext(ctx, "authorizer refused", "route", ev.RouteKey, "reason", "no bearer token")
			return refused, nil
		}
		p, err := v.Verify(ctx, token)
		switch code := parley.ErrorCode(err); {
		case err == nil:
		case code == parley.EUNAUTHORIZED:
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

// bearerToken returns the token of the request's Authorization header (the
// authorizer's identity source).
func bearerToken(ev events.APIGatewayV2CustomAuthorizerV2Request) (string, bool) {
	h := ev.Headers["authorization"]
	if h == "" && len(ev.IdentitySource) > 0 {
		h = ev.IdentitySource[0]
	}
	scheme, token, _ := strings.Cut(strings.TrimSpace(h), " ")
	token = strings.TrimSpace(token)
	return token, strings.EqualFold(scheme, "Bearer") && token != ""
}
