package dispatch

import (
	"context"
	"fmt"
	"time"

	"github.com/parleyhq/parley/internal/obs"
	"github.com/parleyhq/parley/internal/parley"
)

// ClaimLease is how long a claimed recipient may stay SENDING. A dispatcher
// finishes a send well within it (a dispatcher function times out after 30
// s), so a recipient still SENDING after it belongs to a dispatcher that
// stopped between the claim and the record.
const ClaimLease = 5 * time.Minute

// Finder is a gateway that can say whether it accepted a recipient's
// message: the provider's message id and true if it did.
type Finder interface {
	Find(ctx context.Context, r parley.Recipient, from string, since time.Time) (id string, found bool, err error)
}

// reconcileBatch is how many expired claims one pass of Reconcile reads.
const reconcileBatch = 100

// Reconcile settles every recipient whose claim's lease ran out: the
// gateway is asked whether it took the message (SENT with its id if so;
// back to SCHEDULED, to be sent once, if not). With a gateway that cannot
// be asked, the recipient becomes UNKNOWN and is never resent blindly. It
// returns how many it settled.
func (d *Dispatcher) Reconcile(ctx context.Context) (int, error) {
	n := 0
	seen := map[parley.Ref]bool{}
	for {
		rs, err := d.Store.DueRecipients(ctx, parley.StatusSending, d.Clock.Now(), reconcileBatch)
		if err != nil || len(rs) == 0 || seen[rs[0].Ref()] {
			return n, err
		}
		for _, r := range rs {
			seen[r.Ref()] = true
			if err := d.settle(ctx, r); err != nil {
				return n, fmt.Errorf("reconcile recipient %s of %s: %w", r.ID, r.CampaignID, err)
			}
			n++
		}
	}
}

func (d *Dispatcher) settle(ctx context.Context, r parley.Recipient) error {
	finder, ok := d.Sender.(Finder)
	if !ok {
		d.Log.WarnContext(ctx, "send outcome unknown", obs.Recipient(r))
		d.transition(ctx, r, parley.RecipientChange{Status: parley.StatusUnknown, ErrorMessage: parley.CodeOutcomeUnknown})
		return nil
	}
	c, err := d.Store.Campaign(ctx, r.AccountID, r.CampaignID)
	if err != nil {
		return err
	}
	claimed := r.UpdatedAt
	id, found, err := finder.Find(ctx, r, c.OutboundNumber, claimed)
	if err != nil {
		return err
	}
	if found {
		d.Log.InfoContext(ctx, "reconciled: the provider took it", obs.Recipient(r), "providerMessageId", id)
		d.record(ctx, r, parley.StatusSent, id, "")
		return nil
	}
	d.Log.InfoContext(ctx, "reconciled: never sent; rescheduled", obs.Recipient(r))
	d.transition(ctx, r, parley.RecipientChange{Status: parley.StatusScheduled, DueAt: d.Clock.Now()})
	return nil
}
