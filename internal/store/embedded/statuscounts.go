package embedded

import (
	"context"
	"encoding/json"

	bolt "go.etcd.io/bbolt"

	"github.com/parleyhq/parley/internal/parley"
)

// bucketStatusCounts holds, per campaign (account \x00 campaign), how many
// of its recipients are in each status: a JSON object, status → count.
// It is written when the campaign is created, with all its recipients,
// and changed in the transaction of each recipient's change of status. A
// campaign created before the store kept these counts has none, and gets
// none later: a record started by a change alone would miss the
// recipients that did not change.
var bucketStatusCounts = []byte("statuscounts")

// countStatuses folds ts's changes of status into the campaigns' status
// counts, in tx: a transition from no recipient (a creation) counts its
// status and starts the campaign's record; any other changes a record
// that exists.
func countStatuses(tx *bolt.Tx, ts []transition) error {
	type delta struct {
		created bool
		by      map[parley.RecipientStatus]int
	}
	var order []string
	deltas := map[string]*delta{}
	for _, t := range ts {
		created := t.before.ID == ""
		if !created && t.before.Status == t.after.Status {
			continue
		}
		key := string(campaignKey(t.after.AccountID, t.after.CampaignID))
		d := deltas[key]
		if d == nil {
			d = &delta{by: map[parley.RecipientStatus]int{}}
			deltas[key] = d
			order = append(order, key)
		}
		d.created = d.created || created
		d.by[t.after.Status]++
		if !created {
			d.by[t.before.Status]--
		}
	}
	if len(order) == 0 {
		return nil
	}
	b, err := tx.CreateBucketIfNotExists(bucketStatusCounts)
	if err != nil {
		return err
	}
	for _, key := range order {
		d := deltas[key]
		counts := map[parley.RecipientStatus]int{}
		switch old := b.Get([]byte(key)); {
		case old == nil && !d.created:
			continue
		case old != nil:
			if err := json.Unmarshal(old, &counts); err != nil {
				return err
			}
		}
		for st, n := range d.by {
			if counts[st] += n; counts[st] == 0 {
				delete(counts, st)
			}
		}
		if err := put(b, []byte(key), counts); err != nil {
			return err
		}
	}
	return nil
}

// RecipientStatusCounts implements store.Recipients.
func (s *Store) RecipientStatusCounts(ctx context.Context, accountID, campaignID string) (map[parley.RecipientStatus]int, bool, error) {
	var counts map[parley.RecipientStatus]int
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketStatusCounts)
		if b == nil {
			return nil
		}
		v := b.Get(campaignKey(accountID, campaignID))
		if v == nil {
			return nil
		}
		counts = map[parley.RecipientStatus]int{}
		return json.Unmarshal(v, &counts)
	})
	if err != nil {
		return nil, false, err
	}
	return counts, counts != nil, nil
}
