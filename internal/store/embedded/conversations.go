package embedded

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Buckets of reply routing, created by the first write to each. Times in
// keys are 8-byte big-endian Unix nanoseconds, so byte order is time order.
var (
	bucketContexts       = []byte("outbound_contexts")       // account \0 consumer \0 sentAt campaign → context
	bucketConversations  = []byte("conversations")           // account \0 id → conversation
	bucketConvHeads      = []byte("conversation_heads")      // account \0 consumer → convHeadRecord
	bucketConvByConsumer = []byte("conversation_consumers")  // account \0 consumer \0 id → nil
	bucketBroadcasts     = []byte("broadcasts")              // account \0 id → campaign
	bucketEntryPoints    = []byte("broadcast_entry_points")  // account \0 entry point \0 id → nil
	bucketNotifications  = []byte("broadcast_notifications") // account \0 consumer \0 at → notification
	bucketReportEvents   = []byte("report_events")           // account \0 at id → event
)

var (
	_ store.OutboundContexts = (*Store)(nil)
	_ store.Conversations    = (*Store)(nil)
	_ store.Broadcasts       = (*Store)(nil)
	_ store.ReportEvents     = (*Store)(nil)
)

// storedAccount is an account as the accounts bucket holds it: with its
// connector secret sealed (secret.EncodeConnector). ConnectorSecret,
// which shadows the account's, holds it in clear only in records written
// before secrets were sealed, until Account reads them.
type storedAccount struct {
	parley.Account
	ConnectorSecret       string `json:"connectorSecret,omitempty"`
	ConnectorSecretSealed []byte `json:"connectorSecretSealed,omitempty"`
}

// convHeadRecord is a consumer's latest conversation.
type convHeadRecord struct {
	ID     string                    `json:"id"`
	Status parley.ConversationStatus `json:"status"`
}

func routeKey(parts ...string) []byte {
	var b []byte
	for i, p := range parts {
		if i > 0 {
			b = append(b, 0)
		}
		b = append(b, p...)
	}
	return b
}

func routePrefix(parts ...string) []byte { return append(routeKey(parts...), 0) }

// routeTimeKey appends t to b, clamped to the instants Unix nanoseconds hold
// (1970 to 2262).
func routeTimeKey(b []byte, t time.Time) []byte {
	ns := uint64(0)
	switch {
	case t.After(maxRouteKeyTime):
		ns = uint64(maxRouteKeyTime.UnixNano())
	case t.After(time.Unix(0, 0)):
		ns = uint64(t.UnixNano())
	}
	return binary.BigEndian.AppendUint64(b, ns)
}

var maxRouteKeyTime = time.Unix(0, math.MaxInt64)

// routeBucket returns the named bucket in a write transaction, creating it.
func routeBucket(tx *bolt.Tx, name []byte) (*bolt.Bucket, error) {
	b, err := tx.CreateBucketIfNotExists(name)
	if err != nil {
		return nil, fmt.Errorf("bucket %s: %w", name, err)
	}
	return b, nil
}

// routeNewestFirst calls fn for the keys with prefix p from the last one before
// before (the end of p when nil) backwards, until fn returns false.
func routeNewestFirst(b *bolt.Bucket, p, before []byte, fn func(k, v []byte) (bool, error)) error {
	if b == nil {
		return nil
	}
	c := b.Cursor()
	end := before
	if end == nil {
		end = append(bytes.Clone(p[:len(p)-1]), p[len(p)-1]+1)
	}
	k, v := c.Seek(end)
	if k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	for ; k != nil && bytes.HasPrefix(k, p); k, v = c.Prev() {
		more, err := fn(k, v)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// PutOutboundContext implements store.OutboundContexts.
func (s *Store) PutOutboundContext(ctx context.Context, c parley.OutboundContext) error {
	return s.db.Batch(func(tx *bolt.Tx) error {
		b, err := routeBucket(tx, bucketContexts)
		if err != nil {
			return err
		}
		k := append(routeTimeKey(routePrefix(c.AccountID, c.Consumer), c.SentAt), c.CampaignID...)
		return put(b, k, c.Fit())
	})
}

// OutboundContexts implements store.OutboundContexts.
func (s *Store) OutboundContexts(ctx context.Context, accountID, consumer string, since time.Time, limit int) ([]parley.OutboundContext, error) {
	limit = min(max(limit, 1), store.MaxContexts)
	p := routePrefix(accountID, consumer)
	floor := routeTimeKey(bytes.Clone(p), since)
	var out []parley.OutboundContext
	err := s.db.View(func(tx *bolt.Tx) error {
		return routeNewestFirst(tx.Bucket(bucketContexts), p, nil, func(k, v []byte) (bool, error) {
			if bytes.Compare(k, floor) < 0 {
				return false, nil
			}
			var c parley.OutboundContext
			if err := json.Unmarshal(v, &c); err != nil {
				return false, fmt.Errorf("decode outbound context %q: %w", k, err)
			}
			out = append(out, c)
			return len(out) < limit, nil
		})
	})
	return out, err
}

// CreateConversation implements store.Conversations.
func (s *Store) CreateConversation(ctx context.Context, c parley.Conversation, prevID string) error {
	var outcome error
	err := s.db.Batch(func(tx *bolt.Tx) error {
		outcome = nil
		heads, err := routeBucket(tx, bucketConvHeads)
		if err != nil {
			return err
		}
		hk := routeKey(c.AccountID, c.Consumer)
		var head convHeadRecord
		if data := heads.Get(hk); data != nil {
			if err := json.Unmarshal(data, &head); err != nil {
				return fmt.Errorf("decode conversation head: %w", err)
			}
		}
		if head.ID != prevID || (prevID != "" && head.Status != parley.ConversationClosed) {
			outcome = parley.Errorf(parley.ECONFLICT, "the consumer's latest conversation is no longer %q", prevID)
			return nil
		}
		convs, err := routeBucket(tx, bucketConversations)
		if err != nil {
			return err
		}
		ck := routeKey(c.AccountID, c.ID)
		if convs.Get(ck) != nil {
			outcome = parley.Errorf(parley.ECONFLICT, "conversation %s exists", c.ID)
			return nil
		}
		byConsumer, err := routeBucket(tx, bucketConvByConsumer)
		if err != nil {
			return err
		}
		if err := byConsumer.Put(routeKey(c.AccountID, c.Consumer, c.ID), nil); err != nil {
			return err
		}
		if err := put(heads, hk, convHeadRecord{ID: c.ID, Status: c.Status}); err != nil {
			return err
		}
		return put(convs, ck, c)
	})
	if err != nil {
		return err
	}
	return outcome
}

// SaveConversation implements store.Conversations.
func (s *Store) SaveConversation(ctx context.Context, c parley.Conversation) (parley.Conversation, error) {
	next := c
	next.Version++
	var outcome error
	err := s.db.Batch(func(tx *bolt.Tx) error {
		outcome = nil
		convs, err := routeBucket(tx, bucketConversations)
		if err != nil {
			return err
		}
		ck := routeKey(c.AccountID, c.ID)
		var stored parley.Conversation
		if err := get(convs, ck, &stored, "conversation "+c.ID); err != nil {
			if parley.ErrorCode(err) == parley.ENOTFOUND {
				outcome = err
				return nil
			}
			return err
		}
		switch {
		case !stored.Open():
			outcome = parley.Errorf(parley.ECONFLICT, "conversation %s is closed", c.ID)
			return nil
		case stored.Version != c.Version:
			outcome = parley.Errorf(parley.ECONFLICT, "conversation %s changed (version %d, not %d)", c.ID, stored.Version, c.Version)
			return nil
		}
		if !next.Open() {
			heads, err := routeBucket(tx, bucketConvHeads)
			if err != nil {
				return err
			}
			if err := put(heads, routeKey(c.AccountID, c.Consumer), convHeadRecord{ID: c.ID, Status: next.Status}); err != nil {
				return err
			}
		}
		return put(convs, ck, next)
	})
	if err != nil {
		return parley.Conversation{}, err
	}
	if outcome != nil {
		return parley.Conversation{}, outcome
	}
	return next, nil
}

// Conversation implements store.Conversations.
func (s *Store) Conversation(ctx context.Context, accountID, id string) (parley.Conversation, error) {
	var c parley.Conversation
	err := s.db.View(func(tx *bolt.Tx) error { return s.conversation(tx, accountID, id, &c) })
	return c, err
}

func (s *Store) conversation(tx *bolt.Tx, accountID, id string, c *parley.Conversation) error {
	b := tx.Bucket(bucketConversations)
	if b == nil {
		return parley.Errorf(parley.ENOTFOUND, "conversation %s not found", id)
	}
	return get(b, routeKey(accountID, id), c, "conversation "+id)
}

func convHeadOf(tx *bolt.Tx, accountID, consumer string) (convHeadRecord, bool, error) {
	var h convHeadRecord
	b := tx.Bucket(bucketConvHeads)
	if b == nil {
		return h, false, nil
	}
	data := b.Get(routeKey(accountID, consumer))
	if data == nil {
		return h, false, nil
	}
	if err := json.Unmarshal(data, &h); err != nil {
		return h, false, fmt.Errorf("decode conversation head: %w", err)
	}
	return h, true, nil
}

// LatestConversation implements store.Conversations.
func (s *Store) LatestConversation(ctx context.Context, accountID, consumer string) (parley.Conversation, bool, error) {
	var c parley.Conversation
	found := false
	err := s.db.View(func(tx *bolt.Tx) error {
		h, ok, err := convHeadOf(tx, accountID, consumer)
		if err != nil || !ok {
			return err
		}
		found = true
		return s.conversation(tx, accountID, h.ID, &c)
	})
	return c, found, err
}

// HasOpenConversation implements store.Conversations.
func (s *Store) HasOpenConversation(ctx context.Context, accountID, consumer string) (bool, error) {
	open := false
	err := s.db.View(func(tx *bolt.Tx) error {
		h, ok, err := convHeadOf(tx, accountID, consumer)
		open = ok && h.Status == parley.ConversationOpen
		return err
	})
	return open, err
}

// ListConversations implements store.Conversations.
func (s *Store) ListConversations(ctx context.Context, accountID string, f parley.ConversationFilter) (parley.ConversationPage, error) {
	limit := f.PageLimit()
	page := parley.ConversationPage{Conversations: []parley.Conversation{}}
	err := s.db.View(func(tx *bolt.Tx) error {
		b, p := tx.Bucket(bucketConversations), routePrefix(accountID)
		var before []byte
		if f.Cursor != "" {
			before = routeKey(accountID, f.Cursor)
		}
		visit := func(id string) (bool, error) {
			var c parley.Conversation
			if err := s.conversation(tx, accountID, id, &c); err != nil || !f.Matches(c) {
				return err == nil, err
			}
			if len(page.Conversations) == limit {
				page.NextCursor = page.Conversations[limit-1].ID
				return false, nil
			}
			page.Conversations = append(page.Conversations, c)
			return true, nil
		}
		if f.Consumer != "" {
			b, p = tx.Bucket(bucketConvByConsumer), routePrefix(accountID, f.Consumer)
			if f.Cursor != "" {
				before = routeKey(accountID, f.Consumer, f.Cursor)
			}
		}
		return routeNewestFirst(b, p, before, func(k, _ []byte) (bool, error) { return visit(string(k[len(p):])) })
	})
	return page, err
}

// CreateBroadcast implements store.Broadcasts.
func (s *Store) CreateBroadcast(ctx context.Context, bc parley.BroadcastCampaign) error {
	var outcome error
	err := s.db.Batch(func(tx *bolt.Tx) error {
		outcome = nil
		b, err := routeBucket(tx, bucketBroadcasts)
		if err != nil {
			return err
		}
		k := routeKey(bc.AccountID, bc.ID)
		if b.Get(k) != nil {
			outcome = parley.Errorf(parley.ECONFLICT, "broadcast %s exists", bc.ID)
			return nil
		}
		eps, err := routeBucket(tx, bucketEntryPoints)
		if err != nil {
			return err
		}
		for _, e := range bc.Engagements {
			if err := eps.Put(routeKey(bc.AccountID, e.EntryPoint, bc.ID), nil); err != nil {
				return err
			}
		}
		return put(b, k, bc)
	})
	if err != nil {
		return err
	}
	return outcome
}

// Broadcast implements store.Broadcasts.
func (s *Store) Broadcast(ctx context.Context, accountID, id string) (parley.BroadcastCampaign, error) {
	var bc parley.BroadcastCampaign
	err := s.db.View(func(tx *bolt.Tx) error { return broadcastOf(tx, accountID, id, &bc) })
	return bc, err
}

func broadcastOf(tx *bolt.Tx, accountID, id string, bc *parley.BroadcastCampaign) error {
	b := tx.Bucket(bucketBroadcasts)
	if b == nil {
		return parley.Errorf(parley.ENOTFOUND, "broadcast %s not found", id)
	}
	return get(b, routeKey(accountID, id), bc, "broadcast "+id)
}

// Broadcasts implements store.Broadcasts.
func (s *Store) Broadcasts(ctx context.Context, accountID string) ([]parley.BroadcastCampaign, error) {
	out := []parley.BroadcastCampaign{}
	p := routePrefix(accountID)
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketBroadcasts)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
			var bc parley.BroadcastCampaign
			if err := json.Unmarshal(v, &bc); err != nil {
				return fmt.Errorf("decode broadcast %q: %w", k, err)
			}
			out = append(out, bc)
		}
		return nil
	})
	return out, err
}

// BroadcastsByEntryPoint implements store.Broadcasts.
func (s *Store) BroadcastsByEntryPoint(ctx context.Context, accountID, entryPoint string) ([]parley.BroadcastCampaign, error) {
	out := []parley.BroadcastCampaign{}
	p := routePrefix(accountID, entryPoint)
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketEntryPoints)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
			var bc parley.BroadcastCampaign
			if err := broadcastOf(tx, accountID, string(k[len(p):]), &bc); err != nil {
				return err
			}
			if e, ok := bc.Engagement(entryPoint); ok {
				bc.Engagements = []parley.Engagement{e}
				out = append(out, bc)
			}
		}
		return nil
	})
	return out, err
}

// PutBroadcastNotification implements store.Broadcasts.
func (s *Store) PutBroadcastNotification(ctx context.Context, n parley.BroadcastNotification) error {
	return s.db.Batch(func(tx *bolt.Tx) error {
		b, err := routeBucket(tx, bucketNotifications)
		if err != nil {
			return err
		}
		return put(b, routeTimeKey(routePrefix(n.AccountID, n.Consumer), n.At), n)
	})
}

// LatestBroadcastNotification implements store.Broadcasts.
func (s *Store) LatestBroadcastNotification(ctx context.Context, accountID, consumer string) (parley.BroadcastNotification, bool, error) {
	var n parley.BroadcastNotification
	found := false
	err := s.db.View(func(tx *bolt.Tx) error {
		return routeNewestFirst(tx.Bucket(bucketNotifications), routePrefix(accountID, consumer), nil, func(k, v []byte) (bool, error) {
			found = true
			if err := json.Unmarshal(v, &n); err != nil {
				return false, fmt.Errorf("decode broadcast notification %q: %w", k, err)
			}
			return false, nil
		})
	})
	return n, found, err
}

// PutReportEvent implements store.ReportEvents.
func (s *Store) PutReportEvent(ctx context.Context, e parley.ReportEvent) error {
	return s.db.Batch(func(tx *bolt.Tx) error {
		b, err := routeBucket(tx, bucketReportEvents)
		if err != nil {
			return err
		}
		return put(b, append(routeTimeKey(routePrefix(e.AccountID), e.At), e.ID...), e)
	})
}

// ReportEvents implements store.ReportEvents.
func (s *Store) ReportEvents(ctx context.Context, accountID string, since time.Time, limit int) ([]parley.ReportEvent, error) {
	limit = min(max(limit, 1), store.MaxPage)
	p := routePrefix(accountID)
	out := []parley.ReportEvent{}
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketReportEvents)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Seek(routeTimeKey(bytes.Clone(p), since)); k != nil && bytes.HasPrefix(k, p) && len(out) < limit; k, v = c.Next() {
			var e parley.ReportEvent
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("decode report event %q: %w", k, err)
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}
