package campaign_test

import (
	"context"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/gateway/whatsapp"
	"github.com/parleyhq/parley/internal/inbound/optout"
	"github.com/parleyhq/parley/internal/inbound/receipts"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/settings/account"
)

func TestOptedOutConsumersAreSkipped(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	clock := parley.ClockFunc(func() time.Time { return now })
	oo := &optout.Service{Store: w.store, Accounts: &account.Service{Store: w.store, Clock: clock}, Clock: clock}
	w.svc.OptOuts = oo
	if _, err := oo.Handle(ctx, "acct1", parley.ChannelSMS, "+12025550102", "STOP"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := oo.Add(ctx, "acct1", parley.ChannelWhatsApp, "+12025550103"); err != nil {
		t.Fatal(err)
	}
	acc, err := w.svc.Create(ctx, "acct1", draft("+12025550101", "+1 202 555 0102", "+12025550103"))
	if err != nil {
		t.Fatal(err)
	}
	if len(acc.Accepted) != 3 || len(acc.Failed) != 0 {
		t.Fatalf("accepted %d, failed %d; want 3 and 0", len(acc.Accepted), len(acc.Failed))
	}
	if o := acc.Accepted[1]; o.Status != parley.StatusSkipped || o.Error != parley.CodeOptedOut || o.Detail == "" || o.RecipientID == "" {
		t.Errorf("the opted-out consumer's outcome = %+v; want SKIPPED with %s", o, parley.CodeOptedOut)
	}
	if o := acc.Accepted[2]; o.Status == parley.StatusSkipped {
		t.Errorf("a consumer opted out of WhatsApp only is skipped on SMS: %+v", o)
	}
	if got := w.queued(t); len(got) != 2 || got[0] != acc.Accepted[0].RecipientID || got[1] != acc.Accepted[2].RecipientID {
		t.Errorf("queued %v; want the two others", got)
	}
	rep, err := w.svc.Report(ctx, "acct1", acc.Campaign.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r := rep.Recipients[1]; r.Status != parley.StatusSkipped || r.ErrorMessage != parley.CodeOptedOut {
		t.Errorf("stored recipient = %s %q; want SKIPPED %s", r.Status, r.ErrorMessage, parley.CodeOptedOut)
	}
	if rep.Counts[parley.StatusSkipped] != 1 || rep.Counts[parley.StatusQueued] != 2 {
		t.Errorf("counts = %v", rep.Counts)
	}
}

func TestDeliveryReportsMoveTheCounters(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	acc, err := w.svc.Create(ctx, "acct1", draft("+12025550101", "+12025550102", "+12025550103"))
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range acc.Accepted {
		ref := parley.Ref{AccountID: "acct1", CampaignID: acc.Campaign.ID, RecipientID: o.RecipientID}
		if _, err := w.store.UpdateRecipient(ctx, ref, parley.RecipientChange{From: parley.Claimable, Status: parley.StatusSending, At: now}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.store.UpdateRecipient(ctx, ref, parley.RecipientChange{
			From: []parley.RecipientStatus{parley.StatusSending}, Status: parley.StatusSent, ProviderMessageID: "SM" + o.RecipientID, At: now,
		}); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	ds := &receipts.Service{Store: w.store, Clock: parley.ClockFunc(func() time.Time { return now })}
	for _, u := range []struct {
		i      int
		status string
	}{{0, "delivered"}, {1, "read"}, {1, "delivered"}, {2, "failed"}} {
		if _, err := ds.Apply(ctx, gateway.MapStatus(whatsapp.Provider{}, receipts.Update{AccountID: "acct1", CampaignID: acc.Campaign.ID, RecipientID: acc.Accepted[u.i].RecipientID, ProviderMessageID: "SM" + acc.Accepted[u.i].RecipientID, Word: u.status})); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := w.svc.Report(ctx, "acct1", acc.Campaign.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := map[parley.RecipientStatus]int{parley.StatusDelivered: 1, parley.StatusRead: 1, parley.StatusFailed: 1}
	for s, n := range want {
		if rep.Counts[s] != n {
			t.Errorf("counts = %v, want %v", rep.Counts, want)
			break
		}
	}
	if rep.Status != parley.CampaignCompleted {
		t.Errorf("status = %s, want %s", rep.Status, parley.CampaignCompleted)
	}
}
