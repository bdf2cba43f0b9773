package embedded

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/secret"
)

var _ store.EventSubscriptions = (*Store)(nil)

var (
	// bucketEventSubscriptions holds account \x00 id → storedEventSubscription.
	bucketEventSubscriptions = []byte("event_subscriptions")
	// bucketEventDeliveries holds account \x00 subscription \x00 at (8
	// bytes, big endian ns) + a random suffix → parley.EventDelivery, at
	// most store.MaxEventDeliveries per subscription.
	bucketEventDeliveries = []byte("event_deliveries")
)

// storedEventSubscription is a subscription as kept: its secret sealed.
type storedEventSubscription struct {
	ID           string             `json:"id"`
	AccountID    string             `json:"accountId"`
	URL          string             `json:"url"`
	Types        []parley.EventType `json:"types"`
	SecretSealed []byte             `json:"secretSealed"`
	Description  string             `json:"description,omitempty"`
	Disabled     bool               `json:"disabled,omitempty"`
	CreatedAt    time.Time          `json:"createdAt"`
	UpdatedAt    time.Time          `json:"updatedAt"`
}

func (st storedEventSubscription) domain() parley.EventSubscription {
	return parley.EventSubscription{ID: st.ID, AccountID: st.AccountID, URL: st.URL, Types: st.Types,
		Description: st.Description, Disabled: st.Disabled, CreatedAt: st.CreatedAt, UpdatedAt: st.UpdatedAt}
}

func (s *Store) encodeEventSubscription(ctx context.Context, sub parley.EventSubscription) ([]byte, error) {
	sealed, err := secret.EncodeEventSecret(ctx, s.sealer, sub)
	if err != nil {
		return nil, err
	}
	return json.Marshal(storedEventSubscription{ID: sub.ID, AccountID: sub.AccountID, URL: sub.URL, Types: sub.Types,
		SecretSealed: sealed, Description: sub.Description, Disabled: sub.Disabled, CreatedAt: sub.CreatedAt, UpdatedAt: sub.UpdatedAt})
}

// CreateEventSubscription implements store.EventSubscriptions.
func (s *Store) CreateEventSubscription(ctx context.Context, sub parley.EventSubscription) error {
	return s.putEventSubscription(ctx, sub, true)
}

// UpdateEventSubscription implements store.EventSubscriptions.
func (s *Store) UpdateEventSubscription(ctx context.Context, sub parley.EventSubscription) error {
	return s.putEventSubscription(ctx, sub, false)
}

func (s *Store) putEventSubscription(ctx context.Context, sub parley.EventSubscription, create bool) error {
	data, err := s.encodeEventSubscription(ctx, sub)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketEventSubscriptions)
		if err != nil {
			return err
		}
		key := campaignKey(sub.AccountID, sub.ID)
		switch exists := b.Get(key) != nil; {
		case create && exists:
			return parley.Errorf(parley.ECONFLICT, "event subscription %s exists", sub.ID)
		case !create && !exists:
			return parley.Errorf(parley.ENOTFOUND, "event subscription %s not found", sub.ID)
		}
		return b.Put(key, data)
	})
}

// EventSubscription implements store.EventSubscriptions.
func (s *Store) EventSubscription(ctx context.Context, accountID, id string) (parley.EventSubscription, error) {
	var st storedEventSubscription
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketEventSubscriptions)
		if b == nil {
			return parley.Errorf(parley.ENOTFOUND, "event subscription %s not found", id)
		}
		return get(b, campaignKey(accountID, id), &st, "event subscription "+id)
	})
	if err != nil {
		return parley.EventSubscription{}, err
	}
	sub := st.domain()
	if sub.Secret, err = secret.DecodeEventSecret(ctx, s.sealer, accountID, id, st.SecretSealed); err != nil {
		return parley.EventSubscription{}, err
	}
	return sub, nil
}

// EventSubscriptions implements store.EventSubscriptions.
func (s *Store) EventSubscriptions(ctx context.Context, accountID string) ([]parley.EventSubscription, error) {
	stored, err := listJSON[storedEventSubscription](s, bucketEventSubscriptions, []byte(accountID+"\x00"), "event subscription")
	out := make([]parley.EventSubscription, len(stored))
	for i, st := range stored {
		out[i] = st.domain()
	}
	return out, err
}

// DeleteEventSubscription implements store.EventSubscriptions.
func (s *Store) DeleteEventSubscription(ctx context.Context, accountID, id string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketEventSubscriptions)
		key := campaignKey(accountID, id)
		if b == nil || b.Get(key) == nil {
			return parley.Errorf(parley.ENOTFOUND, "event subscription %s not found", id)
		}
		if err := b.Delete(key); err != nil {
			return err
		}
		db := tx.Bucket(bucketEventDeliveries)
		if db == nil {
			return nil
		}
		prefix := deliveriesPrefix(accountID, id)
		c := db.Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Seek(prefix) {
			if err := c.Delete(); err != nil {
				return err
			}
		}
		return nil
	})
}

func deliveriesPrefix(accountID, subscriptionID string) []byte {
	return []byte(accountID + "\x00" + subscriptionID + "\x00")
}

// RecordEventDelivery implements store.EventSubscriptions: it drops the
// subscription's oldest attempts beyond store.MaxEventDeliveries.
func (s *Store) RecordEventDelivery(ctx context.Context, d parley.EventDelivery) error {
	prefix := deliveriesPrefix(d.AccountID, d.SubscriptionID)
	key := binary.BigEndian.AppendUint64(bytes.Clone(prefix), uint64(d.At.UnixNano()))
	key = append(key, rand.Text()...) // attempts at the same instant both stay
	return s.db.Batch(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketEventDeliveries)
		if err != nil {
			return err
		}
		if err := put(b, key, d); err != nil {
			return err
		}
		n := 0
		c := b.Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			n++
		}
		for k, _ := c.Seek(prefix); n > store.MaxEventDeliveries && k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Seek(prefix) {
			if err := c.Delete(); err != nil {
				return err
			}
			n--
		}
		return nil
	})
}

// EventDeliveries implements store.EventSubscriptions.
func (s *Store) EventDeliveries(ctx context.Context, accountID, subscriptionID string, limit int) ([]parley.EventDelivery, error) {
	limit = min(max(limit, 1), store.MaxEventDeliveries)
	prefix := deliveriesPrefix(accountID, subscriptionID)
	out := []parley.EventDelivery{}
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketEventDeliveries)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		// The first key after the prefix's: the prefix ends in \x00.
		next := append(bytes.Clone(prefix[:len(prefix)-1]), 1)
		k, v := c.Seek(next)
		if k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
		for ; k != nil && bytes.HasPrefix(k, prefix) && len(out) < limit; k, v = c.Prev() {
			var d parley.EventDelivery
			if err := json.Unmarshal(v, &d); err != nil {
				return fmt.Errorf("decode event delivery %q: %w", k, err)
			}
			out = append(out, d)
		}
		return nil
	})
	return out, err
}
