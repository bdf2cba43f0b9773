package embedded

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

var (
	_ store.Counters = (*Store)(nil)
	_ store.Stamps   = (*Store)(nil)
)

// bucketCounters holds the lifecycle counters: account \x00 hour (8 bytes,
// big endian Unix seconds) campaign \x00 skill \x00 channel \x00 handoff
// \x00 source \x00 app → one count per step (8 bytes each, big endian), then, when
// there are any, the counts per error key and per status as JSON
// (counterTail). A key written before
// handoffs, sources and apps were counted ends at its channel. Each is changed in
// the transaction that changes the recipient whose steps it counts.
var bucketCounters = []byte("counters")

func counterPrefix(accountID string, hour time.Time) []byte {
	k := append([]byte(accountID), 0)
	return binary.BigEndian.AppendUint64(k, uint64(hour.Unix()))
}

func counterKey(k parley.CountKey) []byte {
	key := append(counterPrefix(k.AccountID, k.Hour), k.CampaignID+"\x00"+k.Skill+"\x00"+string(k.Channel)...)
	if k.HandoffID != "" || k.Source != "" || k.App != "" {
		key = append(key, "\x00"+k.HandoffID+"\x00"+k.Source+"\x00"+k.App...)
	}
	return key
}

// counterTail is what a counter record holds after its step counts.
type counterTail struct {
	Errors   map[string]int64                 `json:"e,omitempty"`
	Statuses map[parley.RecipientStatus]int64 `json:"s,omitempty"`
}

// stepBytes is the size of a counter record's step counts.
const stepBytes = 8 * int(parley.NumSteps)

// parseCounter reads a counter record back into its row.
func parseCounter(key, value []byte) (parley.CountRow, bool) {
	i := bytes.IndexByte(key, 0)
	if i < 0 || len(key) < i+9 || len(value) < stepBytes {
		return parley.CountRow{}, false
	}
	parts := strings.SplitN(string(key[i+9:]), "\x00", 6)
	switch len(parts) {
	case 3:
		parts = append(parts, "", "", "")
	case 6:
	default:
		return parley.CountRow{}, false
	}
	r := parley.CountRow{CountKey: parley.CountKey{
		AccountID: string(key[:i]), Hour: time.Unix(int64(binary.BigEndian.Uint64(key[i+1:i+9])), 0).UTC(),
		CampaignID: parts[0], Skill: parts[1], Channel: parley.Channel(parts[2]), HandoffID: parts[3], Source: parts[4], App: parts[5],
	}}
	for s := range r.Counts {
		r.Counts[s] = int64(binary.BigEndian.Uint64(value[8*s:]))
	}
	if len(value) > stepBytes {
		var tail counterTail
		if json.Unmarshal(value[stepBytes:], &tail) != nil {
			return parley.CountRow{}, false
		}
		r.Errors, r.Statuses = tail.Errors, tail.Statuses
	}
	return r, true
}

// count adds rows to the counters, in tx.
func count(tx *bolt.Tx, rows []parley.CountRow) error {
	if len(rows) == 0 {
		return nil
	}
	b, err := tx.CreateBucketIfNotExists(bucketCounters)
	if err != nil {
		return err
	}
	for _, row := range rows {
		key := counterKey(row.CountKey)
		if old, ok := parseCounter(key, b.Get(key)); ok {
			row.Merge(old)
		}
		v := make([]byte, 0, stepBytes)
		for _, n := range row.Counts {
			v = binary.BigEndian.AppendUint64(v, uint64(n))
		}
		if len(row.Errors) > 0 || len(row.Statuses) > 0 {
			tail, err := json.Marshal(counterTail{row.Errors, row.Statuses})
			if err != nil {
				return err
			}
			v = append(v, tail...)
		}
		if err := b.Put(key, v); err != nil {
			return err
		}
	}
	return nil
}

// CountRows implements store.Counters.
func (s *Store) CountRows(ctx context.Context, q parley.CountQuery) ([]parley.CountRow, error) {
	out := []parley.CountRow{}
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketCounters)
		if b == nil {
			return nil
		}
		start, end := counterPrefix(q.AccountID, parley.HourOf(q.From)), counterPrefix(q.AccountID, q.To)
		c := b.Cursor()
		for k, v := c.Seek(start); k != nil && bytes.Compare(k, end) < 0; k, v = c.Next() {
			row, ok := parseCounter(k, v)
			if ok && q.Matches(row.CountKey) && q.Keeps(row) {
				out = append(out, row)
			}
		}
		return nil
	})
	return out, err
}

// StampRecipient implements store.Stamps.
func (s *Store) StampRecipient(ctx context.Context, ref parley.Ref, step parley.Step, at time.Time) (parley.Recipient, bool, error) {
	var r parley.Recipient
	var stamped bool
	err := s.db.Batch(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRecipients)
		key := recipientKey(ref)
		if err := get(b, key, &r, "recipient "+ref.RecipientID); err != nil {
			return err
		}
		before := r
		if stamped = r.Timeline.Stamp(step, at); !stamped {
			return nil
		}
		if err := put(b, key, r); err != nil {
			return err
		}
		return record(tx, transition{before, r})
	})
	if err != nil {
		return parley.Recipient{}, false, err
	}
	return r, stamped, nil
}
