package dispatch

import (
	"context"
	"time"

	"github.com/parleyhq/parley/internal/obs"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/ratelimit"
	"github.com/parleyhq/parley/internal/run"
)

// Limiter paces sends per (account, channel, sender) across every
// dispatcher, and lowers the pace when a provider pushes back.
type Limiter interface {
	ReserveSlots(ctx context.Context, key ratelimit.Key, limit ratelimit.Limit, n int) (ratelimit.Slots, error)
	Throttled(ctx context.Context, key ratelimit.Key) error
	OK(ctx context.Context, key ratelimit.Key) error
}

// MaxPaceWait is the longest a dispatcher waits for its send slot; a later
// slot sends the job back to the queue until then, so a Lambda invocation
// never waits past its timeout.
const MaxPaceWait = 20 * time.Second

func paceKey(c parley.Campaign) ratelimit.Key {
	return ratelimit.Key{AccountID: c.AccountID, Channel: c.Channel, Sender: c.OutboundNumber}
}

// reserve takes one reservation of send slots per sender for the jobs of a
// batch and gives each job its slot. When a reservation fails, its jobs
// get the failure as their verdict and are left out.
func (d *Dispatcher) reserve(ctx context.Context, jobs []job, b *batch) []job {
	if d.Limiter == nil {
		return jobs
	}
	groups := map[ratelimit.Key][]int{}
	var keys []ratelimit.Key
	for i, j := range jobs {
		k := paceKey(j.c)
		if groups[k] == nil {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], i)
	}
	failed := map[int]bool{}
	for _, k := range keys {
		idx := groups[k]
		slots, err := d.Limiter.ReserveSlots(ctx, k, d.Limit, len(idx))
		for n, i := range idx {
			if err != nil {
				b.verdicts[jobs[i].i][jobs[i].k], failed[i] = err, true
				continue
			}
			jobs[i].slot = slots.At(n)
		}
	}
	kept := jobs[:0]
	for i, j := range jobs {
		if !failed[i] {
			kept = append(kept, j)
		}
	}
	return kept
}

// wait sleeps until slot; a slot further off than MaxPaceWait sends the job
// back to the queue until then (the slot goes unused, which lowers the rate
// and never raises it).
func (d *Dispatcher) wait(ctx context.Context, slot time.Time) error {
	wait := slot.Sub(d.Clock.Now())
	if wait > MaxPaceWait {
		return &notYet{delay: wait.Round(time.Second)}
	}
	if wait <= 0 {
		return nil
	}
	sleep, cancel := untilStop(ctx)
	defer cancel()
	err := run.Sleep(sleep, wait)
	if err != nil && stopping(ctx) {
		return errStopped // a stop ends the wait: the slot goes unused
	}
	return err
}

// paced tells the limiter how a send went: a throttled one lowers the pace
// of every dispatcher sending for c's sender, successes raise it again.
func (d *Dispatcher) paced(ctx context.Context, c parley.Campaign, err error) {
	if d.Limiter == nil {
		return
	}
	var lerr error
	switch kind, ok := failKind(err); {
	case err == nil:
		lerr = d.Limiter.OK(ctx, paceKey(c))
	case ok && kind == parley.FailThrottled:
		lerr = d.Limiter.Throttled(ctx, paceKey(c))
	}
	if lerr != nil {
		d.Log.WarnContext(ctx, "rate limiter not updated", obs.IDs(c.AccountID, "", ""), "sender", c.OutboundNumber, "err", lerr)
	}
}
