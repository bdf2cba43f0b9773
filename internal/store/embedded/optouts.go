package embedded

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

var (
	_ store.OptOuts = (*Store)(nil)
	_ store.Seen    = (*Store)(nil)
)

// Buckets of the opt-out list and the seen marks. They are created by the
// first write that needs them; a read finds a missing bucket empty.
var (
	bucketOptOuts    = []byte("optouts")     // account \x00 phone \x00 channel → entry
	bucketSeen       = []byte("seen")        // scope \x00 id → expiry (8 bytes, big endian ns)
	bucketSeenExpiry = []byte("seen_expiry") // expiry (8 bytes) + scope \x00 id → nil, to prune
)

// seenPrune bounds how many expired marks one MarkSeen deletes.
const seenPrune = 64

func optOutPrefix(accountID string) []byte { return []byte(accountID + "\x00") }

func optOutKey(accountID, phone string, channel parley.Channel) []byte {
	return []byte(accountID + "\x00" + phone + "\x00" + string(channel))
}

// PutOptOut implements store.OptOuts.
func (s *Store) PutOptOut(ctx context.Context, e parley.OptOut) (bool, error) {
	created := false
	err := s.db.Batch(func(tx *bolt.Tx) error {
		created = false
		b, err := tx.CreateBucketIfNotExists(bucketOptOuts)
		if err != nil {
			return err
		}
		key := optOutKey(e.AccountID, e.Phone, e.Channel)
		if b.Get(key) != nil {
			return nil
		}
		created = true
		return put(b, key, e)
	})
	return created, err
}

// DeleteOptOut implements store.OptOuts.
func (s *Store) DeleteOptOut(ctx context.Context, accountID string, channel parley.Channel, phone string) (bool, error) {
	removed := false
	err := s.db.Batch(func(tx *bolt.Tx) error {
		removed = false
		b := tx.Bucket(bucketOptOuts)
		key := optOutKey(accountID, phone, channel)
		if b == nil || b.Get(key) == nil {
			return nil
		}
		removed = true
		return b.Delete(key)
	})
	return removed, err
}

// PhoneOptOuts implements store.OptOuts.
func (s *Store) PhoneOptOuts(ctx context.Context, accountID, phone string) ([]parley.OptOut, error) {
	return s.scanOptOuts([]byte(accountID+"\x00"+phone+"\x00"), nil, 0)
}

// OptOuts implements store.OptOuts.
func (s *Store) OptOuts(ctx context.Context, accountID, afterPhone string, afterChannel parley.Channel, limit int) ([]parley.OptOut, error) {
	var after []byte
	if afterPhone != "" {
		after = optOutKey(accountID, afterPhone, afterChannel)
	}
	return s.scanOptOuts(optOutPrefix(accountID), after, min(max(limit, 1), store.MaxPage))
}

// scanOptOuts lists the entries whose keys start with prefix and sort after
// after (from the first when nil), at most limit when limit > 0.
func (s *Store) scanOptOuts(prefix, after []byte, limit int) ([]parley.OptOut, error) {
	out := []parley.OptOut{}
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketOptOuts)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		k, v := c.Seek(prefix)
		if after != nil {
			if k, v = c.Seek(after); bytes.Equal(k, after) {
				k, v = c.Next()
			}
		}
		for ; k != nil && bytes.HasPrefix(k, prefix) && (limit <= 0 || len(out) < limit); k, v = c.Next() {
			var e parley.OptOut
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("decode opt-out %q: %w", k, err)
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

func seenKey(scope, id string) []byte { return []byte(scope + "\x00" + id) }

// MarkSeen implements store.Seen. Each call also deletes a few expired
// marks, so the bucket does not grow without bound.
func (s *Store) MarkSeen(ctx context.Context, scope, id string, now time.Time, ttl time.Duration) (bool, error) {
	first := false
	err := s.db.Batch(func(tx *bolt.Tx) error {
		first = false
		b, err := tx.CreateBucketIfNotExists(bucketSeen)
		if err != nil {
			return err
		}
		exp, err := tx.CreateBucketIfNotExists(bucketSeenExpiry)
		if err != nil {
			return err
		}
		if err := pruneExpired(b, exp, now, seenPrune); err != nil {
			return err
		}
		key := seenKey(scope, id)
		if old := b.Get(key); len(old) == 8 {
			if int64(binary.BigEndian.Uint64(old)) >= now.UnixNano() {
				return nil
			}
			if err := exp.Delete(append(bytes.Clone(old), key...)); err != nil {
				return err
			}
		}
		first = true
		until := binary.BigEndian.AppendUint64(nil, uint64(now.Add(ttl).UnixNano()))
		if err := b.Put(key, until); err != nil {
			return err
		}
		return exp.Put(append(until, key...), nil)
	})
	return first, err
}

// pruneExpired deletes up to max entries of items that expired before
// now, by the expiry index exp: keys of 8 big-endian bytes of the expiry
// (unix nanoseconds) followed by the item's key.
func pruneExpired(items, exp *bolt.Bucket, now time.Time, max int) error {
	bound := binary.BigEndian.AppendUint64(nil, uint64(now.UnixNano()))
	var stale [][]byte
	c := exp.Cursor()
	for k, _ := c.First(); k != nil && len(stale) < max && bytes.Compare(k[:8], bound) < 0; k, _ = c.Next() {
		stale = append(stale, bytes.Clone(k))
	}
	for _, k := range stale {
		if err := exp.Delete(k); err != nil {
			return err
		}
		if err := items.Delete(k[8:]); err != nil {
			return err
		}
	}
	return nil
}

// ForgetSeen implements store.Seen.
func (s *Store) ForgetSeen(ctx context.Context, scope, id string) error {
	return s.db.Batch(func(tx *bolt.Tx) error {
		b, exp := tx.Bucket(bucketSeen), tx.Bucket(bucketSeenExpiry)
		if b == nil || exp == nil {
			return nil
		}
		key := seenKey(scope, id)
		old := b.Get(key)
		if old == nil {
			return nil
		}
		if err := exp.Delete(append(bytes.Clone(old), key...)); err != nil {
			return err
		}
		return b.Delete(key)
	})
}
