package embedded

import (
	"bytes"
	"context"

	bolt "go.etcd.io/bbolt"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storecodec"
)

// bucketChannels holds channel configurations: account \x00 channel →
// storecodec.EncodeChannelConfig (credentials sealed). It is created by the
// first save.
var bucketChannels = []byte("channels")

var _ store.Channels = (*Store)(nil)

func channelKey(accountID string, channel parley.Channel) []byte {
	return []byte(accountID + "\x00" + string(channel))
}

// PutChannelConfig implements store.Channels.
func (s *Store) PutChannelConfig(ctx context.Context, c parley.ChannelConfig) error {
	data, err := storecodec.EncodeChannelConfig(ctx, s.sealer, c)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketChannels)
		if err != nil {
			return err
		}
		key := channelKey(c.AccountID, c.Channel)
		version := 0
		if old := b.Get(key); old != nil {
			saved, _, err := storecodec.DecodeChannelConfig(ctx, s.sealer, c.AccountID, c.Channel, old)
			if err != nil {
				return err
			}
			version = saved.Version
		}
		if version != c.Version-1 {
			return parley.Errorf(parley.ECONFLICT, "channel %s of account %s is at version %d, not %d", c.Channel, c.AccountID, version, c.Version-1)
		}
		return b.Put(key, data)
	})
}

// ChannelConfig implements store.Channels.
func (s *Store) ChannelConfig(ctx context.Context, accountID string, channel parley.Channel) (parley.ChannelConfig, error) {
	var data []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketChannels); b != nil {
			data = bytes.Clone(b.Get(channelKey(accountID, channel)))
		}
		return nil
	})
	if err != nil {
		return parley.ChannelConfig{}, err
	}
	if data == nil {
		return parley.ChannelConfig{}, parley.Errorf(parley.ENOTFOUND, "channel %s of account %s is not configured", channel, accountID)
	}
	return s.decodeChannel(ctx, accountID, channel, data)
}

// ChannelConfigs implements store.Channels.
func (s *Store) ChannelConfigs(ctx context.Context, accountID string) ([]parley.ChannelConfig, error) {
	type record struct {
		channel parley.Channel
		data    []byte
	}
	var records []record
	prefix := []byte(accountID + "\x00")
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketChannels)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			records = append(records, record{parley.Channel(k[len(prefix):]), bytes.Clone(v)})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]parley.ChannelConfig, 0, len(records))
	for _, r := range records {
		c, err := s.decodeChannel(ctx, accountID, r.channel, r.data)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// decodeChannel decodes the record of a channel's configuration, sealing
// in place the credentials of a record written before they were sealed.
// It runs outside the read transaction, as opening may ask the Sealer.
func (s *Store) decodeChannel(ctx context.Context, accountID string, channel parley.Channel, data []byte) (parley.ChannelConfig, error) {
	c, inClear, err := storecodec.DecodeChannelConfig(ctx, s.sealer, accountID, channel, data)
	if err != nil || !inClear {
		return c, err
	}
	sealed, err := storecodec.EncodeChannelConfig(ctx, s.sealer, c)
	if err != nil {
		return parley.ChannelConfig{}, err
	}
	if err := s.sealInPlace(bucketChannels, channelKey(accountID, channel), data, sealed); err != nil {
		return parley.ChannelConfig{}, err
	}
	return c, nil
}
