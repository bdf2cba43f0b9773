// Package channels keeps each account's channel configuration: per channel
// (sms, whatsapp, inapp) the provider that sends, its credentials, and the
// senders a campaign's outboundNumber maps to. It checks a configuration
// before saving it and never hands its secrets out in clear: the
// configurations it returns redact them when printed, logged or encoded.
package channels

import (
	"context"
	"fmt"

	"github.com/parleyhq/parley/internal/egress"
	"github.com/parleyhq/parley/internal/gateway/providers"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/phone"
	"github.com/parleyhq/parley/internal/store"
)

// Service reads and changes channel configurations.
type Service struct {
	Store store.Channels
	Clock parley.Clock
	// Egress is the policy providers' base URLs and token URIs are reached
	// with; its zero value admits public addresses only.
	Egress egress.Policy
}

// Put replaces the configuration of c's account and channel after checking
// it, and returns it as saved (with its new version). Sender outbound
// numbers are normalised to E.164. A secret given as the redacted form of
// the saved one (what Get returned) keeps the saved secret. Nothing is
// saved when c is invalid (EINVALID naming the field) or when the
// configuration changed meanwhile (ECONFLICT).
func (s *Service) Put(ctx context.Context, c parley.ChannelConfig) (parley.ChannelConfig, error) {
	if !parley.ConfigurableChannel(c.Channel) {
		return parley.ChannelConfig{}, parley.FieldErrorf("channel", "channel %q is not one of sms, whatsapp, inapp", c.Channel)
	}
	saved, err := s.Store.ChannelConfig(ctx, c.AccountID, c.Channel)
	if err != nil && parley.ErrorCode(err) != parley.ENOTFOUND {
		return parley.ChannelConfig{}, err
	}
	c = providers.KeepSecrets(c, saved)
	c.Senders = append([]parley.ChannelSender(nil), c.Senders...)
	for i, sd := range c.Senders {
		if sd.OutboundNumber == "" {
			continue
		}
		n, ok := phone.Normalize(sd.OutboundNumber)
		if !ok {
			return parley.ChannelConfig{}, parley.FieldErrorf(fmt.Sprintf("senders[%d].outboundNumber", i),
				"outboundNumber %q is not a valid phone number with country code", sd.OutboundNumber)
		}
		c.Senders[i].OutboundNumber = n
	}
	if err := providers.Validate(c, s.Egress); err != nil {
		return parley.ChannelConfig{}, err
	}
	c.Version, c.UpdatedAt = saved.Version+1, s.Clock.Now()
	if err := s.Store.PutChannelConfig(ctx, c); err != nil {
		if parley.ErrorCode(err) == parley.ECONFLICT {
			return parley.ChannelConfig{}, parley.Wrap(parley.ECONFLICT, err, "channel %s of account %s changed meanwhile; read it again and retry", c.Channel, c.AccountID)
		}
		return parley.ChannelConfig{}, err
	}
	return c, nil
}

// Get returns an account's configuration of one channel; ENOTFOUND when the
// account has not configured it.
func (s *Service) Get(ctx context.Context, accountID string, channel parley.Channel) (parley.ChannelConfig, error) {
	if !parley.ConfigurableChannel(channel) {
		return parley.ChannelConfig{}, parley.FieldErrorf("channel", "channel %q is not one of sms, whatsapp, inapp", channel)
	}
	return s.Store.ChannelConfig(ctx, accountID, channel)
}

// List returns an account's channel configurations by channel name.
func (s *Service) List(ctx context.Context, accountID string) ([]parley.ChannelConfig, error) {
	return s.Store.ChannelConfigs(ctx, accountID)
}
