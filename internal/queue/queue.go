// Package queue defines the dispatch job queue port: SQS semantics (delayed
// delivery, visibility timeouts, receipt handles, at-least-once delivery).
// Adapters live in sub-packages (embedded, sqs) and all pass the contract
// suite in queuetest.
package queue

import (
	"context"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// MaxDelay is the longest delivery delay a message may carry (SQS's limit).
const MaxDelay = 900 * time.Second

// MaxBatch is how many entries one SQS batch call carries; adapters chunk.
const MaxBatch = 10

// Entry is a message to send.
type Entry struct {
	Body  []byte
	Delay time.Duration // 0 to MaxDelay
}

// Message is a received message. Receipt identifies this receipt of it: pass
// it to Delete or ChangeVisibility.
type Message struct {
	ID           string
	Body         []byte
	Receipt      string
	ReceiveCount int
}

// Queue is the job queue port. Every method is safe for concurrent use.
type Queue interface {
	// Send enqueues entries (any number; adapters batch). An entry with a
	// delay outside 0..MaxDelay is EINVALID and nothing is sent.
	Send(ctx context.Context, entries ...Entry) error
	// Receive returns up to max (1..10) visible messages, waiting up to wait
	// for one to arrive, and hides them for visibility.
	Receive(ctx context.Context, max int, wait, visibility time.Duration) ([]Message, error)
	// Delete removes received messages. Unknown receipts are ignored.
	Delete(ctx context.Context, receipts ...string) error
	// ChangeVisibility makes a received message visible again after timeout.
	ChangeVisibility(ctx context.Context, receipt string, timeout time.Duration) error
	// Redrive moves every dead-lettered message (one received more often
	// than the queue's maximum receive count) back onto the queue, to be
	// delivered afresh, and returns how many it moved.
	Redrive(ctx context.Context) (int, error)
}

// CheckEntries validates entries before any is sent.
func CheckEntries(entries []Entry) error {
	for i, e := range entries {
		if e.Delay < 0 || e.Delay > MaxDelay {
			return parley.Errorf(parley.EINVALID, "entry %d: delay %s is outside 0s..%s", i, e.Delay, MaxDelay)
		}
		if len(e.Body) == 0 {
			return parley.Errorf(parley.EINVALID, "entry %d: empty body", i)
		}
	}
	return nil
}
