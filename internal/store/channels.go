package store

import (
	"context"

	"github.com/parleyhq/parley/internal/parley"
)

// Channels keeps each account's channel configuration: per channel, the
// provider, its credentials and the senders (see parley.ChannelConfig).
//
// The credentials are stored as given, in clear, in the store's own
// encryption at rest (bbolt file permissions 0600; DynamoDB's default
// encryption): there is no separate key management. Adapters encode them
// with parley.EncodeChannelConfig and must never log what it returns.
type Channels interface {
	// PutChannelConfig saves c as the configuration of its account and
	// channel if the saved one has version c.Version-1 (no saved
	// configuration counts as version 0). Otherwise it is ECONFLICT and
	// nothing is written.
	PutChannelConfig(ctx context.Context, c parley.ChannelConfig) error
	// ChannelConfig returns an account's configuration of one channel; it
	// is ENOTFOUND when the account has not configured the channel.
	ChannelConfig(ctx context.Context, accountID string, channel parley.Channel) (parley.ChannelConfig, error)
	// ChannelConfigs lists an account's channel configurations by channel
	// name; an empty list when there are none.
	ChannelConfigs(ctx context.Context, accountID string) ([]parley.ChannelConfig, error)
}
