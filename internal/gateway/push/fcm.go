package push

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/parleyhq/parley/internal/egress"
	"github.com/parleyhq/parley/internal/parley"
)

// DefaultBaseURL is FCM's API host.
const DefaultBaseURL = "https://fcm.googleapis.com"

// provider names FCM in every *parley.SendError.
const provider = string(Name)

// maxResponse bounds how much of an answer is read.
const maxResponse = 1 << 20

// fcmErrorType is the @type of the error detail that carries FCM's code.
const fcmErrorType = "type.googleapis.com/google.firebase.fcm.v1.FcmError"

// Codes of FCM's own and of failures before a request is answered.
const (
	CodeUnregistered   = "UNREGISTERED"
	CodeThirdPartyAuth = "THIRD_PARTY_AUTH_ERROR"
	CodeNoToken        = "NO_DEVICE_TOKEN"
	CodeBadURL         = "BAD_URL"
	CodeBadResponse    = "BAD_RESPONSE"
	CodeNetwork        = "NETWORK"
)

// defaultHTTP is used when Client.HTTP is nil: it reaches public addresses
// only and follows no redirects (package egress).
var defaultHTTP = egress.Policy{}.Client(30 * time.Second)

// Notification is what a device shows, plus key/value data for the app.
type Notification struct {
	Title string
	Body  string
	Data  map[string]string
}

// Client sends messages through FCM's HTTP v1 API as Account. Set the
// exported fields before the first Send and do not copy a Client after it.
type Client struct {
	// BaseURL is FCM's host; DefaultBaseURL when empty.
	BaseURL string
	// Account authenticates the requests and names the project.
	Account ServiceAccount
	// HTTP carries both the token exchange and the sends; an egress client
	// (public addresses only, no redirects) with a 30 s timeout when nil.
	HTTP *http.Client
	// Clock times access-token expiry; the system clock when nil.
	Clock parley.Clock

	once   sync.Once
	tokens *TokenSource
}

func (c *Client) source() *TokenSource {
	c.once.Do(func() { c.tokens = NewTokenSource(c.Account, c.HTTP, c.Clock) })
	return c.tokens
}

func (c *Client) client() *http.Client {
	if c.HTTP == nil {
		return defaultHTTP
	}
	return c.HTTP
}

func (c *Client) endpoint() string {
	base := DefaultBaseURL
	if c.BaseURL != "" {
		base = strings.TrimRight(c.BaseURL, "/")
	}
	return base + "/v1/projects/" + url.PathEscape(c.Account.ProjectID) + "/messages:send"
}

// sendRequest is the body of messages:send.
type sendRequest struct {
	Message message `json:"message"`
}

type message struct {
	Token        string            `json:"token"`
	Notification *notification     `json:"notification,omitempty"`
	Data         map[string]string `json:"data,omitempty"`
}

type notification struct {
	Title string `json:"title,omitempty"`
	Body  string `json:"body,omitempty"`
}

// Send delivers n to the device registration token and returns FCM's
// message name (projects/{project}/messages/{id}). When FCM refuses the
// access token with 401, Send drops it, fetches a fresh one and retries
// once. Failures are *parley.SendError; an UNREGISTERED token is
// FailIneligible with CodeUnregistered and should be forgotten.
func (c *Client) Send(ctx context.Context, token string, n Notification) (string, error) {
	if token == "" {
		return "", sendErr(CodeNoToken, "no device registration token", parley.FailPermanent)
	}
	msg := message{Token: token, Data: n.Data}
	if n.Title != "" || n.Body != "" {
		msg.Notification = &notification{Title: n.Title, Body: n.Body}
	}
	payload, err := json.Marshal(sendRequest{Message: msg})
	if err != nil {
		return "", fmt.Errorf("encoding FCM message: %w", err)
	}
	name, retry, err := c.attempt(ctx, payload)
	if retry {
		name, _, err = c.attempt(ctx, payload)
	}
	return name, err
}

// attempt sends payload once with the current access token. retry reports
// a 401 that a fresh token may cure; the refused token is dropped.
func (c *Client) attempt(ctx context.Context, payload []byte) (name string, retry bool, err error) {
	src := c.source()
	bearer, err := src.Token(ctx)
	if err != nil {
		return "", false, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint(), bytes.NewReader(payload))
	if err != nil {
		return "", false, causedBy(sendErr(CodeBadURL, err.Error(), parley.FailConfig), err)
	}
	req.Header.Set("Authorization", "Bearer "+bearer)
	req.Header.Set("Content-Type", "application/json")
	status, header, body, err := do(c.client(), req)
	if err != nil {
		return "", false, err
	}
	if status == http.StatusOK {
		name, err := parseName(body)
		return name, false, err
	}
	se := classify(status, header, body, src.clock.Now())
	if status == http.StatusUnauthorized && se.Code != CodeThirdPartyAuth {
		src.Invalidate(bearer)
		return "", true, se
	}
	return "", false, se
}

// parseName reads the name of an accepted message.
func parseName(body []byte) (string, error) {
	var r struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal(body, &r); err != nil || r.Name == "" {
		return "", causedBy(sendErr(CodeBadResponse, "accepted without a message name", parley.FailTransient), err)
	}
	return r.Name, nil
}

// rpcError is a google.rpc.Status error body; FCM puts its own code in a
// detail of type FcmError.
type rpcError struct {
	Error struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Status  string `json:"status"`
		Details []struct {
			Type      string `json:"@type"`
			ErrorCode string `json:"errorCode"`
		} `json:"details"`
	} `json:"error"`
}

// errorKinds maps FCM error codes, and the google.rpc statuses FCM answers
// without one, to what they mean for the recipient.
var errorKinds = map[string]parley.FailKind{
	CodeUnregistered:     parley.FailIneligible, // the app was uninstalled or the token expired
	"INVALID_ARGUMENT":   parley.FailPermanent,
	"SENDER_ID_MISMATCH": parley.FailPermanent, // the token belongs to another project
	"QUOTA_EXCEEDED":     parley.FailThrottled,
	"RESOURCE_EXHAUSTED": parley.FailThrottled,
	"UNAVAILABLE":        parley.FailTransient,
	"INTERNAL":           parley.FailTransient,
	CodeThirdPartyAuth:   parley.FailConfig, // APNs or web-push credentials rejected
	"UNAUTHENTICATED":    parley.FailConfig,
	"PERMISSION_DENIED":  parley.FailConfig,
}

// classify turns a non-200 answer into a *parley.SendError: FCM's code
// when it gave one, else the rpc status, else the HTTP status.
func classify(status int, header http.Header, body []byte, now time.Time) *parley.SendError {
	var r rpcError
	_ = json.Unmarshal(body, &r) // an unreadable body leaves only the HTTP status
	code := r.Error.Status
	for _, d := range r.Error.Details {
		if d.Type == fcmErrorType && d.ErrorCode != "" && d.ErrorCode != "UNSPECIFIED_ERROR" {
			code = d.ErrorCode
			break
		}
	}
	if code == "" {
		code = "HTTP_" + strconv.Itoa(status)
	}
	kind, ok := errorKinds[code]
	if !ok {
		kind = statusKind(status)
	}
	reason := r.Error.Message
	if reason == "" {
		reason = http.StatusText(status)
	}
	e := sendErr(code, reason, kind)
	if kind == parley.FailThrottled || kind == parley.FailTransient {
		e.RetryAfter = retryAfter(header, now)
	}
	return e
}

// statusKind is the meaning of an HTTP status FCM gave no code for.
func statusKind(status int) parley.FailKind {
	switch {
	case status == http.StatusTooManyRequests:
		return parley.FailThrottled
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return parley.FailConfig
	case status >= 400 && status < 500:
		return parley.FailPermanent
	}
	return parley.FailTransient
}

func sendErr(code, reason string, kind parley.FailKind) *parley.SendError {
	return &parley.SendError{Provider: provider, Code: code, Reason: reason, Kind: kind}
}

// causedBy records err as the cause of se and returns se.
func causedBy(se *parley.SendError, err error) *parley.SendError {
	se.Err = err
	return se
}
