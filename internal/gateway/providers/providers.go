// Package providers is where every provider is registered: one line per
// provider in All. Everything else about a provider is in its own package.
package providers

import (
	"strings"

	"github.com/parleyhq/parley/internal/egress"
	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/gateway/cm"
	"github.com/parleyhq/parley/internal/gateway/push"
	"github.com/parleyhq/parley/internal/gateway/sandbox"
	"github.com/parleyhq/parley/internal/gateway/twilio"
	"github.com/parleyhq/parley/internal/gateway/whatsapp"
	"github.com/parleyhq/parley/internal/parley"
)

// All are the providers a channel can be configured with, in the order
// error messages list them.
var All = []gateway.Provider{
	twilio.Provider{},
	cm.Provider{},
	whatsapp.Provider{},
	push.Provider{},
	sandbox.Provider{},
}

// Lookup returns the provider named name.
func Lookup(name parley.Provider) (gateway.Provider, bool) {
	for _, p := range All {
		if p.Name() == name {
			return p, true
		}
	}
	return nil, false
}

// Webhooks are the providers that post webhooks.
func Webhooks() []gateway.WebhookProvider {
	var ws []gateway.WebhookProvider
	for _, p := range All {
		if w, ok := p.(gateway.WebhookProvider); ok {
			ws = append(ws, w)
		}
	}
	return ws
}

// ForChannel returns the providers that can send on ch.
func ForChannel(ch parley.Channel) []gateway.Provider {
	var ps []gateway.Provider
	for _, p := range All {
		for _, c := range p.Channels() {
			if c == ch {
				ps = append(ps, p)
				break
			}
		}
	}
	return ps
}

// Validate checks a configuration before it is saved: its provider must
// send on its channel, and the provider's rules hold (gateway.Validate); p
// is the egress policy its hosts will be reached with. Errors are
// EINVALID naming the offending field as a JSON path of the API's body.
func Validate(cfg parley.ChannelConfig, p egress.Policy) error {
	if strings.TrimSpace(cfg.AccountID) == "" || !parley.ConfigurableChannel(cfg.Channel) {
		return cfg.ValidateCommon(p)
	}
	ps := ForChannel(cfg.Channel)
	for _, pr := range ps {
		if pr.Name() == cfg.Provider {
			return gateway.Validate(pr, cfg, p)
		}
	}
	names := make([]string, len(ps))
	for i, pr := range ps {
		names[i] = string(pr.Name())
	}
	return parley.FieldErrorf("provider", "provider %q cannot send on channel %s; use one of %s", cfg.Provider, cfg.Channel, strings.Join(names, ", "))
}

// KeepSecrets returns c with the secrets sent back redacted replaced by
// those of saved (gateway.KeepSecrets); c as it is for an unknown
// provider.
func KeepSecrets(c, saved parley.ChannelConfig) parley.ChannelConfig {
	p, ok := Lookup(c.Provider)
	if !ok {
		return c
	}
	return gateway.KeepSecrets(p, c, saved)
}
