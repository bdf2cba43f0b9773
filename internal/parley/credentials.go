package parley

import (
	"encoding/json"
	"fmt"
	"log/slog"
)

// Credentials are a channel's credentials: the credential block of the
// provider they belong to, as JSON with the secrets in clear. Only the
// provider's package reads the block (package gateway's providers); to
// every other package Credentials are opaque, and they never print, log or
// encode as JSON: String, GoString, Format, LogValue and MarshalJSON all
// give a mask. The zero value is no credentials.
type Credentials struct {
	provider Provider
	clear    []byte
}

// NewCredentials returns the credentials of provider p whose block is
// clear, JSON with the secrets in clear (copied).
func NewCredentials(p Provider, clear []byte) Credentials {
	return Credentials{provider: p, clear: append([]byte(nil), clear...)}
}

// Provider is the provider whose block the credentials are; "" for none.
func (c Credentials) Provider() Provider { return c.provider }

// IsZero reports whether there are no credentials.
func (c Credentials) IsZero() bool { return c.provider == "" && len(c.clear) == 0 }

// Reveal returns a copy of the block, its secrets in clear, for the
// provider's package and for the store.
func (c Credentials) Reveal() []byte { return append([]byte(nil), c.clear...) }

// Equal reports whether c and o are the same block of the same provider.
func (c Credentials) Equal(o Credentials) bool {
	return c.provider == o.provider && string(c.clear) == string(o.clear)
}

// masked is what Credentials print as.
func (c Credentials) masked() string {
	if c.IsZero() {
		return ""
	}
	return string(c.provider) + " credentials " + secretMask
}

// String returns a mask naming the provider.
func (c Credentials) String() string { return c.masked() }

// GoString returns the mask, quoted, for %#v.
func (c Credentials) GoString() string { return fmt.Sprintf("%q", c.masked()) }

// Format prints the mask whatever the verb, so that no verb can reach the
// secrets.
func (c Credentials) Format(f fmt.State, verb rune) { FormatMasked(f, verb, c.masked(), c.GoString()) }

// LogValue makes log/slog record the mask.
func (c Credentials) LogValue() slog.Value { return slog.StringValue(c.masked()) }

// MarshalJSON encodes the mask (null for no credentials): the API encodes
// a provider's redacted block instead, through the provider.
func (c Credentials) MarshalJSON() ([]byte, error) {
	if c.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(c.masked())
}
