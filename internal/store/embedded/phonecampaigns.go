package embedded

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/parleyhq/parley/internal/dialer"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

var _ store.PhoneCampaigns = (*Store)(nil)

// bucketPhoneCampaigns holds, per account (created with the first write):
//
//	account \x00 C \x00 id                      → the campaign
//	account \x00 E \x00 campaign \x00 contactId → an entry
//	account \x00 S \x00 campaign              → the pacer's state and its version
var bucketPhoneCampaigns = []byte("phone_campaigns")

func phoneCampaignKey(accountID, id string) []byte {
	return []byte(accountID + "\x00C\x00" + id)
}

func entryPrefix(accountID, campaignID string) []byte {
	return []byte(accountID + "\x00E\x00" + campaignID + "\x00")
}

// CreatePhoneCampaign implements store.PhoneCampaigns.
func (s *Store) CreatePhoneCampaign(ctx context.Context, c dialer.Campaign) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketPhoneCampaigns)
		if err != nil {
			return err
		}
		key := phoneCampaignKey(c.AccountID, c.ID)
		if b.Get(key) != nil {
			return parley.Errorf(parley.ECONFLICT, "telephone campaign %s exists", c.ID)
		}
		return put(b, key, c)
	})
}

// PhoneCampaign implements store.PhoneCampaigns.
func (s *Store) PhoneCampaign(ctx context.Context, accountID, id string) (dialer.Campaign, error) {
	var c dialer.Campaign
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketPhoneCampaigns)
		if b == nil {
			return parley.Errorf(parley.ENOTFOUND, "telephone campaign %s not found", id)
		}
		return get(b, phoneCampaignKey(accountID, id), &c, "telephone campaign "+id)
	})
	return c, err
}

// PhoneCampaigns implements store.PhoneCampaigns.
func (s *Store) PhoneCampaigns(ctx context.Context, accountID string) ([]dialer.Campaign, error) {
	return listJSON[dialer.Campaign](s, bucketPhoneCampaigns, phoneCampaignKey(accountID, ""), "telephone campaign")
}

// SetPhoneCampaignState implements store.PhoneCampaigns.
func (s *Store) SetPhoneCampaignState(ctx context.Context, accountID, id string, from, to dialer.CampaignState) (dialer.Campaign, error) {
	var c dialer.Campaign
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketPhoneCampaigns)
		if b == nil {
			return parley.Errorf(parley.ENOTFOUND, "telephone campaign %s not found", id)
		}
		key := phoneCampaignKey(accountID, id)
		if err := get(b, key, &c, "telephone campaign "+id); err != nil {
			return err
		}
		if c.State != from {
			return parley.Errorf(parley.ECONFLICT, "telephone campaign %s is %s, not %s", id, c.State, from)
		}
		c.State = to
		return put(b, key, c)
	})
	return c, err
}

// AddEntries implements store.PhoneCampaigns.
func (s *Store) AddEntries(ctx context.Context, accountID, campaignID string, es []dialer.Entry) (int, error) {
	added := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		added = 0
		b, err := tx.CreateBucketIfNotExists(bucketPhoneCampaigns)
		if err != nil {
			return err
		}
		prefix := entryPrefix(accountID, campaignID)
		for _, e := range es {
			key := append(bytes.Clone(prefix), e.ContactID...)
			if b.Get(key) != nil {
				continue
			}
			if err := put(b, key, e); err != nil {
				return err
			}
			added++
		}
		return nil
	})
	return added, err
}

// Entries implements store.PhoneCampaigns.
func (s *Store) Entries(ctx context.Context, accountID, campaignID, afterContactID string, limit int) ([]dialer.Entry, error) {
	limit = min(max(limit, 1), store.MaxPage)
	prefix := entryPrefix(accountID, campaignID)
	out := []dialer.Entry{}
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketPhoneCampaigns)
		if b == nil {
			return nil
		}
		cur := b.Cursor()
		k, v := seekAfter(cur, prefix, afterContactID)
		for ; k != nil && bytes.HasPrefix(k, prefix) && len(out) < limit; k, v = cur.Next() {
			var e dialer.Entry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("decode entry %q: %w", k, err)
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// seekAfter places cur on the first key under prefix that sorts after
// prefix+after (at the first under prefix when after is empty).
func seekAfter(cur *bolt.Cursor, prefix []byte, after string) (k, v []byte) {
	if after == "" {
		return cur.Seek(prefix)
	}
	key := append(bytes.Clone(prefix), after...)
	if k, v = cur.Seek(key); bytes.Equal(k, key) {
		k, v = cur.Next()
	}
	return k, v
}

// pacerRecord is a campaign's pacer state with its version.
type pacerRecord struct {
	Version int          `json:"version"`
	State   dialer.State `json:"state"`
}

func pacerKey(accountID, campaignID string) []byte {
	return []byte(accountID + "\x00S\x00" + campaignID)
}

// PacerState implements store.PhoneCampaigns.
func (s *Store) PacerState(ctx context.Context, accountID, campaignID string) (dialer.State, int, error) {
	var rec pacerRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketPhoneCampaigns)
		if b == nil {
			return nil
		}
		err := get(b, pacerKey(accountID, campaignID), &rec, "pacer state of "+campaignID)
		if parley.ErrorCode(err) == parley.ENOTFOUND {
			return nil
		}
		return err
	})
	return rec.State, rec.Version, err
}

// PutPacerState implements store.PhoneCampaigns.
func (s *Store) PutPacerState(ctx context.Context, accountID, campaignID string, state dialer.State, version int) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketPhoneCampaigns)
		if err != nil {
			return err
		}
		key := pacerKey(accountID, campaignID)
		var old pacerRecord
		if err := get(b, key, &old, "pacer state of "+campaignID); err != nil && parley.ErrorCode(err) != parley.ENOTFOUND {
			return err
		}
		if old.Version != version-1 {
			return parley.Errorf(parley.ECONFLICT, "the pacer state of %s is at version %d, not %d", campaignID, old.Version, version-1)
		}
		return put(b, key, pacerRecord{Version: version, State: state})
	})
}
