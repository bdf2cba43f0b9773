package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Campaigns checks store.Campaigns (with the recipients created with a
// campaign).
func Campaigns(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("RoundTrip", func(t *testing.T) { testCampaignRoundTrip(t, newStore(t)) })
	t.Run("Conflict", func(t *testing.T) { testCampaignConflict(t, newStore(t)) })
	t.Run("AccountScoping", func(t *testing.T) { testAccountScoping(t, newStore(t)) })
	t.Run("Fanout", func(t *testing.T) { testFanout(t, newStore(t)) })
	t.Run("State", func(t *testing.T) { testCampaignState(t, newStore(t)) })
	t.Run("Deflection", func(t *testing.T) { testCampaignDeflection(t, newStore(t)) })
}

// testCampaignDeflection: the handoff and IVR number a Connect to
// Messaging deflection was taken in with are kept, read alone and listed.
func testCampaignDeflection(t *testing.T, s store.Store) {
	ctx := context.Background()
	c, rs := Fixture("acct1", "camp1", 1)
	c.CallID, c.HandoffID, c.IVRNumber = "b0eb76ed-0ff9-4d03-935b-c86ca9aa9354", "H123456", "+18005550100"
	create(t, s, c, rs)
	plain, prs := Fixture("acct1", "camp2", 1)
	plain.CreatedAt = c.CreatedAt.Add(time.Second)
	create(t, s, plain, prs)
	got, err := s.Campaign(ctx, "acct1", "camp1")
	if err != nil {
		t.Fatal(err)
	}
	if got.HandoffID != "H123456" || got.IVRNumber != "+18005550100" {
		t.Errorf("Campaign: handoff %q, IVR number %q; want H123456, +18005550100", got.HandoffID, got.IVRNumber)
	}
	page, err := s.ListCampaigns(ctx, "acct1", store.CampaignFilter{}, store.CampaignPosition{}, store.MaxCampaignPage)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Campaigns) != 2 || page.Campaigns[1].HandoffID != "H123456" || page.Campaigns[1].IVRNumber != "+18005550100" ||
		page.Campaigns[0].HandoffID != "" || page.Campaigns[0].IVRNumber != "" {
		t.Errorf("ListCampaigns = %+v", page.Campaigns)
	}
}

func testCampaignRoundTrip(t *testing.T, s store.Store) {
	ctx := context.Background()
	c, rs := Fixture("acct1", "camp1", 3)
	c.CallID = "b0eb76ed-0ff9-4d03-935b-c86ca9aa9354" // a deflection's
	create(t, s, c, rs)
	got, err := s.Campaign(ctx, "acct1", "camp1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != c.Name || got.OutboundNumber != c.OutboundNumber || got.Recipients != 3 || got.CallID != c.CallID ||
		!got.CreatedAt.Equal(c.CreatedAt) || got.Channel != c.Channel || got.Message != c.Message || !got.Consent {
		t.Errorf("Campaign = %+v, want %+v", got, c)
	}
	r, err := s.Recipient(ctx, rs[1].Ref())
	if err != nil {
		t.Fatal(err)
	}
	if r.Phone != rs[1].Phone || r.Body != rs[1].Body || r.Variables["1"] != "name2" || r.SDEs["ctmrinfo.customerId"] != "C-2" ||
		r.Status != parley.StatusQueued || r.Seq != 2 || !r.DueAt.Equal(t0) {
		t.Errorf("Recipient = %+v, want %+v", r, rs[1])
	}
	_, err = s.Campaign(ctx, "acct1", "nope")
	wantCode(t, err, parley.ENOTFOUND)
	_, err = s.Recipient(ctx, parley.Ref{AccountID: "acct1", CampaignID: "camp1", RecipientID: "999999"})
	wantCode(t, err, parley.ENOTFOUND)
}

func testCampaignConflict(t *testing.T, s store.Store) {
	ctx := context.Background()
	c, rs := Fixture("acct1", "camp1", 2)
	create(t, s, c, rs)
	c2, rs2 := Fixture("acct1", "camp1", 1)
	c2.Name = "other"
	wantCode(t, s.CreateCampaign(ctx, c2, rs2), parley.ECONFLICT)
	got, err := s.Campaign(ctx, "acct1", "camp1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != c.Name || got.Recipients != 2 {
		t.Errorf("conflicting create overwrote the campaign: %+v", got)
	}
}

func testAccountScoping(t *testing.T, s store.Store) {
	ctx := context.Background()
	c, rs := Fixture("acctA", "camp1", 2)
	create(t, s, c, rs)
	_, err := s.Campaign(ctx, "acctB", "camp1")
	wantCode(t, err, parley.ENOTFOUND)
	ref := rs[0].Ref()
	ref.AccountID = "acctB"
	_, err = s.Recipient(ctx, ref)
	wantCode(t, err, parley.ENOTFOUND)
	_, err = s.UpdateRecipient(ctx, ref, parley.RecipientChange{From: parley.Claimable, Status: parley.StatusSending, At: t0})
	wantCode(t, err, parley.ENOTFOUND)
	list, err := s.Recipients(ctx, "acctB", "camp1", 0, 10)
	if err != nil || len(list) != 0 {
		t.Errorf("Recipients of another account = %d, %v; want none", len(list), err)
	}
}

func testFanout(t *testing.T, s store.Store) {
	ctx := context.Background()
	c, rs := Fixture("acct1", "camp1", 30)
	create(t, s, c, rs)
	done, drs := Fixture("acct1", "camp2", 2)
	done.FannedOut = 2
	create(t, s, done, drs)
	pending, err := s.PendingFanout(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 1 || pending[0].ID != "camp1" {
		t.Fatalf("PendingFanout = %+v, want camp1 only", pending)
	}
	if err := s.SetFannedOut(ctx, "acct1", "camp1", 20); err != nil {
		t.Fatal(err)
	}
	if err := s.SetFannedOut(ctx, "acct1", "camp1", 10); err != nil {
		t.Fatal(err)
	}
	got, err := s.Campaign(ctx, "acct1", "camp1")
	if err != nil {
		t.Fatal(err)
	}
	if got.FannedOut != 20 {
		t.Errorf("FannedOut = %d after 20 then 10, want 20", got.FannedOut)
	}
	if err := s.SetFannedOut(ctx, "acct1", "camp1", 30); err != nil {
		t.Fatal(err)
	}
	pending, err = s.PendingFanout(ctx)
	if err != nil || len(pending) != 0 {
		t.Errorf("PendingFanout after completion = %+v, %v; want none", pending, err)
	}
	wantCode(t, s.SetFannedOut(ctx, "acct1", "nope", 1), parley.ENOTFOUND)
}

func testCampaignState(t *testing.T, s store.Store) {
	ctx := context.Background()
	c, rs := Fixture("acct1", "camp1", 1)
	create(t, s, c, rs)
	active := []parley.CampaignState{parley.StateActive}
	paused, err := s.SetCampaignState(ctx, "acct1", "camp1", active, parley.StatePaused, t0)
	if err != nil || paused.State != parley.StatePaused || paused.Name != c.Name {
		t.Fatalf("pause: %+v, %v", paused, err)
	}
	cur, err := s.SetCampaignState(ctx, "acct1", "camp1", active, parley.StatePaused, t0)
	wantCode(t, err, parley.ECONFLICT)
	if cur.State != parley.StatePaused {
		t.Errorf("conflict returned state %q, want the stored PAUSED", cur.State)
	}
	cancelled, err := s.SetCampaignState(ctx, "acct1", "camp1", []parley.CampaignState{parley.StateActive, parley.StatePaused}, parley.StateCancelled, t0)
	if err != nil || cancelled.State != parley.StateCancelled {
		t.Fatalf("cancel: %+v, %v", cancelled, err)
	}
	if got, _ := s.Campaign(ctx, "acct1", "camp1"); got.State != parley.StateCancelled || got.Recipients != 1 {
		t.Errorf("stored %+v", got)
	}
	_, err = s.SetCampaignState(ctx, "acct2", "camp1", active, parley.StatePaused, t0)
	wantCode(t, err, parley.ENOTFOUND)
}
