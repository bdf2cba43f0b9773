package store

import (
	"context"

	"github.com/parleyhq/parley/internal/parley"
)

// Channels keeps each account's channel configuration: per channel, the
// provider, its credentials and the senders (see parley.ChannelConfig).
//
// The credentials are stored sealed by the adapter's parley.Sealer (a KMS
// key on DynamoDB, a key file beside the bbolt file), bound to their
// account and channel: adapters encode configurations with package
// storecodec (EncodeChannelConfig, DecodeChannelConfig), and seal in
// place a record read with its credentials in clear (written before they
// were sealed). Reads return the credentials in clear.
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
