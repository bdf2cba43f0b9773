package embedded

import (
	"context"
	"encoding/binary"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/parleyhq/parley/internal/store"
)

var _ store.DailyCounts = (*Store)(nil)

// bucketDaily holds the daily recipient counts: account \x00 channel \x00
// day → count (8 bytes, big endian). Each is one small record; those of
// days past are left, a few bytes per account, channel and day.
var bucketDaily = []byte("daily_counts")

func dailyKey(k store.DailyKey) []byte {
	return []byte(k.AccountID + "\x00" + string(k.Channel) + "\x00" + k.Day)
}

func dailyCount(b *bolt.Bucket, key []byte) int {
	if b == nil {
		return 0
	}
	v := b.Get(key)
	if len(v) != 8 {
		return 0
	}
	return int(binary.BigEndian.Uint64(v))
}

// setDaily stores count under key.
func setDaily(b *bolt.Bucket, key []byte, count int) error {
	return b.Put(key, binary.BigEndian.AppendUint64(nil, uint64(count)))
}

// TakeDaily implements store.DailyCounts, in one transaction.
func (s *Store) TakeDaily(ctx context.Context, key store.DailyKey, n, limit int, expires time.Time) (int, error) {
	taken := 0
	err := s.db.Batch(func(tx *bolt.Tx) error {
		taken = 0
		b, err := tx.CreateBucketIfNotExists(bucketDaily)
		if err != nil {
			return err
		}
		k := dailyKey(key)
		current := dailyCount(b, k)
		if taken = max(0, min(n, limit-current)); taken == 0 {
			return nil
		}
		return setDaily(b, k, current+taken)
	})
	return taken, err
}

// ReturnDaily implements store.DailyCounts, in one transaction.
func (s *Store) ReturnDaily(ctx context.Context, key store.DailyKey, n int) error {
	return s.db.Batch(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketDaily)
		k := dailyKey(key)
		current := dailyCount(b, k)
		if b == nil || current == 0 || n <= 0 {
			return nil
		}
		return setDaily(b, k, max(0, current-n))
	})
}

// DailyCount implements store.DailyCounts.
func (s *Store) DailyCount(ctx context.Context, key store.DailyKey) (int, error) {
	count := 0
	err := s.db.View(func(tx *bolt.Tx) error {
		count = dailyCount(tx.Bucket(bucketDaily), dailyKey(key))
		return nil
	})
	return count, err
}
