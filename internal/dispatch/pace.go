package dispatch

import (
	"context"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/ratelimit"
)

// Limiter paces sends per (account, channel, sender) across every
// dispatcher, and lowers the pace when a provider pushes back.
type Limiter interface {
	Reserve(ctx context.Context, key ratelimit.Key, limit ratelimit.Limit, n int) (time.Time, error)
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

// pace takes a send slot for c's sender and waits for it.
func (d *Dispatcher) pace(ctx context.Context, c parley.Campaign) error {
	if d.Limiter == nil {
		return nil
	}
	at, err := d.Limiter.Reserve(ctx, paceKey(c), d.Limit, 1)
	if err != nil {
		return err
	}
	wait := at.Sub(d.Clock.Now())
	if wait > MaxPaceWait {
		return &notYet{delay: wait.Round(time.Second)}
	}
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
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
		d.Log.WarnContext(ctx, "rate limiter not updated", "account", c.AccountID, "sender", c.OutboundNumber, "err", lerr)
	}
}
