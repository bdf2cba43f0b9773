// Package httpapi is Parley's HTTP interface: routes, request and response
// types, validation of the wire format, and problem+json errors. One router
// serves both net/http (parley serve) and API Gateway HTTP API events
// (Lambda), through the adapter in lambda.go.
package httpapi

import (
	"context"
	_ "embed"
	"encoding/json"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/campaign"
	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/gateway/sandbox"
	"github.com/parleyhq/parley/internal/obs"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Campaigns is the campaign service the routes call.
type Campaigns interface {
	Create(ctx context.Context, accountID string, d campaign.Draft) (campaign.Accepted, error)
	Parse(ctx context.Context, accountID string, d campaign.Draft) (campaign.Accepted, error)
	Report(ctx context.Context, accountID, campaignID string) (campaign.Report, error)
	Campaign(ctx context.Context, accountID, campaignID string) (parley.Campaign, error)
	Detail(ctx context.Context, accountID, campaignID string) (campaign.Detail, error)
	List(ctx context.Context, accountID string, q campaign.ListQuery) (store.CampaignPage, error)
	Recipients(ctx context.Context, c parley.Campaign, statuses []parley.RecipientStatus, after, limit int) (campaign.RecipientPage, error)
	EachRecipient(ctx context.Context, c parley.Campaign, fn func([]parley.Recipient) error) (map[parley.RecipientStatus]int, error)
	Pause(ctx context.Context, accountID, campaignID string) (parley.Campaign, error)
	Resume(ctx context.Context, accountID, campaignID string) (parley.Campaign, error)
	Cancel(ctx context.Context, accountID, campaignID string) (parley.Campaign, error)
}

// Sandbox lists what the sandbox gateway recorded for an account.
type Sandbox interface {
	Messages(ctx context.Context, accountID string) ([]parley.SentMessage, error)
}

// Faults steers the sandbox gateway's refusals, per account.
type Faults interface {
	Inject(f sandbox.Fault) (sandbox.Fault, error)
	Faults(accountID string) []sandbox.Fault
	ClearFaults(accountID string)
}

// Accounts reads and changes account settings.
type Accounts interface {
	Settings(ctx context.Context, accountID string) (parley.Account, error)
	Update(ctx context.Context, a parley.Account) (parley.Account, error)
}

// Templates creates, edits, lists and deletes WhatsApp templates, and
// applies Meta's status updates of them (*templates.Service is one).
type Templates interface {
	Create(ctx context.Context, accountID string, t parley.WhatsAppTemplate) (parley.WhatsAppTemplate, error)
	Update(ctx context.Context, accountID, id string, t parley.WhatsAppTemplate) (parley.WhatsAppTemplate, error)
	Get(ctx context.Context, accountID, id string) (parley.WhatsAppTemplate, error)
	List(ctx context.Context, accountID string) ([]parley.WhatsAppTemplate, error)
	Delete(ctx context.Context, accountID, id string) error
	Review(ctx context.Context, u gateway.TemplateUpdate) (bool, error)
}

// DeadLetters is the jobs queue's dead-letter queue as operators see it.
type DeadLetters interface {
	Redrive(ctx context.Context) (int, error)
}

// Gate admits or refuses (ETOOMANY, with the wait) an account's call.
type Gate interface {
	Admit(ctx context.Context, accountID string) error
}

// Server holds the routes' dependencies.
type Server struct {
	Campaigns Campaigns
	// ParseGate, when set, holds each account to a rate of parses (the
	// campaign service holds creations to theirs, once a draft is valid).
	ParseGate Gate
	// RequestGate, when set, holds each account to a rate of requests on
	// every authenticated /api/ route: admitted once the caller is
	// authenticated, so an unauthenticated request never reaches it.
	RequestGate Gate
	Accounts    Accounts
	Templates   Templates
	// Handoffs keeps API handoffs; their routes answer 404 while unset.
	Handoffs Handoffs
	// Deflections is Connect to Messaging; its routes answer 404 while
	// unset. RouteGates, keyed "METHOD pattern", hold the routes they name
	// to their own rate instead of RequestGate's (LivePerson's 30 requests
	// a second per account for each Connect to Messaging route).
	Deflections Deflections
	RouteGates  map[string]Gate
	// AgentContext gives consumers' recent outbound messages.
	AgentContext AgentContext
	// Auth verifies bearer tokens; every route is then held to its access
	// rule (auth.go). Nil enforces nothing: only tests of other routes.
	Auth Authenticator
	// Operators verifies operator tokens (auth.OperatorAudience), the only
	// credential operator routes take; nil refuses them all.
	Operators Authenticator
	// Clients manages API clients and serves the token endpoint, within
	// TokenLimits (required with Clients).
	Clients     Clients
	TokenLimits *TokenLimits
	// Channels configures each account's channel providers.
	Channels Channels
	// PushTokens keeps consumers' device tokens for the in-app channel.
	PushTokens PushTokens
	// OptOuts keeps accounts' opt-out lists.
	OptOuts OptOuts
	// Contacts is each account's contact directory; its routes answer 404
	// while unset.
	Contacts Contacts
	// PhoneCampaigns keeps telephone campaigns; their routes answer 404
	// while unset.
	PhoneCampaigns PhoneCampaigns
	// PhoneOperators runs the operators of telephone campaigns; their
	// routes answer 404 without it.
	PhoneOperators PhoneOperators
	// VoiceTokens signs operators' Twilio Voice SDK access tokens; the
	// route answers 404 without it.
	VoiceTokens VoiceTokens
	// EventSubscriptions keeps the webhook endpoints lifecycle events are
	// pushed to; their routes answer 404 while unset.
	EventSubscriptions EventSubscriptions
	// Analytics answers the analytics routes, which answer 404 while it is
	// unset.
	Analytics Analytics
	// Counters serve LivePerson's Outbound Reporting routes, which answer
	// 404 while it is unset.
	Counters Counters
	// Conversations and Broadcasts serve the conversations replies open
	// and the provider broadcast campaigns that route them; their routes
	// answer 404 while unset.
	Conversations Conversations
	Broadcasts    Broadcasts
	// Exports, when set, keeps the CSV downloads, which are answered with a
	// link to them (a redirect); while unset they are streamed in the
	// answer.
	Exports Exports
	// Web serves the webtool at / and /assets/; those routes answer 404
	// while it is unset.
	Web Webtool
	// SignIn is how webtool users sign in; nil offers no sign-in.
	SignIn *SignIn
	// DeadLetters, when set, exposes POST /admin/dlq/redrive.
	DeadLetters DeadLetters
	// Sandbox, when set, exposes GET /sandbox/messages.
	Sandbox Sandbox
	// Faults, when set, exposes /sandbox/faults. Only a process that also
	// runs the dispatcher (parley serve) can honour them.
	Faults Faults
	// SandboxOperators, when set, exposes POST /sandbox/operators: the
	// simulated operators of the sandbox voice gateway (parley serve).
	SandboxOperators SandboxOperators
	Log              *slog.Logger
	// Idempotency keeps the Idempotency-Keys of the creates
	// (idempotency.go); while it is nil the header is ignored.
	Idempotency Idempotency
	// Clock tells the time idempotency records are kept by; nil is the
	// system clock.
	Clock parley.Clock

	// Inbox takes in what the providers' webhooks (/webhooks/...) and,
	// with Sandbox, the sandbox injections (/sandbox/replies,
	// /sandbox/statuses) deliver; ChannelConfigs holds the secrets the
	// webhooks are verified with. Those routes answer 404 while either is
	// unset (webhooks.go).
	Inbox          Inbox
	ChannelConfigs ChannelConfigs
	// VoiceCalls takes in Twilio's voice webhooks (voicewebhooks.go),
	// verified with ChannelConfigs; they answer 404 while it is unset.
	VoiceCalls VoiceCalls
	// PublicURL is the base URL providers reach the API at
	// (PARLEY_PUBLIC_URL), which Twilio's signatures cover; when empty it
	// is rebuilt from each request.
	PublicURL string

	uploads uploadSlots // made by Handler
	// TrustForwarded lets X-Forwarded-Proto and X-Forwarded-Host rebuild
	// that URL (PARLEY_TRUST_FORWARDED): only behind a proxy that sets
	// them, since anyone else can.
	TrustForwarded bool
}

// Route is one method and path pattern of the API.
type Route struct {
	Method, Pattern string
	handler         func(*Server, http.ResponseWriter, *http.Request)
}

// Routes lists every route the API serves; the OpenAPI document describes
// exactly these.
func (s *Server) Routes() []Route {
	rs := []Route{
		{http.MethodPost, "/api/v2/account/{accountId}/campaign", (*Server).createCampaign},
		{http.MethodPost, "/api/v2/account/{accountId}/campaign/parse", (*Server).parseCampaign},
		{http.MethodGet, "/api/v2/account/{accountId}/campaign/{campaignId}/conversations", (*Server).conversations},
		{http.MethodPost, "/api/v2/account/{accountId}/campaign/{campaignId}/pause", control(Campaigns.Pause)},
		{http.MethodPost, "/api/v2/account/{accountId}/campaign/{campaignId}/resume", control(Campaigns.Resume)},
		{http.MethodPost, "/api/v2/account/{accountId}/campaign/{campaignId}/cancel", control(Campaigns.Cancel)},
		{http.MethodGet, "/openapi.yaml", (*Server).openAPI},
		{http.MethodGet, "/api/v2/account/{accountId}/settings", (*Server).settings},
		{http.MethodPut, "/api/v2/account/{accountId}/settings", (*Server).updateSettings},
		{http.MethodPatch, "/api/v2/account/{accountId}/settings", (*Server).patchSettings},
		{http.MethodPost, "/api/v2/account/{accountId}/templates", (*Server).registerTemplate},
		{http.MethodGet, "/api/v2/account/{accountId}/templates", (*Server).listTemplates},
		{http.MethodGet, "/api/v2/account/{accountId}/templates/{templateId}", (*Server).getTemplate},
		{http.MethodPut, "/api/v2/account/{accountId}/templates/{templateId}", (*Server).updateTemplate},
		{http.MethodDelete, "/api/v2/account/{accountId}/templates/{templateId}", (*Server).deleteTemplate},
		{http.MethodPost, pushTokensPath, (*Server).registerPushToken},
		{http.MethodGet, pushTokensPath, (*Server).listPushTokens},
		{http.MethodDelete, pushTokenPath, (*Server).unregisterPushToken},
		{http.MethodPost, "/oauth/token", (*Server).token},
		{http.MethodPost, appTokenPath, (*Server).appToken},
		{http.MethodGet, "/.well-known/jwks.json", (*Server).jwks},
		{http.MethodPost, "/api/v2/account/{accountId}/clients", needClients((*Server).createClient)},
		{http.MethodGet, "/api/v2/account/{accountId}/clients", needClients((*Server).listClients)},
		{http.MethodPost, "/api/v2/account/{accountId}/clients/{clientId}/rotate", needClients((*Server).rotateClient)},
		{http.MethodDelete, "/api/v2/account/{accountId}/clients/{clientId}", needClients((*Server).revokeClient)},
		{http.MethodPut, "/api/v2/account/{accountId}/channels/{channel}", (*Server).putChannel},
		{http.MethodGet, "/api/v2/account/{accountId}/channels", (*Server).listChannels},
		{http.MethodGet, "/api/v2/account/{accountId}/channels/{channel}", (*Server).getChannel},
		{http.MethodGet, optOutsPath, needOptOuts((*Server).listOptOuts)},
		{http.MethodPost, optOutsPath, needOptOuts((*Server).addOptOut)},
		{http.MethodDelete, optOutPath, needOptOuts((*Server).removeOptOut)},
		{http.MethodPost, optOutImportPath, needOptOuts((*Server).importOptOuts)},
		{http.MethodGet, optOutExportPath, needOptOuts((*Server).exportOptOuts)},
	}
	rs = append(rs, campaignListRoutes()...)
	rs = append(rs, handoffRoutes()...)
	rs = append(rs, c2mRouteList()...)
	rs = append(rs, conversationRoutes()...)
	rs = append(rs, contactRoutes()...)
	rs = append(rs, phoneCampaignRoutes()...)
	rs = append(rs, phoneOperatorRoutes()...)
	rs = append(rs, eventSubscriptionRoutes()...)
	rs = append(rs, analyticsRoutes()...)
	rs = append(rs, lpReportRoutes()...)
	rs = append(rs, s.webhookRoutes()...)
	rs = append(rs, s.voiceWebhookRoutes()...)
	rs = append(rs, webRoutes()...)
	rs = append(rs, signInRoutes()...)
	if s.DeadLetters != nil {
		rs = append(rs, Route{http.MethodPost, "/admin/dlq/redrive", (*Server).redrive})
	}
	if s.Sandbox != nil {
		rs = append(rs, Route{http.MethodGet, "/sandbox/messages", (*Server).sandboxMessages})
	}
	if s.Faults != nil {
		rs = append(rs,
			Route{http.MethodGet, "/sandbox/faults", (*Server).listFaults},
			Route{http.MethodPost, "/sandbox/faults", (*Server).injectFault},
			Route{http.MethodDelete, "/sandbox/faults", (*Server).clearFaults})
	}
	if s.SandboxOperators != nil {
		rs = append(rs, Route{http.MethodPost, sandboxOperatorsPath, (*Server).sandboxOperators})
	}
	return rs
}

// Handler returns the router.
func (s *Server) Handler() http.Handler { return s.handler(func(string) bool { return true }) }

// WebhooksHandler serves the providers' webhooks alone (the routes whose
// access is Signature: delivery receipts, consumers' messages, call
// events) and answers every other request 404. The webhooks function
// serves it at its own public URL, outside the HTTP API and its
// authorizer, so that nothing but what a provider's signature
// authenticates is reachable there.
func (s *Server) WebhooksHandler() http.Handler {
	return s.handler(func(route string) bool { return routeAccess[route] == Signature })
}

// handler serves the routes keep accepts ("METHOD pattern"), each under
// its access rule, and answers any other request 404.
func (s *Server) handler(keep func(route string) bool) http.Handler {
	if s.uploads == nil {
		s.uploads = make(uploadSlots, MaxUploadsAtOnce)
	}
	mux := http.NewServeMux()
	for _, rt := range s.Routes() {
		route := rt.Method + " " + rt.Pattern
		if !keep(route) {
			continue
		}
		if cr, ok := idempotentCreates[route]; ok {
			rt.handler = idempotent(route, cr, rt.handler) // inside the guard: authenticated first
		}
		mux.HandleFunc(route, s.guard(rt)) // access rules: auth.go
	}
	for route := range c2mRoutes {
		if method, pattern, _ := strings.Cut(route, " "); keep(route) {
			mux.HandleFunc(pattern, s.c2mMethodNotAllowed(method))
		}
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, problemOf(parley.Errorf(parley.ENOTFOUND, "no route %s %s", r.Method, r.URL.Path)))
	})
	return s.logRequests(mux)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// logRequests logs each request by its route pattern, never its path: a
// path may carry a consumer's number (DELETE …/optouts/{phone}).
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		s.Log.InfoContext(r.Context(), "http", "route", route(r), "status", rec.status,
			obs.IDs(r.PathValue("accountId"), r.PathValue("campaignId"), ""), "ms", time.Since(start).Milliseconds())
	})
}

// route is the pattern of the route that served r (such as "DELETE
// /api/v2/account/{accountId}/optouts/{phone}"), or its method alone when
// no route matched.
func route(r *http.Request) string {
	if r.Pattern != "" {
		return r.Pattern
	}
	return r.Method + " (no route)"
}

//go:embed openapi.yaml
var openAPIDoc []byte

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/yaml")
	_, _ = w.Write(openAPIDoc)
}

func (s *Server) sandboxMessages(w http.ResponseWriter, r *http.Request) {
	account, err := s.sandboxAccount(r, r.URL.Query().Get("accountId"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ms, err := s.Sandbox.Messages(r.Context(), account)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ms)
}

func (s *Server) listFaults(w http.ResponseWriter, r *http.Request) {
	account, err := s.sandboxAccount(r, r.URL.Query().Get("accountId"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.Faults.Faults(account))
}

func (s *Server) injectFault(w http.ResponseWriter, r *http.Request) {
	data, err := readBody(r, w, maxBody)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var f sandbox.Fault
	if err := decodeJSON(data, &f, ""); err != nil {
		s.fail(w, r, err)
		return
	}
	if f.AccountID, err = s.sandboxAccount(r, f.AccountID); err != nil {
		s.fail(w, r, err)
		return
	}
	if f, err = s.Faults.Inject(f); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, f)
}

func (s *Server) clearFaults(w http.ResponseWriter, r *http.Request) {
	account, err := s.sandboxAccount(r, r.URL.Query().Get("accountId"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.Faults.ClearFaults(account)
	w.WriteHeader(http.StatusNoContent)
}

// sandboxAccount is the account a sandbox call acts on: the caller's.
// named is the account the request names, if any; naming another account
// is EFORBIDDEN. Without an authenticator (tests of other routes) the
// request must name it.
func (s *Server) sandboxAccount(r *http.Request, named string) (string, error) {
	p, ok := auth.FromContext(r.Context())
	switch {
	case ok && named != "" && named != p.AccountID:
		return "", parley.Errorf(parley.EFORBIDDEN, "the token is for account %s, not account %s: the sandbox acts on the caller's account alone", p.AccountID, named)
	case ok:
		return p.AccountID, nil
	case named == "":
		return "", parley.FieldErrorf("accountId", "accountId is required")
	}
	return named, parley.ValidateAccountID(named, "accountId")
}

// RedriveResponse says how many dead-lettered jobs went back on the queue.
type RedriveResponse struct {
	Redriven int `json:"redriven"`
}

func (s *Server) redrive(w http.ResponseWriter, r *http.Request) {
	n, err := s.DeadLetters.Redrive(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.Log.InfoContext(r.Context(), "dead-letter queue redriven", "count", n)
	writeJSON(w, http.StatusOK, RedriveResponse{Redriven: n})
}

// SettingsRequest is an account's settings as the API takes them; empty
// texts mean the defaults.
type SettingsRequest struct {
	OptOutText   string `json:"optOutText"`
	HelpText     string `json:"helpText"`
	DefaultSkill string `json:"defaultSkill"`
	// OptOutConfirmText and OptInConfirmText answer a consumer's STOP and
	// START.
	OptOutConfirmText string `json:"optOutConfirmText"`
	OptInConfirmText  string `json:"optInConfirmText"`
	// DefaultCountry is the ISO 3166 alpha-2 country recipients' numbers
	// without a country code are read in; "" for none.
	DefaultCountry string `json:"defaultCountry"`
	// TimeZone is the IANA zone analytics count days in; "" for UTC.
	TimeZone string `json:"timeZone"`
	// ConnectorURL and ConnectorSecret are where conversations are pushed
	// and the key they are signed with. The secret is never shown; leaving
	// it out (or sending back its redacted form) keeps the stored one.
	ConnectorURL    string        `json:"connectorUrl"`
	ConnectorSecret parley.Secret `json:"connectorSecret"`
	// DailyRecipientLimit is how many recipients the account's campaigns
	// may take per channel and day (UTC); 0 for the default (100,000).
	DailyRecipientLimit int `json:"dailyRecipientLimit"`
	// The outbound settings (outboundSettings): the channels in priority
	// order, each enabled or not; whether Connect to Messaging checks that
	// a number is a mobile; the routing skills outbound replies may go to.
	Channels       []parley.ChannelSetting `json:"channels"`
	DeviceCheck    bool                    `json:"deviceCheck"`
	OutboundSkills []string                `json:"outboundSkills"`
}

func (s *Server) settings(w http.ResponseWriter, r *http.Request) {
	a, err := s.Accounts.Settings(r.Context(), r.PathValue("accountId"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

// settingsFields are the settings a PUT must name, each (an empty text
// or a limit of 0 means the default); connectorSecret may be left out,
// which keeps it.
var settingsFields = []string{"optOutText", "helpText", "defaultSkill", "optOutConfirmText", "optInConfirmText", "defaultCountry", "connectorUrl", "dailyRecipientLimit"}

// numericSettings are the settings that are whole numbers; the others are
// texts, but for outboundSettings.
var numericSettings = []string{"dailyRecipientLimit"}

// outboundSettings are the settings of outbound channels and routing,
// each of its own JSON type; a PUT that leaves them out keeps them.
var outboundSettings = map[string]func(json.RawMessage) error{
	"channels":       func(v json.RawMessage) error { return json.Unmarshal(v, new([]parley.ChannelSetting)) },
	"deviceCheck":    func(v json.RawMessage) error { return json.Unmarshal(v, new(bool)) },
	"outboundSkills": func(v json.RawMessage) error { return json.Unmarshal(v, new([]string)) },
}

// outboundSettingTypes says what each of outboundSettings must be.
var outboundSettingTypes = map[string]string{
	"channels":       "a JSON array of {channel, enabled} in priority order",
	"deviceCheck":    "true or false",
	"outboundSkills": "a JSON array of skill names",
}

// settingsDocument reads a settings body: a JSON object naming only
// settings, each a string or, for numericSettings, a whole number (or
// null, in a patch); a null stays nil.
func settingsDocument(data []byte) (map[string]json.RawMessage, error) {
	var raw map[string]json.RawMessage
	if err := decodeJSON(data, &raw, ""); err != nil {
		return nil, err
	}
	if raw == nil {
		return nil, parley.FieldErrorf("", "the settings must be a JSON object")
	}
	doc := map[string]json.RawMessage{}
	for _, k := range slices.Sorted(maps.Keys(raw)) {
		check, outbound := outboundSettings[k]
		if k != "connectorSecret" && !outbound && !slices.Contains(settingsFields, k) {
			return nil, parley.FieldErrorf(k, "%s is not a setting; the settings are %s, connectorSecret, channels, deviceCheck and outboundSkills", k, strings.Join(settingsFields, ", "))
		}
		if string(raw[k]) == "null" {
			doc[k] = nil
			continue
		}
		if outbound {
			if err := check(raw[k]); err != nil {
				return nil, parley.FieldErrorf(k, "%s must be %s (or null in a PATCH)", k, outboundSettingTypes[k])
			}
		} else if slices.Contains(numericSettings, k) {
			var n int
			if err := json.Unmarshal(raw[k], &n); err != nil {
				return nil, parley.FieldErrorf(k, "%s must be a whole number (or null in a PATCH)", k)
			}
		} else if err := json.Unmarshal(raw[k], new(string)); err != nil {
			return nil, parley.FieldErrorf(k, "%s must be a JSON string (or null in a PATCH)", k)
		}
		doc[k] = raw[k]
	}
	return doc, nil
}

// updateSettings replaces the account's settings with a complete document:
// a setting left out is 400, so that nothing is reset by accident.
func (s *Server) updateSettings(w http.ResponseWriter, r *http.Request) {
	data, err := readBody(r, w, maxBody)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	doc, err := settingsDocument(data)
	if err == nil {
		for _, k := range settingsFields {
			if v, ok := doc[k]; !ok || v == nil {
				err = parley.FieldErrorf(k, "%s is required: a PUT replaces every setting (send \"\", or 0 for a limit, for the default), PATCH changes only those it names", k)
				break
			}
		}
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if slices.ContainsFunc(slices.Collect(maps.Keys(outboundSettings)), func(k string) bool { _, named := doc[k]; return !named }) {
		current, err := s.Accounts.Settings(r.Context(), r.PathValue("accountId"))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if data, err = withOutbound(data, doc, current); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	s.saveSettings(w, r, data)
}

// withOutbound returns the settings document data (read as doc) with the
// outbound settings it leaves out as current has them.
func withOutbound(data []byte, doc map[string]json.RawMessage, current parley.Account) ([]byte, error) {
	var merged map[string]any
	if err := json.Unmarshal(data, &merged); err != nil {
		return nil, err
	}
	kept := map[string]any{"channels": current.Channels, "deviceCheck": current.DeviceCheck, "outboundSkills": current.OutboundSkills}
	for k, v := range kept {
		if _, named := doc[k]; !named {
			merged[k] = v
		}
	}
	return json.Marshal(merged)
}

// patchSettings applies a JSON merge patch (RFC 7396) to the account's
// settings: what it names changes, null restores a setting's default, the
// rest stays.
func (s *Server) patchSettings(w http.ResponseWriter, r *http.Request) {
	data, err := readBody(r, w, maxBody)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	patch, err := settingsDocument(data)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	current, err := s.Accounts.Settings(r.Context(), r.PathValue("accountId"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	merged := map[string]any{
		"optOutText": current.OptOutText, "helpText": current.HelpText, "defaultSkill": current.DefaultSkill,
		"optOutConfirmText": current.OptOutConfirmText, "optInConfirmText": current.OptInConfirmText,
		"defaultCountry": current.DefaultCountry, "timeZone": current.TimeZone, "connectorUrl": current.ConnectorURL, "connectorSecret": current.ConnectorSecret.String(),
		"dailyRecipientLimit": current.DailyRecipientLimit,
		"channels":            current.Channels, "deviceCheck": current.DeviceCheck, "outboundSkills": current.OutboundSkills,
	}
	for k, v := range patch {
		_, outbound := outboundSettings[k]
		switch {
		case v != nil:
			merged[k] = v
		case outbound:
			delete(merged, k) // null restores the default: none, off
		case slices.Contains(numericSettings, k):
			merged[k] = 0
		default:
			merged[k] = ""
		}
	}
	body, err := json.Marshal(merged)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.saveSettings(w, r, body)
}

// saveSettings stores the settings document data.
func (s *Server) saveSettings(w http.ResponseWriter, r *http.Request, data []byte) {
	var req SettingsRequest
	if err := decodeJSON(data, &req, ""); err != nil {
		s.fail(w, r, err)
		return
	}
	a, err := s.Accounts.Update(r.Context(), parley.Account{
		ID: r.PathValue("accountId"), OptOutText: req.OptOutText, HelpText: req.HelpText, DefaultSkill: req.DefaultSkill,
		OptOutConfirmText: req.OptOutConfirmText, OptInConfirmText: req.OptInConfirmText,
		DefaultCountry: req.DefaultCountry, TimeZone: req.TimeZone, ConnectorURL: req.ConnectorURL, ConnectorSecret: req.ConnectorSecret,
		DailyRecipientLimit: req.DailyRecipientLimit,
		Channels:            req.Channels, DeviceCheck: req.DeviceCheck, OutboundSkills: req.OutboundSkills,
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

func (s *Server) registerTemplate(w http.ResponseWriter, r *http.Request) {
	t, ok := s.readTemplate(w, r)
	if !ok {
		return
	}
	saved, err := s.Templates.Create(r.Context(), r.PathValue("accountId"), t)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, saved)
}

func (s *Server) updateTemplate(w http.ResponseWriter, r *http.Request) {
	t, ok := s.readTemplate(w, r)
	if !ok {
		return
	}
	saved, err := s.Templates.Update(r.Context(), r.PathValue("accountId"), r.PathValue("templateId"), t)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, saved)
}

func (s *Server) deleteTemplate(w http.ResponseWriter, r *http.Request) {
	if err := s.Templates.Delete(r.Context(), r.PathValue("accountId"), r.PathValue("templateId")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// readTemplate reads the template definition of a request's body.
func (s *Server) readTemplate(w http.ResponseWriter, r *http.Request) (parley.WhatsAppTemplate, bool) {
	var t parley.WhatsAppTemplate
	data, err := readBody(r, w, maxBody)
	if err == nil {
		err = decodeJSON(data, &t, "")
	}
	if err != nil {
		s.fail(w, r, err)
		return t, false
	}
	return t, true
}

func (s *Server) listTemplates(w http.ResponseWriter, r *http.Request) {
	ts, err := s.Templates.List(r.Context(), r.PathValue("accountId"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ts)
}

func (s *Server) getTemplate(w http.ResponseWriter, r *http.Request) {
	t, err := s.Templates.Get(r.Context(), r.PathValue("accountId"), r.PathValue("templateId"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}
