package embedded

import (
	"bytes"
	"encoding/json"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// RawOf reaches the records under s for the checks of secrets at rest.
func RawOf(s *Store) storetest.Raw {
	put := func(t *testing.T, bucket, key, value []byte) {
		t.Helper()
		err := s.db.Update(func(tx *bolt.Tx) error {
			b, err := tx.CreateBucketIfNotExists(bucket)
			if err != nil {
				return err
			}
			return b.Put(key, value)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	copyRecord := func(t *testing.T, bucket, from, to []byte) {
		t.Helper()
		var v []byte
		if err := s.db.View(func(tx *bolt.Tx) error { v = bytes.Clone(tx.Bucket(bucket).Get(from)); return nil }); err != nil || v == nil {
			t.Fatalf("no record %q in %s: %v", from, bucket, err)
		}
		put(t, bucket, to, v)
	}
	return storetest.Raw{
		Dump: func(t *testing.T) []byte {
			t.Helper()
			var out []byte
			err := s.db.View(func(tx *bolt.Tx) error {
				return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
					return b.ForEach(func(k, v []byte) error {
						out = append(append(append(append(out, name...), ' '), k...), ' ')
						out = append(append(out, v...), '\n')
						return nil
					})
				})
			})
			if err != nil {
				t.Fatal(err)
			}
			return out
		},
		PutChannel: func(t *testing.T, accountID string, channel parley.Channel, data []byte) {
			put(t, bucketChannels, channelKey(accountID, channel), data)
		},
		CopyChannel: func(t *testing.T, from, to string, channel parley.Channel) {
			copyRecord(t, bucketChannels, channelKey(from, channel), channelKey(to, channel))
		},
		PutLegacyAccount: func(t *testing.T, a parley.Account) {
			// The account's JSON, with the connector secret in clear over
			// its redacted form: the record before secrets were sealed.
			var record map[string]any
			data, _ := json.Marshal(a)
			if err := json.Unmarshal(data, &record); err != nil {
				t.Fatal(err)
			}
			record["connectorSecret"] = a.ConnectorSecret.Reveal()
			data, _ = json.Marshal(record)
			put(t, bucketAccounts, []byte(a.ID), data)
		},
		CopyAccount: func(t *testing.T, from, to string) {
			copyRecord(t, bucketAccounts, []byte(from), []byte(to))
		},
	}
}

// DropListingIndex deletes the campaigns' creation-order index, as a
// database written before it had none.
func DropListingIndex(t *testing.T, s *Store) {
	t.Helper()
	if err := s.db.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket(bucketCampaignsByCreated) }); err != nil {
		t.Fatal(err)
	}
}

// DropStatusCounts removes every campaign's status counts, as a store made
// before they were kept has none.
func DropStatusCounts(t *testing.T, s *Store) {
	t.Helper()
	if err := s.db.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket(bucketStatusCounts) }); err != nil {
		t.Fatal(err)
	}
}
