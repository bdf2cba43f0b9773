package dispatch

import (
	"context"
	"errors"
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

// StopGrace is how long, once Run's ctx is done, the sends already handed
// to a gateway have to finish before they are cancelled too. A send
// cancelled mid-flight leaves its recipient SENDING, settled as after a
// crash (see takeOver).
const StopGrace = 1500 * time.Millisecond

// Run polls q with the given number of workers until ctx is done, handling
// each batch like the SQS event source mapping does for the dispatcher
// function: finished jobs are deleted, the others come back after their
// backoff. When ctx ends, no recipient of the batch in hand is claimed any
// more: those not yet claimed are released to the queue at once (through
// d.Queue), those being sent have StopGrace to finish.
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
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(StopGrace, cancelWork) })
	defer stop()
	batch := context.WithValue(work, stopKey{}, ctx)
	for ctx.Err() == nil {
		ms, err := q.Receive(ctx, queue.MaxBatch, time.Second, PollVisibility)
		if err != nil {
			if ctx.Err() == nil {
				d.Log.ErrorContext(ctx, "receive failed", "err", err)
				_ = run.Sleep(ctx, time.Second) // a done ctx ends the loop
			}
			continue
		}
		var finished, released []string
		for i, err := range d.HandleBatch(batch, ms) {
			switch {
			case err == nil:
				finished = append(finished, ms[i].Receipt)
			case errors.Is(err, errStopped):
				released = append(released, ms[i].Receipt)
			}
		}
		d.releaseJobs(work, released)
		if len(finished) > 0 {
			if err := q.Delete(work, finished...); err != nil {
				d.Log.ErrorContext(ctx, "delete failed; jobs will be redelivered and deduplicated", "count", len(finished), "err", err)
			}
		}
	}
}

// stopKey carries, in a batch's context, the context whose end stops
// claims (Run's).
type stopKey struct{}

// errStopped is the result of a job left unclaimed because its dispatcher
// is stopping.
var errStopped = errors.New("dispatch: stopping; the job is left to the queue")

// stopping reports whether the dispatcher handling ctx's batch is
// stopping: no recipient may be claimed any more.
func stopping(ctx context.Context) bool {
	stop, ok := ctx.Value(stopKey{}).(context.Context)
	return ok && stop.Err() != nil
}

// untilStop returns ctx, cancelled also when the dispatcher stops.
func untilStop(ctx context.Context) (context.Context, context.CancelFunc) {
	stop, ok := ctx.Value(stopKey{}).(context.Context)
	if !ok {
		return ctx, func() {}
	}
	c, cancel := context.WithCancel(ctx)
	unhook := context.AfterFunc(stop, cancel)
	return c, func() { unhook(); cancel() }
}

// releaseJobs makes jobs left unclaimed visible again at once, so that another
// dispatcher, or this one when it starts again, takes them.
func (d *Dispatcher) releaseJobs(ctx context.Context, receipts []string) {
	if d.Queue == nil {
		return
	}
	for _, r := range receipts {
		if err := d.Queue.ChangeVisibility(ctx, r, 0); err != nil {
			d.Log.WarnContext(ctx, "unclaimed job not released; it comes back when its visibility runs out", "err", err)
		}
	}
}
