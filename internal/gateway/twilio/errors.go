package twilio

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// apiError is the JSON body of Twilio's REST error answers.
type apiError struct {
	Code     int    `json:"code"`
	Message  string `json:"message"`
	MoreInfo string `json:"more_info"`
	Status   int    `json:"status"`
}

// kinds maps Twilio error codes to what they mean for the recipient: the
// REST codes a request is refused with (2xxxx) and the delivery codes of
// status callbacks (3xxxx). Meanings are those of Twilio's error
// dictionary; codes not listed fall back on the HTTP status (REST) or
// count as transient (delivery).
var kinds = map[string]parley.FailKind{
	// Our credentials, account or sender: an operator must act.
	"20003": parley.FailConfig, // authentication failed
	"20005": parley.FailConfig, // account not active
	"20404": parley.FailConfig, // the account in the path does not exist
	"21212": parley.FailConfig, // invalid From number
	"21601": parley.FailConfig, // From is not a number of this account
	"21603": parley.FailConfig, // From (or MessagingServiceSid) is required
	"21606": parley.FailConfig, // From cannot message this destination
	"21608": parley.FailConfig, // trial account: To is not verified
	"21609": parley.FailConfig, // invalid StatusCallback URL
	"21659": parley.FailConfig, // From is not a Twilio number
	"21660": parley.FailConfig, // From belongs to another account
	"21661": parley.FailConfig, // From is not SMS-capable
	"21705": parley.FailConfig, // invalid Messaging Service
	"30002": parley.FailConfig, // account suspended
	"30010": parley.FailConfig, // price exceeds MaxPrice
	"30018": parley.FailConfig, // destination carrier requires sender registration
	"30024": parley.FailConfig, // numeric sender ID not provisioned
	"30032": parley.FailConfig, // toll-free number not verified
	"30034": parley.FailConfig, // US A2P 10DLC: number not registered

	// This message can never reach this recipient.
	"21211": parley.FailPermanent, // invalid To number
	"21266": parley.FailPermanent, // To and From are the same
	"21408": parley.FailPermanent, // sending to To's region is not enabled
	"21602": parley.FailPermanent, // body is required
	"21604": parley.FailPermanent, // To is required
	"21610": parley.FailPermanent, // recipient unsubscribed (replied STOP)
	"21612": parley.FailPermanent, // To/From combination cannot be connected
	"21614": parley.FailPermanent, // To is not a mobile number
	"21617": parley.FailPermanent, // body exceeds 1600 characters
	"21635": parley.FailPermanent, // To is a landline
	"30003": parley.FailPermanent, // unreachable destination handset
	"30004": parley.FailPermanent, // message blocked
	"30005": parley.FailPermanent, // unknown destination handset
	"30006": parley.FailPermanent, // landline or unreachable carrier
	"30007": parley.FailPermanent, // filtered by the carrier

	// Slow down.
	"20429": parley.FailThrottled, // too many concurrent requests
	"21611": parley.FailThrottled, // the From number's queue is full
	"30001": parley.FailThrottled, // queue overflow
	"30022": parley.FailThrottled, // US A2P 10DLC rate limit exceeded
	"30023": parley.FailThrottled, // US A2P 10DLC daily cap reached
	"30027": parley.FailThrottled, // US A2P 10DLC T-Mobile daily limit
	"63017": parley.FailThrottled, // account-wide message rate exceeded
	"63038": parley.FailThrottled, // account daily message limit

	// Try again.
	"30008": parley.FailTransient, // unknown delivery error
	"30009": parley.FailTransient, // missing segment
	"30017": parley.FailTransient, // carrier network congestion
}

// DeliveryFailure says what a delivery error code of a status callback
// (ErrorCode of an undelivered or failed message, e.g. "30003") means for
// the recipient. Unknown and empty codes are transient: Twilio's advice for
// an unexplained delivery failure is to try again.
func DeliveryFailure(code string) parley.FailKind {
	if k, ok := kinds[code]; ok {
		return k
	}
	return parley.FailTransient
}

// statusKind is the kind of a refusal whose code is not in kinds.
func statusKind(status int) parley.FailKind {
	switch {
	case status == http.StatusTooManyRequests:
		return parley.FailThrottled
	case status == http.StatusUnauthorized, status == http.StatusForbidden, status == http.StatusNotFound:
		return parley.FailConfig
	case status >= 500:
		return parley.FailTransient
	case status >= 400:
		return parley.FailPermanent
	}
	return parley.FailTransient
}

// responseError turns a non-2xx answer into a *parley.SendError.
func (g *Gateway) responseError(resp *http.Response, body []byte) *parley.SendError {
	se := &parley.SendError{Provider: provider, Code: "HTTP_" + strconv.Itoa(resp.StatusCode),
		Reason: http.StatusText(resp.StatusCode)}
	var e apiError
	if json.Unmarshal(body, &e) == nil && e.Code != 0 {
		se.Code, se.Reason = strconv.Itoa(e.Code), e.Message
	}
	se.Kind = statusKind(resp.StatusCode)
	if k, ok := kinds[se.Code]; ok {
		se.Kind = k
	}
	if se.Kind == parley.FailThrottled {
		se.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), g.clock().Now())
	}
	if se.Reason == "" {
		se.Reason = fmt.Sprintf("HTTP %d", resp.StatusCode)
	}
	return se
}

// maxRetryAfter caps a Retry-After, so a bogus header cannot park a
// sender for days.
const maxRetryAfter = time.Hour

// retryAfter reads a Retry-After header (delay-seconds or an HTTP date),
// capped at maxRetryAfter; zero when absent, malformed or already past.
func retryAfter(v string, now time.Time) time.Duration {
	var d time.Duration
	if s, err := strconv.Atoi(v); err == nil {
		d = time.Duration(min(max(s, 0), int(maxRetryAfter/time.Second))) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), maxRetryAfter)
}
