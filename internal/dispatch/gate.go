package dispatch

import (
	"context"
	"errors"
	"time"

	"github.com/parleyhq/parley/internal/obs"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/queue"
	"github.com/parleyhq/parley/internal/tz"
)

// gate checks the campaign's delivery window for a claimed recipient at
// send time. When it is open, gate answers send. Otherwise the recipient
// leaves SENDING: back to QUEUED with the job
// re-delayed until the window opens (when that is within the queue
// horizon), to SCHEDULED in the due-time index (when later), or EXPIRED
// (when it never opens again before the campaign ends).
// The error, when not nil, asks for the job again after the delay it names.
func (d *Dispatcher) gate(ctx context.Context, c parley.Campaign, r parley.Recipient) (send bool, err error) {
	zones := r.Zones
	if len(zones) == 0 {
		zones = tz.Names(r.Phone)
	}
	locs, err := tz.Locations(zones)
	if err != nil || len(locs) == 0 {
		return false, d.release(ctx, r, parley.StatusFailed, time.Time{}, parley.CodeUnknownZone)
	}
	now := d.Clock.Now()
	if c.Schedule.OpenAt(now, locs) {
		return true, nil
	}
	due, ok := c.Schedule.Due(now, locs)
	switch {
	case !ok:
		return false, d.release(ctx, r, parley.StatusExpired, time.Time{}, parley.CodeNoWindow)
	case due.Sub(now) <= queue.MaxDelay:
		return false, errors.Join(&notYet{delay: due.Sub(now).Round(time.Second)}, d.release(ctx, r, parley.StatusQueued, due, ""))
	default:
		return false, d.release(ctx, r, parley.StatusScheduled, due, "")
	}
}

// release moves a claimed recipient out of SENDING without sending.
func (d *Dispatcher) release(ctx context.Context, r parley.Recipient, status parley.RecipientStatus, due time.Time, code string) error {
	d.Log.InfoContext(ctx, "outside the delivery window", obs.Recipient(r), "status", status, "dueAt", due, "code", code)
	return d.transition(ctx, r, parley.RecipientChange{Status: status, DueAt: due, ErrorMessage: code})
}
