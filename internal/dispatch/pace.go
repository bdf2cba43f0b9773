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
	ReserveSlotsWithin(ctx context.Context, key ratelimit.Key, limit ratelimit.Limit, n int, within time.Duration) (ratelimit.Slots, error)
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
// batch, of the slots within MaxPaceWait, and gives each job its slot.
// Jobs left without one wait on the queue (see notYet) until the slots
// reserved are used up, or, when none was, until the sender has one: the
// slots of a sender go to the dispatchers that can use them, however many
// jobs each holds. When a reservation fails, its jobs get the failure as
// their verdict. Jobs without a slot are left out.
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
		slots, err := d.Limiter.ReserveSlotsWithin(ctx, k, d.Limit, len(idx), MaxPaceWait)
		for n, i := range idx {
			switch {
			case err != nil:
				b.verdicts[jobs[i].i][jobs[i].k], failed[i] = err, true
			case n >= slots.Len():
				b.verdicts[jobs[i].i][jobs[i].k], failed[i] = d.untilSlots(slots), true
			default:
				jobs[i].slot = slots.At(n)
			}
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

// untilSlots is the verdict on the jobs a reservation left without a slot:
// they try again once the sender could give them the earliest slot, the one
// after those reserved or, when it reserved none, the first it has. The
// delay counts from now, however long the message's other jobs take, and
// is rounded down, so that they are back before the sender would go idle.
func (d *Dispatcher) untilSlots(s ratelimit.Slots) *notYet {
	now := d.Clock.Now()
	next := s.Following()
	if s.Len() == 0 {
		next = s.Next().Add(MaxPaceWait)
	}
	return &notYet{delay: max(next.Sub(now).Truncate(time.Second), time.Second), since: now}
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
