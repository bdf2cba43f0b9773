package embedded

import (
	"context"
	"encoding/binary"
	"encoding/json"

	bolt "go.etcd.io/bbolt"

	"github.com/parleyhq/parley/internal/parley"
)

// bucketEventOutbox holds the lifecycle events committed and not yet
// published: sequence (8 bytes, big endian) → JSON event. An event is put
// in the transaction of the change it records, so no change goes
// unpublished, and removed once published (see PublishEvents).
var bucketEventOutbox = []byte("eventoutbox")

// transition is one recipient's change, from before to after.
type transition struct{ before, after parley.Recipient }

// record counts the steps each transition newly reaches and the
// campaigns' recipients by status, and puts the lifecycle events in the
// outbox, in tx.
func record(tx *bolt.Tx, ts ...transition) error {
	if err := countStatuses(tx, ts); err != nil {
		return err
	}
	var rows []parley.CountRow
	var evs []parley.Event
	for _, t := range ts {
		rows = append(rows, parley.Counts(t.before, t.after)...)
		evs = append(evs, parley.Events(t.before, t.after)...)
	}
	if err := count(tx, parley.MergeRows(rows)); err != nil {
		return err
	}
	return outbox(tx, evs...)
}

// outbox puts evs in the outbox, in tx.
func outbox(tx *bolt.Tx, evs ...parley.Event) error {
	if len(evs) == 0 {
		return nil
	}
	b, err := tx.CreateBucketIfNotExists(bucketEventOutbox)
	if err != nil {
		return err
	}
	for _, ev := range evs {
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		v, err := json.Marshal(ev)
		if err != nil {
			return err
		}
		if err := b.Put(binary.BigEndian.AppendUint64(nil, seq), v); err != nil {
			return err
		}
	}
	return nil
}

// PublishEvents hands up to limit of the oldest unpublished lifecycle
// events to publish, in the order they were committed, and removes them
// once publish succeeds; it reports how many it published. When publish
// fails they stay, to be handed again: an event is published at least
// once. PublishEvents is for one caller at a time.
func (s *Store) PublishEvents(ctx context.Context, limit int, publish func(context.Context, []parley.Event) error) (int, error) {
	var keys [][]byte
	var evs []parley.Event
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketEventOutbox)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.First(); k != nil && len(evs) < limit; k, v = c.Next() {
			var ev parley.Event
			if err := json.Unmarshal(v, &ev); err != nil {
				return err
			}
			keys, evs = append(keys, append([]byte(nil), k...)), append(evs, ev)
		}
		return nil
	})
	if err != nil || len(evs) == 0 {
		return 0, err
	}
	if err := publish(ctx, evs); err != nil {
		return 0, err
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketEventOutbox)
		for _, k := range keys {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return len(evs), nil
}
