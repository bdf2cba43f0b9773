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
	for after := 0; ; {
		page, err := s.Store.Recipients(ctx, accountID, campaignID, after, store.MaxPage)
		if err != nil {
			return Report{}, fmt.Errorf("list recipients of %s: %w", campaignID, err)
		}
		if len(page) == 0 {
			break
		}
		for _, r := range page {
			counts[r.Status]++
		}
		rep.Recipients = append(rep.Recipients, page...)
		after = page[len(page)-1].Seq
	}
	rep.Status = c.Status(counts)
	rep.Counts = counts
	return rep, nil
}
