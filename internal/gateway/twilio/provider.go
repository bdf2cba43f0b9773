package twilio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/egress"
	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/parley"
)

// Provider is Twilio Programmable Messaging, for SMS.
type Provider struct{}

// Name is the name of Twilio Programmable Messaging (SMS), as channel configurations give it.
const Name parley.Provider = "twilio"

var _ gateway.WebhookProvider = Provider{}

// Credentials authenticate an account's requests to Twilio: the account
// SID with its auth token, or an API key SID and secret. Requests use HTTP
// Basic auth with the API key when one is set, else with the account SID
// and auth token; the resource path always names AccountSID. The auth
// token also verifies Twilio's webhook signatures.
//
// Its secrets are parley.Secret values: they never print, log or encode as
// JSON in clear, and the JSON encoding is the API's redacted block.
type Credentials struct {
	AccountSID   string        `json:"accountSid"`
	AuthToken    parley.Secret `json:"authToken,omitempty"`
	APIKeySID    string        `json:"apiKeySid,omitempty"`
	APIKeySecret parley.Secret `json:"apiKeySecret,omitempty"`
	// MessagingServiceSID, when set, sends messages whose outbound number
	// no sender maps.
	MessagingServiceSID string `json:"messagingServiceSid,omitempty"`
	// VoiceAppSID, when set, is the TwiML App the Voice SDK access tokens
	// of operators grant outgoing calls through (see VoiceAccessToken).
	VoiceAppSID string `json:"voiceAppSid,omitempty"`
}

// String describes the credentials, their secrets redacted.
func (c Credentials) String() string {
	return fmt.Sprintf("{AccountSID:%s AuthToken:%s APIKeySID:%s APIKeySecret:%s MessagingServiceSID:%s VoiceAppSID:%s}",
		c.AccountSID, c.AuthToken, c.APIKeySID, c.APIKeySecret, c.MessagingServiceSID, c.VoiceAppSID)
}

// GoString describes the credentials for %#v, their secrets redacted.
func (c Credentials) GoString() string {
	return fmt.Sprintf("twilio.Credentials{AccountSID:%q, AuthToken:%q, APIKeySID:%q, APIKeySecret:%q, MessagingServiceSID:%q, VoiceAppSID:%q}",
		c.AccountSID, c.AuthToken.Redacted(), c.APIKeySID, c.APIKeySecret.Redacted(), c.MessagingServiceSID, c.VoiceAppSID)
}

// Format prints the credentials, their secrets redacted, whatever the
// verb: %#v as GoString, anything else as String.
func (c Credentials) Format(f fmt.State, verb rune) {
	parley.FormatMasked(f, verb, c.String(), c.GoString())
}

// LogValue makes log/slog record the credentials, their secrets redacted.
func (c Credentials) LogValue() slog.Value { return slog.StringValue(c.String()) }

// clearCredentials are Credentials with their secrets in clear: the block
// the store seals.
type clearCredentials struct {
	AccountSID          string `json:"accountSid"`
	AuthToken           string `json:"authToken,omitempty"`
	APIKeySID           string `json:"apiKeySid,omitempty"`
	APIKeySecret        string `json:"apiKeySecret,omitempty"`
	MessagingServiceSID string `json:"messagingServiceSid,omitempty"`
	VoiceAppSID         string `json:"voiceAppSid,omitempty"`
}

// Channel returns c as a channel configuration's credentials.
func (c Credentials) Channel() parley.Credentials {
	creds, _ := gateway.EncodeCredentials(Name, clearCredentials{
		AccountSID: c.AccountSID, AuthToken: c.AuthToken.Reveal(), APIKeySID: c.APIKeySID,
		APIKeySecret: c.APIKeySecret.Reveal(), MessagingServiceSID: c.MessagingServiceSID, VoiceAppSID: c.VoiceAppSID,
	}) // strings always encode
	return creds
}

// CredentialsOf returns the Twilio credentials of a channel configuration.
func CredentialsOf(c parley.Credentials) (Credentials, error) {
	return gateway.CredentialsOf[Credentials](Name, c)
}

var (
	accountSIDForm      = regexp.MustCompile(`^AC[0-9a-fA-F]{32}$`)
	keySIDForm          = regexp.MustCompile(`^SK[0-9a-fA-F]{32}$`)
	messagingServiceSID = regexp.MustCompile(`^MG[0-9a-fA-F]{32}$`)
	appSIDForm          = regexp.MustCompile(`^AP[0-9a-fA-F]{32}$`)
)

// Name is twilio.
func (Provider) Name() parley.Provider { return Name }

// Channels is SMS.
func (Provider) Channels() []parley.Channel { return []parley.Channel{parley.ChannelSMS} }

// DecodeCredentials reads the API's twilio block.
func (Provider) DecodeCredentials(block json.RawMessage) (parley.Credentials, error) {
	return gateway.DecodeBlock[Credentials](block)
}

// ValidateCredentials checks the account SID, and that either the auth
// token or an API key with its secret is set.
func (Provider) ValidateCredentials(creds parley.Credentials, _ egress.Policy) error {
	t, err := CredentialsOf(creds)
	if err != nil {
		return gateway.NeedsCredentials(Name)
	}
	if !accountSIDForm.MatchString(t.AccountSID) {
		return parley.FieldErrorf("twilio.accountSid", "accountSid %q is not a Twilio account SID (AC followed by 32 hex digits)", t.AccountSID)
	}
	if err := parley.CheckSecret("twilio.authToken", t.AuthToken, false, parley.MaxSecret); err != nil {
		return err
	}
	if err := parley.CheckSecret("twilio.apiKeySecret", t.APIKeySecret, false, parley.MaxSecret); err != nil {
		return err
	}
	switch {
	case t.APIKeySID != "" && !keySIDForm.MatchString(t.APIKeySID):
		return parley.FieldErrorf("twilio.apiKeySid", "apiKeySid %q is not a Twilio API key SID (SK followed by 32 hex digits)", t.APIKeySID)
	case t.APIKeySID != "" && t.APIKeySecret == "":
		return parley.FieldErrorf("twilio.apiKeySecret", "apiKeySid %s needs its apiKeySecret", t.APIKeySID)
	case t.APIKeySID == "" && t.APIKeySecret != "":
		return parley.FieldErrorf("twilio.apiKeySid", "apiKeySecret is set without its apiKeySid")
	case t.APIKeySID == "" && t.AuthToken == "":
		return parley.FieldErrorf("twilio.authToken", "set authToken, or apiKeySid and apiKeySecret")
	case t.MessagingServiceSID != "" && !messagingServiceSID.MatchString(t.MessagingServiceSID):
		return parley.FieldErrorf("twilio.messagingServiceSid", "messagingServiceSid %q is not a Messaging Service SID (MG followed by 32 hex digits)", t.MessagingServiceSID)
	case t.VoiceAppSID != "" && !appSIDForm.MatchString(t.VoiceAppSID):
		return parley.FieldErrorf("twilio.voiceAppSid", "voiceAppSid %q is not a TwiML App SID (AP followed by 32 hex digits)", t.VoiceAppSID)
	}
	return nil
}

// RedactCredentials is the block with its secrets redacted.
func (Provider) RedactCredentials(creds parley.Credentials) (json.RawMessage, error) {
	return gateway.RedactBlock[Credentials](Name, creds)
}

// KeepSecrets keeps the saved auth token and API key secret sent back
// redacted.
func (Provider) KeepSecrets(sent, saved parley.Credentials) parley.Credentials {
	return gateway.KeepBlockSecrets(Name, sent, saved, func(c *Credentials, old Credentials) {
		parley.KeepSecret(&c.AuthToken, old.AuthToken)
		parley.KeepSecret(&c.APIKeySecret, old.APIKeySecret)
	})
}

// ValidSenderID takes an E.164 number, a Messaging Service SID or an
// alphanumeric sender id.
func (Provider) ValidSenderID(id string) (bool, string) {
	return parley.IsE164(id) || messagingServiceSID.MatchString(id) || parley.IsAlphaSender(id),
		"an E.164 number, a Messaging Service SID or an alphanumeric sender id of up to 11 characters"
}

// NeedsSenders refuses a configuration with neither a sender nor a
// Messaging Service.
func (p Provider) NeedsSenders(cfg parley.ChannelConfig) error {
	if _, ok := p.DefaultSender(cfg, ""); ok {
		return nil
	}
	return parley.FieldErrorf("senders", "Twilio needs at least one sender, or twilio.messagingServiceSid")
}

// DefaultSender is the Messaging Service, when one is configured.
func (Provider) DefaultSender(cfg parley.ChannelConfig, _ string) (string, bool) {
	t, err := CredentialsOf(cfg.Credentials)
	return t.MessagingServiceSID, err == nil && t.MessagingServiceSID != ""
}

// New builds the Twilio client of cfg, which asks for status callbacks at
// the account's webhook under deps.PublicURL and can look messages up.
func (Provider) New(cfg parley.ChannelConfig, deps gateway.Deps) (gateway.Client, error) {
	t, err := CredentialsOf(cfg.Credentials)
	if err != nil {
		return gateway.Client{}, errors.New("no Twilio credentials")
	}
	g := &Gateway{BaseURL: cfg.BaseURL, HTTP: deps.HTTP, Clock: deps.Clock, Credentials: t,
		StatusCallback: gateway.WebhookURL(deps.PublicURL, Name, cfg.AccountID)}
	return gateway.Client{Sender: g, Find: find(g)}, nil
}

// find asks Twilio for the messages sent to the consumer from the sender
// since the claim. None means the message was not sent; one with the
// recipient's text means it was. Other messages only, or a Messaging
// Service sender (whose messages carry the number the service picked),
// leave the outcome unknown rather than risk a second message.
func find(g *Gateway) gateway.FindFunc {
	return func(ctx context.Context, rec parley.Recipient, from string, since time.Time) (string, bool, error) {
		if strings.HasPrefix(from, "MG") {
			return "", false, fmt.Errorf("%w: Twilio cannot list a Messaging Service's messages by sender", gateway.ErrNoLookup)
		}
		msgs, err := g.Find(ctx, rec.Phone, from, since)
		if err != nil {
			return "", false, err
		}
		for _, m := range msgs {
			if m.Body == rec.Body {
				return m.SID, true, nil
			}
		}
		if len(msgs) > 0 {
			return "", false, fmt.Errorf("%w: %d Twilio messages to the consumer since the send, none with its text", gateway.ErrNoLookup, len(msgs))
		}
		return "", false, nil
	}
}

// statusWords: accepted, scheduled, queued, sending and sent all mean
// Twilio has the message (SENT); delivered, undelivered (the carrier
// refused it), failed (it never left Twilio) and read map to themselves;
// canceled (a scheduled message withdrawn) is FAILED. receiving says
// nothing about delivery.
var statusWords = gateway.StatusWords{
	"accepted": parley.StatusSent, "scheduled": parley.StatusSent, "queued": parley.StatusSent,
	"sending": parley.StatusSent, "sent": parley.StatusSent,
	"delivered": parley.StatusDelivered, "read": parley.StatusRead,
	"undelivered": parley.StatusUndelivered, "failed": parley.StatusFailed, "canceled": parley.StatusFailed,
}

// Status maps Twilio's MessageStatus.
func (Provider) Status(word string) (parley.RecipientStatus, bool) { return statusWords.Status(word) }

// SignatureHeader is the header Twilio signs its webhooks in.
const SignatureHeader = "X-Twilio-Signature"

// twimlEmpty is the answer to Twilio: TwiML that does nothing (a keyword's
// answer, if any, is sent through the API like every message).
const twimlEmpty = `<?xml version="1.0" encoding="UTF-8"?><Response></Response>`

// WebhookChannel is SMS.
func (Provider) WebhookChannel() parley.Channel { return parley.ChannelSMS }

// WebhookMethods are Post.
func (Provider) WebhookMethods() []string { return []string{http.MethodPost} }

// Signed refuses a request without its X-Twilio-Signature.
func (Provider) Signed(req gateway.WebhookRequest) error {
	if req.Header.Get(SignatureHeader) == "" {
		return gateway.Unsigned(SignatureHeader)
	}
	return nil
}

// Authorize refuses the webhooks of an account without an auth token.
func (Provider) Authorize(cfg parley.ChannelConfig, req gateway.WebhookRequest) error {
	if t, _ := CredentialsOf(cfg.Credentials); t.AuthToken == "" {
		return noAuthToken(req.AccountID)
	}
	return nil
}

// Webhook takes Twilio's incoming messages and status callbacks. The
// X-Twilio-Signature is checked against the account's auth token before
// anything is read from the form, and the form must name the account's
// Twilio account. The answer is empty TwiML.
func (p Provider) Webhook(cfg parley.ChannelConfig, req gateway.WebhookRequest) (gateway.Events, error) {
	accountID := req.AccountID
	t, _ := CredentialsOf(cfg.Credentials)
	form, err := VerifiedForm(t, accountID, req.URL, req.Body, req.Header.Get(SignatureHeader))
	if err != nil {
		return gateway.Events{}, err
	}
	ev := gateway.Events{Answer: []byte(twimlEmpty), ContentType: "text/xml; charset=utf-8"}
	if statusCallback(form) {
		st, err := ParseStatus(form)
		if err != nil {
			return gateway.Events{}, err
		}
		u := gateway.StatusUpdate{AccountID: accountID, ProviderMessageID: st.MessageSID, Word: string(st.MessageStatus), ErrorCode: st.ErrorCode}
		if ref, ok := parley.ParseCallbackRef(accountID, req.Query.Get(RefParam)); ok {
			u.CampaignID, u.RecipientID = ref.CampaignID, ref.RecipientID
		}
		ev.Statuses = append(ev.Statuses, gateway.MapStatus(p, u))
		return ev, nil
	}
	in, err := ParseInbound(form)
	if err != nil {
		return gateway.Events{}, err
	}
	ev.Messages = append(ev.Messages, gateway.InboundMessage{
		AccountID: accountID, Provider: p.Name(), Channel: parley.ChannelSMS, ID: in.MessageSID,
		From: in.From, To: in.To, AnswerFrom: gateway.AnswerFrom(cfg, in.To), Body: in.Body,
	})
	return ev, nil
}

// statusCallback tells a status callback from an incoming message: it
// reports a status of a message sent.
func statusCallback(form url.Values) bool {
	st := form.Get("MessageStatus")
	return st != "" && st != "received" && st != "receiving"
}
