package parley

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/parleyhq/parley/internal/egress"
)

// Provider names the gateway a channel of an account sends through.
type Provider string

// The providers a channel can be configured with.
const (
	ProviderTwilio   Provider = "twilio"   // Twilio Programmable Messaging (SMS)
	ProviderCM       Provider = "cm"       // CM.com Business Messaging (SMS)
	ProviderWhatsApp Provider = "whatsapp" // WhatsApp Business Cloud API
	ProviderFCM      Provider = "fcm"      // Firebase Cloud Messaging (in-app push)
	ProviderSandbox  Provider = "sandbox"  // records instead of sending
)

// channelProviders lists, per configurable channel, the providers it may use.
var channelProviders = map[Channel][]Provider{
	ChannelSMS:      {ProviderTwilio, ProviderCM, ProviderSandbox},
	ChannelWhatsApp: {ProviderWhatsApp, ProviderSandbox},
	ChannelInApp:    {ProviderFCM, ProviderSandbox},
}

// ConfigurableChannel reports whether ch is a channel that takes a
// ChannelConfig (sms, whatsapp, inapp).
func ConfigurableChannel(ch Channel) bool {
	_, ok := channelProviders[ch]
	return ok
}

// Secret is a credential: a token, a key or a password. It never prints,
// logs or encodes as JSON in clear: String, GoString, Format, LogValue and
// MarshalJSON all give its redacted form (see Redacted). Reveal returns the
// secret itself, for the request that needs it and for the store.
// UnmarshalJSON takes the secret in clear, as a JSON string.
type Secret string

// secretMask stands for the hidden part of a secret.
const secretMask = "••••"

// minRevealLen is the length from which the redacted form shows a secret's
// last four characters; shorter secrets are masked whole.
const minRevealLen = 16

// Reveal returns the secret in clear.
func (s Secret) Reveal() string { return string(s) }

// Redacted returns "" for an empty secret, else "••••" followed by its last
// four characters when it is at least 16 characters long, so a brand can
// tell which credential is configured without seeing it.
func (s Secret) Redacted() string {
	if s == "" {
		return ""
	}
	if utf8.RuneCountInString(string(s)) < minRevealLen {
		return secretMask
	}
	r := []rune(string(s))
	return secretMask + string(r[len(r)-4:])
}

// String returns the redacted form.
func (s Secret) String() string { return s.Redacted() }

// GoString returns the redacted form, quoted, for %#v.
func (s Secret) GoString() string { return fmt.Sprintf("%q", s.Redacted()) }

// Format prints the redacted form whatever the verb, so that no verb can
// reach the secret.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, s.GoString())
		return
	}
	_, _ = io.WriteString(f, s.Redacted())
}

// LogValue makes log/slog record the redacted form.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.Redacted()) }

// MarshalJSON encodes the redacted form: what the API returns.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.Redacted()) }

// UnmarshalJSON reads the secret in clear from a JSON string.
func (s *Secret) UnmarshalJSON(b []byte) error {
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*s = Secret(v)
	return nil
}

// IsRedacted reports whether s is a redacted form rather than a secret: a
// client that read a configuration and sent it back unchanged.
func (s Secret) IsRedacted() bool { return strings.HasPrefix(string(s), secretMask) }

// TwilioCredentials authenticate an account's requests to Twilio: the
// account SID with its auth token, or an API key SID and secret (the auth
// token also verifies Twilio's webhook signatures).
type TwilioCredentials struct {
	AccountSID   string `json:"accountSid"`
	AuthToken    Secret `json:"authToken,omitempty"`
	APIKeySID    string `json:"apiKeySid,omitempty"`
	APIKeySecret Secret `json:"apiKeySecret,omitempty"`
	// MessagingServiceSID, when set, sends messages whose outbound number
	// no sender maps.
	MessagingServiceSID string `json:"messagingServiceSid,omitempty"`
}

// WhatsAppCredentials authenticate an account with the WhatsApp Business
// Cloud API. The phone-number ids to send from are the config's senders.
type WhatsAppCredentials struct {
	// AccessToken is a system-user token with whatsapp_business_messaging.
	AccessToken Secret `json:"accessToken"`
	// AppSecret verifies the X-Hub-Signature-256 of Meta's webhooks.
	AppSecret Secret `json:"appSecret"`
	// VerifyToken answers Meta's webhook verification handshake.
	VerifyToken Secret `json:"verifyToken"`
	// APIVersion is the Graph API version, such as "v26.0"; the gateway's
	// default when empty.
	APIVersion string `json:"apiVersion,omitempty"`
}

// CMCredentials authenticate an account with CM.com.
type CMCredentials struct {
	ProductToken Secret `json:"productToken"`
	// WebhookToken authenticates CM's webhooks: CM signs neither inbound
	// messages nor status reports, so the URLs registered with CM carry it
	// (…/webhooks/cm/{accountId}?token=<webhookToken>). 16 to 256 letters,
	// digits, '-', '.', '_' or '~', so it needs no escaping in a URL.
	// Without it the account's CM webhooks are refused.
	WebhookToken Secret `json:"webhookToken,omitempty"`
}

// FCMCredentials authenticate an account with Firebase Cloud Messaging.
type FCMCredentials struct {
	// ServiceAccountJSON is the Google service account's JSON key file.
	ServiceAccountJSON Secret `json:"serviceAccountJson"`
}

// MarshalJSON encodes the credentials with the key file masked whole, and
// the service account's project and email (which are not secret) beside it
// so a brand can tell which account is configured.
func (f FCMCredentials) MarshalJSON() ([]byte, error) {
	var key struct {
		ProjectID   string `json:"project_id"`
		ClientEmail string `json:"client_email"`
	}
	_ = json.Unmarshal([]byte(f.ServiceAccountJSON.Reveal()), &key) // checked by Validate; empty otherwise
	out := struct {
		ServiceAccountJSON string `json:"serviceAccountJson"`
		ProjectID          string `json:"projectId,omitempty"`
		ClientEmail        string `json:"clientEmail,omitempty"`
	}{ProjectID: key.ProjectID, ClientEmail: key.ClientEmail}
	if f.ServiceAccountJSON != "" {
		out.ServiceAccountJSON = secretMask
	}
	return json.Marshal(out)
}

// ChannelSender maps a campaign's outboundNumber to the provider's sender:
// an E.164 number or alphanumeric sender id (Twilio, CM), a Twilio
// Messaging Service SID (MG…), a WhatsApp phone-number id, or an app id.
type ChannelSender struct {
	// OutboundNumber is the campaign outboundNumber (E.164) this sender
	// serves; it may be empty on the default sender.
	OutboundNumber string `json:"outboundNumber,omitempty"`
	// ID is the provider's sender.
	ID string `json:"id"`
	// Default marks the sender of outbound numbers no other sender maps.
	Default bool `json:"default,omitempty"`
}

// ChannelConfig is how one account sends on one channel: the provider, its
// credentials, the senders it may send from, and optionally another API
// host (a regional endpoint, or a test server).
//
// Its secrets are Secret values, so a ChannelConfig printed, logged or
// encoded as JSON never shows them (the API answers with this encoding).
// The store keeps them sealed through EncodeChannelConfig.
type ChannelConfig struct {
	AccountID string   `json:"accountId"`
	Channel   Channel  `json:"channel"`
	Provider  Provider `json:"provider"`
	// BaseURL replaces the provider's API host when set: https to a public
	// host (or http to a loopback one, where egress allows loopback).
	BaseURL string          `json:"baseUrl,omitempty"`
	Senders []ChannelSender `json:"senders,omitempty"`
	// The credentials of Provider; the block of any other provider must be
	// nil. The sandbox takes none.
	Twilio   *TwilioCredentials   `json:"twilio,omitempty"`
	WhatsApp *WhatsAppCredentials `json:"whatsapp,omitempty"`
	CM       *CMCredentials       `json:"cm,omitempty"`
	FCM      *FCMCredentials      `json:"fcm,omitempty"`
	// Version counts the saves of the config, from 1; UpdatedAt is the
	// last. A gateway built from a config is rebuilt when either changes.
	Version   int       `json:"version"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// MaxChannelSenders bounds the senders of one channel.
const MaxChannelSenders = 100

// Bounds of secret sizes.
const (
	maxSecret         = 4096
	maxServiceAccount = 16 << 10
)

var (
	twilioAccountSID = regexp.MustCompile(`^AC[0-9a-fA-F]{32}$`)
	twilioKeySID     = regexp.MustCompile(`^SK[0-9a-fA-F]{32}$`)
	twilioServiceSID = regexp.MustCompile(`^MG[0-9a-fA-F]{32}$`)
	e164Number       = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	alphaSender      = regexp.MustCompile(`^[A-Za-z0-9 ]{1,11}$`)
	shortCode        = regexp.MustCompile(`^[0-9]{3,16}$`)
	waPhoneNumberID  = regexp.MustCompile(`^[0-9]{1,32}$`)
	graphVersion     = regexp.MustCompile(`^v[0-9]{1,3}\.[0-9]{1,2}$`)
	cmProductToken   = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	cmWebhookToken   = regexp.MustCompile(`^[A-Za-z0-9._~-]{16,256}$`)
)

// Validate checks a configuration before it is saved; p is the egress
// policy its BaseURL will be reached with. Errors are EINVALID and name the
// offending field as a JSON path of the API's body (such as
// "twilio.accountSid" or "senders[2].outboundNumber"); they never quote a
// secret. Sender outbound numbers must already be in E.164 form.
func (c ChannelConfig) Validate(p egress.Policy) error {
	if strings.TrimSpace(c.AccountID) == "" {
		return FieldErrorf("accountId", "accountId is required")
	}
	providers, ok := channelProviders[c.Channel]
	if !ok {
		return FieldErrorf("channel", "channel %q is not one of sms, whatsapp, inapp", c.Channel)
	}
	if !contains(providers, c.Provider) {
		return FieldErrorf("provider", "provider %q cannot send on channel %s; use one of %s", c.Provider, c.Channel, joinProviders(providers))
	}
	if err := validBaseURL(c.BaseURL, p); err != nil {
		return err
	}
	if err := c.validCredentials(); err != nil {
		return err
	}
	return c.validSenders()
}

func contains(ps []Provider, p Provider) bool {
	for _, x := range ps {
		if x == p {
			return true
		}
	}
	return false
}

func joinProviders(ps []Provider) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = string(p)
	}
	return strings.Join(s, ", ")
}

// validBaseURL accepts an absolute URL without user info, query or
// fragment that egress policy p can reach (see reachableURL): credentials
// never travel in clear over a network, nor to an internal address.
func validBaseURL(raw string, p egress.Policy) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return FieldErrorf("baseUrl", "baseUrl %q is not an absolute URL without credentials, query or fragment", raw)
	}
	return reachableURL("baseUrl", u, p)
}

// reachableURL checks a URL an account configures for the field it is
// given in: https, or http to a loopback host where egress policy p allows
// loopback; and no host p refuses before resolving it (an IP literal that
// is not public, a localhost name). What a name resolves to is checked
// when connecting. Messages name the host only: a URL may carry a token.
func reachableURL(field string, u *url.URL, p egress.Policy) error {
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && p.AllowLoopback && egress.LoopbackHost(u.Hostname()):
	case p.AllowLoopback:
		return FieldErrorf(field, "%s must use https (http only to a loopback address)", field)
	default:
		return FieldErrorf(field, "%s must use https", field)
	}
	if err := p.CheckHost(u.Hostname()); err != nil {
		return FieldErrorf(field, "%s host %q is refused: %v", field, u.Host, err)
	}
	return nil
}

// validCredentials checks that the provider's credential block, and only
// it, is set and complete.
func (c ChannelConfig) validCredentials() error {
	blocks := []struct {
		name     Provider
		set      bool
		validate func() error
	}{
		{ProviderTwilio, c.Twilio != nil, func() error { return c.Twilio.validate() }},
		{ProviderWhatsApp, c.WhatsApp != nil, func() error { return c.WhatsApp.validate() }},
		{ProviderCM, c.CM != nil, func() error { return c.CM.validate() }},
		{ProviderFCM, c.FCM != nil, func() error { return c.FCM.validate() }},
	}
	for _, b := range blocks {
		switch {
		case b.name == c.Provider && !b.set:
			return FieldErrorf(string(b.name), "provider %s needs its credentials in %s", c.Provider, b.name)
		case b.name == c.Provider:
			if err := b.validate(); err != nil {
				return err
			}
		case b.set:
			return FieldErrorf(string(b.name), "credentials for %s do not apply to provider %s", b.name, c.Provider)
		}
	}
	return nil
}

// checkSecret checks one secret: required or not, no redacted form, no
// surrounding spaces, bounded length. Messages never quote it.
func checkSecret(field string, s Secret, required bool, limit int) error {
	switch {
	case s == "" && required:
		return FieldErrorf(field, "%s is required", field)
	case s == "":
		return nil
	case s.IsRedacted():
		return FieldErrorf(field, "%s is a redacted value that does not match the saved one; send the secret itself", field)
	case len(s) > limit:
		return FieldErrorf(field, "%s is longer than %d bytes", field, limit)
	case strings.TrimSpace(string(s)) != string(s):
		return FieldErrorf(field, "%s has leading or trailing spaces", field)
	case strings.ContainsFunc(string(s), unicode.IsControl):
		return FieldErrorf(field, "%s contains control characters", field)
	}
	return nil
}

func (t *TwilioCredentials) validate() error {
	if !twilioAccountSID.MatchString(t.AccountSID) {
		return FieldErrorf("twilio.accountSid", "accountSid %q is not a Twilio account SID (AC followed by 32 hex digits)", t.AccountSID)
	}
	if err := checkSecret("twilio.authToken", t.AuthToken, false, maxSecret); err != nil {
		return err
	}
	if err := checkSecret("twilio.apiKeySecret", t.APIKeySecret, false, maxSecret); err != nil {
		return err
	}
	switch {
	case t.APIKeySID != "" && !twilioKeySID.MatchString(t.APIKeySID):
		return FieldErrorf("twilio.apiKeySid", "apiKeySid %q is not a Twilio API key SID (SK followed by 32 hex digits)", t.APIKeySID)
	case t.APIKeySID != "" && t.APIKeySecret == "":
		return FieldErrorf("twilio.apiKeySecret", "apiKeySid %s needs its apiKeySecret", t.APIKeySID)
	case t.APIKeySID == "" && t.APIKeySecret != "":
		return FieldErrorf("twilio.apiKeySid", "apiKeySecret is set without its apiKeySid")
	case t.APIKeySID == "" && t.AuthToken == "":
		return FieldErrorf("twilio.authToken", "set authToken, or apiKeySid and apiKeySecret")
	case t.MessagingServiceSID != "" && !twilioServiceSID.MatchString(t.MessagingServiceSID):
		return FieldErrorf("twilio.messagingServiceSid", "messagingServiceSid %q is not a Messaging Service SID (MG followed by 32 hex digits)", t.MessagingServiceSID)
	}
	return nil
}

func (w *WhatsAppCredentials) validate() error {
	for _, s := range []struct {
		field string
		v     Secret
	}{{"whatsapp.accessToken", w.AccessToken}, {"whatsapp.appSecret", w.AppSecret}, {"whatsapp.verifyToken", w.VerifyToken}} {
		if err := checkSecret(s.field, s.v, true, maxSecret); err != nil {
			return err
		}
	}
	if w.APIVersion != "" && !graphVersion.MatchString(w.APIVersion) {
		return FieldErrorf("whatsapp.apiVersion", "apiVersion %q is not a Graph API version such as v26.0", w.APIVersion)
	}
	return nil
}

func (c *CMCredentials) validate() error {
	if err := checkSecret("cm.productToken", c.ProductToken, true, maxSecret); err != nil {
		return err
	}
	if !cmProductToken.MatchString(c.ProductToken.Reveal()) {
		return FieldErrorf("cm.productToken", "productToken is not a CM.com product token (a GUID)")
	}
	if err := checkSecret("cm.webhookToken", c.WebhookToken, false, maxSecret); err != nil {
		return err
	}
	if c.WebhookToken != "" && !cmWebhookToken.MatchString(c.WebhookToken.Reveal()) {
		return FieldErrorf("cm.webhookToken", "webhookToken must be 16 to 256 letters, digits, '-', '.', '_' or '~'")
	}
	return nil
}

func (f *FCMCredentials) validate() error {
	const field = "fcm.serviceAccountJson"
	if f.ServiceAccountJSON == "" {
		return FieldErrorf(field, "%s is required", field)
	}
	if f.ServiceAccountJSON.IsRedacted() {
		return FieldErrorf(field, "%s is a redacted value that does not match the saved one; send the key file itself", field)
	}
	if len(f.ServiceAccountJSON) > maxServiceAccount {
		return FieldErrorf(field, "%s is longer than %d bytes", field, maxServiceAccount)
	}
	var key struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal([]byte(f.ServiceAccountJSON.Reveal()), &key); err != nil {
		return FieldErrorf(field, "%s is not a JSON object", field)
	}
	if key.Type != "service_account" {
		return FieldErrorf(field, "%s is not a service-account key file (its type is %q)", field, key.Type)
	}
	return nil
}

// validSenders checks the senders: each with an id of the provider's form
// and an E.164 outbound number (optional on the one default sender), no
// outbound number twice; and at least one where the provider needs one.
func (c ChannelConfig) validSenders() error {
	if len(c.Senders) > MaxChannelSenders {
		return FieldErrorf("senders", "%d senders; at most %d", len(c.Senders), MaxChannelSenders)
	}
	seen := map[string]bool{}
	defaults := 0
	for i, s := range c.Senders {
		field := fmt.Sprintf("senders[%d]", i)
		if err := c.validSenderID(field+".id", s.ID); err != nil {
			return err
		}
		if s.Default {
			if defaults++; defaults > 1 {
				return FieldErrorf(field+".default", "only one sender may be the default")
			}
		}
		switch {
		case s.OutboundNumber == "" && !s.Default:
			return FieldErrorf(field+".outboundNumber", "outboundNumber is required unless the sender is the default")
		case s.OutboundNumber == "":
		case !e164Number.MatchString(s.OutboundNumber):
			return FieldErrorf(field+".outboundNumber", "outboundNumber %q is not an E.164 phone number", s.OutboundNumber)
		case seen[s.OutboundNumber]:
			return FieldErrorf(field+".outboundNumber", "outboundNumber %s is mapped twice", s.OutboundNumber)
		}
		seen[s.OutboundNumber] = true
	}
	if len(c.Senders) > 0 {
		return nil
	}
	switch {
	case c.Provider == ProviderTwilio && c.Twilio.MessagingServiceSID == "":
		return FieldErrorf("senders", "Twilio needs at least one sender, or twilio.messagingServiceSid")
	case c.Provider == ProviderCM || c.Provider == ProviderWhatsApp:
		return FieldErrorf("senders", "%s needs at least one sender", c.Provider)
	}
	return nil
}

// validSenderID checks a sender id against what the provider sends from.
func (c ChannelConfig) validSenderID(field, id string) error {
	if id == "" {
		return FieldErrorf(field, "id is required")
	}
	ok := true
	what := ""
	switch c.Provider {
	case ProviderTwilio:
		ok = e164Number.MatchString(id) || twilioServiceSID.MatchString(id) || alphaSender.MatchString(id) && strings.ContainsFunc(id, unicode.IsLetter)
		what = "an E.164 number, a Messaging Service SID or an alphanumeric sender id of up to 11 characters"
	case ProviderCM:
		ok = e164Number.MatchString(id) || shortCode.MatchString(id) || alphaSender.MatchString(id) && strings.ContainsFunc(id, unicode.IsLetter)
		what = "an E.164 number, a number of up to 16 digits or an alphanumeric sender name of up to 11 characters"
	case ProviderWhatsApp:
		ok = waPhoneNumberID.MatchString(id)
		what = "a WhatsApp phone-number id (digits)"
	default:
		ok = len(id) <= 256 && !strings.ContainsFunc(id, unicode.IsControl)
		what = "at most 256 printable characters"
	}
	if !ok {
		return FieldErrorf(field, "id %q is not %s", id, what)
	}
	return nil
}

// SenderFor returns the provider's sender for a campaign's outbound
// number: the sender mapped to it, else the default sender, else Twilio's
// Messaging Service; the sandbox and FCM, which need no sender, pass the
// number through. ok is false when none applies.
func (c ChannelConfig) SenderFor(outbound string) (id string, ok bool) {
	def := ""
	for _, s := range c.Senders {
		if s.OutboundNumber != "" && s.OutboundNumber == outbound {
			return s.ID, true
		}
		if s.Default {
			def = s.ID
		}
	}
	switch {
	case def != "":
		return def, true
	case c.Provider == ProviderTwilio && c.Twilio != nil && c.Twilio.MessagingServiceSID != "":
		return c.Twilio.MessagingServiceSID, true
	case c.Provider == ProviderSandbox || c.Provider == ProviderFCM:
		return outbound, true
	}
	return "", false
}

// KeepSecrets returns c with each secret that is the redacted form of the
// same secret in saved replaced by the saved one, so a client may send back
// a configuration it read with only the other fields changed. Secrets are
// kept only for the same provider and API host: a caller who cannot read a
// secret must not be able to send it somewhere else.
func (c ChannelConfig) KeepSecrets(saved ChannelConfig) ChannelConfig {
	if c.Provider != saved.Provider || c.BaseURL != saved.BaseURL {
		return c
	}
	keep := func(s *Secret, old Secret) {
		if old != "" && *s == Secret(old.Redacted()) {
			*s = old
		}
	}
	if c.Twilio != nil && saved.Twilio != nil {
		t := *c.Twilio
		keep(&t.AuthToken, saved.Twilio.AuthToken)
		keep(&t.APIKeySecret, saved.Twilio.APIKeySecret)
		c.Twilio = &t
	}
	if c.WhatsApp != nil && saved.WhatsApp != nil {
		w := *c.WhatsApp
		keep(&w.AccessToken, saved.WhatsApp.AccessToken)
		keep(&w.AppSecret, saved.WhatsApp.AppSecret)
		keep(&w.VerifyToken, saved.WhatsApp.VerifyToken)
		c.WhatsApp = &w
	}
	if c.CM != nil && saved.CM != nil {
		m := *c.CM
		keep(&m.ProductToken, saved.CM.ProductToken)
		keep(&m.WebhookToken, saved.CM.WebhookToken)
		c.CM = &m
	}
	if c.FCM != nil && saved.FCM != nil {
		f := *c.FCM
		if saved.FCM.ServiceAccountJSON != "" && f.ServiceAccountJSON == secretMask {
			f.ServiceAccountJSON = saved.FCM.ServiceAccountJSON // masked whole by MarshalJSON
		}
		c.FCM = &f
	}
	return c
}

// String describes the configuration without its secrets.
func (c ChannelConfig) String() string {
	return fmt.Sprintf("channel %s of account %s: provider %s, %d senders, version %d", c.Channel, c.AccountID, c.Provider, len(c.Senders), c.Version)
}

// LogValue makes log/slog record the configuration without its secrets.
func (c ChannelConfig) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.String("account", c.AccountID), slog.String("channel", string(c.Channel)),
		slog.String("provider", string(c.Provider)), slog.Int("senders", len(c.Senders)),
		slog.Int("version", c.Version), slog.Time("updatedAt", c.UpdatedAt),
	}
	if c.BaseURL != "" {
		attrs = append(attrs, slog.String("baseUrl", c.BaseURL))
	}
	return slog.GroupValue(attrs...)
}

// storedChannelConfig is ChannelConfig as a store keeps it, never the API's
// encoding: the credentials sealed whole in Sealed. Items written before
// credentials were sealed hold them in clear in the embedded
// storedCredentials, which are empty in every item written since.
type storedChannelConfig struct {
	AccountID string          `json:"accountId"`
	Channel   Channel         `json:"channel"`
	Provider  Provider        `json:"provider"`
	BaseURL   string          `json:"baseUrl,omitempty"`
	Senders   []ChannelSender `json:"senders,omitempty"`
	storedCredentials
	Sealed    []byte    `json:"sealed,omitempty"`
	Version   int       `json:"version"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// storedCredentials are a config's credential blocks with their secrets in
// clear: what is sealed.
type storedCredentials struct {
	Twilio   *storedTwilio   `json:"twilio,omitempty"`
	WhatsApp *storedWhatsApp `json:"whatsapp,omitempty"`
	CM       *storedCM       `json:"cm,omitempty"`
	FCM      *storedFCM      `json:"fcm,omitempty"`
}

func (s storedCredentials) empty() bool {
	return s.Twilio == nil && s.WhatsApp == nil && s.CM == nil && s.FCM == nil
}

type storedTwilio struct {
	AccountSID          string `json:"accountSid"`
	AuthToken           string `json:"authToken,omitempty"`
	APIKeySID           string `json:"apiKeySid,omitempty"`
	APIKeySecret        string `json:"apiKeySecret,omitempty"`
	MessagingServiceSID string `json:"messagingServiceSid,omitempty"`
}

type storedWhatsApp struct {
	AccessToken string `json:"accessToken"`
	AppSecret   string `json:"appSecret"`
	VerifyToken string `json:"verifyToken"`
	APIVersion  string `json:"apiVersion,omitempty"`
}

type storedCM struct {
	ProductToken string `json:"productToken"`
	WebhookToken string `json:"webhookToken,omitempty"`
}

type storedFCM struct {
	ServiceAccountJSON string `json:"serviceAccountJson"`
}

// channelAAD names a channel's credentials for the Sealer.
func channelAAD(accountID string, channel Channel) []byte {
	return SecretAAD(accountID, sealedChannelPrefix+string(channel))
}

// EncodeChannelConfig encodes c for a store, its credentials sealed by s
// and bound to c's account and channel (a config without credentials, the
// sandbox's, seals nothing). Only store adapters call it.
func EncodeChannelConfig(ctx context.Context, s Sealer, c ChannelConfig) ([]byte, error) {
	out := storedChannelConfig{
		AccountID: c.AccountID, Channel: c.Channel, Provider: c.Provider, BaseURL: c.BaseURL,
		Senders: c.Senders, Version: c.Version, UpdatedAt: c.UpdatedAt,
	}
	var creds storedCredentials
	if t := c.Twilio; t != nil {
		creds.Twilio = &storedTwilio{AccountSID: t.AccountSID, AuthToken: t.AuthToken.Reveal(), APIKeySID: t.APIKeySID,
			APIKeySecret: t.APIKeySecret.Reveal(), MessagingServiceSID: t.MessagingServiceSID}
	}
	if w := c.WhatsApp; w != nil {
		creds.WhatsApp = &storedWhatsApp{AccessToken: w.AccessToken.Reveal(), AppSecret: w.AppSecret.Reveal(),
			VerifyToken: w.VerifyToken.Reveal(), APIVersion: w.APIVersion}
	}
	if m := c.CM; m != nil {
		creds.CM = &storedCM{ProductToken: m.ProductToken.Reveal(), WebhookToken: m.WebhookToken.Reveal()}
	}
	if f := c.FCM; f != nil {
		creds.FCM = &storedFCM{ServiceAccountJSON: f.ServiceAccountJSON.Reveal()}
	}
	if !creds.empty() {
		plain, err := json.Marshal(creds)
		if err != nil {
			return nil, fmt.Errorf("encode the credentials of channel %s of %s: %w", c.Channel, c.AccountID, err)
		}
		if out.Sealed, err = seal(ctx, s, plain, channelAAD(c.AccountID, c.Channel)); err != nil {
			return nil, fmt.Errorf("seal the credentials of channel %s of %s: %w", c.Channel, c.AccountID, err)
		}
	}
	data, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("encode channel config %s of %s: %w", c.Channel, c.AccountID, err)
	}
	return data, nil
}

// DecodeChannelConfig decodes what EncodeChannelConfig encoded for the item
// a store keyed by accountID and channel (the key, not what the item says,
// binds the sealed credentials, and an item that names another account or
// channel is refused). inClear reports an item written before credentials
// were sealed, which decodes as it is and which the store should write
// again sealed.
func DecodeChannelConfig(ctx context.Context, s Sealer, accountID string, channel Channel, data []byte) (c ChannelConfig, inClear bool, err error) {
	var in storedChannelConfig
	if err := json.Unmarshal(data, &in); err != nil {
		return ChannelConfig{}, false, fmt.Errorf("decode channel config: %w", err)
	}
	if in.AccountID != accountID || in.Channel != channel {
		return ChannelConfig{}, false, fmt.Errorf("decode channel config %s of %s: the item names channel %s of %s", channel, accountID, in.Channel, in.AccountID)
	}
	creds := in.storedCredentials
	inClear = !creds.empty()
	if len(in.Sealed) > 0 {
		if inClear {
			return ChannelConfig{}, false, fmt.Errorf("decode channel config %s of %s: credentials both sealed and in clear", channel, accountID)
		}
		plain, err := open(ctx, s, in.Sealed, channelAAD(accountID, channel))
		if err != nil {
			return ChannelConfig{}, false, fmt.Errorf("open the credentials of channel %s of %s: %w", channel, accountID, err)
		}
		if err := json.Unmarshal(plain, &creds); err != nil {
			return ChannelConfig{}, false, fmt.Errorf("decode the credentials of channel %s of %s: %w", channel, accountID, err)
		}
	}
	c = ChannelConfig{
		AccountID: in.AccountID, Channel: in.Channel, Provider: in.Provider, BaseURL: in.BaseURL,
		Senders: in.Senders, Version: in.Version, UpdatedAt: in.UpdatedAt,
	}
	if t := creds.Twilio; t != nil {
		c.Twilio = &TwilioCredentials{AccountSID: t.AccountSID, AuthToken: Secret(t.AuthToken), APIKeySID: t.APIKeySID,
			APIKeySecret: Secret(t.APIKeySecret), MessagingServiceSID: t.MessagingServiceSID}
	}
	if w := creds.WhatsApp; w != nil {
		c.WhatsApp = &WhatsAppCredentials{AccessToken: Secret(w.AccessToken), AppSecret: Secret(w.AppSecret),
			VerifyToken: Secret(w.VerifyToken), APIVersion: w.APIVersion}
	}
	if m := creds.CM; m != nil {
		c.CM = &CMCredentials{ProductToken: Secret(m.ProductToken), WebhookToken: Secret(m.WebhookToken)}
	}
	if f := creds.FCM; f != nil {
		c.FCM = &FCMCredentials{ServiceAccountJSON: Secret(f.ServiceAccountJSON)}
	}
	return c, inClear, nil
}
