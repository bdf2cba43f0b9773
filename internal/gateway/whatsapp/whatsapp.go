// Package whatsapp is the channel gateway for the WhatsApp Business Cloud
// API: it sends text and template messages through Meta's Graph API, maps
// Graph errors to parley failure kinds, and verifies and parses the webhooks
// Meta posts for inbound messages and delivery statuses.
package whatsapp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/egress"
	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/phone"
)

// Defaults for a zero Gateway.
const (
	// DefaultBaseURL is the Graph API host.
	DefaultBaseURL = "https://graph.facebook.com"
	// DefaultVersion is the newest Graph API version (released 29 July
	// 2026). Meta keeps each version for about two years.
	DefaultVersion = "v26.0"
)

// provider names this gateway in every *parley.SendError.
const provider = string(Name)

// maxResponse bounds how much of a Graph response is read.
const maxResponse = 1 << 20

// defaultClient is used when Gateway.HTTP is nil: it reaches public
// addresses only and follows no redirects (package egress); the context
// still bounds each call.
var defaultClient = egress.Policy{}.Client(30 * time.Second)

var _ gateway.Sender = (*Gateway)(nil)

// Gateway sends messages through the WhatsApp Business Cloud API. Its
// String, GoString, Format and LogValue methods never reveal Token.
type Gateway struct {
	BaseURL string // DefaultBaseURL when empty
	Version string // Graph API version such as "v26.0"; DefaultVersion when empty
	// Token is a system-user access token with the whatsapp_business_messaging
	// permission. It is a secret: it goes into the Authorization header only.
	Token string
	HTTP  *http.Client // defaultClient when nil
}

// Send delivers m from the WhatsApp phone-number id m.From to the E.164
// number m.To: the template m.Template when set, else the text m.Body. It
// returns the WhatsApp message id (wamid). Refusals are *parley.SendError;
// a failure to reach Meta is a transient *parley.SendError that also wraps
// the transport error.
func (g *Gateway) Send(ctx context.Context, m parley.Message) (string, error) {
	if err := g.ready(m.From); err != nil {
		return "", err
	}
	msg, err := newMessage(m)
	if err != nil {
		return "", err
	}
	body, err := json.Marshal(msg)
	if err != nil {
		return "", fmt.Errorf("whatsapp: encode message: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.endpoint(m.From), bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("whatsapp: build request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+g.Token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	return g.do(req)
}

// do performs req and reads the message id from the answer.
func (g *Gateway) do(req *http.Request) (string, error) {
	client := g.HTTP
	if client == nil {
		client = defaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", transportError("NETWORK", "no response from the Graph API", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return "", transportError("NETWORK", "response cut short", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return "", responseError(resp.StatusCode, resp.Header, raw)
	}
	return messageID(raw)
}

// ready refuses to send without the configuration every request needs.
func (g *Gateway) ready(phoneNumberID string) error {
	switch {
	case g.Token == "":
		return &parley.SendError{Provider: provider, Code: "NO_TOKEN", Kind: parley.FailConfig,
			Reason: "no access token configured"}
	case phoneNumberID == "":
		return &parley.SendError{Provider: provider, Code: "NO_SENDER", Kind: parley.FailConfig,
			Reason: "no WhatsApp phone-number id to send from"}
	}
	return nil
}

// endpoint is the messages edge of the sending phone number.
func (g *Gateway) endpoint(phoneNumberID string) string {
	return g.baseURL() + "/" + url.PathEscape(g.version()) + "/" + url.PathEscape(phoneNumberID) + "/messages"
}

func (g Gateway) baseURL() string {
	if g.BaseURL == "" {
		return DefaultBaseURL
	}
	return strings.TrimRight(g.BaseURL, "/")
}

func (g Gateway) version() string {
	if g.Version == "" {
		return DefaultVersion
	}
	return g.Version
}

// redacted stands in for the token wherever a Gateway is printed.
const redacted = "[redacted]"

// String describes the gateway without its token.
func (g Gateway) String() string {
	return fmt.Sprintf("whatsapp gateway %s/%s (token %s)", g.baseURL(), g.version(), redacted)
}

// GoString is the %#v form, with the token redacted.
func (g Gateway) GoString() string {
	return fmt.Sprintf("whatsapp.Gateway{BaseURL:%q, Version:%q, Token:%q}", g.BaseURL, g.Version, redacted)
}

// Format prints String (GoString for %#v) whatever the verb, so no
// formatting verb can reach the token field.
func (g Gateway) Format(f fmt.State, verb rune) {
	parley.FormatMasked(f, verb, g.String(), g.GoString())
}

// LogValue keeps the token out of structured logs.
func (g Gateway) LogValue() slog.Value {
	return slog.GroupValue(slog.String("baseURL", g.baseURL()), slog.String("version", g.version()),
		slog.String("token", redacted))
}

// sendResponse is the Cloud API's answer to an accepted message.
type sendResponse struct {
	Messages []struct {
		ID string `json:"id"`
	} `json:"messages"`
}

// messageID reads the wamid of an accepted message. An accepted answer
// without one is treated as transient: Meta's contract was broken, and
// a retry is safer than failing a recipient who may not have been reached.
func messageID(raw []byte) (string, error) {
	var r sendResponse
	if err := json.Unmarshal(raw, &r); err != nil || len(r.Messages) == 0 || r.Messages[0].ID == "" {
		return "", &parley.SendError{Provider: provider, Code: "BAD_RESPONSE", Kind: parley.FailTransient,
			Reason: "accepted without a message id", Err: err}
	}
	return r.Messages[0].ID, nil
}

// transportError is a request without an answer (see
// gateway.TransportError); it wraps its cause, so callers can still see
// context cancellation.
func transportError(code, reason string, err error) error {
	return gateway.TransportError(provider, code, reason, err)
}

// invalid is a message this gateway refuses before calling Meta: retrying
// it can never succeed.
func invalid(code, format string, args ...any) error {
	return &parley.SendError{Provider: provider, Code: code, Kind: parley.FailPermanent, Reason: fmt.Sprintf(format, args...)}
}

// e164 checks the consumer number; Meta reads a number without its plus
// sign as local to the business number's country, so it is always sent in
// full E.164 form.
func e164(to string) (string, error) {
	n, ok := phone.Normalize(to)
	if !ok {
		return "", invalid(phone.Invalid, "%q is not an E.164 phone number", phone.Mask(to))
	}
	return n, nil
}
