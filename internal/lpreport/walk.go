package lpreport

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

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
// their recipient count and the store seeks to the first row. A page
// filtered by transaction ids reads the campaigns and recipients they name
// only. Any other filtered page reads every recipient from From, which a
// page token moves along.
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
	after := store.CampaignPosition{}
	var from parley.Campaign
	if !w.From.Campaign.IsZero() {
		var err error
		if from, err = w.fromCampaign(ctx, src); err != nil {
			return WalkPage{}, err
		}
		after = store.PositionOf(from)
	}
	if len(w.Filters.TransactionIDs) > 0 {
		return w.byIDs(ctx, src)
	}
	r := walker{Walk: w, src: src, skip: w.Skip, bulk: w.Filters.empty()}
	if !after.IsZero() {
		if full, err := r.take(ctx, from, w.From.After); err != nil || full {
			return r.finish(ctx, from, nil, after, err)
		}
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

// fromCampaign reads the campaign of the walk's From, which must be one of
// the walk's with a recipient of Seq From.After (0: its start).
func (w Walk) fromCampaign(ctx context.Context, src Source) (parley.Campaign, error) {
	c, err := src.Campaign(ctx, w.AccountID, w.From.Campaign.ID)
	switch {
	case parley.ErrorCode(err) == parley.ENOTFOUND:
		return c, errToken("its campaign is not found")
	case err != nil:
		return c, fmt.Errorf("read campaign %s: %w", w.From.Campaign.ID, err)
	case !c.CreatedAt.Equal(w.From.Campaign.CreatedAt) || !w.holds(c) || w.From.After > c.Recipients:
		return c, errToken("its position is not in this request's window")
	}
	return c, nil
}

// byIDs is the page of a walk filtered by transaction ids: it reads the
// campaigns and recipients they name and nothing else, so a page reads at
// most twice as many items as the filter names ids. An id Parley did not
// give matches nothing.
func (w Walk) byIDs(ctx context.Context, src Source) (WalkPage, error) {
	seqs := map[string][]int{}
	for _, id := range w.Filters.TransactionIDs {
		i := strings.LastIndexByte(id, ':')
		if i < 0 {
			continue
		}
		cid, rid := id[:i], id[i+1:]
		if seq, err := strconv.Atoi(rid); err == nil && seq > 0 && parley.RecipientID(seq) == rid && !slices.Contains(seqs[cid], seq) {
			seqs[cid] = append(seqs[cid], seq)
		}
	}
	var cs []parley.Campaign
	for _, cid := range slices.Sorted(maps.Keys(seqs)) {
		c, err := src.Campaign(ctx, w.AccountID, cid)
		switch {
		case parley.ErrorCode(err) == parley.ENOTFOUND:
			continue
		case err != nil:
			return WalkPage{}, fmt.Errorf("read campaign %s: %w", cid, err)
		case w.holds(c):
			cs = append(cs, c)
		}
	}
	slices.SortFunc(cs, func(a, b parley.Campaign) int { return listed(store.PositionOf(a), store.PositionOf(b)) })
	out, skip := WalkPage{}, w.Skip
	for _, c := range cs {
		slices.Sort(seqs[c.ID])
		for _, seq := range seqs[c.ID] {
			if seq > c.Recipients || !w.past(c, seq) {
				continue
			}
			rs, err := src.Recipients(ctx, c, seq-1, 1)
			switch {
			case err != nil:
				return WalkPage{}, fmt.Errorf("read recipient %d of %s: %w", seq, c.ID, err)
			case len(rs) == 0 || rs[0].Seq != seq || !w.Filters.Matches(rs[0]):
				continue
			case len(out.Hits) == w.Limit:
				out.More = true
				return out, nil
			case skip > 0:
				skip--
				continue
			}
			out.Hits = append(out.Hits, Hit{Campaign: c, Recipient: rs[0]})
			out.Next = Position{Campaign: store.PositionOf(c), After: seq}
		}
	}
	return out, nil
}

// listed orders campaign positions as a listing does: newest first, then
// by id, descending.
func listed(a, b store.CampaignPosition) int {
	if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
		return c
	}
	return strings.Compare(b.ID, a.ID)
}

// past reports whether the recipient of Seq seq of c comes after the
// walk's From.
func (w Walk) past(c parley.Campaign, seq int) bool {
	if w.From.Campaign.IsZero() {
		return true
	}
	if c.ID == w.From.Campaign.ID {
		return seq > w.From.After
	}
	return listed(w.From.Campaign, store.PositionOf(c)) < 0
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
