package campaign

import (
	"context"
	"fmt"
	"slices"

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
	var rep Report
	rep.Campaign, rep.Counts, err = s.walk(ctx, c, func(page []parley.Recipient) error {
		rep.Recipients = append(rep.Recipients, page...)
		return nil
	})
	if err != nil {
		return Report{}, err
	}
	rep.Status = c.Status(rep.Counts)
	return rep, nil
}

// EachRecipient reads c's recipients page by page (store.MaxPage at a
// time, in Seq order), handing each page to fn (which must not keep it
// past the call, unless it copies it), and returns how many recipients
// are in each status. It stops at fn's first error and returns it. Having
// counted them all, it records the campaign's completion when every
// recipient is final (see Detail).
func (s *Service) EachRecipient(ctx context.Context, c parley.Campaign, fn func([]parley.Recipient) error) (map[parley.RecipientStatus]int, error) {
	_, counts, err := s.walk(ctx, c, fn)
	return counts, err
}

// walk is EachRecipient, returning the campaign as it is once settled.
func (s *Service) walk(ctx context.Context, c parley.Campaign, fn func([]parley.Recipient) error) (parley.Campaign, map[parley.RecipientStatus]int, error) {
	counts := map[parley.RecipientStatus]int{}
	for after := 0; ; {
		page, err := s.Store.Recipients(ctx, c.AccountID, c.ID, after, store.MaxPage)
		if err != nil {
			return c, nil, fmt.Errorf("list recipients of %s: %w", c.ID, err)
		}
		if len(page) == 0 {
			c, err = s.settle(ctx, c, counts)
			return c, counts, err
		}
		for _, r := range page {
			counts[r.Status]++
		}
		if err := fn(page); err != nil {
			return c, nil, err
		}
		after = page[len(page)-1].Seq
	}
}

// Detail is a campaign as stored, its phase and its live counters.
type Detail struct {
	Campaign parley.Campaign
	Phase    string
	// Status is the campaign's status as its recipients' statuses derive
	// it (parley.Campaign.Status), which the LivePerson routes answer.
	Status string
	Counts map[parley.RecipientStatus]int
}

// Detail returns a campaign with the counts of its recipients per status:
// the store's (store.Recipients.RecipientStatusCounts) where it keeps
// them, else counted by listing every recipient. When the counts show
// every recipient final, it records the campaign's completion
// (store.Campaigns.CompleteCampaign), so that listings show it FINISHED
// from then on. ENOTFOUND when the account has no such campaign.
func (s *Service) Detail(ctx context.Context, accountID, campaignID string) (Detail, error) {
	c, err := s.Store.Campaign(ctx, accountID, campaignID)
	if err != nil {
		return Detail{}, err
	}
	counts, kept, err := s.Store.RecipientStatusCounts(ctx, accountID, campaignID)
	switch {
	case err != nil:
		return Detail{}, fmt.Errorf("count recipients of %s: %w", campaignID, err)
	case kept:
		c, err = s.settle(ctx, c, counts)
	default:
		c, counts, err = s.walk(ctx, c, func([]parley.Recipient) error { return nil })
	}
	if err != nil {
		return Detail{}, err
	}
	return Detail{Campaign: c, Phase: c.Phase(s.Clock.Now()), Status: c.Status(counts), Counts: counts}, nil
}

// settle records c's completion when counts show it and it is not
// recorded yet, and returns c as it then is.
func (s *Service) settle(ctx context.Context, c parley.Campaign, counts map[parley.RecipientStatus]int) (parley.Campaign, error) {
	if !c.CompletedAt.IsZero() || !parley.Completes(counts) {
		return c, nil
	}
	done, err := s.Store.CompleteCampaign(ctx, c.AccountID, c.ID, s.Clock.Now())
	if err != nil {
		return c, fmt.Errorf("record completion of %s: %w", c.ID, err)
	}
	return done, nil
}

// ListQuery selects a page of an account's campaigns: the store's filter,
// the phases to keep (any when empty), where to continue and how many.
type ListQuery struct {
	Filter store.CampaignFilter
	Phases []string
	After  store.CampaignPosition
	Limit  int
}

// List returns a page of the account's campaigns, newest first, each with
// its phase. The store examines a bounded number of campaigns per call;
// a page may hold fewer than Limit campaigns and still have a Next.
func (s *Service) List(ctx context.Context, accountID string, q ListQuery) (store.CampaignPage, error) {
	page, err := s.Store.ListCampaigns(ctx, accountID, q.Filter, q.After, q.Limit)
	if err != nil || len(q.Phases) == 0 {
		return page, err
	}
	now := s.Clock.Now()
	page.Campaigns = slices.DeleteFunc(page.Campaigns, func(c parley.Campaign) bool {
		return !slices.Contains(q.Phases, c.Phase(now))
	})
	return page, nil
}

// RecipientPage is a page of a campaign's recipients. Next is the Seq to
// continue after; 0 on the last page.
type RecipientPage struct {
	Recipients []parley.Recipient
	Next       int
}

// maxRecipientScan bounds the recipients one filtered page reads.
const maxRecipientScan = 10 * store.MaxPage

// Recipients returns at most limit recipients of c with Seq > after whose
// status is one of statuses (any when empty), in Seq order. It reads at
// most maxRecipientScan recipients: a filtered page may hold fewer than
// limit and still have a Next.
func (s *Service) Recipients(ctx context.Context, c parley.Campaign, statuses []parley.RecipientStatus, after, limit int) (RecipientPage, error) {
	out := RecipientPage{Recipients: []parley.Recipient{}}
	for scanned := 0; scanned < maxRecipientScan; {
		want := limit - len(out.Recipients)
		if len(statuses) > 0 {
			want = store.MaxPage
		}
		page, err := s.Store.Recipients(ctx, c.AccountID, c.ID, after, want)
		if err != nil {
			return RecipientPage{}, fmt.Errorf("list recipients of %s: %w", c.ID, err)
		}
		if len(page) == 0 {
			return RecipientPage{Recipients: out.Recipients}, nil
		}
		scanned += len(page)
		for _, r := range page {
			after = r.Seq
			if len(statuses) == 0 || slices.Contains(statuses, r.Status) {
				out.Recipients = append(out.Recipients, r)
				if len(out.Recipients) == limit {
					if r.Seq < c.Recipients {
						out.Next = r.Seq
					}
					return out, nil
				}
			}
		}
		if after >= c.Recipients {
			return RecipientPage{Recipients: out.Recipients}, nil
		}
	}
	out.Next = after
	return out, nil
}

// Campaign returns one campaign of the account as stored. ENOTFOUND when
// the account has no such campaign.
func (s *Service) Campaign(ctx context.Context, accountID, campaignID string) (parley.Campaign, error) {
	return s.Store.Campaign(ctx, accountID, campaignID)
}

// ActiveCampaigns returns those of the account's campaigns ids that may
// still send: not cancelled (a paused one may resume) and not completed
// (a recipient is not final yet; a campaign found complete has its
// completion recorded). Campaigns that do not exist are left out.
func (s *Service) ActiveCampaigns(ctx context.Context, accountID string, ids []string) ([]string, error) {
	var out []string
	for _, id := range ids {
		c, err := s.Store.Campaign(ctx, accountID, id)
		switch {
		case parley.ErrorCode(err) == parley.ENOTFOUND:
			continue
		case err != nil:
			return nil, fmt.Errorf("read campaign %s: %w", id, err)
		case c.State == parley.StateCancelled || !c.CompletedAt.IsZero():
			continue
		}
		if c, _, err = s.walk(ctx, c, func([]parley.Recipient) error { return nil }); err != nil {
			return nil, err
		}
		if c.CompletedAt.IsZero() {
			out = append(out, id)
		}
	}
	return out, nil
}
