package campaign

import (
	"context"
	"fmt"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Report is a campaign's status with the status of every recipient.
type Report struct {
	Campaign   parley.Campaign
	Status     string
	Recipients []parley.Recipient
	// Counts is how many recipients are in each status: the campaign's
	// counters (SENT, DELIVERED, READ, UNDELIVERED, FAILED, SKIPPED…).
	// Delivery reports move recipients, so the counters follow them.
	Counts map[parley.RecipientStatus]int
}

// Report returns the campaign and all its recipients. ENOTFOUND when the
// account has no such campaign.
func (s *Service) Report(ctx context.Context, accountID, campaignID string) (Report, error) {
	c, err := s.Store.Campaign(ctx, accountID, campaignID)
	if err != nil {
		return Report{}, err
	}
	rep := Report{Campaign: c}
	counts := map[parley.RecipientStatus]int{}
	err = s.eachRecipient(ctx, c, func(r parley.Recipient) bool {
		counts[r.Status]++
		rep.Recipients = append(rep.Recipients, r)
		return true
	})
	if err != nil {
		return Report{}, err
	}
	rep.Status = c.Status(counts)
	rep.Counts = counts
	return rep, nil
}

// ActiveCampaigns returns those of the account's campaigns ids that may
// still send: not cancelled (a paused one may resume), with a recipient
// not yet final. Campaigns that do not exist are left out.
func (s *Service) ActiveCampaigns(ctx context.Context, accountID string, ids []string) ([]string, error) {
	var out []string
	for _, id := range ids {
		c, err := s.Store.Campaign(ctx, accountID, id)
		switch {
		case parley.ErrorCode(err) == parley.ENOTFOUND:
			continue
		case err != nil:
			return nil, fmt.Errorf("read campaign %s: %w", id, err)
		case c.State == parley.StateCancelled:
			continue
		}
		active, err := s.unsent(ctx, c)
		if err != nil {
			return nil, err
		}
		if active {
			out = append(out, id)
		}
	}
	return out, nil
}

// unsent reports whether a recipient of c is not final yet.
func (s *Service) unsent(ctx context.Context, c parley.Campaign) (bool, error) {
	unsent := false
	err := s.eachRecipient(ctx, c, func(r parley.Recipient) bool {
		unsent = !r.Status.Final()
		return !unsent
	})
	return unsent, err
}

// eachRecipient calls fn with c's recipients in order, page by page, until
// fn returns false.
func (s *Service) eachRecipient(ctx context.Context, c parley.Campaign, fn func(parley.Recipient) bool) error {
	for after := 0; ; {
		page, err := s.Store.Recipients(ctx, c.AccountID, c.ID, after, store.MaxPage)
		if err != nil {
			return fmt.Errorf("list recipients of %s: %w", c.ID, err)
		}
		if len(page) == 0 {
			return nil
		}
		for _, r := range page {
			if !fn(r) {
				return nil
			}
		}
		after = page[len(page)-1].Seq
	}
}
