package dispatch

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/parleyhq/parley/internal/obs"
	"github.com/parleyhq/parley/internal/parley"
)

// DefaultStateTTL is how long a dispatcher process reuses a campaign it
// read, for the state check before each send: a pause or cancel is seen by
// every send that starts more than this after the call answered, at the
// cost of at most one strongly consistent read per campaign, process and
// interval, however many messages the process sends.
const DefaultStateTTL = 500 * time.Millisecond

// errUnread is the result of a read that never answered (it panicked).
var errUnread = errors.New("dispatch: the campaign read did not finish")

// maxCached is how many campaigns the cache holds before it drops those
// read too long ago.
const maxCached = 1024

// campaigns is a process's cache of the campaigns it sends for, read by
// the state check before each send.
type campaigns struct {
	mu      sync.Mutex
	entries map[[2]string]*campaignEntry
}

// campaignEntry is one campaign as read at read, shared by the concurrent
// checks that wait for the same read (done closes when it is in).
type campaignEntry struct {
	done chan struct{}
	read parley.ReadAt
	c    parley.Campaign
	err  error
}

// fresh reports whether the entry, once in, may still be used at now (by
// the dispatcher's clock): it read no error, and the read is fresh (see
// parley.ReadAt.Fresh).
func (e *campaignEntry) fresh(now time.Time, ttl time.Duration) bool {
	return e.err == nil && e.read.Fresh(now, ttl)
}

// campaign returns the campaign of accountID and campaignID, read afresh
// unless this process read it less than d.StateTTL ago, by d.Clock and by
// real time (see fresh); concurrent callers share one read. A failed read
// is not kept.
func (d *Dispatcher) campaign(ctx context.Context, accountID, campaignID string) (parley.Campaign, error) {
	if d.StateTTL <= 0 {
		return d.Store.Campaign(ctx, accountID, campaignID)
	}
	key := [2]string{accountID, campaignID}
	d.cache.mu.Lock()
	if d.cache.entries == nil {
		d.cache.entries = map[[2]string]*campaignEntry{}
	}
	e, ok := d.cache.entries[key]
	if ok {
		select {
		case <-e.done:
			ok = e.fresh(d.Clock.Now(), d.StateTTL)
		default: // a read under way: share it
		}
	}
	if !ok {
		if len(d.cache.entries) >= maxCached {
			d.cache.prune(d.Clock.Now(), d.StateTTL)
		}
		e = &campaignEntry{done: make(chan struct{}), read: parley.ReadNow(d.Clock), err: errUnread}
		d.cache.entries[key] = e
		d.cache.mu.Unlock()
		defer close(e.done) // also if the read panics: waiters must not wait forever
		e.c, e.err = d.Store.Campaign(ctx, accountID, campaignID)
		return e.c, e.err
	}
	d.cache.mu.Unlock()
	select {
	case <-e.done:
		return e.c, e.err
	case <-ctx.Done():
		return parley.Campaign{}, ctx.Err()
	}
}

// prune drops the entries no longer fresh at now (see fresh); the caller
// holds the lock.
func (cs *campaigns) prune(now time.Time, ttl time.Duration) {
	for k, e := range cs.entries {
		select {
		case <-e.done:
			if !e.fresh(now, ttl) {
				delete(cs.entries, k)
			}
		default:
		}
	}
}

// settled is a job's result that handle has settled itself (a recipient of
// a paused campaign given back, one of a cancelled campaign marked): err
// is the recipient's verdict (see batch), nil or errHeld.
type settled struct{ err error }

func (s *settled) Error() string {
	if s.err == nil {
		return "settled"
	}
	return "settled: " + s.err.Error()
}

func (s *settled) Unwrap() error { return s.err }

// stop is the verdict on the unclaimed recipient ref of a campaign that
// is not active: a paused campaign's job is held back (errHeld), a
// cancelled campaign's recipient marked CANCELLED.
func (d *Dispatcher) stop(ctx context.Context, c parley.Campaign, ref parley.Ref) error {
	if c.State == parley.StatePaused {
		return errHeld
	}
	d.cancel(ctx, ref)
	return nil
}

// active checks, by the cached read of j's campaign (see campaign), that
// the campaign still sends, before j's recipient is claimed (claimed nil)
// and again right before it is sent (claimed the recipient as claimed), so
// that a pause or cancel stops the sends that start DefaultStateTTL after
// it answered, however far ahead a batch reserved its send slots. It
// returns the campaign as read; the error, when not nil, is the job's
// result: a *settled when the job is held back or cancelled, otherwise a
// failure to retry. A claimed recipient of a paused campaign goes back to
// QUEUED, one of a cancelled campaign to CANCELLED.
func (d *Dispatcher) active(ctx context.Context, j job, claimed *parley.Recipient) (parley.Campaign, error) {
	c, err := d.campaign(ctx, j.ref.AccountID, j.ref.CampaignID)
	switch {
	case err != nil && claimed != nil:
		return c, d.requeue(ctx, *claimed, err)
	case err != nil:
		return c, err
	case c.State == parley.StateActive:
		return c, nil
	case claimed == nil:
		return c, &settled{d.stop(ctx, c, j.ref)}
	}
	d.Log.InfoContext(ctx, "campaign stopped since the claim; not sent", obs.Recipient(*claimed), "state", c.State)
	if c.State == parley.StateCancelled {
		if err := d.transition(ctx, *claimed, parley.Cancellation(d.Clock.Now())); err != nil {
			return c, err
		}
		return c, &settled{}
	}
	if err := d.record(ctx, *claimed, parley.StatusQueued, "", ""); err != nil {
		return c, err
	}
	return c, &settled{errHeld}
}
