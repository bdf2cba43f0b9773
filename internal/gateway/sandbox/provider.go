package sandbox

import (
	"encoding/json"
	"errors"

	"github.com/parleyhq/parley/internal/egress"
	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/gateway/twilio"
	"github.com/parleyhq/parley/internal/parley"
)

// Provider is the sandbox, on every channel: it takes no credentials and
// sends through the process's sandbox gateway (gateway.Deps.Sandbox).
type Provider struct{}

// Name is the name of the sandbox, which records instead of sending, as channel configurations give it.
const Name parley.Provider = "sandbox"

var _ gateway.Provider = Provider{}

// Name is sandbox.
func (Provider) Name() parley.Provider { return Name }

// Channels are every configurable channel.
func (Provider) Channels() []parley.Channel {
	return []parley.Channel{parley.ChannelSMS, parley.ChannelWhatsApp, parley.ChannelInApp}
}

// DecodeCredentials ignores the block: the sandbox takes no credentials.
func (Provider) DecodeCredentials(json.RawMessage) (parley.Credentials, error) {
	return parley.Credentials{}, nil
}

// ValidateCredentials accepts none.
func (Provider) ValidateCredentials(parley.Credentials, egress.Policy) error { return nil }

// RedactCredentials is no block.
func (Provider) RedactCredentials(parley.Credentials) (json.RawMessage, error) { return nil, nil }

// KeepSecrets returns sent: the sandbox has no secrets.
func (Provider) KeepSecrets(sent, _ parley.Credentials) parley.Credentials { return sent }

// ValidSenderID takes any printable id.
func (Provider) ValidSenderID(id string) (bool, string) { return parley.AnySenderID(id) }

// NeedsSenders is nil: the sandbox needs no sender.
func (Provider) NeedsSenders(parley.ChannelConfig) error { return nil }

// DefaultSender passes the outbound number through.
func (Provider) DefaultSender(_ parley.ChannelConfig, outbound string) (string, bool) {
	return outbound, true
}

// New is the process's sandbox gateway, which looks messages up and
// reviews templates when it can.
func (Provider) New(_ parley.ChannelConfig, deps gateway.Deps) (gateway.Client, error) {
	if deps.Sandbox == nil {
		return gateway.Client{}, errors.New("this process offers no sandbox gateway")
	}
	c := gateway.Client{Sender: deps.Sandbox}
	if f, ok := deps.Sandbox.(gateway.Finder); ok {
		c.Find = f.Find
	}
	if ts, ok := deps.Sandbox.(gateway.TemplateSubmitter); ok {
		c.Templates = ts
	}
	return c, nil
}

// Status maps a status word of the sandbox, which speaks Twilio's.
func (Provider) Status(word string) (parley.RecipientStatus, bool) {
	return twilio.Provider{}.Status(word)
}
