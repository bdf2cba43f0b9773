package whatsapp

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// graphError is the error object of a Graph API answer:
// {"error":{"message","type","code","error_subcode","error_data":{"details"},"fbtrace_id"}}.
type graphError struct {
	Message   string `json:"message"`
	Type      string `json:"type"`
	Code      int    `json:"code"`
	Subcode   int    `json:"error_subcode"`
	Transient bool   `json:"is_transient"`
	Data      struct {
		Details string `json:"details"`
	} `json:"error_data"`
	TraceID string `json:"fbtrace_id"`
}

// rule is what one Graph error code means for the recipient.
type rule struct {
	kind parley.FailKind
	// retry is the wait Meta documents before the same message may succeed,
	// used when the answer carries no Retry-After.
	retry time.Duration
}

// Waits Meta documents.
const (
	// pairWait: the Cloud API lets one business number send one message
	// every 6 seconds to the same user (error 131056 past that).
	pairWait = 6 * time.Second
	// marketingWait: after the per-user marketing limit (131049), Meta asks
	// for at least 24 hours before a template is sent to that user again.
	marketingWait = 24 * time.Hour
)

// rules maps the Graph and Cloud API error codes this gateway knows to a
// failure kind; the table in errors_test.go gives the reason for each.
// Codes 200–299 (API permission) are matched as a range in classify.
var rules = map[int]rule{
	// Graph API platform errors.
	0:      {kind: parley.FailConfig},     // AuthException: the token cannot be used
	1:      {kind: parley.FailTransient},  // API Unknown: possibly a server error
	2:      {kind: parley.FailTransient},  // API Service: downtime or overload
	3:      {kind: parley.FailConfig},     // API Method: capability or permission missing
	4:      {kind: parley.FailThrottled},  // API Too Many Calls: app-level rate limit
	10:     {kind: parley.FailConfig},     // permission denied
	17:     {kind: parley.FailThrottled},  // API User Too Many Calls
	33:     {kind: parley.FailConfig},     // the business phone number was deleted
	100:    {kind: parley.FailPermanent},  // invalid parameter in this request
	102:    {kind: parley.FailConfig},     // login or token expired or revoked
	190:    {kind: parley.FailConfig},     // access token expired or invalid
	341:    {kind: parley.FailThrottled},  // application limit reached
	368:    {kind: parley.FailConfig},     // account blocked for policy violations
	2500:   {kind: parley.FailConfig},     // unknown path components: wrong version or base URL
	80007:  {kind: parley.FailThrottled},  // WhatsApp Business Account rate limit
	130429: {kind: parley.FailThrottled},  // Cloud API throughput reached
	130472: {kind: parley.FailIneligible}, // held out of marketing by a Meta experiment
	130497: {kind: parley.FailIneligible}, // business may not message users in that country
	// Cloud API messaging errors.
	131000: {kind: parley.FailTransient},  // something went wrong
	131005: {kind: parley.FailConfig},     // access denied
	131008: {kind: parley.FailPermanent},  // required parameter missing
	131009: {kind: parley.FailPermanent},  // parameter value not valid
	131016: {kind: parley.FailTransient},  // service unavailable
	131021: {kind: parley.FailPermanent},  // recipient is the sender
	131026: {kind: parley.FailIneligible}, // undeliverable: not a WhatsApp user, old app, terms
	131031: {kind: parley.FailConfig},     // business account locked
	131037: {kind: parley.FailConfig},     // display name not approved
	131042: {kind: parley.FailConfig},     // payment problem
	131045: {kind: parley.FailConfig},     // phone number registration certificate
	131047: {kind: parley.FailIneligible}, // free-form text outside the 24-hour window
	131048: {kind: parley.FailThrottled},  // spam rate limit on the sending number
	// Per-user marketing limit: no slowdown helps and Meta wants 24 hours
	// before a retry, so try the next channel; retry says when WhatsApp
	// could work again.
	131049: {kind: parley.FailIneligible, retry: marketingWait},
	131050: {kind: parley.FailPermanent},                  // the consumer stopped our marketing messages
	131051: {kind: parley.FailPermanent},                  // unsupported message type
	131052: {kind: parley.FailPermanent},                  // media download error
	131053: {kind: parley.FailPermanent},                  // media upload error
	131056: {kind: parley.FailThrottled, retry: pairWait}, // pair rate limit
	131057: {kind: parley.FailTransient},                  // account in maintenance
	132000: {kind: parley.FailPermanent},                  // parameter count mismatch
	132001: {kind: parley.FailConfig},                     // template missing in this language
	132005: {kind: parley.FailPermanent},                  // text too long once filled
	132007: {kind: parley.FailPermanent},                  // format character policy
	132012: {kind: parley.FailPermanent},                  // parameter format mismatch
	132015: {kind: parley.FailConfig},                     // template paused
	132016: {kind: parley.FailPermanent},                  // template disabled for good
	133004: {kind: parley.FailTransient},                  // server temporarily unavailable
	133010: {kind: parley.FailConfig},                     // phone number not registered
	135000: {kind: parley.FailPermanent},                  // generic user error
}

// subcodeObjectMissing comes with code 100 when the phone-number id does
// not exist or the token may not use it.
const subcodeObjectMissing = 33

// classify finds the rule for a Graph error code and subcode.
func classify(code, subcode int) (rule, bool) {
	switch {
	case code == 100 && subcode == subcodeObjectMissing:
		return rule{kind: parley.FailConfig}, true
	case code >= 200 && code <= 299:
		return rule{kind: parley.FailConfig}, true
	}
	r, ok := rules[code]
	return r, ok
}

// byStatus is the kind of a failure whose code is unknown, from its HTTP
// status; 0 stands for an error reported by webhook, without one.
func byStatus(status int) parley.FailKind {
	switch {
	case status == http.StatusTooManyRequests:
		return parley.FailThrottled
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return parley.FailConfig
	case status >= 500:
		return parley.FailTransient
	}
	return parley.FailPermanent
}

// webhookKind is what an error code reported in a webhook means for the
// recipient, by the same rules Send applies to the API's answers; unknown
// codes are permanent.
func webhookKind(code int) parley.FailKind {
	if r, ok := classify(code, 0); ok {
		return r.kind
	}
	return byStatus(0)
}

// responseError turns a non-2xx answer into a *parley.SendError.
func responseError(status int, h http.Header, raw []byte) error {
	var env struct {
		Error *graphError `json:"error"`
	}
	if json.Unmarshal(raw, &env) != nil || env.Error == nil || (env.Error.Code == 0 && env.Error.Message == "") {
		return &parley.SendError{Provider: provider, Code: "HTTP_" + strconv.Itoa(status), Kind: byStatus(status),
			Reason: http.StatusText(status), RetryAfter: retryAfter(h, 0)}
	}
	e := env.Error
	r, ok := classify(e.Code, e.Subcode)
	switch {
	case ok:
	case e.Transient:
		r.kind = parley.FailTransient
	default:
		r.kind = byStatus(status)
	}
	return &parley.SendError{Provider: provider, Code: e.code(), Kind: r.kind, Reason: e.reason(),
		RetryAfter: retryAfter(h, r.retry)}
}

// code is the Graph code, with the subcode after a slash when there is one.
func (e *graphError) code() string {
	c := strconv.Itoa(e.Code)
	if e.Subcode != 0 {
		c += "/" + strconv.Itoa(e.Subcode)
	}
	return c
}

// reason joins the message, Meta's details and the trace id support asks
// for.
func (e *graphError) reason() string {
	parts := []string{e.Message}
	if d := e.Data.Details; d != "" && d != e.Message {
		parts = append(parts, d)
	}
	s := strings.Join(parts, ": ")
	if e.TraceID != "" {
		s += " (fbtrace_id " + e.TraceID + ")"
	}
	return s
}

// retryAfter reads a Retry-After header in seconds (the form the Graph API
// would use), falling back to the wait Meta documents for the code.
func retryAfter(h http.Header, documented time.Duration) time.Duration {
	if s, err := strconv.Atoi(strings.TrimSpace(h.Get("Retry-After"))); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	return documented
}
