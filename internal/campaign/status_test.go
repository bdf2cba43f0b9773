package campaign_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/campaign"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/storetest"
)

func seqs(rs []parley.Recipient) []int {
	var out []int
	for _, r := range rs {
		out = append(out, r.Seq)
	}
	return out
}

// TestRecipientPages checks paging through a campaign's recipients: plain
// pages in Seq order, and a status filter that reads a bounded number of
// recipients per page and says where to continue.
func TestRecipientPages(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	c, rs := storetest.Fixture("acct1", "big", 12_000)
	if err := w.store.CreateCampaign(ctx, c, rs); err != nil {
		t.Fatal(err)
	}
	for _, seq := range []int{3, 11_500} {
		ref := parley.Ref{AccountID: "acct1", CampaignID: "big", RecipientID: parley.RecipientID(seq)}
		if _, err := w.store.UpdateRecipient(ctx, ref, parley.RecipientChange{From: parley.Claimable, Status: parley.StatusFailed, At: now}); err != nil {
			t.Fatal(err)
		}
	}
	page, err := w.svc.Recipients(ctx, c, nil, 0, 4)
	if err != nil || !slices.Equal(seqs(page.Recipients), []int{1, 2, 3, 4}) || page.Next != 4 {
		t.Fatalf("first page = %v next %d, %v", seqs(page.Recipients), page.Next, err)
	}
	last, err := w.svc.Recipients(ctx, c, nil, 11_998, 4)
	if err != nil || !slices.Equal(seqs(last.Recipients), []int{11_999, 12_000}) || last.Next != 0 {
		t.Fatalf("last page = %v next %d, %v", seqs(last.Recipients), last.Next, err)
	}
	failed := []parley.RecipientStatus{parley.StatusFailed}
	p1, err := w.svc.Recipients(ctx, c, failed, 0, 10)
	if err != nil || !slices.Equal(seqs(p1.Recipients), []int{3}) || p1.Next != 10_000 {
		t.Fatalf("filtered page = %v next %d, %v; want [3] and a stop after 10,000 read", seqs(p1.Recipients), p1.Next, err)
	}
	p2, err := w.svc.Recipients(ctx, c, failed, p1.Next, 10)
	if err != nil || !slices.Equal(seqs(p2.Recipients), []int{11_500}) || p2.Next != 0 {
		t.Fatalf("second filtered page = %v next %d, %v", seqs(p2.Recipients), p2.Next, err)
	}
}

// TestCreateRecordsLaunchAndCreator checks what intake records for the
// listing: who created the campaign and its first allowed send.
func TestCreateRecordsLaunchAndCreator(t *testing.T) {
	w := newWorld(t)
	d := draft("+12025550101", "+12025550102")
	d.CreatedBy = "client-9"
	d.StartTime = now.Add(48 * time.Hour)
	a, err := w.svc.Create(context.Background(), "acct1", d)
	if err != nil {
		t.Fatal(err)
	}
	c, err := w.svc.Campaign(context.Background(), "acct1", a.Campaign.ID)
	if err != nil || c.CreatedBy != "client-9" || c.LaunchAt.IsZero() || c.LaunchAt.Before(d.StartTime) {
		t.Fatalf("campaign = %+v, %v; want createdBy client-9 and launchAt from %v", c, err, d.StartTime)
	}
	if got := c.Phase(now); got != parley.PhaseScheduled {
		t.Errorf("phase before launch = %s", got)
	}
	det, err := w.svc.Detail(context.Background(), "acct1", c.ID)
	if err != nil || det.Phase != parley.PhaseScheduled || det.Counts[parley.StatusScheduled] != 2 || !det.Campaign.CompletedAt.IsZero() {
		t.Errorf("detail = %+v, %v", det, err)
	}
	list, err := w.svc.List(context.Background(), "acct1", campaign.ListQuery{Phases: []string{parley.PhaseRunning}, Limit: 10})
	if err != nil || len(list.Campaigns) != 0 {
		t.Errorf("RUNNING campaigns = %v, %v; want none", list.Campaigns, err)
	}
}

// countingStore counts the recipient pages read through it.
type countingStore struct {
	campaign.Store
	pages int
}

func (s *countingStore) Recipients(ctx context.Context, accountID, campaignID string, after, limit int) ([]parley.Recipient, error) {
	s.pages++
	return s.Store.Recipients(ctx, accountID, campaignID, after, limit)
}

// laggingCounters are counters that have not counted anything yet, as
// DynamoDB's are until the stream is folded.
type laggingCounters struct{}

func (laggingCounters) CountRows(context.Context, parley.CountQuery) ([]parley.CountRow, error) {
	return nil, nil
}

// TestDetailFromCounters checks that a campaign's detail counts its
// recipients by status from its status row, reading no recipient, and
// records its completion from it; and that counters that do not yet
// count every recipient are not trusted: the recipients are read.
func TestDetailFromCounters(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	cs := &countingStore{Store: w.store}
	w.svc.Store, w.svc.Counters = cs, w.store
	c, rs := storetest.Fixture("acct1", "counted", 250)
	c.CreatedAt = now
	if err := w.store.CreateCampaign(ctx, c, rs); err != nil {
		t.Fatal(err)
	}
	det, err := w.svc.Detail(ctx, "acct1", c.ID)
	if err != nil || cs.pages != 0 || det.Counts[parley.StatusQueued] != 250 || len(det.Counts) != 1 || det.Status != parley.CampaignScheduled {
		t.Fatalf("detail %+v (%d recipient pages read), %v; want 250 QUEUED from the counters", det.Counts, cs.pages, err)
	}
	for seq := 1; seq <= 250; seq++ {
		ref := parley.Ref{AccountID: "acct1", CampaignID: c.ID, RecipientID: parley.RecipientID(seq)}
		to := parley.StatusSent
		if seq%5 == 0 {
			to = parley.StatusFailed
		}
		// Every change told twice: the second finds it moved already.
		for range 2 {
			_, err := w.store.UpdateRecipient(ctx, ref, parley.RecipientChange{From: parley.Claimable, Status: to, At: now.Add(time.Duration(seq) * time.Second)})
			if err != nil && parley.ErrorCode(err) != parley.ECONFLICT {
				t.Fatal(err)
			}
		}
		if seq == 100 {
			det, err := w.svc.Detail(ctx, "acct1", c.ID)
			if err != nil || det.Counts[parley.StatusQueued] != 150 || det.Counts[parley.StatusSent] != 80 || det.Counts[parley.StatusFailed] != 20 || !det.Campaign.CompletedAt.IsZero() {
				t.Fatalf("midway %+v, %v", det.Counts, err)
			}
		}
	}
	det, err = w.svc.Detail(ctx, "acct1", c.ID)
	if err != nil || cs.pages != 0 || det.Counts[parley.StatusSent] != 200 || det.Counts[parley.StatusFailed] != 50 || len(det.Counts) != 2 ||
		det.Campaign.CompletedAt.IsZero() || det.Phase != parley.PhaseFinished {
		t.Fatalf("done %+v, phase %s (%d recipient pages read), %v; want 200 SENT, 50 FAILED and the completion recorded", det.Counts, det.Phase, cs.pages, err)
	}

	// Counters that lag: the recipients are read, and the counts are right.
	w.svc.Counters = laggingCounters{}
	late, lrs := storetest.Fixture("acct1", "late", 3)
	late.CreatedAt = now
	if err := w.store.CreateCampaign(ctx, late, lrs); err != nil {
		t.Fatal(err)
	}
	det, err = w.svc.Detail(ctx, "acct1", late.ID)
	if err != nil || cs.pages == 0 || det.Counts[parley.StatusQueued] != 3 || !det.Campaign.CompletedAt.IsZero() {
		t.Fatalf("lagging counters: %+v (%d pages), %v; want the recipients read: 3 QUEUED, not complete", det.Counts, cs.pages, err)
	}
}
