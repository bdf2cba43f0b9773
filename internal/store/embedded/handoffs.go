package embedded

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

var _ store.Handoffs = (*Store)(nil)

// bucketHandoffs holds, per account, three kinds of keys (created with the
// first handoff):
//
//	account \x00 C \x00 id             → the latest version
//	account \x00 V \x00 id \x00 version → every version (version as 10 digits)
//	account \x00 T \x00 title key      → the id that holds the title
var bucketHandoffs = []byte("handoffs")

func handoffKey(accountID, kind, rest string) []byte {
	return []byte(accountID + "\x00" + kind + "\x00" + rest)
}

func handoffVersionPrefix(accountID, id string) []byte {
	return handoffKey(accountID, "V", id+"\x00")
}

func handoffVersionKey(accountID, id string, version int) []byte {
	return fmt.Appendf(handoffVersionPrefix(accountID, id), "%010d", version)
}

// PutHandoff implements store.Handoffs.
func (s *Store) PutHandoff(ctx context.Context, h parley.Handoff) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketHandoffs)
		if err != nil {
			return err
		}
		current := handoffKey(h.AccountID, "C", h.ID)
		var old parley.Handoff
		if data := b.Get(current); data != nil {
			if err := json.Unmarshal(data, &old); err != nil {
				return fmt.Errorf("decode handoff %s: %w", h.ID, err)
			}
		}
		if old.Version != h.Version-1 {
			return parley.Errorf(parley.ECONFLICT, "handoff %s is at version %d, not %d", h.ID, old.Version, h.Version-1)
		}
		title := handoffKey(h.AccountID, "T", parley.TitleKey(h.Title))
		if holder := b.Get(title); holder != nil && string(holder) != h.ID {
			return parley.Errorf(parley.ECONFLICT, "handoff %s already has the title %q", holder, h.Title)
		}
		if old.Version > 0 && parley.TitleKey(old.Title) != parley.TitleKey(h.Title) {
			if err := b.Delete(handoffKey(h.AccountID, "T", parley.TitleKey(old.Title))); err != nil {
				return err
			}
		}
		if err := b.Put(title, []byte(h.ID)); err != nil {
			return err
		}
		if err := put(b, handoffVersionKey(h.AccountID, h.ID, h.Version), h); err != nil {
			return err
		}
		return put(b, current, h)
	})
}

// Handoff implements store.Handoffs.
func (s *Store) Handoff(ctx context.Context, accountID, id string) (parley.Handoff, error) {
	var h parley.Handoff
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketHandoffs)
		if b == nil {
			return parley.Errorf(parley.ENOTFOUND, "handoff %s not found", id)
		}
		return get(b, handoffKey(accountID, "C", id), &h, "handoff "+id)
	})
	return h, err
}

// HandoffVersions implements store.Handoffs.
func (s *Store) HandoffVersions(ctx context.Context, accountID, id string) ([]parley.Handoff, error) {
	out, err := s.handoffList(handoffVersionPrefix(accountID, id))
	if err == nil && len(out) == 0 {
		err = parley.Errorf(parley.ENOTFOUND, "handoff %s not found", id)
	}
	return out, err
}

// Handoffs implements store.Handoffs.
func (s *Store) Handoffs(ctx context.Context, accountID string) ([]parley.Handoff, error) {
	return s.handoffList(handoffKey(accountID, "C", ""))
}

func (s *Store) handoffList(prefix []byte) ([]parley.Handoff, error) {
	return listJSON[parley.Handoff](s, bucketHandoffs, prefix, "handoff")
}

// DeleteHandoff implements store.Handoffs.
func (s *Store) DeleteHandoff(ctx context.Context, accountID, id string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketHandoffs)
		var h parley.Handoff
		if b == nil {
			return parley.Errorf(parley.ENOTFOUND, "handoff %s not found", id)
		}
		if err := get(b, handoffKey(accountID, "C", id), &h, "handoff "+id); err != nil {
			return err
		}
		prefix := handoffVersionPrefix(accountID, id)
		var versions [][]byte
		c := b.Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			versions = append(versions, bytes.Clone(k))
		}
		versions = append(versions, handoffKey(accountID, "C", id), handoffKey(accountID, "T", parley.TitleKey(h.Title)))
		for _, k := range versions {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}
