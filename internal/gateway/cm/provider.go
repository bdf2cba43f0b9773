package cm

import (
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strings"

	"github.com/parleyhq/parley/internal/egress"
	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/parley"
)

// Provider is CM.com Business Messaging, for SMS.
type Provider struct{}

// Name is the name of CM.com Business Messaging (SMS), as channel configurations give it.
const Name parley.Provider = "cm"

var _ gateway.WebhookProvider = Provider{}

// Credentials authenticate an account with CM.com. Its secrets are
// parley.Secret values: they never print, log or encode as JSON in clear.
type Credentials struct {
	ProductToken parley.Secret `json:"productToken"`
	// WebhookToken authenticates CM's webhooks: CM signs neither inbound
	// messages nor status reports, so the URLs registered with CM carry it
	// (…/webhooks/cm/{accountId}?token=<webhookToken>). 16 to 256 letters,
	// digits, '-', '.', '_' or '~', so it needs no escaping in a URL.
	// Without it the account's CM webhooks are refused.
	WebhookToken parley.Secret `json:"webhookToken,omitempty"`
}

// clearCredentials are Credentials with their secrets in clear: the block
// the store seals.
type clearCredentials struct {
	ProductToken string `json:"productToken"`
	WebhookToken string `json:"webhookToken,omitempty"`
}

// Channel returns c as a channel configuration's credentials.
func (c Credentials) Channel() parley.Credentials {
	creds, _ := gateway.EncodeCredentials(Name, clearCredentials{
		ProductToken: c.ProductToken.Reveal(), WebhookToken: c.WebhookToken.Reveal(),
	}) // strings always encode
	return creds
}

// CredentialsOf returns the CM.com credentials of a channel configuration.
func CredentialsOf(c parley.Credentials) (Credentials, error) {
	return gateway.CredentialsOf[Credentials](Name, c)
}

var (
	productToken = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	webhookToken = regexp.MustCompile(`^[A-Za-z0-9._~-]{16,256}$`)
	shortCode    = regexp.MustCompile(`^[0-9]{3,16}$`)
)

// Name is cm.
func (Provider) Name() parley.Provider { return Name }

// Channels is SMS.
func (Provider) Channels() []parley.Channel { return []parley.Channel{parley.ChannelSMS} }

// DecodeCredentials reads the API's cm block.
func (Provider) DecodeCredentials(block json.RawMessage) (parley.Credentials, error) {
	return gateway.DecodeBlock[Credentials](block)
}

// ValidateCredentials requires a product token (a GUID) and takes a
// webhook token of the form URLs carry unescaped.
func (Provider) ValidateCredentials(creds parley.Credentials, _ egress.Policy) error {
	c, err := CredentialsOf(creds)
	if err != nil {
		return gateway.NeedsCredentials(Name)
	}
	if err := parley.CheckSecret("cm.productToken", c.ProductToken, true, parley.MaxSecret); err != nil {
		return err
	}
	if !productToken.MatchString(c.ProductToken.Reveal()) {
		return parley.FieldErrorf("cm.productToken", "productToken is not a CM.com product token (a GUID)")
	}
	if err := parley.CheckSecret("cm.webhookToken", c.WebhookToken, false, parley.MaxSecret); err != nil {
		return err
	}
	if c.WebhookToken != "" && !webhookToken.MatchString(c.WebhookToken.Reveal()) {
		return parley.FieldErrorf("cm.webhookToken", "webhookToken must be 16 to 256 letters, digits, '-', '.', '_' or '~'")
	}
	return nil
}

// RedactCredentials is the block with its secrets redacted.
func (Provider) RedactCredentials(creds parley.Credentials) (json.RawMessage, error) {
	return gateway.RedactBlock[Credentials](Name, creds)
}

// KeepSecrets keeps the saved tokens sent back redacted.
func (Provider) KeepSecrets(sent, saved parley.Credentials) parley.Credentials {
	return gateway.KeepBlockSecrets(Name, sent, saved, func(c *Credentials, old Credentials) {
		parley.KeepSecret(&c.ProductToken, old.ProductToken)
		parley.KeepSecret(&c.WebhookToken, old.WebhookToken)
	})
}

// ValidSenderID takes an E.164 number, a short code or an alphanumeric
// sender name.
func (Provider) ValidSenderID(id string) (bool, string) {
	return parley.IsE164(id) || shortCode.MatchString(id) || parley.IsAlphaSender(id),
		"an E.164 number, a number of up to 16 digits or an alphanumeric sender name of up to 11 characters"
}

// NeedsSenders refuses a configuration without a sender.
func (Provider) NeedsSenders(parley.ChannelConfig) error {
	return parley.FieldErrorf("senders", "%s needs at least one sender", Name)
}

// DefaultSender is none: every outbound number needs its sender.
func (Provider) DefaultSender(parley.ChannelConfig, string) (string, bool) { return "", false }

// New builds the CM.com client of cfg.
func (Provider) New(cfg parley.ChannelConfig, deps gateway.Deps) (gateway.Client, error) {
	c, err := CredentialsOf(cfg.Credentials)
	if err != nil {
		return gateway.Client{}, errors.New("no CM.com credentials")
	}
	return gateway.Client{Sender: &Gateway{BaseURL: cfg.BaseURL, ProductToken: c.ProductToken.Reveal(), HTTP: deps.HTTP}}, nil
}

// statusWords: accepted is SENT, rejected (CM or the operator refused the
// message) is FAILED, failed (not delivered to the handset) is
// UNDELIVERED, delivered and read map to themselves.
var statusWords = gateway.StatusWords{
	"accepted": parley.StatusSent, "rejected": parley.StatusFailed, "delivered": parley.StatusDelivered,
	"failed": parley.StatusUndelivered, "read": parley.StatusRead,
}

// Status maps a status name of CM's reports (Status's String).
func (Provider) Status(word string) (parley.RecipientStatus, bool) { return statusWords.Status(word) }

// WebhookChannel is SMS.
func (Provider) WebhookChannel() parley.Channel { return parley.ChannelSMS }

// WebhookMethods are Post.
func (Provider) WebhookMethods() []string { return []string{http.MethodPost} }

// Signed refuses a request whose URL carries no webhook token.
func (Provider) Signed(req gateway.WebhookRequest) error {
	if req.Query.Get(TokenParam) == "" {
		return gateway.Unsigned("webhook token (query parameter " + TokenParam + ")")
	}
	return nil
}

// Authorize checks the URL's token against the account's webhook token,
// before the body is read.
func (Provider) Authorize(cfg parley.ChannelConfig, req gateway.WebhookRequest) error {
	c, _ := CredentialsOf(cfg.Credentials)
	expected := c.WebhookToken.Reveal()
	if expected == "" {
		return gateway.Refused("account %s has no CM webhook token to verify webhooks with (cm.webhookToken)", req.AccountID)
	}
	if !VerifyToken(expected, req.Query.Get(TokenParam)) {
		return gateway.BadSignature("webhook token", req.AccountID)
	}
	return nil
}

// Webhook takes CM.com's inbound messages and status reports (JSON or
// XML). CM signs neither, so the URL registered with CM carries the
// account's webhook token, checked before the body is looked at.
func (p Provider) Webhook(cfg parley.ChannelConfig, req gateway.WebhookRequest) (gateway.Events, error) {
	if err := p.Authorize(cfg, req); err != nil {
		return gateway.Events{}, err
	}
	accountID := req.AccountID
	var ev gateway.Events
	if IsStatusReport(req.Body) {
		reports, err := ParseStatusReports(req.Body)
		if err != nil {
			return gateway.Events{}, err
		}
		for _, rep := range reports {
			u := gateway.StatusUpdate{AccountID: accountID, ProviderMessageID: rep.Reference,
				Word: rep.Status.String(), ErrorCode: rep.ErrorCode, At: rep.Time}
			if c, rid, ok := ParseReference(rep.Reference); ok {
				u.CampaignID, u.RecipientID = c, rid
			}
			ev.Statuses = append(ev.Statuses, gateway.MapStatus(p, u))
		}
		return ev, nil
	}
	in, err := ParseInbound(req.Body)
	if err != nil {
		return gateway.Events{}, err
	}
	ch := parley.ChannelSMS
	if strings.EqualFold(in.Channel, "WhatsApp") {
		ch = parley.ChannelWhatsApp
	}
	ev.Messages = append(ev.Messages, gateway.InboundMessage{
		AccountID: accountID, Provider: p.Name(), Channel: ch, ID: in.MessageID(),
		From: in.From, To: in.To, AnswerFrom: gateway.AnswerFrom(cfg, in.To), Body: in.Body, At: in.Time,
	})
	return ev, nil
}
