package embedded

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/secret"
)

var _ store.Idempotency = (*Store)(nil)

// Idempotency records, created with the first: one bucket by account and
// key, and an index by expiry that each BeginIdempotent prunes a little of.
var (
	bucketIdempotency       = []byte("idempotency")        // account \x00 key → idempotencyRecord
	bucketIdempotencyExpiry = []byte("idempotency_expiry") // expiry (8 bytes, big endian ns) + account \x00 key → nil
)

// idempotencyPrune bounds how many expired records one BeginIdempotent
// deletes.
const idempotencyPrune = 16

// idempotencyRecord is a record as the bucket keeps it: the answer
// compressed and sealed (secret.EncodeAnswer).
type idempotencyRecord struct {
	Fingerprint string                  `json:"fingerprint"`
	State       parley.IdempotencyState `json:"state"`
	Owner       string                  `json:"owner"`
	LeaseUntil  time.Time               `json:"leaseUntil"`
	ExpiresAt   time.Time               `json:"expiresAt"`
	Status      int                     `json:"status,omitempty"`
	ContentType string                  `json:"contentType,omitempty"`
	Sealed      []byte                  `json:"sealed,omitempty"`
}

func idempotencyKey(accountID, key string) []byte { return []byte(accountID + "\x00" + key) }

func expiryKey(at time.Time, key []byte) []byte {
	return append(binary.BigEndian.AppendUint64(nil, uint64(at.UnixNano())), key...)
}

func idempotencyBuckets(tx *bolt.Tx) (records, expiry *bolt.Bucket, err error) {
	if records, err = tx.CreateBucketIfNotExists(bucketIdempotency); err != nil {
		return nil, nil, err
	}
	expiry, err = tx.CreateBucketIfNotExists(bucketIdempotencyExpiry)
	return records, expiry, err
}

func readRecord(b *bolt.Bucket, key []byte) (idempotencyRecord, bool, error) {
	data := b.Get(key)
	if data == nil {
		return idempotencyRecord{}, false, nil
	}
	var rec idempotencyRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return idempotencyRecord{}, false, fmt.Errorf("decode idempotency record %q: %w", key, err)
	}
	return rec, true, nil
}

// domain is the record of accountID and key, its answer still sealed.
func (r idempotencyRecord) domain(accountID, key string) parley.IdempotencyRecord {
	return parley.IdempotencyRecord{AccountID: accountID, Key: key, Fingerprint: r.Fingerprint, State: r.State,
		Owner: r.Owner, LeaseUntil: r.LeaseUntil, ExpiresAt: r.ExpiresAt, Status: r.Status, ContentType: r.ContentType}
}

// BeginIdempotent implements store.Idempotency.
func (s *Store) BeginIdempotent(ctx context.Context, rec parley.IdempotencyRecord, now time.Time) (parley.IdempotencyRecord, bool, error) {
	key := idempotencyKey(rec.AccountID, rec.Key)
	var existing idempotencyRecord
	reserved := false
	err := s.db.Batch(func(tx *bolt.Tx) error {
		reserved = false
		b, exp, err := idempotencyBuckets(tx)
		if err != nil {
			return err
		}
		if err := pruneExpired(b, exp, now, idempotencyPrune); err != nil {
			return err
		}
		old, found, err := readRecord(b, key)
		if err != nil {
			return err
		}
		if found && old.domain(rec.AccountID, rec.Key).Live(now) {
			existing = old
			return nil
		}
		if found {
			if err := exp.Delete(expiryKey(old.ExpiresAt, key)); err != nil {
				return err
			}
		}
		reserved = true
		next := idempotencyRecord{Fingerprint: rec.Fingerprint, State: parley.IdempotencyPending, Owner: rec.Owner,
			LeaseUntil: rec.LeaseUntil, ExpiresAt: rec.ExpiresAt}
		if err := put(b, key, next); err != nil {
			return err
		}
		return exp.Put(expiryKey(next.ExpiresAt, key), nil)
	})
	if err != nil || reserved {
		return parley.IdempotencyRecord{}, reserved, err
	}
	out := existing.domain(rec.AccountID, rec.Key)
	if existing.State == parley.IdempotencyDone {
		if out.Body, err = secret.DecodeAnswer(ctx, s.sealer, rec.AccountID, rec.Key, existing.Sealed); err != nil {
			return parley.IdempotencyRecord{}, false, err
		}
	}
	return out, false, nil
}

// FinishIdempotent implements store.Idempotency. The answer is sealed
// before the transaction, which only checks the owner and writes.
func (s *Store) FinishIdempotent(ctx context.Context, rec parley.IdempotencyRecord) error {
	sealed, err := secret.EncodeAnswer(ctx, s.sealer, rec.AccountID, rec.Key, rec.Body)
	if err != nil {
		return err
	}
	key := idempotencyKey(rec.AccountID, rec.Key)
	var outcome error
	err = s.db.Batch(func(tx *bolt.Tx) error {
		outcome = nil
		b, _, err := idempotencyBuckets(tx)
		if err != nil {
			return err
		}
		old, found, err := readRecord(b, key)
		if err != nil {
			return err
		}
		if !found || old.State != parley.IdempotencyPending || old.Owner != rec.Owner {
			outcome = parley.Errorf(parley.ECONFLICT, "the reservation of idempotency key %q is no longer held", rec.Key)
			return nil
		}
		old.State, old.Status, old.ContentType, old.Sealed = parley.IdempotencyDone, rec.Status, rec.ContentType, sealed
		return put(b, key, old)
	})
	if err != nil {
		return err
	}
	return outcome
}

// ReleaseIdempotent implements store.Idempotency.
func (s *Store) ReleaseIdempotent(ctx context.Context, accountID, key, owner string) error {
	k := idempotencyKey(accountID, key)
	return s.db.Batch(func(tx *bolt.Tx) error {
		b, exp, err := idempotencyBuckets(tx)
		if err != nil {
			return err
		}
		old, found, err := readRecord(b, k)
		if err != nil || !found || old.State != parley.IdempotencyPending || old.Owner != owner {
			return err
		}
		if err := exp.Delete(expiryKey(old.ExpiresAt, k)); err != nil {
			return err
		}
		return b.Delete(k)
	})
}
