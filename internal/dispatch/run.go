package dispatch

import (
	"context"
	"time"

	"github.com/parleyhq/parley/internal/queue"
	"github.com/parleyhq/parley/internal/run"
)

// Puller is the queue as a long-running poller sees it.
type Puller interface {
	Receive(ctx context.Context, max int, wait, visibility time.Duration) ([]queue.Message, error)
	Delete(ctx context.Context, receipts ...string) error
}

// PollVisibility hides a received batch while it is handled.
const PollVisibility = 60 * time.Second

// Run polls q with the given number of workers until ctx is done, handling
// each batch like the SQS event source mapping does for the dispatcher
// function: finished jobs are deleted, the others come back after their
// backoff. A batch in hand when ctx ends is finished first.
func (d *Dispatcher) Run(ctx context.Context, q Puller, workers int) {
	done := make(chan struct{})
	for range max(workers, 1) {
		go func() {
			defer func() { done <- struct{}{} }()
			d.poll(ctx, q)
		}()
	}
	for range max(workers, 1) {
		<-done
	}
}

func (d *Dispatcher) poll(ctx context.Context, q Puller) {
	work := context.WithoutCancel(ctx)
	for ctx.Err() == nil {
		ms, err := q.Receive(ctx, queue.MaxBatch, time.Second, PollVisibility)
		if err != nil {
			if ctx.Err() == nil {
				d.Log.ErrorContext(ctx, "receive failed", "err", err)
				_ = run.Sleep(ctx, time.Second) // a done ctx ends the loop
			}
			continue
		}
		var finished []string
		for i, err := range d.HandleBatch(work, ms) {
			if err == nil {
				finished = append(finished, ms[i].Receipt)
			}
		}
		if len(finished) > 0 {
			if err := q.Delete(work, finished...); err != nil {
				d.Log.ErrorContext(ctx, "delete failed; jobs will be redelivered and deduplicated", "count", len(finished), "err", err)
			}
		}
	}
}
