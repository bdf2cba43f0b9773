package parley

import (
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

// Provider names the gateway a channel of an account sends through; each
// provider package (internal/gateway/...) defines its own name.
type Provider string

// ConfigurableChannel reports whether ch is a channel that takes a
// ChannelConfig (sms, whatsapp, inapp).
func ConfigurableChannel(ch Channel) bool {
	return ch == ChannelSMS || ch == ChannelWhatsApp || ch == ChannelInApp
}

// Secret is a credential: a token, a key or a password. It never prints,
// logs or encodes as JSON in clear: String, GoString, Format, LogValue and
// MarshalJSON all give its redacted form (see Redacted). Reveal returns the
// secret itself, for the request that needs it and for the store.
// UnmarshalJSON takes the secret in clear, as a JSON string.
type Secret string

// secretMask stands for the hidden part of a secret.
const secretMask = SecretMask

// SecretMask stands for the hidden part of a secret, or for a secret
// masked whole.
const SecretMask = "••••"

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
func (s Secret) Format(f fmt.State, verb rune) { FormatMasked(f, verb, s.Redacted(), s.GoString()) }

// FormatMasked is the Format of a value whose secrets never print: %#v
// writes goString, every other verb masked.
func FormatMasked(f fmt.State, verb rune, masked, goString string) {
	if verb == 'v' && f.Flag('#') {
		masked = goString
	}
	_, _ = io.WriteString(f, masked)
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
// Its credentials are opaque Credentials, so a ChannelConfig printed,
// logged or encoded as JSON never shows them; the API answers with the
// provider's redacted block, and the store keeps them sealed.
type ChannelConfig struct {
	AccountID string   `json:"accountId"`
	Channel   Channel  `json:"channel"`
	Provider  Provider `json:"provider"`
	// BaseURL replaces the provider's API host when set: https to a public
	// host (or http to a loopback one, where egress allows loopback).
	BaseURL string          `json:"baseUrl,omitempty"`
	Senders []ChannelSender `json:"senders,omitempty"`
	// Credentials are Provider's credentials (those of any other provider
	// are refused); the sandbox takes none. Only the provider's package
	// reads them.
	Credentials Credentials `json:"-"`
	// Version counts the saves of the config, from 1; UpdatedAt is the
	// last. A gateway built from a config is rebuilt when either changes.
	Version   int       `json:"version"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// MaxChannelSenders bounds the senders of one channel.
const MaxChannelSenders = 100

// MaxSecret bounds the size of a secret.
const MaxSecret = 4096

var (
	e164Number  = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	alphaSender = regexp.MustCompile(`^[A-Za-z0-9 ]{1,11}$`)
)

// IsE164 reports whether s is an E.164 phone number.
func IsE164(s string) bool { return e164Number.MatchString(s) }

// IsAlphaSender reports whether s is an alphanumeric sender id: up to 11
// letters, digits or spaces, at least one a letter.
func IsAlphaSender(s string) bool {
	return alphaSender.MatchString(s) && strings.ContainsFunc(s, unicode.IsLetter)
}

// AnySenderID is the sender id check of providers that take the number
// itself or any printable id.
func AnySenderID(id string) (ok bool, what string) {
	return len(id) <= 256 && !strings.ContainsFunc(id, unicode.IsControl), "at most 256 printable characters"
}

// ValidateCommon checks what every configuration must be, whatever its
// provider: an account, a configurable channel and a reachable BaseURL (p
// is the egress policy it will be reached with). Errors are EINVALID and
// name the offending field as a JSON path of the API's body.
func (c ChannelConfig) ValidateCommon(p egress.Policy) error {
	if strings.TrimSpace(c.AccountID) == "" {
		return FieldErrorf("accountId", "accountId is required")
	}
	if !ConfigurableChannel(c.Channel) {
		return FieldErrorf("channel", "channel %q is not one of sms, whatsapp, inapp", c.Channel)
	}
	return ValidBaseURL(c.BaseURL, p)
}

// ValidBaseURL accepts an absolute URL without user info, query or
// fragment that egress policy p can reach (see reachableURL): credentials
// never travel in clear over a network, nor to an internal address.
func ValidBaseURL(raw string, p egress.Policy) error {
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

// CheckSecret checks one secret given in field: required or not, no
// redacted form, no surrounding spaces, no control characters, at most
// limit bytes. Messages never quote it.
func CheckSecret(field string, s Secret, required bool, limit int) error {
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

// KeepSecret replaces *s by old when *s is old's redacted form.
func KeepSecret(s *Secret, old Secret) {
	if old != "" && *s == Secret(old.Redacted()) {
		*s = old
	}
}

// ValidateSenders checks the senders: each with an id validID accepts
// (what describes the form it expects) and an E.164 outbound number
// (optional on the one default sender), no outbound number twice.
func (c ChannelConfig) ValidateSenders(validID func(id string) (ok bool, what string)) error {
	if len(c.Senders) > MaxChannelSenders {
		return FieldErrorf("senders", "%d senders; at most %d", len(c.Senders), MaxChannelSenders)
	}
	seen := map[string]bool{}
	defaults := 0
	for i, s := range c.Senders {
		field := fmt.Sprintf("senders[%d]", i)
		if s.ID == "" {
			return FieldErrorf(field+".id", "id is required")
		}
		if ok, what := validID(s.ID); !ok {
			return FieldErrorf(field+".id", "id %q is not %s", s.ID, what)
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
	return nil
}

// MappedSender returns the sender mapped to a campaign's outbound number,
// else the default sender; ok is false when neither is configured.
func (c ChannelConfig) MappedSender(outbound string) (id string, ok bool) {
	def := ""
	for _, s := range c.Senders {
		if s.OutboundNumber != "" && s.OutboundNumber == outbound {
			return s.ID, true
		}
		if s.Default {
			def = s.ID
		}
	}
	return def, def != ""
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
