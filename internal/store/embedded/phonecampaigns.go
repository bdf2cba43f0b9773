package embedded

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

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
//	account \x00 L \x00 campaign \x00 callId   → a call
var bucketPhoneCampaigns = []byte("phone_campaigns")

// bucketContactCalls lists each contact's calls: account \x00 contactId
// \x00 placedAt campaign \x00 callId → nil.
var bucketContactCalls = []byte("phone_contact_calls")

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

// ActivePhoneCampaigns implements store.PhoneCampaigns: it reads every
// campaign of the bucket (the embedded backend serves one installation).
func (s *Store) ActivePhoneCampaigns(ctx context.Context) ([]dialer.Campaign, error) {
	out := []dialer.Campaign{}
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketPhoneCampaigns)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			if !bytes.Contains(k, []byte("\x00C\x00")) {
				return nil
			}
			var c dialer.Campaign
			if err := json.Unmarshal(v, &c); err != nil {
				return fmt.Errorf("decode telephone campaign %q: %w", k, err)
			}
			if c.State == dialer.CampaignActive {
				out = append(out, c)
			}
			return nil
		})
	})
	return out, err
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
			if err := requeue(tx, accountID, campaignID, nil, &e); err != nil {
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

//	account \x00 L \x00 campaign \x00 providerId → a call
//	account \x00 O \x00 operatorId              → an operator

func entryKey(accountID, campaignID, contactID string) []byte {
	return append(entryPrefix(accountID, campaignID), contactID...)
}

func phoneCallPrefix(accountID, campaignID string) []byte {
	return []byte(accountID + "\x00L\x00" + campaignID + "\x00")
}

func phoneAgentPrefix(accountID string) []byte { return []byte(accountID + "\x00O\x00") }

// Entry implements store.PhoneCampaigns.
func (s *Store) Entry(ctx context.Context, accountID, campaignID, contactID string) (dialer.Entry, error) {
	var e dialer.Entry
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketPhoneCampaigns)
		if b == nil {
			return parley.Errorf(parley.ENOTFOUND, "entry %s not found", contactID)
		}
		return get(b, entryKey(accountID, campaignID, contactID), &e, "entry "+contactID)
	})
	return e, err
}

// replaceRev writes v (whose revision is rev) under key when the stored
// value's revision, read by revOf, is rev, and returns the new revision.
// create allows rev 0 for a key not stored yet. after, when set, runs in
// the same transaction with the value replaced (nil when there was none).
func replaceRev[T any](s *Store, key []byte, what string, rev int, create bool, revOf func(T) int, write func(next int) T, after func(tx *bolt.Tx, old *T) error) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketPhoneCampaigns)
		if err != nil {
			return err
		}
		var old T
		err = get(b, key, &old, what)
		found := err == nil
		switch {
		case parley.ErrorCode(err) == parley.ENOTFOUND && create && rev == 0:
		case err != nil:
			return err
		case revOf(old) != rev:
			return parley.Errorf(parley.ECONFLICT, "%s changed: at revision %d, not %d", what, revOf(old), rev)
		}
		if err := put(b, key, write(rev+1)); err != nil || after == nil {
			return err
		}
		if !found {
			return after(tx, nil)
		}
		return after(tx, &old)
	})
}

// ReplaceEntry implements store.PhoneCampaigns.
func (s *Store) ReplaceEntry(ctx context.Context, accountID, campaignID string, e dialer.Entry) (dialer.Entry, error) {
	err := replaceRev(s, entryKey(accountID, campaignID, e.ContactID), "entry "+e.ContactID, e.Rev, false,
		func(old dialer.Entry) int { return old.Rev },
		func(next int) dialer.Entry { e.Rev = next; return e },
		func(tx *bolt.Tx, old *dialer.Entry) error { return requeue(tx, accountID, campaignID, old, &e) })
	return e, err
}

// bucketPhoneQueue lists what the pacer reads of each campaign, under
// account \x00 campaign \x00:
//
//	W \x00 nextAttemptAt contactId → nil   a waiting entry
//	P \x00 contactId              → nil   an entry in progress
//	C \x00 callId                 → nil   a call that has not ended
var bucketPhoneQueue = []byte("phone_queue")

func queuePrefix(accountID, campaignID string, kind byte) []byte {
	return append(routePrefix(accountID, campaignID), kind, 0)
}

// queueKey is where entry e is listed; nil when it is not (processed or
// deleted).
func queueKey(accountID, campaignID string, e *dialer.Entry) []byte {
	switch {
	case e == nil:
		return nil
	case e.Status == dialer.EntryWaiting:
		return append(routeTimeKey(queuePrefix(accountID, campaignID, 'W'), e.NextAttemptAt), e.ContactID...)
	case e.Status == dialer.EntryInProgress:
		return append(queuePrefix(accountID, campaignID, 'P'), e.ContactID...)
	}
	return nil
}

// requeue moves an entry's listing from where old was listed to where e
// is (old nil: a new entry).
func requeue(tx *bolt.Tx, accountID, campaignID string, old, e *dialer.Entry) error {
	q, err := tx.CreateBucketIfNotExists(bucketPhoneQueue)
	if err != nil {
		return err
	}
	from, to := queueKey(accountID, campaignID, old), queueKey(accountID, campaignID, e)
	if from != nil && !bytes.Equal(from, to) {
		if err := q.Delete(from); err != nil {
			return err
		}
	}
	if to != nil {
		return q.Put(to, nil)
	}
	return nil
}

// listQueued reads, in key order from the prefix p of the queue, at most
// limit (0: all) items of the bucket that keyOf names, until stop (nil:
// never) says a queue key is past the end.
func listQueued[T any](s *Store, p []byte, limit int, stop func(k []byte) bool, keyOf func(rest []byte) []byte, what string) ([]T, error) {
	out := []T{}
	err := s.db.View(func(tx *bolt.Tx) error {
		q, b := tx.Bucket(bucketPhoneQueue), tx.Bucket(bucketPhoneCampaigns)
		if q == nil || b == nil {
			return nil
		}
		c := q.Cursor()
		for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p) && (limit == 0 || len(out) < limit); k, _ = c.Next() {
			if stop != nil && stop(k) {
				break
			}
			var v T
			if err := get(b, keyOf(k[len(p):]), &v, what); err != nil {
				return err
			}
			out = append(out, v)
		}
		return nil
	})
	return out, err
}

// InProgressEntries implements store.PhoneCampaigns.
func (s *Store) InProgressEntries(ctx context.Context, accountID, campaignID string) ([]dialer.Entry, error) {
	return listQueued[dialer.Entry](s, queuePrefix(accountID, campaignID, 'P'), 0, nil,
		func(contact []byte) []byte { return entryKey(accountID, campaignID, string(contact)) }, "entry")
}

// DueEntries implements store.PhoneCampaigns.
func (s *Store) DueEntries(ctx context.Context, accountID, campaignID string, by time.Time, limit int) ([]dialer.Entry, error) {
	p := queuePrefix(accountID, campaignID, 'W')
	end := routeTimeKey(bytes.Clone(p), by.Add(time.Nanosecond))
	return listQueued[dialer.Entry](s, p, min(max(limit, 1), store.MaxPage), func(k []byte) bool { return bytes.Compare(k, end) >= 0 },
		func(rest []byte) []byte { return entryKey(accountID, campaignID, string(rest[8:])) }, "entry")
}

// OpenPhoneCalls implements store.PhoneCampaigns.
func (s *Store) OpenPhoneCalls(ctx context.Context, accountID, campaignID string) ([]dialer.Call, error) {
	return listQueued[dialer.Call](s, queuePrefix(accountID, campaignID, 'C'), 0, nil,
		func(id []byte) []byte { return append(phoneCallPrefix(accountID, campaignID), id...) }, "call")
}

// reopen lists call c while it has not ended, and takes it off once it
// has; a call with an operator is a session, listed once it has one.
func reopen(tx *bolt.Tx, c dialer.Call) error {
	if c.Operator != "" {
		sessions, err := tx.CreateBucketIfNotExists(bucketPhoneSessions)
		if err != nil {
			return err
		}
		if err := sessions.Put(callListKey(routePrefix(c.AccountID), c.PlacedAt, c.CampaignID, c.ProviderID), nil); err != nil {
			return err
		}
	}
	q, err := tx.CreateBucketIfNotExists(bucketPhoneQueue)
	if err != nil {
		return err
	}
	key := append(queuePrefix(c.AccountID, c.CampaignID, 'C'), c.ProviderID...)
	if c.Status == dialer.CallEnded {
		return q.Delete(key)
	}
	return q.Put(key, nil)
}

// CreatePhoneCall implements store.PhoneCampaigns.
func (s *Store) CreatePhoneCall(ctx context.Context, c dialer.Call) (dialer.Call, error) {
	c.Rev = 1
	err := s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketPhoneCampaigns)
		if err != nil {
			return err
		}
		key := append(phoneCallPrefix(c.AccountID, c.CampaignID), c.ProviderID...)
		if b.Get(key) != nil {
			return parley.Errorf(parley.ECONFLICT, "call %s exists", c.ProviderID)
		}
		byContact, err := tx.CreateBucketIfNotExists(bucketContactCalls)
		if err != nil {
			return err
		}
		if err := byContact.Put(callListKey(routePrefix(c.AccountID, c.ContactID), c.PlacedAt, c.CampaignID, c.ProviderID), nil); err != nil {
			return err
		}
		if err := reopen(tx, c); err != nil {
			return err
		}
		return put(b, key, c)
	})
	return c, err
}

// PhoneCall implements store.PhoneCampaigns.
func (s *Store) PhoneCall(ctx context.Context, accountID, campaignID, providerID string) (dialer.Call, error) {
	var c dialer.Call
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketPhoneCampaigns)
		if b == nil {
			return parley.Errorf(parley.ENOTFOUND, "call %s not found", providerID)
		}
		return get(b, append(phoneCallPrefix(accountID, campaignID), providerID...), &c, "call "+providerID)
	})
	return c, err
}

// ReplacePhoneCall implements store.PhoneCampaigns.
func (s *Store) ReplacePhoneCall(ctx context.Context, c dialer.Call) (dialer.Call, error) {
	err := replaceRev(s, append(phoneCallPrefix(c.AccountID, c.CampaignID), c.ProviderID...), "call "+c.ProviderID, c.Rev, false,
		func(old dialer.Call) int { return old.Rev },
		func(next int) dialer.Call { c.Rev = next; return c },
		func(tx *bolt.Tx, _ *dialer.Call) error { return reopen(tx, c) })
	return c, err
}

// ContactPhoneCalls implements store.PhoneCampaigns.
func (s *Store) ContactPhoneCalls(ctx context.Context, accountID, contactID, cursor string, limit int) ([]dialer.Call, string, error) {
	return s.callsListed(bucketContactCalls, accountID, routePrefix(accountID, contactID), cursor, limit, nil)
}

// bucketPhoneSessions lists each account's sessions (calls with an
// operator): account \x00 placedAt campaign \x00 callId → nil.
var bucketPhoneSessions = []byte("phone_sessions")

// PhoneSessions implements store.PhoneCampaigns.
func (s *Store) PhoneSessions(ctx context.Context, accountID string, f dialer.SessionFilter, cursor string, limit int) ([]dialer.Call, string, error) {
	return s.callsListed(bucketPhoneSessions, accountID, routePrefix(accountID), cursor, limit, f.Matches)
}

// callListKey is a call's key in a list of calls (bucketContactCalls,
// bucketPhoneSessions) under prefix p.
func callListKey(p []byte, placed time.Time, campaignID, providerID string) []byte {
	return append(routeTimeKey(bytes.Clone(p), placed), campaignID+"\x00"+providerID...)
}

// callsListed reads, newest first from after cursor, the calls a list of
// calls names under prefix p: at most limit of those match selects (every
// one when nil), examining at most store.MaxPage; next is the cursor after
// the last examined when the list may go on.
func (s *Store) callsListed(list []byte, accountID string, p []byte, cursor string, limit int, match func(dialer.Call) bool) ([]dialer.Call, string, error) {
	limit = min(max(limit, 1), store.MaxPage)
	var before []byte
	if cursor != "" {
		at, parts, err := parley.DecodeCursor(cursor, 2)
		if err != nil {
			return nil, "", err
		}
		before = callListKey(p, at, parts[0], parts[1])
	}
	out := []dialer.Call{}
	var last dialer.Call
	examined := 0
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketPhoneCampaigns)
		return routeNewestFirst(tx.Bucket(list), p, before, func(k, _ []byte) (bool, error) {
			campaignID, providerID, _ := bytes.Cut(k[len(p)+8:], []byte{0})
			var c dialer.Call
			if err := get(b, append(phoneCallPrefix(accountID, string(campaignID)), providerID...), &c, "call "+string(providerID)); err != nil {
				return false, err
			}
			examined++
			last = c
			if match == nil || match(c) {
				out = append(out, c)
			}
			return len(out) < limit && examined < store.MaxPage, nil
		})
	})
	next := ""
	if len(out) == limit || examined == store.MaxPage {
		next = parley.EncodeCursor(last.PlacedAt, last.CampaignID, last.ProviderID)
	}
	return out, next, err
}

// PhoneCalls implements store.PhoneCampaigns.
func (s *Store) PhoneCalls(ctx context.Context, accountID, campaignID string) ([]dialer.Call, error) {
	return listJSON[dialer.Call](s, bucketPhoneCampaigns, phoneCallPrefix(accountID, campaignID), "call")
}

// PhoneAgents implements store.PhoneCampaigns.
func (s *Store) PhoneAgents(ctx context.Context, accountID string) ([]dialer.Agent, error) {
	return listJSON[dialer.Agent](s, bucketPhoneCampaigns, phoneAgentPrefix(accountID), "operator")
}

// PutPhoneAgent implements store.PhoneCampaigns.
func (s *Store) PutPhoneAgent(ctx context.Context, a dialer.Agent) (dialer.Agent, error) {
	err := replaceRev(s, append(phoneAgentPrefix(a.AccountID), a.ID...), "operator "+a.ID, a.Rev, true,
		func(old dialer.Agent) int { return old.Rev },
		func(next int) dialer.Agent { a.Rev = next; return a }, nil)
	return a, err
}

// bucketPhoneGroups holds operator groups: account \x00 name → group.
var bucketPhoneGroups = []byte("phone_groups")

// CreatePhoneGroup implements store.PhoneCampaigns.
func (s *Store) CreatePhoneGroup(ctx context.Context, g dialer.OperatorGroup) (bool, error) {
	created := false
	err := s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketPhoneGroups)
		if err != nil {
			return err
		}
		key := routeKey(g.AccountID, g.Name)
		if created = b.Get(key) == nil; !created {
			return nil
		}
		return put(b, key, g)
	})
	return created, err
}

// PhoneGroups implements store.PhoneCampaigns.
func (s *Store) PhoneGroups(ctx context.Context, accountID string) ([]dialer.OperatorGroup, error) {
	return listJSON[dialer.OperatorGroup](s, bucketPhoneGroups, routePrefix(accountID), "operator group")
}

// DeletePhoneGroup implements store.PhoneCampaigns.
func (s *Store) DeletePhoneGroup(ctx context.Context, accountID, name string) (bool, error) {
	removed := false
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketPhoneGroups)
		if b == nil {
			return nil
		}
		key := routeKey(accountID, name)
		if removed = b.Get(key) != nil; !removed {
			return nil
		}
		return b.Delete(key)
	})
	return removed, err
}
