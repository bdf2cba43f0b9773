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

var _ store.Clients = (*Store)(nil)

// API clients: one bucket by client id, and an index by account. The
// buckets are created by the first write, so a database made before
// clients existed opens unchanged.
var (
	bucketClients          = []byte("clients")            // client id → client
	bucketClientsOfAccount = []byte("clients_by_account") // account \x00 client id → nil
)

func clientsBuckets(tx *bolt.Tx) (byID, byAccount *bolt.Bucket, err error) {
	if byID, err = tx.CreateBucketIfNotExists(bucketClients); err != nil {
		return nil, nil, err
	}
	byAccount, err = tx.CreateBucketIfNotExists(bucketClientsOfAccount)
	return byID, byAccount, err
}

// PutClient implements store.Clients.
func (s *Store) PutClient(ctx context.Context, c parley.APIClient) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		byID, byAccount, err := clientsBuckets(tx)
		if err != nil {
			return err
		}
		if err := put(byID, []byte(c.ID), c); err != nil {
			return err
		}
		return byAccount.Put(campaignKey(c.AccountID, c.ID), nil)
	})
}

// Client implements store.Clients.
func (s *Store) Client(ctx context.Context, id string) (parley.APIClient, error) {
	var c parley.APIClient
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketClients)
		if b == nil {
			return parley.Errorf(parley.ENOTFOUND, "client %s not found", id)
		}
		return get(b, []byte(id), &c, "client "+id)
	})
	return c, err
}

// ClientsOf implements store.Clients.
func (s *Store) ClientsOf(ctx context.Context, accountID string) ([]parley.APIClient, error) {
	out := []parley.APIClient{}
	prefix := []byte(accountID + "\x00")
	err := s.db.View(func(tx *bolt.Tx) error {
		byID, byAccount := tx.Bucket(bucketClients), tx.Bucket(bucketClientsOfAccount)
		if byID == nil || byAccount == nil {
			return nil
		}
		c := byAccount.Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			var cl parley.APIClient
			if err := json.Unmarshal(byID.Get(k[len(prefix):]), &cl); err != nil {
				return fmt.Errorf("decode client %s: %w", k[len(prefix):], err)
			}
			out = append(out, cl)
		}
		return nil
	})
	return out, err
}

// DeleteClient implements store.Clients.
func (s *Store) DeleteClient(ctx context.Context, accountID, id string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		byID, byAccount, err := clientsBuckets(tx)
		if err != nil {
			return err
		}
		var c parley.APIClient
		if err := get(byID, []byte(id), &c, "client "+id); err != nil {
			return err
		}
		if c.AccountID != accountID {
			return parley.Errorf(parley.ENOTFOUND, "client %s not found", id)
		}
		if err := byID.Delete([]byte(id)); err != nil {
			return err
		}
		return byAccount.Delete(campaignKey(accountID, id))
	})
}
