// Package embedded is the store.Store adapter for local runs: a bbolt
// database file under the data directory. Every write is a transaction that
// is fsynced before it returns; concurrent writers are coalesced into shared
// transactions with bbolt's Batch.
package embedded

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/secret"
)

var (
	bucketCampaigns  = []byte("campaigns")
	bucketRecipients = []byte("recipients")
	bucketPending    = []byte("pending_fanout")
	bucketSandbox    = []byte("sandbox")
	bucketDue        = []byte("due")         // status + DueAt (8 bytes, big endian ns) + recipient key → nil, while Indexed
	bucketSandboxRef = []byte("sandbox_ref") // recipient key → sandbox key
	bucketAccounts   = []byte("accounts")
	bucketTemplates  = []byte("templates") // account \x00 id → template
)

// Store is a store.Store on a bbolt file.
type Store struct {
	db     *bolt.DB
	sealer parley.Sealer
}

var (
	_ store.Store      = (*Store)(nil)
	_ store.Campaigns  = (*Store)(nil)
	_ store.Recipients = (*Store)(nil)
	_ store.Accounts   = (*Store)(nil)
	_ store.Templates  = (*Store)(nil)
)

// Option configures a Store.
type Option func(*Store)

// WithSealer has the store seal the provider credentials and connector
// secrets it keeps with s. A store without a Sealer refuses to store or
// read them, and serves everything else.
func WithSealer(s parley.Sealer) Option {
	return func(st *Store) { st.sealer = s }
}

// Open opens (creating if needed) the database file at path.
func Open(path string, opts ...Option) (*Store, error) {
	// A large initial mapping (address space only) spares the remaps, each
	// of which dereferences every open node, as a big campaign grows the file.
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second, InitialMmapSize: 1 << 30})
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	db.MaxBatchDelay = 2 * time.Millisecond
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketCampaigns, bucketRecipients, bucketPending, bucketSandbox, bucketDue, bucketSandboxRef, bucketAccounts, bucketTemplates} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return backfillCreated(tx)
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("init store %s: %w", path, err)
	}
	s := &Store{db: db}
	for _, opt := range opts {
		opt(s)
	}
	return s, nil
}

// Close closes the database file.
func (s *Store) Close() error { return s.db.Close() }

func campaignKey(accountID, campaignID string) []byte {
	return []byte(accountID + "\x00" + campaignID)
}

func recipientKey(ref parley.Ref) []byte {
	return []byte(ref.AccountID + "\x00" + ref.CampaignID + "\x00" + ref.RecipientID)
}

func put(b *bolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", key, err)
	}
	return b.Put(key, data)
}

func get(b *bolt.Bucket, key []byte, v any, what string) error {
	data := b.Get(key)
	if data == nil {
		return parley.Errorf(parley.ENOTFOUND, "%s not found", what)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("decode %s: %w", what, err)
	}
	return nil
}

// Account implements store.Accounts. It seals in place the connector secret
// of a record written before secrets were sealed.
func (s *Store) Account(ctx context.Context, accountID string) (parley.Account, error) {
	var data []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		data = bytes.Clone(tx.Bucket(bucketAccounts).Get([]byte(accountID)))
		return nil
	})
	if err != nil || data == nil {
		return parley.Account{ID: accountID}, err
	}
	var stored storedAccount
	if err := json.Unmarshal(data, &stored); err != nil {
		return parley.Account{ID: accountID}, fmt.Errorf("decode account %s: %w", accountID, err)
	}
	a := stored.Account
	connector, inClear, err := secret.DecodeConnector(ctx, s.sealer, accountID, stored.ConnectorSecretSealed, stored.ConnectorSecret)
	if err != nil {
		return parley.Account{ID: accountID}, err
	}
	a.ConnectorSecret = connector
	if inClear {
		sealed, err := s.encodeAccount(ctx, a)
		if err != nil {
			return parley.Account{ID: accountID}, err
		}
		if err := s.sealInPlace(bucketAccounts, []byte(accountID), data, sealed); err != nil {
			return parley.Account{ID: accountID}, err
		}
	}
	return a, nil
}

// PutAccount implements store.Accounts.
func (s *Store) PutAccount(ctx context.Context, a parley.Account) error {
	data, err := s.encodeAccount(ctx, a)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketAccounts).Put([]byte(a.ID), data) })
}

// encodeAccount encodes an account's record, its connector secret sealed.
func (s *Store) encodeAccount(ctx context.Context, a parley.Account) ([]byte, error) {
	stored := storedAccount{Account: a}
	var err error
	if stored.ConnectorSecretSealed, err = secret.EncodeConnector(ctx, s.sealer, a); err != nil {
		return nil, err
	}
	data, err := json.Marshal(stored)
	if err != nil {
		return nil, fmt.Errorf("encode account %s: %w", a.ID, err)
	}
	return data, nil
}

// sealInPlace replaces the record at key of bucket, which was read with
// its secrets in clear, with sealed: unless it changed since it was read,
// when it was written meanwhile, sealed.
func (s *Store) sealInPlace(bucket, key, read, sealed []byte) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket)
		if b == nil || !bytes.Equal(b.Get(key), read) {
			return nil
		}
		return b.Put(key, sealed)
	})
}

// listJSON decodes, in key order, the JSON values of bucket whose keys
// start with prefix; an empty list, not nil, when there are none. what
// names a value in errors.
func listJSON[T any](s *Store, bucket, prefix []byte, what string) ([]T, error) {
	out := []T{}
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var item T
			if err := json.Unmarshal(v, &item); err != nil {
				return fmt.Errorf("decode %s %q: %w", what, k, err)
			}
			out = append(out, item)
		}
		return nil
	})
	return out, err
}

// CreateCampaign implements store.Campaigns.
func (s *Store) CreateCampaign(ctx context.Context, c parley.Campaign, rs []parley.Recipient) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		cb := tx.Bucket(bucketCampaigns)
		key := campaignKey(c.AccountID, c.ID)
		if cb.Get(key) != nil {
			return parley.Errorf(parley.ECONFLICT, "campaign %s exists", c.ID)
		}
		if err := put(cb, key, c); err != nil {
			return err
		}
		if err := indexCreated(tx, c); err != nil {
			return err
		}
		if !c.FanoutDone() {
			if err := tx.Bucket(bucketPending).Put(key, nil); err != nil {
				return err
			}
		}
		rb := tx.Bucket(bucketRecipients)
		ts := make([]transition, 0, len(rs))
		for _, r := range rs {
			c.TakeIn(&r)
			if err := put(rb, recipientKey(r.Ref()), r); err != nil {
				return err
			}
			if err := indexDue(tx, r, true); err != nil {
				return err
			}
			ts = append(ts, transition{after: r})
		}
		return record(tx, ts...)
	})
}

func duePrefix(status parley.RecipientStatus) []byte { return []byte(string(status) + "\x00") }

func dueKey(r parley.Recipient) []byte {
	k := binary.BigEndian.AppendUint64(duePrefix(r.Status), uint64(r.DueAt.UnixNano()))
	return append(k, recipientKey(r.Ref())...)
}

// indexDue adds (or removes) r's due-index entry if r's status is indexed.
func indexDue(tx *bolt.Tx, r parley.Recipient, add bool) error {
	if !r.Status.Indexed() {
		return nil
	}
	if add {
		return tx.Bucket(bucketDue).Put(dueKey(r), nil)
	}
	return tx.Bucket(bucketDue).Delete(dueKey(r))
}

// Campaign implements store.Campaigns.
func (s *Store) Campaign(ctx context.Context, accountID, campaignID string) (parley.Campaign, error) {
	var c parley.Campaign
	err := s.db.View(func(tx *bolt.Tx) error {
		return get(tx.Bucket(bucketCampaigns), campaignKey(accountID, campaignID), &c, "campaign "+campaignID)
	})
	return c, err
}

// SetFannedOut implements store.Campaigns.
func (s *Store) SetFannedOut(ctx context.Context, accountID, campaignID string, n int) error {
	return s.db.Batch(func(tx *bolt.Tx) error {
		cb := tx.Bucket(bucketCampaigns)
		key := campaignKey(accountID, campaignID)
		var c parley.Campaign
		if err := get(cb, key, &c, "campaign "+campaignID); err != nil {
			return err
		}
		if n <= c.FannedOut {
			return nil
		}
		c.FannedOut = n
		if c.FanoutDone() {
			if err := tx.Bucket(bucketPending).Delete(key); err != nil {
				return err
			}
		}
		return put(cb, key, c)
	})
}

// SetCampaignState implements store.Campaigns.
func (s *Store) SetCampaignState(ctx context.Context, accountID, campaignID string, from []parley.CampaignState, to parley.CampaignState, at time.Time) (parley.Campaign, error) {
	return s.changeCampaign(accountID, campaignID, func(c *parley.Campaign) (bool, error) {
		if !slices.Contains(from, c.State) {
			return false, parley.Errorf(parley.ECONFLICT, "campaign %s is %s", campaignID, stateName(c.State))
		}
		if c.State != to {
			c.State, c.StateChangedAt = to, at.UTC()
		}
		return true, nil
	})
}

// changeCampaign reads a campaign, lets change edit it, and writes it back
// when change says so, in one batched transaction; change's error (a
// failed condition) is returned with the campaign as stored, outside the
// transaction, so that it never aborts the batch it shares. ENOTFOUND
// when there is no such campaign.
func (s *Store) changeCampaign(accountID, campaignID string, change func(*parley.Campaign) (bool, error)) (parley.Campaign, error) {
	var c parley.Campaign
	var outcome error
	err := s.db.Batch(func(tx *bolt.Tx) error {
		outcome = nil
		cb := tx.Bucket(bucketCampaigns)
		key := campaignKey(accountID, campaignID)
		if err := get(cb, key, &c, "campaign "+campaignID); err != nil {
			outcome = err
			return nil
		}
		before := c
		var write bool
		if write, outcome = change(&c); !write {
			return nil
		}
		if err := put(cb, key, c); err != nil {
			return err
		}
		return outbox(tx, parley.CampaignEvents(before, c)...)
	})
	if err != nil {
		return parley.Campaign{}, err
	}
	return c, outcome
}

func stateName(s parley.CampaignState) string {
	if s == parley.StateActive {
		return "ACTIVE"
	}
	return string(s)
}

// PendingFanout implements store.Campaigns.
func (s *Store) PendingFanout(ctx context.Context) ([]parley.Campaign, error) {
	var out []parley.Campaign
	err := s.db.View(func(tx *bolt.Tx) error {
		cb := tx.Bucket(bucketCampaigns)
		return tx.Bucket(bucketPending).ForEach(func(k, _ []byte) error {
			var c parley.Campaign
			if err := get(cb, k, &c, "campaign "+string(k)); err != nil {
				return err
			}
			out = append(out, c)
			return nil
		})
	})
	return out, err
}

// Recipients implements store.Recipients.
func (s *Store) Recipients(ctx context.Context, accountID, campaignID string, afterSeq, limit int) ([]parley.Recipient, error) {
	limit = min(max(limit, 1), store.MaxPage)
	prefix := []byte(accountID + "\x00" + campaignID + "\x00")
	start := append(bytes.Clone(prefix), parley.RecipientID(afterSeq+1)...)
	var out []parley.Recipient
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketRecipients).Cursor()
		for k, v := c.Seek(start); k != nil && bytes.HasPrefix(k, prefix) && len(out) < limit; k, v = c.Next() {
			var r parley.Recipient
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("decode recipient %s: %w", k, err)
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

// Recipient implements store.Recipients.
func (s *Store) Recipient(ctx context.Context, ref parley.Ref) (parley.Recipient, error) {
	var r parley.Recipient
	err := s.db.View(func(tx *bolt.Tx) error {
		return get(tx.Bucket(bucketRecipients), recipientKey(ref), &r, "recipient "+ref.RecipientID)
	})
	return r, err
}

// UpdateRecipient implements store.Recipients. A failed condition is reported
// outside the transaction so it never aborts the batch it shares.
func (s *Store) UpdateRecipient(ctx context.Context, ref parley.Ref, change parley.RecipientChange) (parley.Recipient, error) {
	var r parley.Recipient
	var outcome error
	err := s.db.Batch(func(tx *bolt.Tx) error {
		var err error
		r, outcome, err = updateRecipient(tx, ref, change)
		return err
	})
	if err != nil {
		return parley.Recipient{}, err
	}
	return r, outcome
}

// ClaimRange implements store.Recipients: the claims in one transaction.
func (s *Store) ClaimRange(ctx context.Context, refs []parley.Ref, claim parley.RecipientChange) []store.RangeClaim {
	return s.updateAll(refs, func(int) parley.RecipientChange { return claim })
}

// RecordRange implements store.Recipients: the changes in one transaction.
func (s *Store) RecordRange(ctx context.Context, records []store.RangeRecord) []store.RangeClaim {
	refs := make([]parley.Ref, len(records))
	for i, rec := range records {
		refs[i] = rec.Ref
	}
	return s.updateAll(refs, func(i int) parley.RecipientChange { return records[i].Change })
}

// updateAll applies change(i) to each recipient refs[i], as UpdateRecipient
// would, in one transaction.
func (s *Store) updateAll(refs []parley.Ref, change func(i int) parley.RecipientChange) []store.RangeClaim {
	out := make([]store.RangeClaim, len(refs))
	err := s.db.Batch(func(tx *bolt.Tx) error {
		clear(out)
		for i, ref := range refs {
			r, outcome, err := updateRecipient(tx, ref, change(i))
			switch code := parley.ErrorCode(outcome); {
			case err != nil:
				return err
			case code == parley.ENOTFOUND:
			default:
				out[i] = store.RangeClaim{Recipient: r, Claimed: outcome == nil}
			}
		}
		return nil
	})
	if err != nil {
		for i := range out {
			out[i] = store.RangeClaim{Err: err}
		}
	}
	return out
}

// updateRecipient applies change to the recipient ref in tx, as
// UpdateRecipient does: outcome is its ENOTFOUND or ECONFLICT, err a
// failure of the transaction.
func updateRecipient(tx *bolt.Tx, ref parley.Ref, change parley.RecipientChange) (r parley.Recipient, outcome, err error) {
	b := tx.Bucket(bucketRecipients)
	key := recipientKey(ref)
	if err := get(b, key, &r, "recipient "+ref.RecipientID); err != nil {
		if parley.ErrorCode(err) == parley.ENOTFOUND {
			return r, err, nil
		}
		return r, nil, err
	}
	if !change.Allows(r) {
		return r, parley.Errorf(parley.ECONFLICT, "recipient %s is %s", ref.RecipientID, r.Status), nil
	}
	if err := indexDue(tx, r, false); err != nil {
		return r, nil, err
	}
	before := r
	change.Apply(&r)
	if err := indexDue(tx, r, true); err != nil {
		return r, nil, err
	}
	if err := put(b, key, r); err != nil {
		return r, nil, err
	}
	return r, nil, record(tx, transition{before, r})
}

// DueRecipients implements store.Recipients.
func (s *Store) DueRecipients(ctx context.Context, status parley.RecipientStatus, before time.Time, limit int) ([]parley.Recipient, error) {
	limit = min(max(limit, 1), store.MaxPage)
	prefix := duePrefix(status)
	end := binary.BigEndian.AppendUint64(bytes.Clone(prefix), uint64(before.UnixNano()))
	var out []parley.Recipient
	err := s.db.View(func(tx *bolt.Tx) error {
		rb := tx.Bucket(bucketRecipients)
		c := tx.Bucket(bucketDue).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && bytes.Compare(k[:len(end)], end) < 0 && len(out) < limit; k, _ = c.Next() {
			var r parley.Recipient
			if err := get(rb, k[len(end):], &r, "recipient "+string(k[len(end):])); err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}
