// Package twilio is the channel gateway for Twilio Programmable Messaging:
// it sends SMS through the Messages resource of Twilio's 2010-04-01 REST
// API, looks messages up again for reconciliation, verifies the
// X-Twilio-Signature of Twilio's webhooks and parses their payloads
// (incoming messages and status callbacks).
//
// Twilio's REST error codes and the 30xxx delivery error codes of status
// callbacks are mapped to parley.FailKind, so the dispatcher knows whether
// to retry, slow down, fail the recipient or wait for an operator.
package twilio

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/egress"
	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/parley"
)

// provider is the name this gateway reports in *parley.SendError.
const provider = string(Name)

// DefaultBaseURL is Twilio's REST API host.
const DefaultBaseURL = "https://api.twilio.com"

// apiVersion is the path prefix of the Messages resource.
const apiVersion = "/2010-04-01"

// maxResponse bounds how much of a response body is read.
const maxResponse = 1 << 20

// defaultClient is used when Gateway.HTTP is nil: it reaches public
// addresses only and follows no redirects (package egress). The timeout
// backs up the caller's context, which should carry its own deadline.
var defaultClient = egress.Policy{}.Client(15 * time.Second)

var _ gateway.Sender = (*Gateway)(nil)

// basicAuth returns the user name and password of the Authorization
// header, or an error when the credentials are incomplete.
func (c Credentials) basicAuth() (user, password string, err error) {
	switch {
	case c.AccountSID == "":
		return "", "", fmt.Errorf("account SID is not set")
	case c.APIKeySID != "" && c.APIKeySecret == "":
		return "", "", fmt.Errorf("API key %s has no secret", c.APIKeySID)
	case c.APIKeySID != "":
		return c.APIKeySID, c.APIKeySecret.Reveal(), nil
	case c.AuthToken == "":
		return "", "", fmt.Errorf("neither an auth token nor an API key is set")
	}
	return c.AccountSID, c.AuthToken.Reveal(), nil
}

// Gateway sends messages through Twilio's Messages API.
type Gateway struct {
	// BaseURL is the API host; empty means DefaultBaseURL.
	BaseURL     string
	Credentials Credentials
	// StatusCallback, when set, is the URL Twilio posts the delivery
	// status changes of each message sent to a recipient to, with the
	// recipient's reference (parley.Message.CallbackRef) added as the
	// query parameter RefParam: Twilio signs the whole URL, so the
	// reference comes back as authentic as the status. A message to no
	// recipient (an answer to a keyword) asks for no callbacks.
	StatusCallback string
	// HTTP is the client requests go through; nil means an egress client
	// (public addresses only, no redirects) with a 15 s timeout.
	HTTP *http.Client
	// Clock resolves a Retry-After given as a date; nil means the system
	// clock.
	Clock parley.Clock
}

// messageResource is the part of Twilio's Message resource this package
// reads.
type messageResource struct {
	SID         string `json:"sid"`
	To          string `json:"to"`
	From        string `json:"from"`
	Body        string `json:"body"`
	Status      string `json:"status"`
	ErrorCode   *int   `json:"error_code"`
	DateCreated string `json:"date_created"`
}

// Send creates a Message resource for m and returns its SID. m.From is
// sent as MessagingServiceSid when it is a Messaging Service SID (it
// starts with "MG"), else as From. m.Template is not used: the Messages API
// sends m.Body.
//
// Failures are *parley.SendError values (possibly wrapped together with
// the network or context error that caused them).
func (g *Gateway) Send(ctx context.Context, m parley.Message) (string, error) {
	form := url.Values{"To": {m.To}, "Body": {m.Body}}
	if strings.HasPrefix(m.From, "MG") {
		form.Set("MessagingServiceSid", m.From)
	} else {
		form.Set("From", m.From)
	}
	if cb := StatusCallbackURL(g.StatusCallback, m.CallbackRef()); cb != "" {
		form.Set("StatusCallback", cb)
	}
	req, err := g.newRequest(ctx, http.MethodPost, g.messagesURL(".json"), strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var created messageResource
	if err := g.do(req, &created); err != nil {
		return "", err
	}
	if created.SID == "" {
		return "", &parley.SendError{Provider: provider, Code: "BAD_RESPONSE", Kind: parley.FailTransient,
			Reason: "Twilio accepted the message but returned no sid"}
	}
	return created.SID, nil
}

// RefParam is the query parameter of a StatusCallback URL that carries the
// recipient's reference.
const RefParam = "ref"

// StatusCallbackURL is base with ref added as the query parameter RefParam
// (after any query base has, which is kept as written); "" when either is
// empty.
func StatusCallbackURL(base, ref string) string {
	if base == "" || ref == "" {
		return ""
	}
	sep := "?"
	switch {
	case strings.HasSuffix(base, "?") || strings.HasSuffix(base, "&"):
		sep = ""
	case strings.Contains(base, "?"):
		sep = "&"
	}
	return base + sep + RefParam + "=" + url.QueryEscape(ref)
}

// baseURL returns the API host without a trailing slash.
func (g *Gateway) baseURL() string {
	if g.BaseURL == "" {
		return DefaultBaseURL
	}
	return strings.TrimRight(g.BaseURL, "/")
}

// messagesURL returns the Messages resource URL of the account followed by
// suffix (".json" or "/{Sid}.json").
func (g *Gateway) messagesURL(suffix string) string {
	return g.baseURL() + apiVersion + "/Accounts/" + url.PathEscape(g.Credentials.AccountSID) + "/Messages" + suffix
}

// newRequest builds an authenticated request.
func (g *Gateway) newRequest(ctx context.Context, method, target string, body io.Reader) (*http.Request, error) {
	user, password, err := g.Credentials.basicAuth()
	if err != nil {
		return nil, &parley.SendError{Provider: provider, Code: "CREDENTIALS", Kind: parley.FailConfig,
			Reason: "Twilio credentials are incomplete: " + err.Error(), Err: err}
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return nil, &parley.SendError{Provider: provider, Code: "BASE_URL", Kind: parley.FailConfig,
			Reason: "bad Twilio request URL: " + err.Error(), Err: err}
	}
	req.SetBasicAuth(user, password)
	req.Header.Set("Accept", "application/json")
	return req, nil
}

// do sends req and decodes a 2xx JSON answer into out. Any other outcome
// is a *parley.SendError; a failure to get an answer at all is a transient
// one wrapped together with its cause.
func (g *Gateway) do(req *http.Request, out any) error {
	client := g.HTTP
	if client == nil {
		client = defaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return gateway.TransportError(provider, "NETWORK", "no answer from Twilio", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		se := &parley.SendError{Provider: provider, Code: "NETWORK", Kind: parley.FailTransient,
			Reason: "Twilio's answer was cut off", Err: err}
		return fmt.Errorf("%w: %w", se, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return g.responseError(resp, body)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return &parley.SendError{Provider: provider, Code: "BAD_RESPONSE", Kind: parley.FailTransient,
			Reason: fmt.Sprintf("undecodable %d answer from Twilio: %v", resp.StatusCode, err), Err: err}
	}
	return nil
}

// clock returns the gateway's clock.
func (g *Gateway) clock() parley.Clock {
	if g.Clock == nil {
		return parley.SystemClock{}
	}
	return g.Clock
}
