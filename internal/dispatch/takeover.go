package dispatch

import (
	"context"
	"errors"
	"time"

	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/obs"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/queue"
)

// ClaimLease is how long a claimed recipient may stay SENDING. A dispatcher
// finishes a send well within it (a dispatcher function times out after 30
// s), so a recipient still SENDING after it belongs to a dispatcher that
// stopped between the claim and the record. Its job is still on the queue
// (a job is deleted only once its outcome is recorded), and the job's next
// delivery settles it. Where a dispatcher is its store's only one (Sole),
// it does not wait for the lease of an earlier process's claim.
const ClaimLease = 5 * time.Minute

// Finder is a gateway that can say whether it accepted a recipient's
// message: the provider's message id and true if it did.
type Finder interface {
	Find(ctx context.Context, r parley.Recipient, from string, since time.Time) (id string, found bool, err error)
}

// takeOver settles a recipient found SENDING by a job's delivery. While the
// claim's lease runs, its dispatcher may still be sending: the job waits
// for the lease to end, unless the claim is orphaned (see orphaned). Then
// the job takes the claim over (a write fenced to the old claim, so only
// one delivery does) and asks the gateway whether it took the message: if
// so the recipient is SENT with the provider's id; if not it is sent now,
// once. A gateway that cannot be asked leaves it UNKNOWN: never resent
// blindly.
func (d *Dispatcher) takeOver(ctx context.Context, c parley.Campaign, stale parley.Recipient) (parley.Recipient, bool, error) {
	now := d.Clock.Now()
	orphaned := d.orphaned(stale)
	if now.Before(stale.DueAt) && !orphaned {
		return stale, false, &notYet{delay: stale.DueAt.Sub(now).Round(time.Second) + time.Second}
	}
	if orphaned {
		d.Log.InfoContext(ctx, "taking over the claim of an earlier process", obs.Recipient(stale), "claimant", stale.Claimant)
	}
	r, err := d.Store.UpdateRecipient(ctx, stale.Ref(), parley.RecipientChange{
		From: []parley.RecipientStatus{parley.StatusSending}, Attempt: stale.Attempts,
		Status: parley.StatusSending, CountAttempt: true, Claimant: d.Epoch, DueAt: now.Add(ClaimLease), At: now,
	})
	switch parley.ErrorCode(err) {
	case "":
	case parley.ECONFLICT:
		d.Log.InfoContext(ctx, "stale claim already taken over", obs.Recipient(stale), "status", r.Status)
		return r, false, nil
	default:
		return r, false, err
	}
	var id string
	found, err := false, gateway.ErrNoLookup
	if finder, ok := d.Sender.(Finder); ok {
		id, found, err = finder.Find(ctx, r, c.OutboundNumber, stale.UpdatedAt)
	}
	switch {
	case errors.Is(err, gateway.ErrNoLookup):
		d.Log.WarnContext(ctx, "send outcome unknown", obs.Recipient(r), "err", err)
		return r, false, d.transition(ctx, r, parley.RecipientChange{Status: parley.StatusUnknown, ErrorMessage: parley.CodeOutcomeUnknown})
	case err != nil:
		return r, false, err
	case found:
		d.Log.InfoContext(ctx, "reconciled: the provider took it", obs.Recipient(r), "providerMessageId", id)
		return r, false, d.record(ctx, r, parley.StatusSent, id, "")
	}
	d.Log.InfoContext(ctx, "reconciled: never sent; sending now", obs.Recipient(r))
	return r, true, nil
}

// orphaned reports whether r's claim is known to belong to a dispatcher
// that is gone: where this one is its store's only dispatcher (Sole), any
// claim of another epoch, made before this process started. Elsewhere a
// claim is known to be abandoned only once its lease has run out.
func (d *Dispatcher) orphaned(r parley.Recipient) bool {
	return d.Sole && r.Claimant != d.Epoch
}

// settleOrphan settles, before a redelivered job takes a send slot, the
// claim an earlier process left on its recipient, where this dispatcher
// knows such claims to be orphaned (Sole): the claim is taken over and the
// provider asked at once (see takeOver), so the recipient is final without
// waiting behind the pace. A message the provider never took goes back to
// QUEUED, fenced to the take-over, and the job then claims and sends it in
// its slot like any other. settled reports that the job needs nothing
// more, or (err) must be retried.
func (d *Dispatcher) settleOrphan(ctx context.Context, c parley.Campaign, m queue.Message, ref parley.Ref) (settled bool, err error) {
	if !d.Sole || m.ReceiveCount < 2 {
		return false, nil // only a job received before can meet a claim of another process
	}
	stale, err := d.Store.Recipient(ctx, ref)
	if err != nil || stale.Status != parley.StatusSending || !d.orphaned(stale) {
		return false, nil // the claim reads it again, and answers any error
	}
	r, unsent, err := d.takeOver(ctx, c, stale)
	if !unsent {
		return true, err
	}
	if err := d.record(ctx, r, parley.StatusQueued, "", ""); err != nil {
		return true, err
	}
	return false, nil
}
