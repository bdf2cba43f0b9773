package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// Problem is an RFC 9457 problem document with Parley's extensions: the
// machine-readable code and the offending field, line or recipient.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Code   string `json:"code"`
	Field  string `json:"field,omitempty"`
	// retryAfter is sent as the Retry-After header, in whole seconds.
	retryAfter time.Duration
}

// statusOf maps an error code to its HTTP status. This is the only place
// that does.
func statusOf(code string) int {
	switch code {
	case parley.EINVALID:
		return http.StatusBadRequest
	case parley.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case parley.EFORBIDDEN:
		return http.StatusForbidden
	case parley.ENOTFOUND:
		return http.StatusNotFound
	case parley.ECONFLICT:
		return http.StatusConflict
	case parley.EUNPROCESSABLE:
		return http.StatusUnprocessableEntity
	case parley.ETOOMANY:
		return http.StatusTooManyRequests
	case parley.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case parley.EUNSUPPORTED:
		return http.StatusUnsupportedMediaType
	case parley.ENOTALLOWED:
		return http.StatusMethodNotAllowed
	case parley.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// problemOf builds the problem document for err.
func problemOf(err error) Problem {
	code := parley.ErrorCode(err)
	status := statusOf(code)
	p := Problem{
		Type: "https://parley.dev/problems/" + code, Title: http.StatusText(status), Status: status,
		Detail: parley.ErrorMessage(err), Code: code, Field: parley.ErrorField(err),
	}
	var e *parley.Error
	if errors.As(err, &e) {
		p.retryAfter = e.RetryAfter
	}
	return p
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client went away; nothing to do
}

func writeProblem(w http.ResponseWriter, p Problem) {
	writeRetryAfter(w, p)
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// fail answers err as a problem and logs server-side failures.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	p := problemOf(err)
	if p.Status >= 500 {
		s.Log.ErrorContext(r.Context(), "request failed", "route", route(r), "err", err)
	}
	var unwrapped *parley.Error
	switch {
	case !errors.As(err, &unwrapped):
		p.Detail = "internal error"
	case p.Status < 500 && unwrapped.Err != nil:
		// The answer keeps the reason to itself (a webhook's refusal); the log has it.
		s.Log.InfoContext(r.Context(), "request refused", "route", route(r), "code", p.Code, "reason", unwrapped.Err.Error())
	}
	switch {
	case c2mRoutes[route(r)]:
		writeC2MError(w, p, err)
	case lpRoutes[route(r)]:
		writeLPError(w, p)
	default:
		writeProblem(w, p)
	}
}

// writeRetryAfter sets the Retry-After header p asks for, in whole seconds.
func writeRetryAfter(w http.ResponseWriter, p Problem) {
	if p.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((p.retryAfter+time.Second-1)/time.Second)))
	}
}

// lpRoutes are the routes LivePerson's clients call (Proactive's create
// and status, Sentinel's AppJWT), whose errors — authentication,
// validation, not found, too many requests, every one — are LivePerson's
// {code, message} rather than problem documents.
var lpRoutes = map[string]bool{
	"POST /api/v2/account/{accountId}/campaign":                           true,
	"GET /api/v2/account/{accountId}/campaign/{campaignId}/conversations": true,
	"GET " + lpHandoffsPath:                                               true,
	"GET " + lpChannelHandoffsPath:                                        true,
	"POST " + appTokenPath:                                                true,
	"GET " + lpAnalyticsPath:                                              true,
	"POST " + lpAnalyticsPath:                                             true,
	"GET " + lpCampaignAnalyticsPath:                                      true,
	"GET " + lpCampaignPagePath:                                           true,
	"POST " + lpTransactionsPath:                                          true,
}

// IsLivePersonRoute reports whether the route of method and pattern
// answers its errors in LivePerson's shape (LPError).
func IsLivePersonRoute(method, pattern string) bool { return lpRoutes[method+" "+pattern] }

// LPError is LivePerson's Proactive API error body. Code is 0 for an
// authentication failure, as LivePerson answers an expired AppJWT ("jwt
// expired"), and the HTTP status otherwise; Parley's machine-readable code
// and field ride along as additions.
type LPError struct {
	Code       int    `json:"code"`
	Message    string `json:"message"`
	ParleyCode string `json:"parleyCode"`
	Field      string `json:"field,omitempty"`
}

// writeLPError answers p in LivePerson's shape, with the same status and
// Retry-After.
func writeLPError(w http.ResponseWriter, p Problem) {
	e := LPError{Code: p.Status, Message: p.Detail, ParleyCode: p.Code, Field: p.Field}
	if p.Status == http.StatusUnauthorized {
		e.Code = 0
		if strings.HasPrefix(p.Detail, "token expired") {
			e.Message = "jwt expired"
		}
	}
	writeRetryAfter(w, p)
	writeJSON(w, p.Status, e)
}
