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

// bucketReceived holds the consumers' received messages: account \0
// consumer \0 at providerMessageId → message. Sent messages are the
// outbound contexts (bucketContexts), keyed alike.
var bucketReceived = []byte("received_messages")

var _ store.MessageHistory = (*Store)(nil)

// PutReceivedMessage implements store.MessageHistory.
func (s *Store) PutReceivedMessage(ctx context.Context, m parley.ReceivedMessage) error {
	if err := m.Validate(); err != nil {
		return err
	}
	return s.db.Batch(func(tx *bolt.Tx) error {
		b, err := routeBucket(tx, bucketReceived)
		if err != nil {
			return err
		}
		k := append(routeTimeKey(routePrefix(m.AccountID, m.Consumer), m.At), m.ProviderMessageID...)
		return put(b, k, m.Fit())
	})
}

// MessageHistory implements store.MessageHistory: it reads at most limit
// messages of each direction below the cursor and merges them.
func (s *Store) MessageHistory(ctx context.Context, accountID, consumer, cursor string, limit int) (parley.HistoryPage, error) {
	limit = min(max(limit, 1), store.MaxPage)
	p := routePrefix(accountID, consumer)
	var sentBefore, receivedBefore []byte
	if cursor != "" {
		c, err := parley.ParseHistoryCursor(cursor)
		if err != nil {
			return parley.HistoryPage{}, err
		}
		at := routeTimeKey(bytes.Clone(p), c.At)
		if c.Direction == parley.Outbound {
			sentBefore = append(bytes.Clone(at), c.Key...)
			receivedBefore = routeTimeKey(bytes.Clone(p), c.At.Add(time.Nanosecond))
		} else {
			sentBefore = at
			receivedBefore = append(bytes.Clone(at), c.Key...)
		}
	}
	var sent, received []parley.HistoryMessage
	err := s.db.View(func(tx *bolt.Tx) error {
		err := routeNewestFirst(tx.Bucket(bucketContexts), p, sentBefore, func(k, v []byte) (bool, error) {
			var c parley.OutboundContext
			if err := json.Unmarshal(v, &c); err != nil {
				return false, fmt.Errorf("decode outbound context %q: %w", k, err)
			}
			sent = append(sent, c.History())
			return len(sent) < limit, nil
		})
		if err != nil {
			return err
		}
		return routeNewestFirst(tx.Bucket(bucketReceived), p, receivedBefore, func(k, v []byte) (bool, error) {
			var m parley.ReceivedMessage
			if err := json.Unmarshal(v, &m); err != nil {
				return false, fmt.Errorf("decode received message %q: %w", k, err)
			}
			received = append(received, m.History())
			return len(received) < limit, nil
		})
	})
	if err != nil {
		return parley.HistoryPage{}, err
	}
	return parley.MergeHistory(sent, received, limit), nil
}
