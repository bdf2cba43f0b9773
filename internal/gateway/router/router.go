// Package router is the channel gateway the dispatcher sends through: per
// message it reads the account's configuration of the message's channel,
// builds (once per configuration version) the client of the configured
// provider through the provider's package (package providers lists them:
// Twilio, CM.com, the WhatsApp Cloud API, FCM, the sandbox), maps the
// campaign's outbound number to the provider's sender, and hands the
// message over. A channel the account has
// not configured goes to a default gateway (the sandbox in parley serve), or
// is refused as a configuration failure when there is none.
//
// It also answers the dispatcher's reconciliation question — did the
// provider take this recipient's message? — through the provider's own
// lookup where there is one (Twilio, the sandbox); elsewhere it says it
// cannot tell (gateway.ErrNoLookup).
package router

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/parleyhq/parley/internal/egress"
	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/gateway/providers"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Provider is the name the router reports in its own *parley.SendError
// values (a provider's refusals keep the provider's name).
const Provider = "parley"

// Codes of the router's own refusals. All are parley.FailConfig: nothing
// sends until an operator configures the channel.
const (
	// CodeNotConfigured: the account has not configured the channel and
	// there is no default gateway.
	CodeNotConfigured = "CHANNEL_NOT_CONFIGURED"
	// CodeNoSender: no sender of the channel's configuration serves the
	// campaign's outbound number.
	CodeNoSender = "SENDER_NOT_CONFIGURED"
	// CodeUnusable: the configuration cannot be turned into a client (a key
	// that does not parse, a provider this process does not offer).
	CodeUnusable = "CHANNEL_CONFIG_UNUSABLE"
)

// DefaultTimeout bounds each provider request of a Router without HTTP.
const DefaultTimeout = 30 * time.Second

// defaultHTTP is the client of a Router without HTTP.
var defaultHTTP = egress.Policy{}.Client(DefaultTimeout)

// CodeConfigUnavailable is the transient refusal of a message whose
// channel configuration could not be read.
const CodeConfigUnavailable = "CHANNEL_CONFIG_UNAVAILABLE"

// Configs is where the router reads the accounts' channel configurations;
// ENOTFOUND means the account has not configured the channel.
type Configs interface {
	ChannelConfig(ctx context.Context, accountID string, channel parley.Channel) (parley.ChannelConfig, error)
}

// Finder is a gateway that can tell whether it took a recipient's message
// (the sandbox does).
type Finder = gateway.Finder

var (
	_ gateway.Sender = (*Router)(nil)
	_ Finder         = (*Router)(nil)
)

// Router sends each message through its account's provider for the
// message's channel. Set the fields before the first Send; it is safe for
// concurrent use after that.
type Router struct {
	// Configs holds the channel configurations.
	Configs Configs
	// Default sends the messages of channels an account has not
	// configured; when nil they are refused with a FailConfig
	// *parley.SendError (CodeNotConfigured).
	Default gateway.Sender
	// Sandbox sends for channels configured with provider sandbox; when
	// nil they are refused (CodeUnusable).
	Sandbox gateway.Sender
	// Devices holds the consumers' push tokens, for provider fcm; when nil
	// in-app messages configured with fcm are refused (CodeUnusable).
	Devices store.Devices
	// PushTitle is the title of in-app push notifications; none when empty.
	PushTitle string
	// PublicURL is the base URL providers reach Parley's webhooks at
	// (PARLEY_PUBLIC_URL, such as https://api.example.com). Twilio messages
	// to a recipient then ask for status callbacks at
	// <PublicURL>/webhooks/twilio/<account>, carrying the recipient's
	// reference; when empty they ask for none.
	PublicURL string
	// HTTP carries every provider request, FCM's token exchange included:
	// the hosts are the accounts' own (baseUrl, token_uri), so it must be
	// an egress client (package egress), which connects to public
	// addresses only and follows no redirects. Nil means one with
	// DefaultTimeout that admits public addresses only.
	HTTP *http.Client
	// Clock times configuration refreshes and the adapters' token and
	// Retry-After handling; nil means the system clock.
	Clock parley.Clock
	// Log records which configuration each client was built from (never
	// its secrets); nil logs nothing.
	Log *slog.Logger
	// Refresh is how long a configuration read (or its absence) is trusted
	// before it is read again; zero reads it for every message, so a saved
	// change applies to the next message.
	Refresh time.Duration

	mu      sync.Mutex
	configs map[key]readConfig
	clients map[key]*client
}

// New returns a router reading configurations from configs and sending
// unconfigured channels through fallback (nil: refuse them).
func New(configs Configs, fallback gateway.Sender) *Router {
	return &Router{Configs: configs, Default: fallback}
}

// key names one channel of one account.
type key struct {
	account string
	channel parley.Channel
}

// readConfig is a configuration as read at a time; cfg is nil when the
// channel is not configured.
type readConfig struct {
	cfg *parley.ChannelConfig
	at  time.Time
}

// client is the provider client built from one version of a channel's
// configuration.
type client struct {
	cfg      parley.ChannelConfig
	provider gateway.Provider
	gateway.Client
}

// current reports whether c was built from cfg's version.
func (c *client) current(cfg parley.ChannelConfig) bool {
	return c.cfg.Version == cfg.Version && c.cfg.UpdatedAt.Equal(cfg.UpdatedAt)
}

// Send hands m to the provider the account configured for m.Channel, with
// m.From mapped to the provider's sender, or to the default gateway when
// the channel is not configured. Failures are *parley.SendError (possibly
// wrapped with their cause).
func (r *Router) Send(ctx context.Context, m parley.Message) (string, error) {
	c, err := r.route(ctx, m.AccountID, m.Channel)
	if err != nil {
		return "", err
	}
	if c == nil {
		if r.Default == nil {
			return "", configError(CodeNotConfigured, fmt.Sprintf("channel %s not configured for account %s", m.Channel, m.AccountID))
		}
		return r.Default.Send(ctx, m)
	}
	from, ok := gateway.SenderFor(c.provider, c.cfg, m.From)
	if !ok {
		return "", configError(CodeNoSender, fmt.Sprintf("outbound number %s is not a sender of channel %s for account %s (provider %s)",
			m.From, m.Channel, m.AccountID, c.cfg.Provider))
	}
	m.From = from
	return c.Sender.Send(ctx, m)
}

// Find tells whether the provider took r's message, sent from the
// campaign's outbound number at or after since: its id and true if so.
// When the provider cannot be asked, or cannot answer for certain (the
// channel's configuration changed after since; several messages to the
// consumer, none with r's text), the error wraps gateway.ErrNoLookup and
// the outcome is unknown.
func (r *Router) Find(ctx context.Context, rec parley.Recipient, from string, since time.Time) (string, bool, error) {
	c, err := r.route(ctx, rec.AccountID, rec.Channel)
	if err != nil {
		return "", false, err
	}
	if c == nil {
		if f, ok := r.Default.(Finder); ok {
			return f.Find(ctx, rec, from, since)
		}
		return "", false, fmt.Errorf("%w: channel %s of account %s is not configured", gateway.ErrNoLookup, rec.Channel, rec.AccountID)
	}
	if c.cfg.UpdatedAt.After(since) {
		return "", false, fmt.Errorf("%w: channel %s of account %s was reconfigured after the send", gateway.ErrNoLookup, rec.Channel, rec.AccountID)
	}
	if c.Find == nil {
		return "", false, fmt.Errorf("%w: provider %s cannot look messages up", gateway.ErrNoLookup, c.cfg.Provider)
	}
	sender, ok := gateway.SenderFor(c.provider, c.cfg, from)
	if !ok {
		return "", false, fmt.Errorf("%w: outbound number %s is not a sender of channel %s for account %s", gateway.ErrNoLookup, from, rec.Channel, rec.AccountID)
	}
	return c.Find(ctx, rec, sender, since)
}

// Templates is the template submitter of the account's WhatsApp channel,
// whose sending number outboundNumber must be: the configured provider's
// (its access token submits), or the default gateway's when the channel
// is not configured. Refusals are *parley.Error naming outboundNumber.
func (r *Router) Templates(ctx context.Context, accountID, outboundNumber string) (gateway.TemplateSubmitter, error) {
	c, err := r.route(ctx, accountID, parley.ChannelWhatsApp)
	if err != nil {
		var se *parley.SendError
		if errors.As(err, &se) && se.Kind == parley.FailTransient {
			return nil, parley.Wrap(parley.EUNAVAILABLE, err, "the whatsapp channel of account %s could not be read", accountID)
		}
		return nil, &parley.Error{Code: parley.EUNPROCESSABLE, Field: "outboundNumber", Message: fmt.Sprint(err), Err: err}
	}
	if c == nil {
		if ts, ok := r.Default.(gateway.TemplateSubmitter); ok {
			return ts, nil
		}
		return nil, &parley.Error{Code: parley.EUNPROCESSABLE, Field: "outboundNumber",
			Message: fmt.Sprintf("account %s has no whatsapp channel configured to submit templates through", accountID)}
	}
	if _, ok := gateway.SenderFor(c.provider, c.cfg, outboundNumber); !ok {
		return nil, parley.FieldErrorf("outboundNumber", "outbound number %s is not a sender of account %s's whatsapp channel (provider %s)",
			outboundNumber, accountID, c.cfg.Provider)
	}
	if c.Templates == nil {
		return nil, &parley.Error{Code: parley.EUNPROCESSABLE, Field: "outboundNumber",
			Message: fmt.Sprintf("provider %s of account %s's whatsapp channel does not take templates", c.cfg.Provider, accountID)}
	}
	return c.Templates, nil
}

// route returns the client of the account's channel, nil when the channel
// is not configured.
func (r *Router) route(ctx context.Context, accountID string, channel parley.Channel) (*client, error) {
	k := key{account: accountID, channel: channel}
	cfg, err := r.config(ctx, k)
	if err != nil || cfg == nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if c := r.clients[k]; c != nil && c.current(*cfg) {
		return c, nil
	}
	c, err := r.build(*cfg)
	if err != nil {
		return nil, err
	}
	if r.clients == nil {
		r.clients = map[key]*client{}
	}
	r.clients[k] = c
	r.logger().InfoContext(ctx, "channel gateway ready", "config", *cfg)
	return c, nil
}

// config reads the channel's configuration, or reuses a read younger than
// Refresh. It is nil when the channel is not configured.
func (r *Router) config(ctx context.Context, k key) (*parley.ChannelConfig, error) {
	now := r.clock().Now()
	if r.Refresh > 0 {
		r.mu.Lock()
		read, ok := r.configs[k]
		r.mu.Unlock()
		if ok && now.Sub(read.at) < r.Refresh {
			return read.cfg, nil
		}
	}
	var cfg *parley.ChannelConfig
	c, err := r.Configs.ChannelConfig(ctx, k.account, k.channel)
	switch parley.ErrorCode(err) {
	case "":
		cfg = &c
	case parley.ENOTFOUND:
	default:
		se := &parley.SendError{Provider: Provider, Code: CodeConfigUnavailable, Kind: parley.FailTransient,
			Reason: fmt.Sprintf("channel %s configuration of account %s could not be read", k.channel, k.account)}
		return nil, fmt.Errorf("%w: %w", se, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if cfg == nil {
		delete(r.clients, k)
	}
	if r.Refresh > 0 {
		if r.configs == nil {
			r.configs = map[key]readConfig{}
		}
		r.configs[k] = readConfig{cfg: cfg, at: now}
	}
	return cfg, nil
}

// httpClient is the client provider requests go through.
func (r *Router) httpClient() *http.Client {
	if r.HTTP == nil {
		return defaultHTTP
	}
	return r.HTTP
}

// build makes the provider client of cfg through its provider, every one
// sending through httpClient.
func (r *Router) build(cfg parley.ChannelConfig) (*client, error) {
	p, ok := providers.Lookup(cfg.Provider)
	if !ok {
		return nil, unusable(cfg, fmt.Sprintf("unknown provider %q", cfg.Provider))
	}
	c, err := p.New(cfg, gateway.Deps{HTTP: r.httpClient(), Clock: r.Clock, PublicURL: r.PublicURL,
		Devices: r.Devices, PushTitle: r.PushTitle, Sandbox: r.Sandbox})
	if err != nil {
		return nil, unusable(cfg, err.Error())
	}
	return &client{cfg: cfg, provider: p, Client: c}, nil
}

// configError is the router's own refusal of a message.
func configError(code, reason string) *parley.SendError {
	return &parley.SendError{Provider: Provider, Code: code, Kind: parley.FailConfig, Reason: reason}
}

func unusable(cfg parley.ChannelConfig, why string) error {
	return configError(CodeUnusable, fmt.Sprintf("channel %s of account %s (provider %s, version %d): %s",
		cfg.Channel, cfg.AccountID, cfg.Provider, cfg.Version, why))
}

func (r *Router) clock() parley.Clock {
	if r.Clock == nil {
		return parley.SystemClock{}
	}
	return r.Clock
}

var discard = slog.New(slog.DiscardHandler)

func (r *Router) logger() *slog.Logger {
	if r.Log == nil {
		return discard
	}
	return r.Log
}
