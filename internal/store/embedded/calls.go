package embedded

import (
	"context"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

var _ store.Calls = (*Store)(nil)

// bucketCalls holds each call as JSON under account \x00 callId.
var bucketCalls = []byte("calls")

func callKey(accountID, id string) []byte { return []byte(accountID + "\x00" + id) }

// PutCall implements store.Calls.
func (s *Store) PutCall(ctx context.Context, c parley.Call) error {
	data, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("encode call %s: %w", c.ID, err)
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketCalls)
		if err != nil {
			return err
		}
		return b.Put(callKey(c.AccountID, c.ID), data)
	})
}

// Call implements store.Calls.
func (s *Store) Call(ctx context.Context, accountID, id string) (parley.Call, error) {
	var c parley.Call
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketCalls)
		if b == nil {
			return parley.Errorf(parley.ENOTFOUND, "call %s not found", id)
		}
		data := b.Get(callKey(accountID, id))
		if data == nil {
			return parley.Errorf(parley.ENOTFOUND, "call %s not found", id)
		}
		return json.Unmarshal(data, &c)
	})
	return c, err
}
