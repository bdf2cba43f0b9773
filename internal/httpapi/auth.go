package httpapi

import (
	"context"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/gateway/providers"
	"github.com/parleyhq/parley/internal/gateway/twilio"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/ratelimit"
)

// Authenticator verifies bearer tokens and publishes the public keys it
// verifies them with (*auth.Tokens is one).
type Authenticator interface {
	Verify(ctx context.Context, token string) (auth.Principal, error)
	JWKS() auth.JWKS
}

// Clients manages accounts' API clients and exchanges their credentials
// for tokens (*auth.Clients is one).
type Clients interface {
	Create(ctx context.Context, accountID string, role auth.Role, name string) (auth.Credentials, error)
	List(ctx context.Context, accountID string) ([]parley.APIClient, error)
	Rotate(ctx context.Context, accountID, clientID string) (auth.Credentials, error)
	Revoke(ctx context.Context, accountID, clientID string) error
	Exchange(ctx context.Context, clientID, secret string) (auth.Issued, error)
}

// AccessKind says how a route is authenticated.
type AccessKind int

// Access kinds.
const (
	// AccessToken routes need a bearer token whose role grants the route's
	// permission, for the account in the path if the path names one.
	AccessToken AccessKind = iota
	// AccessPublic routes need no credentials.
	AccessPublic
	// AccessSignature routes are not authenticated by tokens: the handler
	// checks the provider's signature (webhooks).
	AccessSignature
)

// Access is what a route requires.
type Access struct {
	Kind       AccessKind
	Permission auth.Permission // for AccessToken
}

// Access rules that take no permission.
var (
	Public    = Access{Kind: AccessPublic}
	Signature = Access{Kind: AccessSignature}
)

// Requires is the rule of a route that needs permission p.
func Requires(p auth.Permission) Access { return Access{Kind: AccessToken, Permission: p} }

// routeAccess is THE access table: every route of Routes() has exactly one
// entry, keyed "METHOD pattern" as Routes() spells it, and the middleware
// (Server.guard) enforces it for every request. Adding a route? Add its
// line here, or TestAccessMatrix fails and the route answers 500:
//   - GET routes of an account: auth.Read (support may look);
//   - routes that create, change, publish or control: auth.Write;
//   - API client management: auth.ManageKeys; operator actions: auth.Operate
//     (an operator token, verified by Server.Operators: no tenant's token);
//   - provider callbacks under /webhooks/...: Signature (checked by the handler);
//   - Public only for what an unauthenticated caller must reach.
var routeAccess = withWebhooks(map[string]Access{
	"POST /api/v2/account/{accountId}/campaign":                           Requires(auth.Write),
	"POST /api/v2/account/{accountId}/campaign/parse":                     Requires(auth.Write),
	"GET /api/v2/account/{accountId}/campaign/{campaignId}/conversations": Requires(auth.Read),
	"POST /api/v2/account/{accountId}/campaign/{campaignId}/pause":        Requires(auth.Write),
	"POST /api/v2/account/{accountId}/campaign/{campaignId}/resume":       Requires(auth.Write),
	"POST /api/v2/account/{accountId}/campaign/{campaignId}/cancel":       Requires(auth.Write),
	"GET /api/v2/account/{accountId}/settings":                            Requires(auth.Read),
	"PUT /api/v2/account/{accountId}/settings":                            Requires(auth.Write),
	"PATCH /api/v2/account/{accountId}/settings":                          Requires(auth.Write),
	"POST /api/v2/account/{accountId}/templates":                          Requires(auth.Write),
	"GET /api/v2/account/{accountId}/templates":                           Requires(auth.Read),
	"GET /api/v2/account/{accountId}/templates/{templateId}":              Requires(auth.Read),
	"PUT /api/v2/account/{accountId}/templates/{templateId}":              Requires(auth.Write),
	"DELETE /api/v2/account/{accountId}/templates/{templateId}":           Requires(auth.Write),
	"POST /api/v2/account/{accountId}/clients":                            Requires(auth.ManageKeys),
	"GET /api/v2/account/{accountId}/clients":                             Requires(auth.ManageKeys),
	"POST /api/v2/account/{accountId}/clients/{clientId}/rotate":          Requires(auth.ManageKeys),
	"DELETE /api/v2/account/{accountId}/clients/{clientId}":               Requires(auth.ManageKeys),
	"POST /admin/dlq/redrive":                                             Requires(auth.Operate),
	"GET /openapi.yaml":                                                   Public,
	"POST /oauth/token":                                                   Public,
	"POST " + appTokenPath:                                                Public,
	"GET /.well-known/jwks.json":                                          Public,

	// The webtool's page and assets, which anyone may load: what they
	// show comes from the API, under its rules.
	"GET " + webPagePath:  Public,
	"GET " + webAssetPath: Public,
	// Webtool sign-in: the handlers check the flow's state, the identity
	// provider's ID token, and the session's CSRF token.
	"GET " + sessionPath:  Public,
	"GET " + signInPath:   Public,
	"GET " + callbackPath: Public,
	"POST " + localPath:   Public,
	"POST " + logoutPath:  Public,

	// The sandbox gateway's routes (only where it is on): a tenant's
	// token, and each call acts on the token's account alone.
	"GET /sandbox/messages":        Requires(auth.Read),
	"GET /sandbox/faults":          Requires(auth.Read),
	"POST /sandbox/faults":         Requires(auth.Write),
	"DELETE /sandbox/faults":       Requires(auth.Write),
	"POST " + sandboxRepliesPath:   Requires(auth.Write),
	"POST " + sandboxStatusesPath:  Requires(auth.Write),
	"POST " + sandboxOperatorsPath: Requires(auth.Write),

	// Finding, opening and downloading campaigns: support reads too (it
	// sees consumers' numbers masked: auth.ViewNumbers).
	"GET " + campaignsPath:        Requires(auth.Read),
	"GET " + campaignPath:         Requires(auth.Read),
	"GET " + campaignsExportPath:  Requires(auth.Read),
	"GET " + recipientsExportPath: Requires(auth.Read),
	// Analytics: support reads them too; they name no consumer.
	"GET " + accountAnalyticsPath:  Requires(auth.Read),
	"GET " + campaignAnalyticsPath: Requires(auth.Read),
	// LivePerson's Outbound Reporting API, read as the analytics are.
	"GET " + lpAnalyticsPath:         Requires(auth.Read),
	"POST " + lpAnalyticsPath:        Requires(auth.Read),
	"GET " + lpCampaignAnalyticsPath: Requires(auth.Read),
	"GET " + lpCampaignPagePath:      Requires(auth.Read),
	"POST " + lpTransactionsPath:     Requires(auth.Read),

	// API handoffs: settings, as templates are.
	"POST " + handoffsPath:                       Requires(auth.Write),
	"GET " + handoffsPath:                        Requires(auth.Read),
	"GET " + handoffPath:                         Requires(auth.Read),
	"PUT " + handoffPath:                         Requires(auth.Write),
	"DELETE " + handoffPath:                      Requires(auth.Write),
	"GET " + handoffPath + "/versions":           Requires(auth.Read),
	"GET " + handoffPath + "/versions/{version}": Requires(auth.Read),
	"GET " + lpHandoffsPath:                      Requires(auth.Read),
	"GET " + lpChannelHandoffsPath:               Requires(auth.Read),

	// Channel providers: settings, so admins and campaign managers change
	// them and support views them (secrets are redacted).
	"PUT /api/v2/account/{accountId}/channels/{channel}": Requires(auth.Write),
	"GET /api/v2/account/{accountId}/channels":           Requires(auth.Read),
	"GET /api/v2/account/{accountId}/channels/{channel}": Requires(auth.Read),

	// A brand's app registers its consumers' devices for in-app messages.
	"POST /api/v2/account/{accountId}/consumers/{consumerId}/push-tokens":           Requires(auth.Write),
	"GET /api/v2/account/{accountId}/consumers/{consumerId}/push-tokens":            Requires(auth.Read),
	"DELETE /api/v2/account/{accountId}/consumers/{consumerId}/push-tokens/{token}": Requires(auth.Write),

	// The opt-out list.
	"GET /api/v2/account/{accountId}/optouts":            Requires(auth.Read),
	"POST /api/v2/account/{accountId}/optouts":           Requires(auth.Write),
	"DELETE /api/v2/account/{accountId}/optouts/{phone}": Requires(auth.Write),
	"POST /api/v2/account/{accountId}/optouts/import":    Requires(auth.Write),
	"GET /api/v2/account/{accountId}/optouts/export":     Requires(auth.Read),

	// Connect to Messaging: an IVR's client creates call contexts and has
	// messages sent, as a campaign does; the agent context is read.
	"POST " + eligibilityPath:   Requires(auth.Write),
	"POST " + invitePath:        Requires(auth.Write),
	"GET " + recentOutboundPath: Requires(auth.Read),

	// Conversations replies open, and provider broadcast campaigns.
	"GET /api/v2/account/{accountId}/conversations":                         Requires(auth.Read),
	"GET /api/v2/account/{accountId}/conversations/{conversationId}":        Requires(auth.Read),
	"POST /api/v2/account/{accountId}/conversations/{conversationId}/close": Requires(auth.Write),
	"POST /api/v2/account/{accountId}/broadcasts":                           Requires(auth.Write),
	"GET /api/v2/account/{accountId}/broadcasts":                            Requires(auth.Read),
	"GET /api/v2/account/{accountId}/broadcasts/{broadcastId}":              Requires(auth.Read),

	// The contact directory telephone campaigns call from: campaign
	// managers and admins manage it, support views it.
	"GET " + contactsPath:         Requires(auth.Read),
	"POST " + contactsPath:        Requires(auth.Write),
	"GET " + contactPath:          Requires(auth.Read),
	"PUT " + contactPath:          Requires(auth.Write),
	"DELETE " + contactPath:       Requires(auth.Write),
	"POST " + contactImportPath:   Requires(auth.Write),
	"GET " + contactFiltersPath:   Requires(auth.Read),
	"POST " + contactFiltersPath:  Requires(auth.Write),
	"GET " + contactFilterPath:    Requires(auth.Read),
	"PUT " + contactFilterPath:    Requires(auth.Write),
	"DELETE " + contactFilterPath: Requires(auth.Write),

	// Telephone campaigns: only admins and campaign managers ("Manage
	// campaigns") create and control them; support views them.
	"POST " + phoneCampaignsPath:               Requires(auth.Write),
	"GET " + phoneCampaignsPath:                Requires(auth.Read),
	"GET " + phoneCampaignPath:                 Requires(auth.Read),
	"POST " + phoneCampaignPath + "/suspend":   Requires(auth.Write),
	"POST " + phoneCampaignPath + "/resume":    Requires(auth.Write),
	"POST " + phoneCampaignPath + "/terminate": Requires(auth.Write),
	"POST " + phoneCampaignPath + "/clone":     Requires(auth.Write),
	"POST " + phoneCampaignPath + "/contacts":  Requires(auth.Write),
	"GET " + phoneCampaignPath + "/contacts":   Requires(auth.Read),
	"GET " + phoneCampaignPath + "/stats":      Requires(auth.Read),
	"GET " + contactTimelinePath:               Requires(auth.Read),

	// Operators of telephone campaigns: managers put operators into the
	// groups campaigns route to, support views them and every session;
	// an operator (agent) sets only their own state, ends only their own
	// wrap-up and sees only their own sessions ("me" is their token's).
	"GET " + phoneOperatorsPath:                     Requires(auth.Read),
	"GET " + phoneGroupsPath:                        Requires(auth.Read),
	"GET " + phoneGroupPath:                         Requires(auth.Read),
	"PUT " + phoneGroupPath:                         Requires(auth.Write),
	"DELETE " + phoneGroupPath:                      Requires(auth.Write),
	"PUT " + phoneGroupMemberPath:                   Requires(auth.Write),
	"DELETE " + phoneGroupMemberPath:                Requires(auth.Write),
	"GET " + phoneSessionsPath:                      Requires(auth.Read),
	"POST " + misdetectedPath:                       Requires(auth.Write),
	"GET " + phoneOperatorMePath:                    Requires(auth.TakeCalls),
	"PUT " + phoneOperatorMePath + "/state":         Requires(auth.TakeCalls),
	"POST " + phoneOperatorMePath + "/wrap-up":      Requires(auth.TakeCalls),
	"POST " + phoneOperatorMePath + "/offer/accept": Requires(auth.TakeCalls),
	"POST " + phoneOperatorMePath + "/offer/skip":   Requires(auth.TakeCalls),
	"GET " + phoneOperatorMePath + "/sessions":      Requires(auth.TakeCalls),
	"POST " + phoneOperatorMePath + "/voice-token":  Requires(auth.TakeCalls),

	// Event subscriptions: settings, so admins and campaign managers
	// change and test them and support views them (secrets are never
	// shown after the answer that set them).
	"POST " + eventSubscriptionsPath:               Requires(auth.Write),
	"GET " + eventSubscriptionsPath:                Requires(auth.Read),
	"GET " + eventSubscriptionPath:                 Requires(auth.Read),
	"PUT " + eventSubscriptionPath:                 Requires(auth.Write),
	"DELETE " + eventSubscriptionPath:              Requires(auth.Write),
	"GET " + eventSubscriptionPath + "/deliveries": Requires(auth.Read),
	"POST " + eventSubscriptionPath + "/test":      Requires(auth.Write),
})

// AccessOf returns the access rule of the route with method and pattern.
func AccessOf(method, pattern string) (Access, bool) {
	a, ok := routeAccess[method+" "+pattern]
	return a, ok
}

// guard returns rt's handler behind its access rule, after the account id
// in its path, if any, is checked (parley.AccountIDPattern). Without an
// Authenticator (tests of other routes) nothing is enforced. A route
// without a rule answers 500: it is a bug, and failing closed is safer
// than guessing.
func (s *Server) guard(rt Route) http.HandlerFunc {
	access, ok := AccessOf(rt.Method, rt.Pattern)
	scoped := strings.Contains(rt.Pattern, "{accountId}")
	return func(w http.ResponseWriter, r *http.Request) {
		if scoped {
			if err := parley.ValidateAccountID(r.PathValue("accountId"), "accountId"); err != nil {
				s.fail(w, r, err)
				return
			}
		}
		if s.Auth != nil {
			if !ok {
				s.fail(w, r, parley.Errorf(parley.EINTERNAL, "route %s %s has no access rule", rt.Method, rt.Pattern))
				return
			}
			if access.Kind == AccessToken {
				p, err := s.authenticate(r, access.Permission == auth.Operate)
				if err == nil {
					err = auth.Authorize(p, r.PathValue("accountId"), access.Permission)
				}
				if err != nil {
					s.deny(w, r, err)
					return
				}
				r = r.WithContext(auth.NewContext(r.Context(), p))
				gate, own := s.RouteGates[rt.Method+" "+rt.Pattern]
				if !own && strings.HasPrefix(rt.Pattern, "/api/") {
					gate = s.RequestGate
				}
				if gate != nil {
					if err := gate.Admit(r.Context(), p.AccountID); err != nil {
						s.fail(w, r, err)
						return
					}
				}
			}
		}
		rt.handler(s, w, r)
	}
}

// authenticate returns the request's principal: the one API Gateway's
// authorizer verified (see LambdaAuthorizedHandler), else the one its
// bearer token speaks for. An operator route takes only a bearer token
// that Operators verifies, never a tenant's.
func (s *Server) authenticate(r *http.Request, operator bool) (auth.Principal, error) {
	if operator {
		if s.Operators == nil {
			return auth.Principal{}, parley.Errorf(parley.EFORBIDDEN, "this server accepts no operator credentials")
		}
		token, err := bearer(r)
		if err != nil {
			return auth.Principal{}, err
		}
		p, err := s.Operators.Verify(r.Context(), token)
		if err != nil {
			if _, terr := s.Auth.Verify(r.Context(), token); terr == nil {
				return auth.Principal{}, parley.Errorf(parley.EFORBIDDEN, "this route is an operator's: it takes an operator token, and no tenant's token whatever its role")
			}
		}
		return p, err
	}
	if p, ok := r.Context().Value(authorizerKey{}).(auth.Principal); ok {
		return p, nil
	}
	if r.Header.Get("Authorization") == "" {
		if p, ok, err := s.sessionOf(r); ok {
			return p, err
		}
	}
	token, err := bearer(r)
	if err != nil {
		return auth.Principal{}, err
	}
	return s.Auth.Verify(r.Context(), token)
}

// bearer returns the token of an "Authorization: Bearer <token>" header.
func bearer(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", parley.Errorf(parley.EUNAUTHORIZED, "a bearer token is required (Authorization: Bearer <token>; POST /oauth/token issues one)")
	}
	scheme, token, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return "", parley.Errorf(parley.EUNAUTHORIZED, "the Authorization header must be \"Bearer <token>\"")
	}
	return strings.TrimSpace(token), nil
}

// deny answers a refused request: a problem, with the RFC 6750 challenge
// when the token is missing or invalid.
func (s *Server) deny(w http.ResponseWriter, r *http.Request, err error) {
	if parley.ErrorCode(err) == parley.EUNAUTHORIZED {
		challenge := `Bearer realm="parley"`
		if r.Header.Get("Authorization") != "" {
			challenge += `, error="invalid_token"`
		}
		w.Header().Set("WWW-Authenticate", challenge)
	}
	s.fail(w, r, err)
}

// authorizerKey carries the principal API Gateway's authorizer verified.
// Only LambdaAuthorizedHandler sets it: a request cannot.
type authorizerKey struct{}

// LambdaAuthorizedHandler is LambdaHandler for routes API Gateway guards
// with Parley's Lambda authorizer: the principal in the request's
// authorizer context (account, role, subject) stands in for the bearer
// token, which the authorizer has verified. The access table is still
// enforced here. A request without that context (a public or webhook
// route) is authenticated by its bearer token as in parley serve.
func LambdaAuthorizedHandler(h http.Handler) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	inner := LambdaHandler(h)
	return func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		if ev.RequestContext.Authorizer != nil {
			if p, ok := principalOf(ev.RequestContext.Authorizer.Lambda); ok {
				ctx = context.WithValue(ctx, authorizerKey{}, p)
			}
		}
		return inner(ctx, ev)
	}
}

// principalOf reads the principal an authorizer put in its context.
func principalOf(c map[string]any) (auth.Principal, bool) {
	account, _ := c[auth.ContextAccount].(string)
	role, _ := c[auth.ContextRole].(string)
	subject, _ := c[auth.ContextSubject].(string)
	if _, err := auth.ParseTenantRole(role, ""); account == "" || subject == "" || err != nil {
		return auth.Principal{}, false
	}
	return auth.Principal{AccountID: account, Role: auth.Role(role), Subject: subject}, true
}

// TokenResponse is the token endpoint's answer (RFC 6749 §5.1).
type TokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
}

// OAuthError is the token endpoint's error (RFC 6749 §5.2).
type OAuthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

// oauthError answers a refused token request: RFC 6749's error, or on
// LivePerson's AppJWT route LivePerson's {code, message} with the OAuth
// code as parleyCode (writeLPError).
func oauthError(w http.ResponseWriter, r *http.Request, status int, code, description string) {
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="parley"`)
	}
	if lpRoutes[route(r)] {
		writeLPError(w, Problem{Status: status, Detail: description, Code: code})
		return
	}
	writeJSON(w, status, OAuthError{Error: code, Description: description})
}

// maxTokenRequest bounds the token request's form body.
const maxTokenRequest = 8 << 10

// Bounds of the token endpoint, which anyone may call and whose secret
// check (argon2id, 19 MiB) is made to be costly.
const (
	// MaxTokenChecks is how many secret checks run at once; at 19 MiB
	// each they hold under 40 MiB together.
	MaxTokenChecks = 2
	// tokenCheckWait is how long a request waits for a check slot before
	// it is answered 503.
	tokenCheckWait = 2 * time.Second
	// TokenRequestsPerSource and TokenRequestsPerClient are the token
	// requests a minute allowed from one source address and for one
	// client id (a client needs one token an hour).
	TokenRequestsPerSource = 30
	TokenRequestsPerClient = 10
	// tokenLimitKeys bounds the sources and client ids remembered.
	tokenLimitKeys = 10_000
)

// TokenLimits bounds what the token endpoint's callers can cost: requests a
// minute per source address and per client id, and secret checks at once.
type TokenLimits struct {
	checks             chan struct{}
	bySource, byClient *ratelimit.Window
}

// NewTokenLimits returns the token endpoint's limits on clock.
func NewTokenLimits(clock parley.Clock) *TokenLimits {
	window := func(n int) *ratelimit.Window {
		return &ratelimit.Window{Max: n, Per: time.Minute, Keys: tokenLimitKeys, Clock: clock}
	}
	return &TokenLimits{checks: make(chan struct{}, MaxTokenChecks),
		bySource: window(TokenRequestsPerSource), byClient: window(TokenRequestsPerClient)}
}

// tooManyTokens answers a refused token request: 429 with Retry-After.
func tooManyTokens(w http.ResponseWriter, r *http.Request, wait time.Duration, what string) {
	secs := max(1, int((wait+time.Second-1)/time.Second))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	oauthError(w, r, http.StatusTooManyRequests, "invalid_request", fmt.Sprintf("too many token requests %s; retry in %d s", what, secs))
}

// sourceOf is the address a request came from: API Gateway's sourceIp on
// Lambda, the peer's address in parley serve.
func sourceOf(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// token is the OAuth 2.0 client credentials grant (RFC 6749 §4.4): the
// client authenticates with HTTP Basic or with client_id and client_secret
// in the form body, never both.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	limits, ok := s.tokenLimits(w, r)
	if !ok {
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/x-www-form-urlencoded" {
		oauthError(w, r, http.StatusBadRequest, "invalid_request", "the body must be application/x-www-form-urlencoded")
		return
	}
	data, err := readBody(r, w, maxTokenRequest)
	if err != nil {
		oauthError(w, r, http.StatusBadRequest, "invalid_request", parley.ErrorMessage(err))
		return
	}
	form, err := url.ParseQuery(string(data))
	if err != nil {
		oauthError(w, r, http.StatusBadRequest, "invalid_request", "the body is not a valid form")
		return
	}
	for name, vs := range form {
		if len(vs) > 1 {
			oauthError(w, r, http.StatusBadRequest, "invalid_request", name+" is given more than once")
			return
		}
	}
	switch grant := form.Get("grant_type"); grant {
	case "client_credentials":
	case "":
		oauthError(w, r, http.StatusBadRequest, "invalid_request", "grant_type is required")
		return
	default:
		oauthError(w, r, http.StatusBadRequest, "unsupported_grant_type", "grant_type must be client_credentials")
		return
	}
	id, secret, basic := r.BasicAuth()
	switch {
	case basic && (form.Has("client_id") || form.Has("client_secret")):
		oauthError(w, r, http.StatusBadRequest, "invalid_request", "authenticate with HTTP Basic or with client_id and client_secret, not both")
		return
	case basic:
		// RFC 6749 §2.3.1: both are form-encoded before Basic encoding.
		var err1, err2 error
		id, err1 = url.QueryUnescape(id)
		secret, err2 = url.QueryUnescape(secret)
		if err1 != nil || err2 != nil {
			oauthError(w, r, http.StatusUnauthorized, "invalid_client", "the Basic credentials are not form-encoded")
			return
		}
	default:
		id, secret = form.Get("client_id"), form.Get("client_secret")
	}
	s.issue(w, r, limits, id, secret, "")
}

// tokenLimits starts a token request: no caching of the answer, the
// endpoint's limits, and the source's request budget; ok is false when
// the request was answered.
func (s *Server) tokenLimits(w http.ResponseWriter, r *http.Request) (limits *TokenLimits, ok bool) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	if s.Clients == nil {
		s.fail(w, r, parley.Errorf(parley.ENOTFOUND, "this server does not issue tokens"))
		return nil, false
	}
	if limits = s.TokenLimits; limits == nil {
		s.fail(w, r, parley.Errorf(parley.EINTERNAL, "the token endpoint has no limits configured"))
		return nil, false
	}
	if ok, wait := limits.bySource.Allow(sourceOf(r)); !ok {
		tooManyTokens(w, r, wait, "from "+sourceOf(r))
		return nil, false
	}
	return limits, true
}

// issue exchanges a client's credentials for a token within limits and
// answers it. When account is set (LivePerson's route names it), a client
// of another account is refused as invalid_client.
func (s *Server) issue(w http.ResponseWriter, r *http.Request, limits *TokenLimits, id, secret, account string) {
	if id == "" || secret == "" {
		oauthError(w, r, http.StatusUnauthorized, "invalid_client", "client credentials are required (HTTP Basic, or client_id and client_secret)")
		return
	}
	if ok, wait := limits.byClient.Allow(id); !ok {
		tooManyTokens(w, r, wait, "for this client")
		return
	}
	select {
	case limits.checks <- struct{}{}:
		defer func() { <-limits.checks }()
	case <-time.After(tokenCheckWait):
		w.Header().Set("Retry-After", "1")
		oauthError(w, r, http.StatusServiceUnavailable, "temporarily_unavailable", "the token endpoint is busy; retry in 1 s")
		return
	case <-r.Context().Done():
		return
	}
	issued, err := s.Clients.Exchange(r.Context(), id, secret)
	switch {
	case parley.ErrorCode(err) == parley.EUNAUTHORIZED:
		oauthError(w, r, http.StatusUnauthorized, "invalid_client", parley.ErrorMessage(err))
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	if account != "" {
		if p, err := s.Auth.Verify(r.Context(), issued.AccessToken); err != nil || p.AccountID != account {
			oauthError(w, r, http.StatusUnauthorized, "invalid_client", "the client is not one of account "+account)
			return
		}
	}
	writeJSON(w, http.StatusOK, TokenResponse{AccessToken: issued.AccessToken, TokenType: issued.TokenType, ExpiresIn: int(issued.ExpiresIn / time.Second)})
}

// jwks publishes the public keys tokens are verified with.
func (s *Server) jwks(w http.ResponseWriter, r *http.Request) {
	if s.Auth == nil {
		s.fail(w, r, parley.Errorf(parley.ENOTFOUND, "this server does not issue tokens"))
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	writeJSON(w, http.StatusOK, s.Auth.JWKS())
}

// CreateClientRequest asks for a new API client.
type CreateClientRequest struct {
	Name string `json:"name"`
	Role string `json:"role"`
}

// ClientResponse is an API client. ClientSecret is set only in the answers
// to create and rotate: it is shown once and never again.
type ClientResponse struct {
	ClientID     string    `json:"clientId"`
	ClientSecret string    `json:"clientSecret,omitempty"`
	AccountID    string    `json:"accountId"`
	Name         string    `json:"name,omitempty"`
	Role         string    `json:"role"`
	CreatedAt    time.Time `json:"createdAt"`
	RotatedAt    time.Time `json:"rotatedAt,omitzero"`
}

func clientResponse(c parley.APIClient, secret string) ClientResponse {
	return ClientResponse{ClientID: c.ID, ClientSecret: secret, AccountID: c.AccountID, Name: c.Name, Role: c.Role,
		CreatedAt: c.CreatedAt, RotatedAt: c.RotatedAt}
}

// needClients answers 404 for the client routes of a server without a
// client service.
func needClients(h func(*Server, http.ResponseWriter, *http.Request)) func(*Server, http.ResponseWriter, *http.Request) {
	return func(s *Server, w http.ResponseWriter, r *http.Request) {
		if s.Clients == nil {
			s.fail(w, r, parley.Errorf(parley.ENOTFOUND, "this server does not manage API clients"))
			return
		}
		h(s, w, r)
	}
}

func (s *Server) createClient(w http.ResponseWriter, r *http.Request) {
	data, err := readBody(r, w, maxBody)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req CreateClientRequest
	if err := decodeJSON(data, &req, ""); err != nil {
		s.fail(w, r, err)
		return
	}
	role, err := auth.ParseTenantRole(req.Role, "role")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	creds, err := s.Clients.Create(r.Context(), r.PathValue("accountId"), role, req.Name)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, clientResponse(creds.Client, creds.Secret))
}

func (s *Server) listClients(w http.ResponseWriter, r *http.Request) {
	cs, err := s.Clients.List(r.Context(), r.PathValue("accountId"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]ClientResponse, len(cs))
	for i, c := range cs {
		out[i] = clientResponse(c, "")
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) rotateClient(w http.ResponseWriter, r *http.Request) {
	creds, err := s.Clients.Rotate(r.Context(), r.PathValue("accountId"), r.PathValue("clientId"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, clientResponse(creds.Client, creds.Secret))
}

func (s *Server) revokeClient(w http.ResponseWriter, r *http.Request) {
	if err := s.Clients.Revoke(r.Context(), r.PathValue("accountId"), r.PathValue("clientId")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// withWebhooks adds to access the providers' webhooks: each checks the
// provider's signature (or CM's webhook token) with the account's secret
// before the body is parsed.
func withWebhooks(access map[string]Access) map[string]Access {
	for _, p := range providers.Webhooks() {
		for _, m := range p.WebhookMethods() {
			access[m+" "+gateway.WebhookPath(p.Name())] = Signature
		}
	}
	for _, event := range twilio.VoiceEvents {
		access[http.MethodPost+" "+twilio.VoicePath(event)] = Signature
	}
	return access
}
