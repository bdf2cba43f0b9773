package httpapi

import (
	"context"
	"mime"
	"net/http"
	"strings"

	"github.com/parleyhq/parley/internal/c2m"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/phone"
)

// Deflections is Connect to Messaging (*c2m.Service is one).
type Deflections interface {
	Eligibility(ctx context.Context, accountID string, req c2m.EligibilityRequest) (c2m.Eligibility, error)
	Invite(ctx context.Context, accountID string, req c2m.InviteRequest) (c2m.Invited, error)
}

// AgentContext gives the recent outbound messages to a consumer that an
// agent sees (*conversation.Service is one).
type AgentContext interface {
	RecentOutbound(ctx context.Context, accountID, consumer string) ([]parley.OutboundSummary, error)
}

// Connect to Messaging's routes, as LivePerson's C2M API 2.0 spells them
// (the version is the query's v=2.0), and the agent context.
const (
	eligibilityPath    = "/api/account/{accountId}/eligibility"
	invitePath         = "/api/account/{accountId}/invite"
	recentOutboundPath = "/api/v2/account/{accountId}/consumers/{consumerId}/outbound"
	// maxC2MBody bounds an eligibility or invite request: its sdes take
	// at most parley.MaxSDEBytes.
	maxC2MBody = 16 << 10
)

// c2mRoutes are the routes whose errors are LivePerson's Connect to
// Messaging body, {errorCode, errorMessage} (writeC2MError).
var c2mRoutes = map[string]bool{
	"POST " + eligibilityPath: true,
	"POST " + invitePath:      true,
}

// C2MRoutes names each Connect to Messaging route's rate gate, keyed as
// Server.RouteGates is.
var C2MRoutes = map[string]string{
	"POST " + eligibilityPath: "c2m-eligibility",
	"POST " + invitePath:      "c2m-invite",
}

// IsConnectToMessagingRoute reports whether the route of method and
// pattern answers its errors in LivePerson's Connect to Messaging shape
// (C2MError).
func IsConnectToMessagingRoute(method, pattern string) bool { return c2mRoutes[method+" "+pattern] }

func c2mRouteList() []Route {
	return []Route{
		{http.MethodPost, eligibilityPath, needDeflections((*Server).eligibility)},
		{http.MethodPost, invitePath, needDeflections((*Server).invite)},
		{http.MethodGet, recentOutboundPath, (*Server).recentOutbound},
	}
}

// needDeflections answers 404 for the Connect to Messaging routes of a
// server without the service.
func needDeflections(h func(*Server, http.ResponseWriter, *http.Request)) func(*Server, http.ResponseWriter, *http.Request) {
	return func(s *Server, w http.ResponseWriter, r *http.Request) {
		if s.Deflections == nil {
			s.fail(w, r, c2mError(c2m.CodeNotFound, parley.ENOTFOUND, "this server does not run Connect to Messaging"))
			return
		}
		h(s, w, r)
	}
}

func c2mError(code int, kind, format string, args ...any) error {
	return &c2m.Error{Code: code, Err: parley.Errorf(kind, format, args...)}
}

// C2MError is LivePerson's Connect to Messaging error body.
type C2MError struct {
	ErrorCode    int    `json:"errorCode"`
	ErrorMessage string `json:"errorMessage"`
}

// c2mCode is the LivePerson error code of an error answered with status:
// the one err carries, else the one LivePerson gives the status.
func c2mCode(err error, status int) int {
	if code, ok := c2m.CodeOf(err); ok {
		return code
	}
	switch status {
	case http.StatusUnauthorized:
		return c2m.CodeUnauthorized
	case http.StatusForbidden:
		return c2m.CodeForbidden
	case http.StatusNotFound:
		return c2m.CodeNotFound
	case http.StatusMethodNotAllowed:
		return c2m.CodeMethodNotAllowed
	case http.StatusUnsupportedMediaType:
		return c2m.CodeUnsupportedMedia
	case http.StatusTooManyRequests:
		return c2m.CodeTooMany
	}
	if status >= 500 {
		return c2m.CodeInternal
	}
	return c2m.CodeInvalidRequest
}

// writeC2MError answers p (of err) in LivePerson's Connect to Messaging
// shape, with the same status and Retry-After.
func writeC2MError(w http.ResponseWriter, p Problem, err error) {
	writeRetryAfter(w, p)
	writeJSON(w, p.Status, C2MError{ErrorCode: c2mCode(err, p.Status), ErrorMessage: p.Detail})
}

// c2mMethodNotAllowed answers another method of a Connect to Messaging
// route as LivePerson does: 405 (1005), naming the one it takes.
func (s *Server) c2mMethodNotAllowed(allowed string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allowed)
		writeC2MError(w, problemOf(parley.Errorf(parley.ENOTALLOWED, "%s is not allowed on %s; use %s", r.Method, r.URL.Path, allowed)), nil)
	}
}

// c2mRequest checks what both Connect to Messaging routes take: v=2.0 and
// a JSON body, and reads the body.
func c2mRequest(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if v := r.URL.Query()["v"]; len(v) != 1 || v[0] != c2m.Version {
		return nil, &c2m.Error{Code: c2m.CodeInvalidVersion, Err: parley.FieldErrorf("v", "Invalid version: the query must name v=%s", c2m.Version)}
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return nil, parley.Errorf(parley.EUNSUPPORTED, "Unsupported Media Type: the body must be application/json, not %q", r.Header.Get("Content-Type"))
	}
	data, err := readBody(r, w, maxC2MBody)
	if err != nil {
		return nil, &c2m.Error{Code: c2m.CodeInvalidRequest, Err: parley.Errorf(parley.ETOOLARGE, "Invalid request: the body exceeds %d bytes", maxC2MBody)}
	}
	return data, nil
}

// decodeC2M decodes a Connect to Messaging body into v: 1000 naming the
// field when it does not.
func decodeC2M(data []byte, v any) error {
	if err := decodeJSON(data, v, ""); err != nil {
		return &c2m.Error{Code: c2m.CodeInvalidRequest, Err: &parley.Error{Code: parley.EINVALID, Field: parley.ErrorField(err),
			Message: "Invalid request: " + parley.ErrorMessage(err)}}
	}
	return nil
}

func (s *Server) eligibility(w http.ResponseWriter, r *http.Request) {
	serveC2M(s, w, r, s.Deflections.Eligibility)
}

func (s *Server) invite(w http.ResponseWriter, r *http.Request) {
	serveC2M(s, w, r, s.Deflections.Invite)
}

// serveC2M answers a Connect to Messaging request: its version, media type
// and body checked and decoded, then call's answer.
func serveC2M[Req, Answer any](s *Server, w http.ResponseWriter, r *http.Request, call func(context.Context, string, Req) (Answer, error)) {
	data, err := c2mRequest(w, r)
	var req Req
	if err == nil {
		err = decodeC2M(data, &req)
	}
	var answer Answer
	if err == nil {
		answer, err = call(r.Context(), r.PathValue("accountId"), req)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, answer)
}

// RecentOutboundResponse is the agent context of a consumer: the newest
// messages sent to them in the last 30 days (at most five, newest first).
type RecentOutboundResponse struct {
	Consumer string                   `json:"consumer"`
	Outbound []parley.OutboundSummary `json:"outbound"`
}

// recentOutbound answers the agent context of the consumer in the path: a
// phone number (E.164, its + written or %2B) or an in-app consumer id.
func (s *Server) recentOutbound(w http.ResponseWriter, r *http.Request) {
	if s.AgentContext == nil {
		s.fail(w, r, parley.Errorf(parley.ENOTFOUND, "this server keeps no outbound contexts"))
		return
	}
	consumer := strings.TrimSpace(r.PathValue("consumerId"))
	if e164, ok := phone.Normalize(consumer); ok && strings.HasPrefix(consumer, "+") {
		consumer = e164
	} else if why := parley.ConsumerIDProblem(consumer); why != "" {
		s.fail(w, r, parley.FieldErrorf("consumerId", "%q is neither a phone number in E.164 nor an in-app consumer id: %s", consumer, why))
		return
	}
	out, err := s.AgentContext.RecentOutbound(r.Context(), r.PathValue("accountId"), consumer)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, RecentOutboundResponse{Consumer: consumer, Outbound: out})
}
