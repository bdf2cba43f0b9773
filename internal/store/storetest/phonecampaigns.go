package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/dialer"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/window"
)

// PhoneCampaigns is the contract of store.PhoneCampaigns.
func PhoneCampaigns(t *testing.T, newStore func(t *testing.T) store.Store) {
	ctx := context.Background()
	campaign := func(id string) dialer.Campaign {
		return dialer.Campaign{AccountID: "a1", ID: id, Name: "renewals " + id, Mode: dialer.ModePredictive, PickupPercent: 40,
			OperatorGroup: "sales", Goal: dialer.GoalEndless, PhoneField: "phone", Hours: window.Default,
			CallerIDs: []string{"+12025550100"}, MaxAttempts: 3, DropLockout: 72 * time.Hour,
			Rules: []dialer.Rule{{Action: dialer.ActionCallAgain, DelayMinutes: 30}}, State: dialer.CampaignActive, CreatedAt: t0}
	}

	t.Run("create, read, transition", func(t *testing.T) {
		s := newStore(t)
		c := campaign("p2")
		if err := s.CreatePhoneCampaign(ctx, c); err != nil {
			t.Fatal(err)
		}
		wantCode(t, s.CreatePhoneCampaign(ctx, c), parley.ECONFLICT)
		if err := s.CreatePhoneCampaign(ctx, campaign("p1")); err != nil {
			t.Fatal(err)
		}
		got, err := s.PhoneCampaign(ctx, "a1", "p2")
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != c.Name || got.DropLockout != c.DropLockout || len(got.Rules) != 1 || got.Hours != window.Default || !got.CreatedAt.Equal(t0) {
			t.Fatalf("read back %+v", got)
		}
		_, err = s.PhoneCampaign(ctx, "a2", "p2")
		wantCode(t, err, parley.ENOTFOUND)
		list, err := s.PhoneCampaigns(ctx, "a1")
		if err != nil || len(list) != 2 || list[0].ID != "p1" || list[1].ID != "p2" {
			t.Fatalf("list %v, %v", list, err)
		}
		if none, err := s.PhoneCampaigns(ctx, "a2"); err != nil || none == nil || len(none) != 0 {
			t.Fatalf("another account's list %v, %v", none, err)
		}
		moved, err := s.SetPhoneCampaignState(ctx, "a1", "p2", dialer.CampaignActive, dialer.CampaignSuspended)
		if err != nil || moved.State != dialer.CampaignSuspended {
			t.Fatalf("suspend: %+v, %v", moved, err)
		}
		stored, err := s.SetPhoneCampaignState(ctx, "a1", "p2", dialer.CampaignActive, dialer.CampaignTerminated)
		wantCode(t, err, parley.ECONFLICT)
		if stored.State != dialer.CampaignSuspended {
			t.Errorf("conflict answered %+v, want the stored campaign", stored)
		}
		_, err = s.SetPhoneCampaignState(ctx, "a1", "nope", dialer.CampaignActive, dialer.CampaignSuspended)
		wantCode(t, err, parley.ENOTFOUND)
		if got, _ := s.PhoneCampaign(ctx, "a1", "p2"); got.State != dialer.CampaignSuspended {
			t.Errorf("state read back %s", got.State)
		}
	})

	t.Run("entries", func(t *testing.T) {
		s := newStore(t)
		var es []dialer.Entry
		for i := 5; i >= 1; i-- {
			es = append(es, dialer.Entry{ContactID: fmt.Sprintf("k%d", i), Phone: fmt.Sprintf("+1202555010%d", i), Status: dialer.EntryWaiting, NextAttemptAt: t0})
		}
		added, err := s.AddEntries(ctx, "a1", "p1", es[:3])
		if err != nil || added != 3 {
			t.Fatalf("add: %d, %v", added, err)
		}
		changed := es[0]
		changed.Attempts = 9
		added, err = s.AddEntries(ctx, "a1", "p1", append([]dialer.Entry{changed}, es...))
		if err != nil || added != 2 {
			t.Fatalf("add again: %d, %v; want only the 2 new", added, err)
		}
		var ids []string
		for after := ""; ; {
			page, err := s.Entries(ctx, "a1", "p1", after, 2)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			for _, e := range page {
				ids = append(ids, e.ContactID)
				if e.Attempts != 0 || e.Status != dialer.EntryWaiting || !e.NextAttemptAt.Equal(t0) {
					t.Errorf("entry read back %+v", e)
				}
			}
			after = page[len(page)-1].ContactID
		}
		if fmt.Sprint(ids) != "[k1 k2 k3 k4 k5]" {
			t.Fatalf("entries %v", ids)
		}
		for _, other := range [][2]string{{"a1", "p2"}, {"a2", "p1"}} {
			if none, err := s.Entries(ctx, other[0], other[1], "", 10); err != nil || none == nil || len(none) != 0 {
				t.Fatalf("entries of %v: %v, %v", other, none, err)
			}
		}
	})

	t.Run("pacer state", func(t *testing.T) {
		s := newStore(t)
		st, v, err := s.PacerState(ctx, "a1", "p1")
		if err != nil || v != 0 || st.Outcomes != 0 {
			t.Fatalf("before any save: %d, %v", v, err)
		}
		st = dialer.NewState(dialer.Config{InitialPickup: 0.4})
		st.RecordOutcome(true, 12*time.Second)
		st.RecordLive(t0, true, 0.01)
		wantCode(t, s.PutPacerState(ctx, "a1", "p1", st, 2), parley.ECONFLICT)
		if err := s.PutPacerState(ctx, "a1", "p1", st, 1); err != nil {
			t.Fatal(err)
		}
		wantCode(t, s.PutPacerState(ctx, "a1", "p1", st, 1), parley.ECONFLICT)
		got, v, err := s.PacerState(ctx, "a1", "p1")
		if err != nil || v != 1 {
			t.Fatalf("read back: version %d, %v", v, err)
		}
		cfg := dialer.Config{Mode: dialer.ModePredictive}
		snap := dialer.Snapshot{Now: t0, Operators: []dialer.Operator{{State: dialer.Online, Since: t0}}, Callable: 5}
		if a, b := dialer.Decide(cfg, &st, snap), dialer.Decide(cfg, &got, snap); a != b || got.Abandoned != st.Abandoned || got.Outcomes != 1 {
			t.Errorf("state read back decides %+v, the saved one %+v", b, a)
		}
		st.RecordOutcome(false, 30*time.Second)
		if err := s.PutPacerState(ctx, "a1", "p1", st, 2); err != nil {
			t.Fatal(err)
		}
		if _, v, _ := s.PacerState(ctx, "a1", "p1"); v != 2 {
			t.Errorf("version %d after the second save", v)
		}
		if _, v, _ := s.PacerState(ctx, "a1", "p2"); v != 0 {
			t.Errorf("another campaign's state: version %d", v)
		}
	})
}
