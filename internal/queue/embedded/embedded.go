// Package embedded is the queue.Queue adapter for local runs: SQS semantics
// (delays, visibility timeouts, receipt handles, receive counts, a dead-letter
// bucket) on a bbolt file, so queued jobs survive a restart.
package embedded

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/queue"
)

var (
	bucketMessages = []byte("messages") // id → record
	bucketVisible  = []byte("visible")  // visibleAt (8 bytes, big endian ns) + id → nil
	bucketDead     = []byte("dead")     // id → record
)

type record struct {
	Body      []byte `json:"body"`
	VisibleAt int64  `json:"visibleAt"`
	Receives  int    `json:"receives"`
	Token     string `json:"token,omitempty"`
	// Held is set while the message is invisible because it was received:
	// neither deleted nor given another visibility since (see ReleaseHeld).
	Held bool `json:"held,omitempty"`
}

// Options configure a queue.
type Options struct {
	// MaxReceiveCount moves a message to the dead-letter bucket instead of
	// delivering it once it has been received this many times. 0 means never.
	MaxReceiveCount int
}

// Queue is a queue.Queue on a bbolt file.
type Queue struct {
	db  *bolt.DB
	opt Options

	mu     sync.Mutex
	signal chan struct{} // closed and replaced whenever messages are sent
}

var _ queue.Queue = (*Queue)(nil)

// Open opens (creating if needed) the queue file at path.
func Open(path string, opt Options) (*Queue, error) {
	// Address space only: spares remaps as a large fan-out grows the file.
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, InitialMmapSize: 1 << 30})
	if err != nil {
		return nil, fmt.Errorf("open queue %s: %w", path, err)
	}
	db.MaxBatchDelay = 2 * time.Millisecond
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketMessages, bucketVisible, bucketDead} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("init queue %s: %w", path, err)
	}
	return &Queue{db: db, opt: opt, signal: make(chan struct{})}, nil
}

// Close closes the queue file.
func (q *Queue) Close() error { return q.db.Close() }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return hex.EncodeToString(b)
}

func visibleKey(at int64, id string) []byte {
	return append(binary.BigEndian.AppendUint64(nil, uint64(at)), id...)
}

func load(tx *bolt.Tx, bucket []byte, id string) (*record, error) {
	data := tx.Bucket(bucket).Get([]byte(id))
	if data == nil {
		return nil, nil
	}
	var r record
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("decode queued message %s: %w", id, err)
	}
	return &r, nil
}

func save(tx *bolt.Tx, bucket []byte, id string, r *record) error {
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return tx.Bucket(bucket).Put([]byte(id), data)
}

// move re-indexes message id from its current visibility time to at.
func move(tx *bolt.Tx, id string, r *record, at int64) error {
	vb := tx.Bucket(bucketVisible)
	if err := vb.Delete(visibleKey(r.VisibleAt, id)); err != nil {
		return err
	}
	r.VisibleAt = at
	if err := vb.Put(visibleKey(at, id), nil); err != nil {
		return err
	}
	return save(tx, bucketMessages, id, r)
}

func remove(tx *bolt.Tx, id string, r *record) error {
	if err := tx.Bucket(bucketVisible).Delete(visibleKey(r.VisibleAt, id)); err != nil {
		return err
	}
	return tx.Bucket(bucketMessages).Delete([]byte(id))
}

// Send implements queue.Queue.
func (q *Queue) Send(ctx context.Context, entries ...queue.Entry) error {
	if err := queue.CheckEntries(entries); err != nil {
		return err
	}
	now := time.Now().UnixNano()
	err := q.db.Batch(func(tx *bolt.Tx) error {
		for _, e := range entries {
			id := randomHex(16)
			r := &record{Body: e.Body, VisibleAt: now + int64(e.Delay)}
			if err := tx.Bucket(bucketVisible).Put(visibleKey(r.VisibleAt, id), nil); err != nil {
				return err
			}
			if err := save(tx, bucketMessages, id, r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return parley.Wrap(parley.EUNAVAILABLE, err, "embedded queue send")
	}
	q.wake()
	return nil
}

// wake releases every Receive waiting for messages.
func (q *Queue) wake() {
	q.mu.Lock()
	close(q.signal)
	q.signal = make(chan struct{})
	q.mu.Unlock()
}

// Receive implements queue.Queue.
func (q *Queue) Receive(ctx context.Context, n int, wait, visibility time.Duration) ([]queue.Message, error) {
	n = min(queue.MaxBatch, max(n, 1))
	deadline := time.Now().Add(wait)
	for {
		q.mu.Lock()
		signal := q.signal
		q.mu.Unlock()
		msgs, next, err := q.take(n, visibility)
		if err != nil || len(msgs) > 0 || !time.Now().Before(deadline) {
			return msgs, err
		}
		until := deadline
		if next > 0 && time.Unix(0, next).Before(until) {
			until = time.Unix(0, next)
		}
		timer := time.NewTimer(time.Until(until))
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil, ctx.Err()
		case <-signal:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// take receives up to n visible messages and reports when the next
// invisible one becomes visible (0 if none is queued).
func (q *Queue) take(n int, visibility time.Duration) ([]queue.Message, int64, error) {
	var msgs []queue.Message
	var next int64
	now := time.Now().UnixNano()
	err := q.db.Update(func(tx *bolt.Tx) error {
		msgs, next = nil, 0
		due, at, err := dueIDs(tx, now, n)
		if err != nil {
			return err
		}
		next = at
		for _, id := range due {
			m, err := q.deliver(tx, id, now, visibility)
			if err != nil {
				return err
			}
			if m != nil {
				msgs = append(msgs, *m)
			}
		}
		return nil
	})
	if err != nil {
		return nil, 0, parley.Wrap(parley.EUNAVAILABLE, err, "embedded queue receive")
	}
	return msgs, next, nil
}

// dueIDs lists up to n ids visible at now and the visibility time of the
// first one that is not.
func dueIDs(tx *bolt.Tx, now int64, n int) ([]string, int64, error) {
	var ids []string
	c := tx.Bucket(bucketVisible).Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		at := int64(binary.BigEndian.Uint64(k[:8]))
		if at > now || len(ids) == n {
			return ids, at, nil
		}
		ids = append(ids, string(k[8:]))
	}
	return ids, 0, nil
}

// deliver hands message id out with a fresh receipt, or dead-letters it.
func (q *Queue) deliver(tx *bolt.Tx, id string, now int64, visibility time.Duration) (*queue.Message, error) {
	r, err := load(tx, bucketMessages, id)
	if err != nil || r == nil {
		return nil, err
	}
	if q.opt.MaxReceiveCount > 0 && r.Receives >= q.opt.MaxReceiveCount {
		if err := remove(tx, id, r); err != nil {
			return nil, err
		}
		return nil, save(tx, bucketDead, id, r)
	}
	r.Receives++
	r.Token, r.Held = randomHex(8), true
	if err := move(tx, id, r, now+int64(visibility)); err != nil {
		return nil, err
	}
	return &queue.Message{ID: id, Body: bytes.Clone(r.Body), Receipt: id + "." + r.Token, ReceiveCount: r.Receives}, nil
}

// current returns the message a receipt names if the receipt is its latest.
func current(tx *bolt.Tx, receipt string) (string, *record, error) {
	id, token, ok := strings.Cut(receipt, ".")
	if !ok {
		return "", nil, nil
	}
	r, err := load(tx, bucketMessages, id)
	if err != nil || r == nil || r.Token != token {
		return id, nil, err
	}
	return id, r, nil
}

// Delete implements queue.Queue.
func (q *Queue) Delete(ctx context.Context, receipts ...string) error {
	err := q.db.Batch(func(tx *bolt.Tx) error {
		for _, rc := range receipts {
			id, r, err := current(tx, rc)
			if err != nil {
				return err
			}
			if r != nil {
				if err := remove(tx, id, r); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return parley.Wrap(parley.EUNAVAILABLE, err, "embedded queue delete")
	}
	return nil
}

// ChangeVisibility implements queue.Queue.
func (q *Queue) ChangeVisibility(ctx context.Context, receipt string, timeout time.Duration) error {
	var missing bool
	err := q.db.Batch(func(tx *bolt.Tx) error {
		id, r, err := current(tx, receipt)
		missing = r == nil
		if err != nil || missing {
			return err
		}
		r.Held = false
		return move(tx, id, r, time.Now().UnixNano()+int64(timeout))
	})
	if err != nil {
		return parley.Wrap(parley.EUNAVAILABLE, err, "embedded queue change visibility")
	}
	if missing {
		return parley.Errorf(parley.ENOTFOUND, "receipt %q is not the latest receipt of a queued message", receipt)
	}
	if timeout == 0 {
		q.wake()
	}
	return nil
}

// Redrive implements queue.Queue: dead-lettered messages become visible
// now, with their receive counts reset.
func (q *Queue) Redrive(ctx context.Context) (int, error) {
	n := 0
	now := time.Now().UnixNano()
	err := q.db.Update(func(tx *bolt.Tx) error {
		n = 0
		dead := tx.Bucket(bucketDead)
		var ids []string
		if err := dead.ForEach(func(k, _ []byte) error { ids = append(ids, string(k)); return nil }); err != nil {
			return err
		}
		for _, id := range ids {
			r, err := load(tx, bucketDead, id)
			if err != nil {
				return err
			}
			r.Receives, r.Token, r.Held, r.VisibleAt = 0, "", false, now
			if err := tx.Bucket(bucketVisible).Put(visibleKey(now, id), nil); err != nil {
				return err
			}
			if err := save(tx, bucketMessages, id, r); err != nil {
				return err
			}
			if err := dead.Delete([]byte(id)); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, parley.Wrap(parley.EUNAVAILABLE, err, "embedded queue redrive")
	}
	if n > 0 {
		q.wake()
	}
	return n, nil
}

// ReleaseHeld makes every message that is invisible only because it was
// received (neither deleted nor given another visibility since) visible at
// once, ahead of the messages already waiting, and returns how many it
// released. The queue file is open in one process at a time, so when it is
// just opened, such messages were received by a process that is gone and
// would otherwise wait out their visibility timeout, then queue behind the
// rest. Messages whose visibility was changed keep it: a retry's backoff,
// a delay a job asked for.
func (q *Queue) ReleaseHeld(ctx context.Context) (int, error) {
	n := 0
	now := time.Now().UnixNano()
	err := q.db.Update(func(tx *bolt.Tx) error {
		n = 0
		var held []string
		c := tx.Bucket(bucketVisible).Cursor()
		for k, _ := c.Seek(visibleKey(now+1, "")); k != nil; k, _ = c.Next() {
			held = append(held, string(k[8:]))
		}
		for _, id := range held {
			r, err := load(tx, bucketMessages, id)
			if err != nil {
				return err
			}
			if r == nil || !r.Held {
				continue
			}
			r.Held = false
			if err := move(tx, id, r, 0); err != nil { // first in line
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, parley.Wrap(parley.EUNAVAILABLE, err, "embedded queue release held messages")
	}
	if n > 0 {
		q.wake()
	}
	return n, nil
}
