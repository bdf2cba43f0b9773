// Package agentpush pushes conversations to a brand's agent platform: each
// change of a conversation is POSTed as JSON to the URL in the account's
// settings, signed with the account's secret (HMAC-SHA256 over a timestamp
// and the body, in the Parley-Signature header), and retried with
// exponential backoff while the platform answers 408, 429 or 5xx or cannot be
// reached. The URL is the account's own, so requests go through an egress
// client: public addresses only, no redirects. Verify is the check a
// receiving platform runs.
package agentpush

import (
	"bytes"
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/egress"
	"github.com/parleyhq/parley/internal/obs"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/run"
	"github.com/parleyhq/parley/internal/store"
)

// Headers of a delivery.
const (
	// HeaderSignature is "t=<unix seconds>,v1=<hex HMAC-SHA256 of
	// "<t>.<body>" keyed with the account's secret>". A receiver may find
	// several v1 values while a secret is rotated; one must match.
	HeaderSignature = "Parley-Signature"
	// HeaderTimestamp repeats t, for logs; only the signed t counts.
	HeaderTimestamp = "Parley-Timestamp"
	// HeaderEvent is the event type (conversation.started, ...).
	HeaderEvent = "Parley-Event"
	// HeaderDelivery is the event id, the same on every retry of it.
	HeaderDelivery = "Parley-Delivery"
)

// Defaults of a Client. A push runs inside a provider's webhook call,
// which providers time out after about 15 s: three attempts of at most 3 s
// and their waits stay well inside it.
const (
	DefaultAttempts  = 3
	DefaultBaseDelay = 250 * time.Millisecond
	DefaultMaxDelay  = 2 * time.Second
	DefaultTimeout   = 3 * time.Second
	// DefaultTolerance is how far Verify lets a signature's time be from
	// the receiver's clock.
	DefaultTolerance = 5 * time.Minute
)

// Client delivers events to agent platforms. The zero values of its tuning
// fields mean the defaults.
type Client struct {
	// Accounts gives an account's connector URL and secret.
	Accounts store.Accounts
	// HTTP sends the requests; it must be an egress client, which reaches
	// public addresses only and follows no redirects (New's is). Nil means
	// one with DefaultTimeout that admits public addresses only.
	HTTP  *http.Client
	Clock parley.Clock
	// Sleep waits between attempts; nil waits on a timer, stopping early
	// when ctx is done.
	Sleep func(ctx context.Context, d time.Duration) error
	// Attempts bounds the tries of one delivery; the n-th retry waits
	// BaseDelay·2ⁿ⁻¹, at most MaxDelay, or what a 429 or 503's Retry-After
	// asks, within MaxDelay.
	Attempts            int
	BaseDelay, MaxDelay time.Duration
	Log                 *slog.Logger
}

// defaultHTTP is the client of a Client without HTTP.
var defaultHTTP = egress.Policy{}.Client(DefaultTimeout)

// New returns a Client of the accounts' settings sending through hc, which
// must be an egress client (such as egress.Policy.Client(DefaultTimeout)),
// and timing retries by clock.
func New(accounts store.Accounts, hc *http.Client, clock parley.Clock, log *slog.Logger) *Client {
	return &Client{Accounts: accounts, HTTP: hc, Clock: clock, Log: log}
}

// DeliveryError is a delivery that did not succeed.
type DeliveryError struct {
	Host     string // the platform's host; the URL may carry a token
	Status   int    // the last HTTP status, 0 when none came back
	Attempts int
	// Permanent: the platform refused the event (a 4xx other than 408 and 429,
	// or a redirect), or egress refused its address (Err wraps the
	// *egress.RefusedError); sending it again unchanged will not help.
	Permanent bool
	Err       error // the last transport error
}

// Error implements error.
func (e *DeliveryError) Error() string {
	s := fmt.Sprintf("delivery to %s failed after %d attempt(s)", e.Host, e.Attempts)
	if e.Status != 0 {
		s += fmt.Sprintf(": HTTP %d", e.Status)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the last transport error.
func (e *DeliveryError) Unwrap() error { return e.Err }

// Push delivers ev to the agent platform of the conversation's account. An
// account without a connector URL is skipped. A failure is EUNAVAILABLE
// wrapping a *DeliveryError.
func (c *Client) Push(ctx context.Context, ev parley.ConversationEvent) error {
	accountID := ev.Conversation.AccountID
	a, err := c.Accounts.Account(ctx, accountID)
	if err != nil {
		return fmt.Errorf("connector settings of account %s: %w", accountID, err)
	}
	if a.ConnectorURL == "" {
		return nil
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encode event %s: %w", ev.ID, err)
	}
	err = c.Deliver(ctx, a.ConnectorURL, a.ConnectorSecret.Reveal(), ev.Type, ev.ID, body)
	if err != nil {
		return parley.Wrap(parley.EUNAVAILABLE, err, "push of conversation %s to the agent platform of account %s", ev.Conversation.ID, accountID)
	}
	c.log().InfoContext(ctx, "conversation pushed", obs.IDs(accountID, "", ""), "conversation", ev.Conversation.ID, "event", ev.Type)
	return nil
}

// Deliver POSTs body to target, signed with secret, retrying as the Client
// says. It returns nil on a 2xx answer, else a *DeliveryError.
func (c *Client) Deliver(ctx context.Context, target, secret, eventType, deliveryID string, body []byte) error {
	host := target
	if u, err := url.Parse(target); err == nil {
		host = u.Host
	}
	attempts := cmpOr(c.Attempts, DefaultAttempts)
	failure := &DeliveryError{Host: host}
	for attempt := 1; ; attempt++ {
		failure.Attempts = attempt
		status, wait, err := c.try(ctx, target, secret, eventType, deliveryID, body)
		failure.Status, failure.Err = status, err
		var refused *egress.RefusedError
		switch {
		case err == nil && status/100 == 2:
			return nil
		case errors.As(err, &refused):
			failure.Permanent = true
			c.log().WarnContext(ctx, "agent platform address refused", "host", host, "address", refused.Address, "class", refused.Class, "delivery", deliveryID)
			return failure
		case err == nil && !Retryable(status):
			failure.Permanent = true
			c.log().WarnContext(ctx, "agent platform refused the event", "host", host, "status", status, "delivery", deliveryID)
			return failure
		case ctx.Err() != nil:
			failure.Err = errors.Join(err, ctx.Err())
			return failure
		case attempt >= attempts:
			c.log().WarnContext(ctx, "agent platform unreachable; giving up", "host", host, "status", status, "attempts", attempt, "err", err)
			return failure
		}
		delay := c.backoff(attempt)
		if wait > 0 {
			delay = min(wait, cmpOr(c.MaxDelay, DefaultMaxDelay))
		}
		c.log().InfoContext(ctx, "agent platform delivery will be retried", "host", host, "status", status, "attempt", attempt, "retryIn", delay.String(), "err", err)
		if err := c.sleep(ctx, delay); err != nil {
			failure.Err = errors.Join(failure.Err, err)
			return failure
		}
	}
}

// try makes one attempt: the status, the wait a Retry-After asks for, and
// the transport error.
func (c *Client) try(ctx context.Context, target, secret, eventType, deliveryID string, body []byte) (int, time.Duration, error) {
	httpClient := c.HTTP
	if httpClient == nil {
		httpClient = defaultHTTP
	}
	ans, err := Post(ctx, httpClient, c.clock().Now(), Attempt{URL: target, Secret: secret, Event: eventType, Delivery: deliveryID, Body: body})
	return ans.Status, ans.RetryAfter, err
}

// UserAgent is the User-Agent of a delivery unless its Attempt names one.
const UserAgent = "Parley-Connector/1"

// Attempt is one signed POST of an event.
type Attempt struct {
	URL    string
	Secret string
	// Event is the event's type (HeaderEvent); Delivery its id
	// (HeaderDelivery), the same on every attempt of it.
	Event, Delivery string
	Body            []byte
	UserAgent       string // UserAgent when empty
}

// Answer is what an attempt got back.
type Answer struct {
	Status int
	// RetryAfter is the wait the answer's Retry-After asks for; 0 when
	// it has none (see RetryAfter).
	RetryAfter time.Duration
}

// maxAnswerRead bounds how much of an answer's body is read (and
// discarded, so the connection can be reused).
const maxAnswerRead = 64 << 10

// Post makes one attempt of a, signed at now, through hc, which must be an
// egress client: JSON, the signature and the event's type and id in the
// headers above. It returns the answer whatever its status, and the
// transport error when none came back (wrapping *egress.RefusedError when
// egress refused the address).
func Post(ctx context.Context, hc *http.Client, now time.Time, a Attempt) (Answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.URL, bytes.NewReader(a.Body))
	if err != nil {
		return Answer{}, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", cmp.Or(a.UserAgent, UserAgent))
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	req.Header.Set(HeaderSignature, Sign(a.Secret, now, a.Body))
	req.Header.Set(HeaderEvent, a.Event)
	req.Header.Set(HeaderDelivery, a.Delivery)
	resp, err := hc.Do(req)
	if err != nil {
		return Answer{}, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswerRead))
	return Answer{Status: resp.StatusCode, RetryAfter: RetryAfter(resp.Header.Get("Retry-After"), now)}, nil
}

// Retryable reports whether an answer of status may pass if the request is
// sent again unchanged: 408 Request Timeout, 429 Too Many Requests and
// 5xx. Every other status (a 4xx, or a redirect, which is never followed)
// is the receiver's refusal.
func Retryable(status int) bool {
	return status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500
}

// maxRetryAfter bounds what RetryAfter reads.
const maxRetryAfter = 24 * time.Hour

// RetryAfter reads a Retry-After value (RFC 9110): delay-seconds, or an
// HTTP-date, which counts from now. Garbage, and a date already past, are
// 0; a longer wait than 24 h is 24 h.
func RetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		d = time.Duration(min(max(n, 0), int64(maxRetryAfter/time.Second))) * time.Second
	} else if at, err := http.ParseTime(v); err == nil {
		d = at.Sub(now)
	}
	return min(max(d, 0), maxRetryAfter)
}

// backoff is the wait after the n-th failed attempt.
func (c *Client) backoff(n int) time.Duration {
	base, ceiling := cmpOr(c.BaseDelay, DefaultBaseDelay), cmpOr(c.MaxDelay, DefaultMaxDelay)
	d := base
	for i := 1; i < n && d < ceiling; i++ {
		d *= 2
	}
	return min(d, ceiling)
}

func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	if c.Sleep != nil {
		return c.Sleep(ctx, d)
	}
	return run.Sleep(ctx, d)
}

func (c *Client) clock() parley.Clock {
	if c.Clock == nil {
		return parley.SystemClock{}
	}
	return c.Clock
}

func (c *Client) log() *slog.Logger {
	if c.Log == nil {
		return obs.Discard()
	}
	return c.Log
}

func cmpOr[T int | time.Duration](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}

// Sign returns the Parley-Signature value of body sent at t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Errors of Verify, wrapped in an EUNAUTHORIZED *parley.Error.
var (
	ErrMalformed = errors.New("signature header is malformed")
	ErrExpired   = errors.New("signature timestamp is outside the tolerance")
	ErrMismatch  = errors.New("no signature matches the body")
)

// Signature is a parsed Parley-Signature header.
type Signature struct {
	At time.Time
	V1 [][]byte // HMAC-SHA256 values
}

// ParseSignature reads a Parley-Signature header: comma-separated key=value
// pairs with exactly one t (Unix seconds) and one or more v1 (64 hex
// digits); other keys are ignored.
func ParseSignature(header string) (Signature, error) {
	var sig Signature
	seenT := false
	for part := range strings.SplitSeq(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return Signature{}, ErrMalformed
		}
		switch k {
		case "t":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || seenT || n < 0 || n > 1<<40 {
				return Signature{}, ErrMalformed
			}
			sig.At, seenT = time.Unix(n, 0).UTC(), true
		case "v1":
			b, err := hex.DecodeString(v)
			if err != nil || len(b) != sha256.Size {
				return Signature{}, ErrMalformed
			}
			sig.V1 = append(sig.V1, b)
		}
	}
	if !seenT || len(sig.V1) == 0 {
		return Signature{}, ErrMalformed
	}
	return sig, nil
}

// Verify checks a delivery as its receiver: header is the Parley-Signature
// value, body the raw request body, now the receiver's clock. The signed
// time must be within tolerance of now (DefaultTolerance when ≤ 0), which
// bounds replays, and one v1 must be the HMAC of body with secret.
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	sig, err := ParseSignature(header)
	if err != nil {
		return parley.Wrap(parley.EUNAUTHORIZED, err, "bad %s header", HeaderSignature)
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	if d := now.Sub(sig.At); d > tolerance || d < -tolerance {
		return parley.Wrap(parley.EUNAUTHORIZED, ErrExpired, "signed at %s, %s from now", sig.At.Format(time.RFC3339), d.Round(time.Second))
	}
	want := mac(secret, strconv.FormatInt(sig.At.Unix(), 10), body)
	for _, v := range sig.V1 {
		if hmac.Equal(v, want) {
			return nil
		}
	}
	return parley.Wrap(parley.EUNAUTHORIZED, ErrMismatch, "bad %s", HeaderSignature)
}
