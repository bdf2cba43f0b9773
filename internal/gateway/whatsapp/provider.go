package whatsapp

import (
	"encoding/json"
	"errors"
	"net/http"
	"regexp"

	"github.com/parleyhq/parley/internal/egress"
	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/parley"
)

// Provider is the WhatsApp Business Cloud API, for WhatsApp.
type Provider struct{}

// Name is the name of the WhatsApp Business Cloud API, as channel configurations give it.
const Name parley.Provider = "whatsapp"

var _ gateway.WebhookProvider = Provider{}

// Credentials authenticate an account with the WhatsApp Business Cloud
// API. The phone-number ids to send from are the config's senders. Its
// secrets are parley.Secret values: they never print, log or encode as
// JSON in clear.
type Credentials struct {
	// AccessToken is a system-user token with whatsapp_business_messaging.
	AccessToken parley.Secret `json:"accessToken"`
	// AppSecret verifies the X-Hub-Signature-256 of Meta's webhooks.
	AppSecret parley.Secret `json:"appSecret"`
	// VerifyToken answers Meta's webhook verification handshake.
	VerifyToken parley.Secret `json:"verifyToken"`
	// APIVersion is the Graph API version, such as "v26.0"; the gateway's
	// default when empty.
	APIVersion string `json:"apiVersion,omitempty"`
}

// clearCredentials are Credentials with their secrets in clear: the block
// the store seals.
type clearCredentials struct {
	AccessToken string `json:"accessToken"`
	AppSecret   string `json:"appSecret"`
	VerifyToken string `json:"verifyToken"`
	APIVersion  string `json:"apiVersion,omitempty"`
}

// Channel returns c as a channel configuration's credentials.
func (c Credentials) Channel() parley.Credentials {
	creds, _ := gateway.EncodeCredentials(Name, clearCredentials{
		AccessToken: c.AccessToken.Reveal(), AppSecret: c.AppSecret.Reveal(),
		VerifyToken: c.VerifyToken.Reveal(), APIVersion: c.APIVersion,
	}) // strings always encode
	return creds
}

// CredentialsOf returns the WhatsApp credentials of a channel
// configuration.
func CredentialsOf(c parley.Credentials) (Credentials, error) {
	return gateway.CredentialsOf[Credentials](Name, c)
}

var (
	phoneNumberID = regexp.MustCompile(`^[0-9]{1,32}$`)
	graphVersion  = regexp.MustCompile(`^v[0-9]{1,3}\.[0-9]{1,2}$`)
)

// Name is whatsapp.
func (Provider) Name() parley.Provider { return Name }

// Channels is WhatsApp.
func (Provider) Channels() []parley.Channel { return []parley.Channel{parley.ChannelWhatsApp} }

// DecodeCredentials reads the API's whatsapp block.
func (Provider) DecodeCredentials(block json.RawMessage) (parley.Credentials, error) {
	return gateway.DecodeBlock[Credentials](block)
}

// ValidateCredentials requires the three secrets and a Graph API version
// of the right form.
func (Provider) ValidateCredentials(creds parley.Credentials, _ egress.Policy) error {
	w, err := CredentialsOf(creds)
	if err != nil {
		return gateway.NeedsCredentials(Name)
	}
	for _, s := range []struct {
		field string
		v     parley.Secret
	}{{"whatsapp.accessToken", w.AccessToken}, {"whatsapp.appSecret", w.AppSecret}, {"whatsapp.verifyToken", w.VerifyToken}} {
		if err := parley.CheckSecret(s.field, s.v, true, parley.MaxSecret); err != nil {
			return err
		}
	}
	if w.APIVersion != "" && !graphVersion.MatchString(w.APIVersion) {
		return parley.FieldErrorf("whatsapp.apiVersion", "apiVersion %q is not a Graph API version such as v26.0", w.APIVersion)
	}
	return nil
}

// RedactCredentials is the block with its secrets redacted.
func (Provider) RedactCredentials(creds parley.Credentials) (json.RawMessage, error) {
	return gateway.RedactBlock[Credentials](Name, creds)
}

// KeepSecrets keeps the saved secrets sent back redacted.
func (Provider) KeepSecrets(sent, saved parley.Credentials) parley.Credentials {
	return gateway.KeepBlockSecrets(Name, sent, saved, func(c *Credentials, old Credentials) {
		parley.KeepSecret(&c.AccessToken, old.AccessToken)
		parley.KeepSecret(&c.AppSecret, old.AppSecret)
		parley.KeepSecret(&c.VerifyToken, old.VerifyToken)
	})
}

// ValidSenderID takes a phone-number id.
func (Provider) ValidSenderID(id string) (bool, string) {
	return phoneNumberID.MatchString(id), "a WhatsApp phone-number id (digits)"
}

// NeedsSenders refuses a configuration without a phone-number id.
func (Provider) NeedsSenders(parley.ChannelConfig) error {
	return parley.FieldErrorf("senders", "%s needs at least one sender", Name)
}

// DefaultSender is none: every outbound number needs its sender.
func (Provider) DefaultSender(parley.ChannelConfig, string) (string, bool) { return "", false }

// New builds the Cloud API client of cfg.
func (Provider) New(cfg parley.ChannelConfig, deps gateway.Deps) (gateway.Client, error) {
	w, err := CredentialsOf(cfg.Credentials)
	if err != nil {
		return gateway.Client{}, errors.New("no WhatsApp credentials")
	}
	g := &Gateway{BaseURL: cfg.BaseURL, Version: w.APIVersion, Token: w.AccessToken.Reveal(), HTTP: deps.HTTP}
	return gateway.Client{Sender: g, Templates: g}, nil
}

// statusWords: sent, delivered, read and failed map to themselves; played
// (a voice message listened to) says nothing more.
var statusWords = gateway.StatusWords{
	"sent": parley.StatusSent, "delivered": parley.StatusDelivered, "read": parley.StatusRead,
	"failed": parley.StatusFailed,
}

// Status maps a status of Meta's notifications.
func (Provider) Status(word string) (parley.RecipientStatus, bool) { return statusWords.Status(word) }

// WebhookChannel is WhatsApp.
func (Provider) WebhookChannel() parley.Channel { return parley.ChannelWhatsApp }

// WebhookMethods are Get and Post.
func (Provider) WebhookMethods() []string { return []string{http.MethodGet, http.MethodPost} }

// Signed refuses a handshake (GET) without hub.verify_token, and a
// notification without its X-Hub-Signature-256.
func (Provider) Signed(req gateway.WebhookRequest) error {
	switch {
	case req.Method == http.MethodGet && req.Query.Get("hub.verify_token") == "":
		return gateway.Unsigned("hub.verify_token")
	case req.Method != http.MethodGet && req.Header.Get(SignatureHeader) == "":
		return gateway.Unsigned(SignatureHeader)
	}
	return nil
}

// Authorize is nil: Meta signs the body, which Webhook verifies.
func (Provider) Authorize(parley.ChannelConfig, gateway.WebhookRequest) error { return nil }

// Webhook answers Meta's verification of the webhook URL (GET) with the
// challenge when the verify token is the account's, and takes Meta's
// notifications of messages and statuses (POST): the X-Hub-Signature-256
// over the raw body is checked with the account's app secret before the
// body is parsed, and only what concerns the account's own phone-number
// ids (its senders) is taken in.
func (p Provider) Webhook(cfg parley.ChannelConfig, req gateway.WebhookRequest) (gateway.Events, error) {
	accountID := req.AccountID
	w, _ := CredentialsOf(cfg.Credentials)
	if req.Method == http.MethodGet {
		challenge, ok := Handshake(req.Query, w.VerifyToken.Reveal())
		if !ok {
			return gateway.Events{}, gateway.Refused("the verification of account %s's webhook failed: hub.mode must be subscribe, hub.verify_token the account's and hub.challenge a number", accountID)
		}
		return gateway.Events{Answer: []byte(challenge), ContentType: "text/plain; charset=utf-8"}, nil
	}
	if !VerifySignature(w.AppSecret.Reveal(), req.Body, req.Header.Get(SignatureHeader)) {
		return gateway.Events{}, gateway.BadSignature(SignatureHeader, accountID)
	}
	n, err := ParseNotification(req.Body)
	if err != nil {
		return gateway.Events{}, err
	}
	var ev gateway.Events
	for _, in := range n.Inbound {
		if !gateway.OurSender(cfg, in.PhoneNumberID) {
			ev.Ignored++
			continue
		}
		from := in.From
		if from == "" {
			from = in.UserID
		}
		ev.Messages = append(ev.Messages, gateway.InboundMessage{
			AccountID: accountID, Provider: p.Name(), Channel: parley.ChannelWhatsApp, ID: in.ID,
			From: from, To: in.To, AnswerFrom: gateway.AnswerFrom(cfg, in.PhoneNumberID), Body: in.Text, At: in.Timestamp,
		})
	}
	for _, st := range n.Statuses {
		if !gateway.OurSender(cfg, st.PhoneNumberID) {
			ev.Ignored++
			continue
		}
		u := gateway.StatusUpdate{AccountID: accountID, ProviderMessageID: st.ID, Word: st.Status, At: st.Timestamp}
		if len(st.Errors) > 0 {
			u.ErrorCode = st.Errors[0].Code
		}
		if ref, ok := parley.ParseCallbackRef(accountID, st.CallbackData); ok {
			u.CampaignID, u.RecipientID = ref.CampaignID, ref.RecipientID
		}
		ev.Statuses = append(ev.Statuses, gateway.MapStatus(p, u))
	}
	for _, te := range n.Templates {
		ev.Templates = append(ev.Templates, gateway.TemplateUpdate{
			AccountID: accountID, BusinessAccountID: te.BusinessAccountID, ProviderID: te.TemplateID,
			Name: te.Name, Language: te.Language, Event: te.Event, Review: te.Review(),
		})
	}
	return ev, nil
}
