package phonecampaign

import (
	"cmp"
	"context"
	"time"

	"github.com/parleyhq/parley/internal/dialer"
	"github.com/parleyhq/parley/internal/parley"
)

// SkipDelay is how long a contact an operator skipped waits before it is
// offered again (to anyone of the group).
const SkipDelay = time.Minute

// previewRound runs a pacing round of a preview campaign: it places the
// calls of the offers accepted BCW ago, and offers a callable contact to
// each Online operator of the group.
func (d *Dialer) previewRound(ctx context.Context, r round, callable []dialer.Entry, now time.Time) error {
	for _, a := range r.agents {
		if a.Offer == nil || a.Offer.CampaignID != r.c.ID || a.CallID != "" {
			continue
		}
		if at, ok := a.Offer.DialAt(r.c.BCW); ok && !now.Before(at) {
			if err := d.placeOffer(ctx, r.c, a, now); err != nil {
				return err
			}
		}
	}
	next := 0
	for _, a := range r.agents {
		if a.State != dialer.Online || a.Offer != nil {
			continue
		}
		for next < len(callable) {
			e := callable[next]
			next++
			ok, err := d.offer(ctx, r.c, a, e, now)
			if err != nil {
				return err
			}
			if ok {
				break
			}
		}
	}
	return nil
}

// offer claims entry e for operator a and makes a Busy with it. ok is false
// when the entry or the operator changed meanwhile (nothing is offered).
func (d *Dialer) offer(ctx context.Context, c dialer.Campaign, a dialer.Agent, e dialer.Entry, now time.Time) (ok bool, err error) {
	claimed := e
	claimed.Status, claimed.ClaimedAt, claimed.CallID, claimed.OfferedTo = dialer.EntryInProgress, now, "", a.ID
	claimed, err = d.Store.ReplaceEntry(ctx, c.AccountID, c.ID, claimed)
	if parley.ErrorCode(err) == parley.ECONFLICT {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	taken := a
	taken.State, taken.Since, taken.CampaignID = dialer.Busy, now, c.ID
	taken.Offer = &dialer.Offer{CampaignID: c.ID, ContactID: e.ContactID, Phone: e.Phone, OfferedAt: now}
	if offered, err := d.Store.PutPhoneAgent(ctx, taken); err == nil {
		if d.Offers != nil {
			d.Offers.Offered(ctx, offered)
		}
		return true, nil
	} else if parley.ErrorCode(err) != parley.ECONFLICT {
		return false, err
	}
	// The operator changed (went offline, took another offer): the entry
	// waits again, its attempt untouched.
	return false, d.unoffer(ctx, c, claimed, 0)
}

// unoffer puts an offered entry back to waiting, after delay.
func (d *Dialer) unoffer(ctx context.Context, c dialer.Campaign, e dialer.Entry, delay time.Duration) error {
	for range maxConflicts {
		if e.Status != dialer.EntryInProgress || e.OfferedTo == "" || e.CallID != "" {
			return nil
		}
		back := e
		back.Status, back.OfferedTo, back.ClaimedAt = dialer.EntryWaiting, "", time.Time{}
		back.NextAttemptAt = d.Clock.Now().Add(delay)
		_, err := d.Store.ReplaceEntry(ctx, c.AccountID, c.ID, back)
		if parley.ErrorCode(err) != parley.ECONFLICT {
			return err
		}
		if e, err = d.Store.Entry(ctx, c.AccountID, c.ID, e.ContactID); err != nil {
			return err
		}
	}
	return parley.Errorf(parley.ECONFLICT, "entry %s keeps changing", e.ContactID)
}

// placeOffer places the call of operator a's accepted offer, reserved for
// them: answered, it is bridged to them and no one else. The entry's
// revision makes one round of several place it.
func (d *Dialer) placeOffer(ctx context.Context, c dialer.Campaign, a dialer.Agent, now time.Time) error {
	e, err := d.Store.Entry(ctx, c.AccountID, c.ID, a.Offer.ContactID)
	if err != nil {
		return ignoreUnknown(err)
	}
	if e.Status != dialer.EntryInProgress || e.OfferedTo != a.ID || e.CallID != "" {
		return nil
	}
	e.ClaimedAt = now
	claimed, err := d.Store.ReplaceEntry(ctx, c.AccountID, c.ID, e)
	if parley.ErrorCode(err) == parley.ECONFLICT {
		return nil
	}
	if err != nil {
		return err
	}
	p := PlaceCall{AccountID: c.AccountID, CampaignID: c.ID, ContactID: e.ContactID, Attempt: e.Attempts + 1, To: e.Phone, From: c.CallerIDFor(e.ContactID, e.Attempts+1)}
	id, err := d.Voice.PlaceCall(ctx, p)
	if err != nil {
		d.log().WarnContext(ctx, "placing a call failed", "account", c.AccountID, "campaign", c.ID, "contact", e.ContactID, "err", err)
		if err := d.afterCall(ctx, c, claimed, "", dialer.CallOutcome{At: now, Operator: a.ID}); err != nil {
			return err
		}
		return d.releaseOffer(ctx, c.AccountID, a.ID, c.ID, "", now)
	}
	call := dialer.Call{ProviderID: id, AccountID: c.AccountID, CampaignID: c.ID, ContactID: e.ContactID, Attempt: p.Attempt,
		Phone: p.To, From: p.From, Status: dialer.CallRinging, PlacedAt: now, Operator: a.ID}
	if _, err := d.Store.CreatePhoneCall(ctx, call); err != nil && parley.ErrorCode(err) != parley.ECONFLICT {
		return err
	}
	claimed.CallID = id
	if _, err := d.Store.ReplaceEntry(ctx, c.AccountID, c.ID, claimed); err != nil && parley.ErrorCode(err) != parley.ECONFLICT {
		return err
	}
	return d.changeAgent(ctx, c.AccountID, a.ID, func(x *dialer.Agent) bool {
		if x.Offer == nil || x.Offer.ContactID != e.ContactID || x.CallID != "" {
			return false
		}
		x.CallID = id
		return true
	})
}

// releaseOffer ends operator agentID's offer in campaignID whose call
// providerID ("" when none was placed) ended unanswered or was never
// placed: they are Online again (Offline when they asked to leave).
func (d *Dialer) releaseOffer(ctx context.Context, accountID, agentID, campaignID, providerID string, now time.Time) error {
	return d.changeAgent(ctx, accountID, agentID, func(a *dialer.Agent) bool {
		if a.Offer == nil || a.Offer.CampaignID != campaignID || a.CallID != providerID {
			return false
		}
		a.State, a.Since, a.CallID, a.CampaignID, a.Offer = dialer.Online, now, "", "", nil
		if a.Leaving {
			a.State, a.Leaving = dialer.Offline, false
		}
		return true
	})
}

// Misdetected flags a call the detector hung up on as a machine that was a
// live person: it counts as abandoned in the campaign's statistics and in
// its pacer's abandon rate. Flagging it again changes nothing; a call
// that was not judged a machine is ECONFLICT.
func (d *Dialer) Misdetected(ctx context.Context, accountID, campaignID, providerID string) (dialer.Call, error) {
	var refused error
	call, changed, err := d.changeCall(ctx, accountID, campaignID, providerID, func(c *dialer.Call) bool {
		switch {
		case c.Misdetected:
			return false
		case c.Answer != dialer.AnswerMachine || c.Status != dialer.CallEnded:
			refused = parley.Errorf(parley.ECONFLICT, "call %s was not hung up on as a machine (it is %s, answered %q)", providerID, c.Status, c.Answer)
			return false
		}
		c.Misdetected, c.Abandoned = true, true
		return true
	})
	if err != nil || refused != nil {
		return dialer.Call{}, cmp.Or(err, refused)
	}
	if !changed {
		return call, nil
	}
	c, err := d.Store.PhoneCampaign(ctx, accountID, campaignID)
	if err != nil {
		return dialer.Call{}, err
	}
	return call, d.learn(ctx, c, func(s *dialer.State) { s.RecordMisdetected(d.Clock.Now()) })
}

// Accept is an operator's acceptance of the contact offered to them: its
// call is placed once the campaign's BCW has passed (at once when it is
// zero). Accepting again changes nothing.
func (d *Dialer) Accept(ctx context.Context, accountID, agentID string) (dialer.Agent, error) {
	now := d.Clock.Now()
	a, err := d.agent(ctx, accountID, agentID)
	if err == nil && a.Offer == nil {
		err = parley.Errorf(parley.ECONFLICT, "operator %s has no contact offered", agentID)
	}
	if err != nil {
		return dialer.Agent{}, err
	}
	if a.Offer.AcceptedAt.IsZero() {
		err := d.changeAgent(ctx, accountID, agentID, func(x *dialer.Agent) bool {
			if x.Offer == nil || !x.Offer.AcceptedAt.IsZero() {
				return false
			}
			o := *x.Offer
			o.AcceptedAt = now
			x.Offer = &o
			return true
		})
		if err != nil {
			return dialer.Agent{}, err
		}
		if a, err = d.agent(ctx, accountID, agentID); err != nil || a.Offer == nil {
			return a, err
		}
	}
	c, err := d.Store.PhoneCampaign(ctx, accountID, a.Offer.CampaignID)
	if err != nil {
		return dialer.Agent{}, err
	}
	if at, _ := a.Offer.DialAt(c.BCW); !now.Before(at) && a.CallID == "" {
		if err := d.placeOffer(ctx, c, a, now); err != nil {
			return dialer.Agent{}, err
		}
		return d.agent(ctx, accountID, agentID)
	}
	return a, nil
}

// Skip is an operator's refusal of the contact offered to them before they
// accepted it: it waits SkipDelay to be offered again, its attempts
// untouched, and the operator is Online for the next (Offline when they
// asked to leave).
func (d *Dialer) Skip(ctx context.Context, accountID, agentID string) (dialer.Agent, error) {
	a, err := d.agent(ctx, accountID, agentID)
	switch {
	case err != nil:
		return dialer.Agent{}, err
	case a.Offer == nil:
		return dialer.Agent{}, parley.Errorf(parley.ECONFLICT, "operator %s has no contact offered", agentID)
	case !a.Offer.AcceptedAt.IsZero():
		return dialer.Agent{}, parley.Errorf(parley.ECONFLICT, "operator %s accepted contact %s already; its call is placed", agentID, a.Offer.ContactID)
	}
	c, err := d.Store.PhoneCampaign(ctx, accountID, a.Offer.CampaignID)
	if err != nil {
		return dialer.Agent{}, err
	}
	e, err := d.Store.Entry(ctx, accountID, c.ID, a.Offer.ContactID)
	if err != nil && parley.ErrorCode(err) != parley.ENOTFOUND {
		return dialer.Agent{}, err
	}
	if err == nil && e.OfferedTo == agentID {
		if err := d.unoffer(ctx, c, e, SkipDelay); err != nil {
			return dialer.Agent{}, err
		}
	}
	if err := d.releaseOffer(ctx, accountID, agentID, c.ID, "", d.Clock.Now()); err != nil {
		return dialer.Agent{}, err
	}
	return d.agent(ctx, accountID, agentID)
}
