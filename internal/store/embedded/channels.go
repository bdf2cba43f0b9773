package embedded

import (
	"bytes"
	"context"

	bolt "go.etcd.io/bbolt"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// bucketChannels holds channel configurations: account \x00 channel →
// parley.EncodeChannelConfig (secrets in clear; the file is 0600). It is
// created by the first save.
var bucketChannels = []byte("channels")

var _ store.Channels = (*Store)(nil)

func channelKey(accountID string, channel parley.Channel) []byte {
	return []byte(accountID + "\x00" + string(channel))
}

// PutChannelConfig implements store.Channels.
func (s *Store) PutChannelConfig(ctx context.Context, c parley.ChannelConfig) error {
	data, err := parley.EncodeChannelConfig(c)
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
			saved, err := parley.DecodeChannelConfig(old)
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
	var c parley.ChannelConfig
	err := s.db.View(func(tx *bolt.Tx) error {
		var data []byte
		if b := tx.Bucket(bucketChannels); b != nil {
			data = b.Get(channelKey(accountID, channel))
		}
		if data == nil {
			return parley.Errorf(parley.ENOTFOUND, "channel %s of account %s is not configured", channel, accountID)
		}
		var err error
		c, err = parley.DecodeChannelConfig(data)
		return err
	})
	return c, err
}

// ChannelConfigs implements store.Channels.
func (s *Store) ChannelConfigs(ctx context.Context, accountID string) ([]parley.ChannelConfig, error) {
	out := []parley.ChannelConfig{}
	prefix := []byte(accountID + "\x00")
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketChannels)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			cfg, err := parley.DecodeChannelConfig(v)
			if err != nil {
				return err
			}
			out = append(out, cfg)
		}
		return nil
	})
	return out, err
}
