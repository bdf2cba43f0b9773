package embedded

import (
	"context"

	bolt "go.etcd.io/bbolt"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

var (
	_ store.PushTokens = (*Store)(nil)
	_ store.Devices    = (*Store)(nil)
)

// bucketPushTokens holds account \x00 consumer \x00 token → parley.PushToken.
// It is created with its first token.
var bucketPushTokens = []byte("push_tokens")

func consumerPrefix(accountID, consumerID string) []byte {
	return []byte(accountID + "\x00" + consumerID + "\x00")
}

// PutPushToken implements store.PushTokens.
func (s *Store) PutPushToken(ctx context.Context, t parley.PushToken) error {
	return s.db.Batch(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketPushTokens)
		if err != nil {
			return err
		}
		return put(b, append(consumerPrefix(t.AccountID, t.ConsumerID), t.Token...), t)
	})
}

// PushTokens implements store.PushTokens.
func (s *Store) PushTokens(ctx context.Context, accountID, consumerID string) ([]parley.PushToken, error) {
	return listJSON[parley.PushToken](s, bucketPushTokens, consumerPrefix(accountID, consumerID), "push token")
}

// DeviceTokens implements store.Devices.
func (s *Store) DeviceTokens(ctx context.Context, accountID, consumerID string, apps []string) ([]string, error) {
	ts, err := s.PushTokens(ctx, accountID, consumerID)
	if err != nil {
		return nil, err
	}
	return parley.TokensFor(ts, apps), nil
}

// RemoveDeviceToken implements store.Devices.
func (s *Store) RemoveDeviceToken(ctx context.Context, accountID, consumerID, token string) error {
	return s.db.Batch(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketPushTokens)
		if b == nil {
			return nil
		}
		return b.Delete(append(consumerPrefix(accountID, consumerID), token...))
	})
}
