package embedded

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// A Store is also the sandbox outbox, beside the store port (store.Store)
// rather than in it.
var _ store.Outbox = (*Store)(nil)

// RecordSandbox implements store.Outbox.
func (s *Store) RecordSandbox(ctx context.Context, m parley.SentMessage) error {
	return s.db.Batch(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSandbox)
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		key := binary.BigEndian.AppendUint64(nil, seq)
		ref := parley.Ref{AccountID: m.AccountID, CampaignID: m.CampaignID, RecipientID: m.RecipientID}
		if err := tx.Bucket(bucketSandboxRef).Put(recipientKey(ref), key); err != nil {
			return err
		}
		return put(b, key, m)
	})
}

// SandboxMessage implements store.Outbox.
func (s *Store) SandboxMessage(ctx context.Context, ref parley.Ref) (parley.SentMessage, bool, error) {
	var m parley.SentMessage
	found := false
	err := s.db.View(func(tx *bolt.Tx) error {
		key := tx.Bucket(bucketSandboxRef).Get(recipientKey(ref))
		if key == nil {
			return nil
		}
		found = true
		return get(tx.Bucket(bucketSandbox), key, &m, "sandbox message of "+ref.RecipientID)
	})
	return m, found, err
}

// SandboxMessages implements store.Outbox: the newest of the account's
// messages, read from the end of the outbox (the embedded backend serves
// one developer's machine, so its outbox is not expired).
func (s *Store) SandboxMessages(ctx context.Context, accountID string) ([]parley.SentMessage, error) {
	out := []parley.SentMessage{}
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketSandbox).Cursor()
		for k, v := c.Last(); k != nil && len(out) < store.MaxSandboxMessages; k, v = c.Prev() {
			var m parley.SentMessage
			if err := json.Unmarshal(v, &m); err != nil {
				return errors.Join(fmt.Errorf("decode sandbox message %x", k), err)
			}
			if m.AccountID == accountID {
				out = append(out, m)
			}
		}
		return nil
	})
	slices.Reverse(out)
	return out, err
}
