package lpreport

import (
	"context"
	"fmt"
	"slices"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Source is what a transaction walk reads: the account's campaigns by
// creation (store.Campaigns' listing), one campaign, and a campaign's
// recipients in Seq order after afterSeq.
type Source interface {
	ListCampaigns(ctx context.Context, accountID string, f store.CampaignFilter, after store.CampaignPosition, limit int) (store.CampaignPage, error)
	Campaign(ctx context.Context, accountID, campaignID string) (parley.Campaign, error)
	Recipients(ctx context.Context, c parley.Campaign, afterSeq, limit int) ([]parley.Recipient, error)
}

// Position is a place in a transaction walk: after the recipient of Seq
// After of the campaign at Campaign. The zero Position is the walk's
// start.
type Position struct {
	Campaign store.CampaignPosition
	After    int
}

// Walk is one page of a transaction request: the recipients attempted in
// Window — those of the account's campaigns of App created in it
// (Proactive campaigns for prmsg, Connect to Messaging deflections for
// c2m) — that pass Filters, newest campaign first and in Seq order within
// each. The page starts at From (a version 1.0 page token's position),
// passes over Skip matching rows (version 2.0's offset) and holds at most
// Limit rows.
//
// A page reads at most its rows' recipients and the window's campaigns
// when nothing filters per recipient: whole campaigns are passed over by
// their recipient count and the store seeks to the first row. A filtered
// page reads every recipient from From, which a page token moves along.
type Walk struct {
	AccountID, App string
	Window         Window
	Filters        TransactionFilters
	From           Position
	Skip, Limit    int
}

// Hit is one row of a page: a recipient and its campaign.
type Hit struct {
	Campaign  parley.Campaign
	Recipient parley.Recipient
}

// WalkPage is a page of a walk: its rows, and, when More, the position
// the next page starts at. More is exact for an unfiltered walk; a
// filtered one may find its next page empty.
type WalkPage struct {
	Hits []Hit
	Next Position
	More bool
}

// holds reports whether c's recipients belong to the walk.
func (w Walk) holds(c parley.Campaign) bool {
	return (w.App == "c2m") == (c.CallID != "") && !c.CreatedAt.Before(w.Window.Start) && c.CreatedAt.Before(w.Window.End)
}

// Page reads the walk's page from src. A From that names no campaign of
// the walk is EINVALID on page.nextPage.
func (w Walk) Page(ctx context.Context, src Source) (WalkPage, error) {
	r := walker{Walk: w, src: src, skip: w.Skip, bulk: w.Filters.empty()}
	after := store.CampaignPosition{}
	if !w.From.Campaign.IsZero() {
		c, err := src.Campaign(ctx, w.AccountID, w.From.Campaign.ID)
		switch {
		case parley.ErrorCode(err) == parley.ENOTFOUND:
			return WalkPage{}, errToken("its campaign is not found")
		case err != nil:
			return WalkPage{}, fmt.Errorf("read campaign %s: %w", w.From.Campaign.ID, err)
		case !c.CreatedAt.Equal(w.From.Campaign.CreatedAt) || !w.holds(c) || w.From.After > c.Recipients:
			return WalkPage{}, errToken("its position is not in this request's window")
		}
		if full, err := r.take(ctx, c, w.From.After); err != nil || full {
			return r.finish(ctx, c, nil, store.PositionOf(c), err)
		}
		after = store.PositionOf(c)
	}
	filter := store.CampaignFilter{CreatedFrom: w.Window.Start, CreatedTo: w.Window.End}
	for {
		page, err := src.ListCampaigns(ctx, w.AccountID, filter, after, store.MaxCampaignPage)
		if err != nil {
			return WalkPage{}, fmt.Errorf("list campaigns: %w", err)
		}
		for i, c := range page.Campaigns {
			if !w.holds(c) {
				continue
			}
			if full, err := r.take(ctx, c, 0); err != nil || full {
				return r.finish(ctx, c, page.Campaigns[i+1:], page.Next, err)
			}
		}
		if page.Next.IsZero() {
			return r.out, nil
		}
		after = page.Next
	}
}

// walker is a walk under way.
type walker struct {
	Walk
	src  Source
	skip int
	// bulk: every recipient passes the filters, so whole campaigns are
	// skipped by count.
	bulk bool
	out  WalkPage
}

// take adds c's recipients after seq to the page; it reports whether the
// page is full.
func (r *walker) take(ctx context.Context, c parley.Campaign, seq int) (bool, error) {
	if r.bulk {
		left := c.Recipients - seq
		if r.skip >= left {
			r.skip -= left
			return false, nil
		}
		seq += r.skip
		r.skip = 0
	}
	for seq < c.Recipients {
		want := store.MaxPage
		if r.bulk {
			want = min(r.Limit-len(r.out.Hits), store.MaxPage)
		}
		rs, err := r.src.Recipients(ctx, c, seq, want)
		if err != nil {
			return false, fmt.Errorf("list recipients of %s: %w", c.ID, err)
		}
		if len(rs) == 0 {
			return false, nil
		}
		for _, rc := range rs {
			seq = rc.Seq
			if !r.Filters.Matches(rc) {
				continue
			}
			if r.skip > 0 {
				r.skip--
				continue
			}
			r.out.Hits = append(r.out.Hits, Hit{Campaign: c, Recipient: rc})
			if len(r.out.Hits) == r.Limit {
				r.out.Next = Position{Campaign: store.PositionOf(c), After: seq}
				return true, nil
			}
		}
	}
	return false, nil
}

// finish ends a full page filled in c: there is more when c has
// recipients past the page's last row, or another campaign of the walk
// follows: among rest, else listed after next (zero: none).
func (r *walker) finish(ctx context.Context, c parley.Campaign, rest []parley.Campaign, next store.CampaignPosition, err error) (WalkPage, error) {
	if err != nil {
		return WalkPage{}, err
	}
	r.out.More = r.out.Next.After < c.Recipients || slices.ContainsFunc(rest, r.holds)
	filter := store.CampaignFilter{CreatedFrom: r.Window.Start, CreatedTo: r.Window.End}
	for !r.out.More && !next.IsZero() {
		page, err := r.src.ListCampaigns(ctx, r.AccountID, filter, next, store.MaxCampaignPage)
		if err != nil {
			return WalkPage{}, fmt.Errorf("list campaigns: %w", err)
		}
		r.out.More, next = slices.ContainsFunc(page.Campaigns, r.holds), page.Next
	}
	return r.out, nil
}

// empty reports whether f passes every recipient.
func (f TransactionFilters) empty() bool {
	return len(f.Channels) == 0 && len(f.Skills) == 0 && len(f.MessageStatus) == 0 && len(f.TransactionIDs) == 0
}
