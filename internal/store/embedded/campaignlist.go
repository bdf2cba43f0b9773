package embedded

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// bucketCampaignsByCreated lists each account's campaigns in creation
// order: account \x00 createdAt (sortableTime) \x00 id → nil.
var bucketCampaignsByCreated = []byte("campaigns_by_created")

// sortableTime renders an instant in UTC at fixed width, so that byte
// order is time order (for the years 0000 to 9999).
func sortableTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

func createdPrefix(accountID string) []byte { return []byte(accountID + "\x00") }

func createdKey(accountID string, p store.CampaignPosition) []byte {
	return []byte(accountID + "\x00" + sortableTime(p.CreatedAt) + "\x00" + p.ID)
}

// indexCreated adds c's entry to the creation-order index.
func indexCreated(tx *bolt.Tx, c parley.Campaign) error {
	b, err := tx.CreateBucketIfNotExists(bucketCampaignsByCreated)
	if err != nil {
		return err
	}
	return b.Put(createdKey(c.AccountID, store.PositionOf(c)), nil)
}

// backfillCreated builds the creation-order index of a database written
// before it existed, once: when the bucket is missing.
func backfillCreated(tx *bolt.Tx) error {
	if tx.Bucket(bucketCampaignsByCreated) != nil {
		return nil
	}
	if _, err := tx.CreateBucket(bucketCampaignsByCreated); err != nil {
		return err
	}
	return tx.Bucket(bucketCampaigns).ForEach(func(k, v []byte) error {
		var c parley.Campaign
		if err := json.Unmarshal(v, &c); err != nil {
			return fmt.Errorf("decode campaign %q: %w", k, err)
		}
		return indexCreated(tx, c)
	})
}

// ListCampaigns implements store.Campaigns: it walks the account's
// creation-order index backwards from after.
func (s *Store) ListCampaigns(ctx context.Context, accountID string, f store.CampaignFilter, after store.CampaignPosition, limit int) (store.CampaignPage, error) {
	limit = min(max(limit, 1), store.MaxCampaignPage)
	page := store.CampaignPage{Campaigns: []parley.Campaign{}}
	err := s.db.View(func(tx *bolt.Tx) error {
		idx := tx.Bucket(bucketCampaignsByCreated)
		if idx == nil {
			return nil
		}
		cb := tx.Bucket(bucketCampaigns)
		prefix := createdPrefix(accountID)
		c := idx.Cursor()
		var k []byte
		if after.IsZero() {
			// The first key past the account's entries, then back one.
			if k, _ = c.Seek(append(bytes.Clone(prefix[:len(prefix)-1]), 0x01)); k == nil {
				k, _ = c.Last()
			} else {
				k, _ = c.Prev()
			}
		} else {
			start := createdKey(accountID, after)
			if k, _ = c.Seek(start); k == nil {
				k, _ = c.Last()
			}
			for k != nil && bytes.Compare(k, start) >= 0 {
				k, _ = c.Prev()
			}
		}
		for scanned := 0; k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Prev() {
			if scanned == store.MaxCampaignScan || len(page.Campaigns) == limit {
				return nil
			}
			scanned++
			id := k[bytes.LastIndexByte(k, 0)+1:]
			var camp parley.Campaign
			if err := get(cb, campaignKey(accountID, string(id)), &camp, "campaign "+string(id)); err != nil {
				return err
			}
			page.Next = store.PositionOf(camp)
			if f.Matches(camp) {
				page.Campaigns = append(page.Campaigns, camp)
			}
		}
		page.Next = store.CampaignPosition{} // the account's entries ended
		return nil
	})
	return page, err
}

// CompleteCampaign implements store.Campaigns.
func (s *Store) CompleteCampaign(ctx context.Context, accountID, campaignID string, at time.Time) (parley.Campaign, error) {
	return s.changeCampaign(accountID, campaignID, func(c *parley.Campaign) (bool, error) {
		if !c.CompletedAt.IsZero() {
			return false, nil
		}
		c.CompletedAt = at.UTC()
		return true, nil
	})
}
