package gateway

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/egress"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Provider is everything Parley knows of one provider: its name and
// channels, its credentials, its senders, how its client is built, and its
// status words. A provider that posts webhooks is also a WebhookProvider.
// Package providers lists them all.
type Provider interface {
	// Name is the provider's name, as channel configurations and webhook
	// URLs spell it.
	Name() parley.Provider
	// Channels are the channels the provider can send on.
	Channels() []parley.Channel

	// DecodeCredentials reads the provider's credential block of the API
	// (its secrets in clear, or in the redacted form a read returned). A
	// JSON error is returned as encoding/json gives it, its field relative
	// to the block; any other refusal is a parley field error naming the
	// block's JSON path.
	DecodeCredentials(block json.RawMessage) (parley.Credentials, error)
	// ValidateCredentials checks credentials before they are saved:
	// EINVALID naming the field as a JSON path of the API's body (such as
	// "twilio.accountSid"), never quoting a secret. p is the egress policy
	// the provider's hosts are reached with.
	ValidateCredentials(c parley.Credentials, p egress.Policy) error
	// RedactCredentials is the credential block of the API's answers: the
	// secrets in their redacted form.
	RedactCredentials(c parley.Credentials) (json.RawMessage, error)
	// KeepSecrets returns sent with each secret that is the redacted form
	// of the same secret in saved replaced by the saved one. Callers keep
	// secrets only for the same provider and API host.
	KeepSecrets(sent, saved parley.Credentials) parley.Credentials

	// ValidSenderID reports whether id is a sender the provider sends
	// from; what describes the form it expects.
	ValidSenderID(id string) (ok bool, what string)
	// NeedsSenders is the refusal of a configuration with no sender, nil
	// when the provider sends without one.
	NeedsSenders(cfg parley.ChannelConfig) error
	// DefaultSender is the sender of an outbound number no sender of cfg
	// maps: Twilio's Messaging Service, or the number itself for the
	// providers that need no sender; ok is false when none applies.
	DefaultSender(cfg parley.ChannelConfig, outbound string) (id string, ok bool)

	// New builds the client of cfg.
	New(cfg parley.ChannelConfig, deps Deps) (Client, error)

	// Status maps one of the provider's status words to the recipient
	// status it means; ok is false for words that say nothing about
	// delivery, and for every word of a provider that reports none.
	Status(word string) (st parley.RecipientStatus, ok bool)
}

// Client is a provider client built from one version of a channel's
// configuration.
type Client struct {
	Sender Sender
	// Templates submits WhatsApp templates for review; nil when the
	// provider has no templates.
	Templates TemplateSubmitter
	// Find looks a recipient's message up at the provider; nil when the
	// provider cannot be asked.
	Find FindFunc
}

// FindFunc tells whether the provider took r's message, sent from the
// provider's sender at or after since: its id and true if so. An error
// wrapping ErrNoLookup means the outcome is unknown.
type FindFunc func(ctx context.Context, r parley.Recipient, from string, since time.Time) (id string, found bool, err error)

// Deps is what the providers' clients are built with.
type Deps struct {
	// HTTP carries every provider request: an egress client.
	HTTP *http.Client
	// Clock times tokens and Retry-After handling; nil means the system
	// clock.
	Clock parley.Clock
	// PublicURL is the base URL providers reach Parley's webhooks at; ""
	// when they cannot (no status callbacks are asked for).
	PublicURL string
	// Devices holds the consumers' push tokens; nil when this process
	// pushes nothing.
	Devices store.Devices
	// PushTitle is the title of push notifications; none when empty.
	PushTitle string
	// Sandbox records what the sandbox provider sends; nil when this
	// process offers no sandbox.
	Sandbox Sender
}

// WebhookPath is the path of an account's webhook of a provider, with the
// pattern {accountId} where the account goes: /webhooks/<provider>/{accountId}.
func WebhookPath(provider parley.Provider) string {
	return "/webhooks/" + string(provider) + "/{accountId}"
}

// WebhookURL is the URL of an account's webhook of a provider under
// publicURL; "" without a publicURL.
func WebhookURL(publicURL string, provider parley.Provider, accountID string) string {
	if publicURL == "" {
		return ""
	}
	return strings.TrimRight(publicURL, "/") + strings.Replace(WebhookPath(provider), "{accountId}", url.PathEscape(accountID), 1)
}

// WebhookProvider is a provider that posts webhooks: consumers' messages
// and delivery statuses.
type WebhookProvider interface {
	Provider
	// WebhookChannel is the channel whose configuration verifies the
	// provider's webhooks.
	WebhookChannel() parley.Channel
	// WebhookMethods are the HTTP methods the provider requests its
	// webhook with.
	WebhookMethods() []string
	// Signed is the refusal (Unsigned) of a request that carries no
	// signature or token at all, checked before the account's
	// configuration is read; nil when it carries one.
	Signed(req WebhookRequest) error
	// Authorize is the refusal of a request that cfg can refuse before
	// the body is read (no secret to verify with, a token in the URL that
	// is not the account's); nil otherwise. Webhook checks it too.
	Authorize(cfg parley.ChannelConfig, req WebhookRequest) error
	// Webhook verifies a webhook request with cfg, the account's
	// configuration of WebhookChannel with this provider, and parses it
	// into provider-neutral events. It reads nothing but its arguments.
	//
	// A request without its signature or token is EUNAUTHORIZED
	// (Unsigned); every refusal after the signature was looked at is the
	// uniform EFORBIDDEN of Refused; a body that does not parse is
	// EINVALID.
	Webhook(cfg parley.ChannelConfig, req WebhookRequest) (Events, error)
}

// WebhookRequest is a provider's webhook request as received.
type WebhookRequest struct {
	// AccountID is the account of the webhook's URL.
	AccountID string
	Method    string
	// URL is the URL the provider requested, as it signs it.
	URL    string
	Header http.Header
	Query  url.Values
	// Body is the raw body, already bounded; it is read once Authorize
	// accepted the request.
	Body []byte
}

// Events is what a webhook delivered.
type Events struct {
	Messages []InboundMessage
	Statuses []StatusUpdate
	// Templates are changes of the account's WhatsApp templates' review
	// status.
	Templates []TemplateUpdate
	// Ignored counts what concerns no sender of the account (a message or
	// status of another phone-number id).
	Ignored int
	// Answer, when not nil, is the body the provider wants as the answer
	// (Twilio's TwiML, WhatsApp's handshake challenge), of ContentType;
	// nil answers with what was taken in.
	Answer      []byte
	ContentType string
}

// InboundMessage is a consumer's message as a provider's webhook
// delivered it.
type InboundMessage struct {
	// AccountID is the account whose webhook received the message.
	AccountID string
	// Provider names the provider; message ids are unique within a
	// provider and account.
	Provider parley.Provider
	Channel  parley.Channel
	// ID is the provider's id of the message; "" when the provider gives
	// none (the message is then taken in every time it is delivered).
	ID string
	// From is the consumer: an E.164 number, or a provider's user id when
	// it withholds the number.
	From string
	// To is the number the consumer wrote to, E.164.
	To string
	// AnswerFrom is the outbound number (as campaigns name it) whose
	// sender the consumer wrote to: a keyword's answer is sent from it,
	// so through the same sender. To when empty.
	AnswerFrom string
	Body       string
	// At is when the provider received the message; zero means now.
	At time.Time
	// EntryPoint is the provider's campaign id, when the webhook knows it.
	EntryPoint string
}

// Sender is the outbound number the consumer wrote to, as campaigns name
// it: AnswerFrom, else To. A keyword is answered from it, and a reply is
// matched to the messages sent from it (parley.OutboundContext.Sender).
func (m InboundMessage) Sender() string { return cmp.Or(m.AnswerFrom, m.To) }

// NoDevice is how every in-app sender (the push gateway, and the sandbox
// that stands in for it) fails a message to a consumer with no registered
// device: FailIneligible with parley.CodeNoDevice, so the dispatcher fails
// the recipient with that code, and the reason says how to register one.
func NoDevice(provider parley.Provider, m parley.Message) *parley.SendError {
	return &parley.SendError{
		Provider: string(provider), Code: parley.CodeNoDevice, Kind: parley.FailIneligible,
		Reason: fmt.Sprintf("consumer %s has no registered device; %s", m.To, parley.RegisterPushToken(m.AccountID, m.To)),
	}
}

// StatusUpdate is one delivery report, its status already mapped.
type StatusUpdate struct {
	// AccountID is the account whose webhook received the report.
	AccountID string
	// CampaignID and RecipientID name the recipient the message was sent
	// to, as the provider echoed them back (parley.ParseCallbackRef).
	CampaignID  string
	RecipientID string
	Provider    parley.Provider
	// ProviderMessageID is the id the provider gave the message when it
	// took it (Twilio's MessageSid, WhatsApp's wamid, CM's reference).
	ProviderMessageID string
	// Status is the recipient status the report means; "" when the
	// provider's word says nothing about delivery (the report changes
	// nothing).
	Status parley.RecipientStatus
	// Word is the provider's own word for the status, for the log.
	Word string
	// ErrorCode is the provider's error code of a failure, "" otherwise.
	ErrorCode string
	// At is when the status happened; the receiver's clock when zero.
	At time.Time
}

// Ref returns the recipient the report names.
func (u StatusUpdate) Ref() parley.Ref {
	return parley.Ref{AccountID: u.AccountID, CampaignID: u.CampaignID, RecipientID: u.RecipientID}
}

// MapStatus is a StatusUpdate with the provider's word mapped by p.
func MapStatus(p Provider, u StatusUpdate) StatusUpdate {
	u.Provider = p.Name()
	u.Status, _ = p.Status(u.Word)
	return u
}

// AnswerFrom is the outbound number of the configured sender whose
// provider id is sender (the number or phone-number id a consumer wrote
// to), so that an answer goes out through that sender; "" when none maps
// one.
func AnswerFrom(cfg parley.ChannelConfig, sender string) string {
	for _, c := range cfg.Senders {
		if c.ID == sender && c.OutboundNumber != "" {
			return c.OutboundNumber
		}
	}
	return ""
}

// OurSender reports whether id is a sender of cfg.
func OurSender(cfg parley.ChannelConfig, id string) bool {
	for _, c := range cfg.Senders {
		if c.ID == id {
			return true
		}
	}
	return false
}

// StatusWords maps a provider's status words, in lower case, to the
// recipient statuses they mean.
type StatusWords map[string]parley.RecipientStatus

// Status maps word, whatever its case and surrounding spaces; ok is false
// for a word the map does not know.
func (w StatusWords) Status(word string) (parley.RecipientStatus, bool) {
	st, ok := w[strings.ToLower(strings.TrimSpace(word))]
	return st, ok
}

// DecodeCredentials reads the block of c into v, c being credentials of
// provider p; an error when they are another provider's, or none.
func DecodeCredentials(p parley.Provider, c parley.Credentials, v any) error {
	switch {
	case c.IsZero():
		return fmt.Errorf("no %s credentials", p)
	case c.Provider() != p:
		return fmt.Errorf("credentials for %s, not %s", c.Provider(), p)
	}
	if err := json.Unmarshal(c.Reveal(), v); err != nil {
		return fmt.Errorf("decode the %s credentials: %w", p, err)
	}
	return nil
}

// EncodeCredentials returns clear, the JSON of a provider's credential
// block with its secrets in clear, as the credentials of provider p.
func EncodeCredentials(p parley.Provider, clear any) (parley.Credentials, error) {
	b, err := json.Marshal(clear)
	if err != nil {
		return parley.Credentials{}, fmt.Errorf("encode the %s credentials: %w", p, err)
	}
	return parley.NewCredentials(p, b), nil
}

// Block is a provider's typed credentials: their JSON is the API's
// credential block (parley.Secret fields redacted when encoded), and
// Channel returns them, secrets in clear, as a configuration holds them.
type Block interface {
	Channel() parley.Credentials
}

// CredentialsOf returns the credentials of provider p that c holds, as T.
func CredentialsOf[T Block](p parley.Provider, c parley.Credentials) (T, error) {
	var creds T
	err := DecodeCredentials(p, c, &creds)
	return creds, err
}

// DecodeBlock reads a provider's block of the API's request as T.
func DecodeBlock[T Block](block json.RawMessage) (parley.Credentials, error) {
	var creds T
	if err := json.Unmarshal(block, &creds); err != nil {
		return parley.Credentials{}, err
	}
	return creds.Channel(), nil
}

// RedactBlock encodes the credentials of provider p as the API answers
// them: T's JSON, its secrets redacted.
func RedactBlock[T Block](p parley.Provider, c parley.Credentials) (json.RawMessage, error) {
	creds, err := CredentialsOf[T](p, c)
	if err != nil {
		return nil, err
	}
	return json.Marshal(creds)
}

// KeepBlockSecrets returns sent with keep applied against saved, both
// credentials of provider p: keep restores each secret of saved that sent
// carries redacted. sent is returned as it is when either does not decode.
func KeepBlockSecrets[T Block](p parley.Provider, sent, saved parley.Credentials, keep func(sent *T, saved T)) parley.Credentials {
	c, err := CredentialsOf[T](p, sent)
	old, oerr := CredentialsOf[T](p, saved)
	if err != nil || oerr != nil {
		return sent
	}
	keep(&c, old)
	return c.Channel()
}

// NeedsCredentials is the refusal of a configuration of provider p
// without p's credentials.
func NeedsCredentials(p parley.Provider) error {
	return parley.FieldErrorf(string(p), "provider %s needs its credentials in %s", p, p)
}

// Finder is a gateway that can tell whether it took a recipient's message
// (the sandbox does): see FindFunc.
type Finder interface {
	Find(ctx context.Context, r parley.Recipient, from string, since time.Time) (id string, found bool, err error)
}

// Validate checks cfg, a configuration of provider p, before it is saved:
// what every configuration must be (parley.ChannelConfig.ValidateCommon),
// then p's credentials and none other's, then the senders. Errors are
// EINVALID naming the field as a JSON path of the API's body; they never
// quote a secret. Sender outbound numbers must already be in E.164 form.
func Validate(p Provider, cfg parley.ChannelConfig, policy egress.Policy) error {
	if err := cfg.ValidateCommon(policy); err != nil {
		return err
	}
	if c := cfg.Credentials; !c.IsZero() && c.Provider() != p.Name() {
		return parley.FieldErrorf(string(c.Provider()), "credentials for %s do not apply to provider %s", c.Provider(), p.Name())
	}
	if err := p.ValidateCredentials(cfg.Credentials, policy); err != nil {
		return err
	}
	if err := cfg.ValidateSenders(p.ValidSenderID); err != nil {
		return err
	}
	if len(cfg.Senders) == 0 {
		return p.NeedsSenders(cfg)
	}
	return nil
}

// SenderFor returns the provider's sender for a campaign's outbound
// number: the sender cfg maps to it, else cfg's default sender, else p's
// (DefaultSender). ok is false when none applies.
func SenderFor(p Provider, cfg parley.ChannelConfig, outbound string) (id string, ok bool) {
	if id, ok := cfg.MappedSender(outbound); ok {
		return id, true
	}
	return p.DefaultSender(cfg, outbound)
}

// KeepSecrets returns c, a configuration of provider p, with each secret
// that is the redacted form of the same secret in saved replaced by the
// saved one, so a client may send back a configuration it read with only
// the other fields changed. Secrets are kept only for the same provider
// and API host: a caller who cannot read a secret must not be able to
// send it somewhere else.
func KeepSecrets(p Provider, c, saved parley.ChannelConfig) parley.ChannelConfig {
	if c.Provider != saved.Provider || c.BaseURL != saved.BaseURL || c.Provider != p.Name() ||
		c.Credentials.Provider() != p.Name() || saved.Credentials.Provider() != p.Name() {
		return c
	}
	c.Credentials = p.KeepSecrets(c.Credentials, saved.Credentials)
	return c
}
