package lpreport_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/lpreport"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// memSource is an account's campaigns and recipients in memory, listed as
// the stores list them, counting the recipients it hands out.
type memSource struct {
	campaigns  []parley.Campaign // newest first
	recipients map[string][]parley.Recipient
	read       int
}

func (m *memSource) ListCampaigns(_ context.Context, accountID string, f store.CampaignFilter, after store.CampaignPosition, limit int) (store.CampaignPage, error) {
	page := store.CampaignPage{Campaigns: []parley.Campaign{}}
	past := after.IsZero()
	for _, c := range m.campaigns {
		if !past {
			past = store.PositionOf(c) == after
			continue
		}
		if len(page.Campaigns) == limit {
			page.Next = store.PositionOf(page.Campaigns[limit-1])
			return page, nil
		}
		if c.AccountID == accountID && f.Matches(c) {
			page.Campaigns = append(page.Campaigns, c)
		}
	}
	return page, nil
}

func (m *memSource) Campaign(_ context.Context, accountID, id string) (parley.Campaign, error) {
	for _, c := range m.campaigns {
		if c.AccountID == accountID && c.ID == id {
			return c, nil
		}
	}
	return parley.Campaign{}, parley.Errorf(parley.ENOTFOUND, "campaign %s is not found", id)
}

func (m *memSource) Recipients(_ context.Context, c parley.Campaign, after, limit int) ([]parley.Recipient, error) {
	rs := m.recipients[c.ID]
	rs = rs[min(after, len(rs)):]
	rs = rs[:min(limit, len(rs))]
	m.read += len(rs)
	return rs, nil
}

// newMemSource holds 260 campaigns a second apart, newest first, of 0 to 6
// recipients each, every fifth a deflection, every seventh of skill
// billing (else sales); recipient 2 of each is WhatsApp (else SMS).
func newMemSource(start time.Time) *memSource {
	m := &memSource{recipients: map[string][]parley.Recipient{}}
	for i := 259; i >= 0; i-- {
		c := parley.Campaign{AccountID: "acct1", ID: fmt.Sprintf("c%03d", i), CreatedAt: start.Add(time.Duration(i) * time.Second), Recipients: i % 7, Skill: "sales"}
		if i%5 == 0 {
			c.CallID = "call-" + c.ID
		}
		if i%7 == 3 {
			c.Skill = "billing"
		}
		for seq := 1; seq <= c.Recipients; seq++ {
			r := parley.Recipient{AccountID: "acct1", CampaignID: c.ID, ID: parley.RecipientID(seq), Seq: seq, Skill: c.Skill, Channel: parley.ChannelSMS}
			if seq == 2 {
				r.Channel = parley.ChannelWhatsApp
			}
			m.recipients[c.ID] = append(m.recipients[c.ID], r)
		}
		m.campaigns = append(m.campaigns, c)
	}
	return m
}

// TestWalkPages compares every page of a walk, by offset and by token,
// filtered or not, for prmsg and c2m, with the rows it must hold, over
// more campaigns than one listing page.
func TestWalkPages(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC) // the campaigns' and the window's: a pure input
	m := newMemSource(start)
	win := lpreport.Window{Start: start.Add(10 * time.Second), End: start.Add(250 * time.Second)}
	// Every third recipient (of both apps, in the window or not), and ids
	// that name nothing.
	picked := []string{"nope:000001", "c100:1", "c100:000099", "c100000001"}
	for i, c := range m.campaigns {
		for j, r := range m.recipients[c.ID] {
			if (i+j)%3 == 0 {
				picked = append(picked, lpreport.TransactionID(r))
			}
		}
	}
	slices.Reverse(picked) // as a client may list them: in no order of the walk's
	for _, app := range []string{"prmsg", "c2m"} {
		for _, f := range []lpreport.TransactionFilters{{}, {Skills: []string{"sales"}}, {Channels: []string{"wa"}}, {Skills: []string{"billing"}, Channels: []string{"SMS"}},
			{TransactionIDs: picked}, {TransactionIDs: picked, Channels: []string{"sms"}}} {
			var want []string
			for _, c := range m.campaigns {
				if c.CreatedAt.Before(win.Start) || !c.CreatedAt.Before(win.End) || (app == "c2m") != (c.CallID != "") {
					continue
				}
				for _, r := range m.recipients[c.ID] {
					if f.Matches(r) {
						want = append(want, lpreport.TransactionID(r))
					}
				}
			}
			for _, limit := range []int{1, 4, 7, 100, 1000} {
				name := fmt.Sprintf("%s %v %v %d ids, limit %d", app, f.Channels, f.Skills, len(f.TransactionIDs), limit)
				w := lpreport.Walk{AccountID: "acct1", App: app, Window: win, Filters: f, Limit: limit}
				// By token, as version 1.0 pages.
				var got []string
				for pages := 0; ; pages++ {
					page, err := w.Page(ctx, m)
					if err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					got = append(got, ids(page)...)
					if len(page.Hits) > limit || (page.More && len(page.Hits) < limit) || pages > len(want)+1 {
						t.Fatalf("%s: page %d of %d rows, more %v", name, pages, len(page.Hits), page.More)
					}
					if !page.More {
						break
					}
					if w.From, err = w.ParsePageToken(w.PageToken(page.Next)); err != nil {
						t.Fatalf("%s: %v", name, err)
					}
				}
				if !slices.Equal(got, want) {
					t.Errorf("%s, by token: %d rows %v…; want %d %v…", name, len(got), head(got), len(want), head(want))
				}
				// By offset, as version 2.0 pages; More is exact unfiltered.
				w.From = lpreport.Position{}
				for offset := 0; offset <= len(want)+1; offset += max(limit, len(want)/9) {
					w.Skip = offset
					page, err := w.Page(ctx, m)
					if err != nil {
						t.Fatal(err)
					}
					wantPage := want[min(offset, len(want)):min(offset+limit, len(want))]
					if !slices.Equal(ids(page), wantPage) {
						t.Errorf("%s, offset %d: %v; want %v", name, offset, ids(page), wantPage)
					}
					if exact := offset+limit < len(want); page.More != exact && (f.Skills == nil && f.Channels == nil || f.TransactionIDs != nil || !page.More) {
						t.Errorf("%s, offset %d: more %v, want %v", name, offset, page.More, exact)
					}
				}
			}
		}
	}
}

// TestWalkSkipsCampaignsByCount: an unfiltered page at any offset reads
// its own rows only; a filtered one reads every recipient before them.
func TestWalkSkipsCampaignsByCount(t *testing.T) {
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	m := newMemSource(start)
	win := lpreport.Window{Start: start, End: start.Add(time.Hour)}
	for _, offset := range []int{0, 300, 600} {
		for _, f := range []lpreport.TransactionFilters{{}, {Skills: []string{"sales", "billing"}}} {
			m.read = 0
			page, err := lpreport.Walk{AccountID: "acct1", App: "prmsg", Window: win, Filters: f, Skip: offset, Limit: 5}.Page(context.Background(), m)
			if err != nil || len(page.Hits) != 5 {
				t.Fatalf("offset %d: %d rows, %v", offset, len(page.Hits), err)
			}
			switch filtered := f.Skills != nil; {
			case !filtered && m.read != 5:
				t.Errorf("unfiltered, offset %d: read %d recipients; want the page's 5", offset, m.read)
			case filtered && m.read < offset:
				t.Errorf("filtered, offset %d: read %d recipients; want every one before the offset", offset, m.read)
			}
		}
	}
}

// TestWalkReadsNamedTransactions: a page filtered by transaction ids
// reads the recipients it names and their campaigns, not the window's.
func TestWalkReadsNamedTransactions(t *testing.T) {
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	m := newMemSource(start)
	f := lpreport.TransactionFilters{TransactionIDs: []string{"c200:000001", "c013:000006", "c013:000002", "c013:000009"}}
	page, err := lpreport.Walk{AccountID: "acct1", App: "prmsg", Window: lpreport.Window{Start: start, End: start.Add(time.Hour)}, Filters: f, Limit: 10}.Page(context.Background(), m)
	if got := strings.Join(ids(page), ","); err != nil || got != "c013:000002,c013:000006" || page.More {
		t.Errorf("%s, more %v, %v; want c013's 2 and 6 (c200 is a deflection, c013 has no 9th)", got, page.More, err)
	}
	if m.read != 2 {
		t.Errorf("read %d recipients; want the 2 named", m.read)
	}
}

// TestWalkRefusesForeignPositions: a position whose campaign is missing,
// created at another time, outside the window, of the other app or past
// its recipients is refused naming page.nextPage.
func TestWalkRefusesForeignPositions(t *testing.T) {
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	m := newMemSource(start)
	w := lpreport.Walk{AccountID: "acct1", App: "prmsg", Window: lpreport.Window{Start: start.Add(10 * time.Second), End: start.Add(20 * time.Second)}, Limit: 10}
	at := func(id string, sec, after int) lpreport.Position {
		return lpreport.Position{Campaign: store.CampaignPosition{CreatedAt: start.Add(time.Duration(sec) * time.Second), ID: id}, After: after}
	}
	for name, p := range map[string]lpreport.Position{
		"missing": at("nope", 11, 0), "another time": at("c011", 12, 0), "outside the window": at("c021", 21, 0),
		"a deflection": at("c015", 15, 0), "past its recipients": at("c011", 11, 5),
	} {
		w.From = p
		if _, err := w.Page(context.Background(), m); parley.ErrorField(err) != "page.nextPage" {
			t.Errorf("%s: %v, want refused naming page.nextPage", name, err)
		}
	}
	w.From = at("c013", 13, 6) // its last recipient: the page goes on with the older ones
	if page, err := w.Page(context.Background(), m); err != nil || len(page.Hits) == 0 || page.Hits[0].Campaign.ID != "c012" {
		t.Errorf("from the end of c013: %+v, %v", page, err)
	}
}

func ids(p lpreport.WalkPage) []string {
	var out []string
	for _, h := range p.Hits {
		out = append(out, lpreport.TransactionID(h.Recipient))
	}
	return out
}

func head(s []string) string { return strings.Join(s[:min(3, len(s))], ",") }
