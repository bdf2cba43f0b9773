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
