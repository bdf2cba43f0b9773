package storetest

import (
	"context"
	"fmt"
	"slices"
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

	t.Run("active campaigns of every account", func(t *testing.T) {
		s := newStore(t)
		if none, err := s.ActivePhoneCampaigns(ctx); err != nil || none == nil || len(none) != 0 {
			t.Fatalf("empty store: %v, %v", none, err)
		}
		other := campaign("q1")
		other.AccountID = "a2"
		for _, c := range []dialer.Campaign{campaign("p1"), campaign("p2"), other} {
			if err := s.CreatePhoneCampaign(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.SetPhoneCampaignState(ctx, "a1", "p2", dialer.CampaignActive, dialer.CampaignSuspended); err != nil {
			t.Fatal(err)
		}
		active := func() []string {
			t.Helper()
			cs, err := s.ActivePhoneCampaigns(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, c := range cs {
				if c.State != dialer.CampaignActive {
					t.Errorf("campaign %s listed as active is %s", c.ID, c.State)
				}
				ids = append(ids, c.AccountID+"/"+c.ID)
			}
			slices.Sort(ids)
			return ids
		}
		if got := active(); !slices.Equal(got, []string{"a1/p1", "a2/q1"}) {
			t.Fatalf("active after suspending p2: %v", got)
		}
		if _, err := s.SetPhoneCampaignState(ctx, "a1", "p2", dialer.CampaignSuspended, dialer.CampaignActive); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetPhoneCampaignState(ctx, "a2", "q1", dialer.CampaignActive, dialer.CampaignCompleted); err != nil {
			t.Fatal(err)
		}
		if got := active(); !slices.Equal(got, []string{"a1/p1", "a1/p2"}) {
			t.Fatalf("active after resuming p2 and completing q1: %v", got)
		}
	})

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

	t.Run("entries change on their revision", func(t *testing.T) {
		s := newStore(t)
		if _, err := s.AddEntries(ctx, "a1", "p1", []dialer.Entry{{ContactID: "k1", Phone: "+12025550101", Status: dialer.EntryWaiting}}); err != nil {
			t.Fatal(err)
		}
		e, err := s.Entry(ctx, "a1", "p1", "k1")
		if err != nil || e.Rev != 0 || e.Status != dialer.EntryWaiting {
			t.Fatalf("entry %+v, %v", e, err)
		}
		claim := e
		claim.Status, claim.CallID = dialer.EntryInProgress, "CA1"
		got, err := s.ReplaceEntry(ctx, "a1", "p1", claim)
		if err != nil || got.Rev != 1 {
			t.Fatalf("claim: %+v, %v", got, err)
		}
		again := e
		again.CallID = "CA2"
		_, err = s.ReplaceEntry(ctx, "a1", "p1", again)
		wantCode(t, err, parley.ECONFLICT)
		got.Attempts, got.OfferedTo = 1, "op1"
		if got, err = s.ReplaceEntry(ctx, "a1", "p1", got); err != nil || got.Rev != 2 {
			t.Fatalf("second change: %+v, %v", got, err)
		}
		if read, _ := s.Entry(ctx, "a1", "p1", "k1"); read.CallID != "CA1" || read.Attempts != 1 || read.OfferedTo != "op1" || read.Rev != 2 {
			t.Fatalf("read back %+v", read)
		}
		_, err = s.ReplaceEntry(ctx, "a1", "p1", dialer.Entry{ContactID: "nope"})
		wantCode(t, err, parley.ENOTFOUND)
		_, err = s.Entry(ctx, "a1", "p1", "nope")
		wantCode(t, err, parley.ENOTFOUND)
	})

	t.Run("calls count once by provider id", func(t *testing.T) {
		s := newStore(t)
		c := dialer.Call{ProviderID: "CA2", AccountID: "a1", CampaignID: "p1", ContactID: "k1", Attempt: 1, Status: dialer.CallRinging, PlacedAt: t0}
		got, err := s.CreatePhoneCall(ctx, c)
		if err != nil || got.Rev != 1 {
			t.Fatalf("create: %+v, %v", got, err)
		}
		_, err = s.CreatePhoneCall(ctx, c)
		wantCode(t, err, parley.ECONFLICT)
		if _, err := s.CreatePhoneCall(ctx, dialer.Call{ProviderID: "CA1", AccountID: "a1", CampaignID: "p1", ContactID: "k2"}); err != nil {
			t.Fatal(err)
		}
		answered := got
		answered.Status, answered.Answer, answered.AnsweredAt = dialer.CallWaiting, dialer.AnswerHuman, t0.Add(5*time.Second)
		if answered, err = s.ReplacePhoneCall(ctx, answered); err != nil || answered.Rev != 2 {
			t.Fatalf("answer: %+v, %v", answered, err)
		}
		_, err = s.ReplacePhoneCall(ctx, got)
		wantCode(t, err, parley.ECONFLICT)
		read, err := s.PhoneCall(ctx, "a1", "p1", "CA2")
		if err != nil || read.Status != dialer.CallWaiting || !read.AnsweredAt.Equal(t0.Add(5*time.Second)) || read.Rev != 2 {
			t.Fatalf("read back %+v, %v", read, err)
		}
		_, err = s.PhoneCall(ctx, "a1", "p2", "CA2")
		wantCode(t, err, parley.ENOTFOUND)
		list, err := s.PhoneCalls(ctx, "a1", "p1")
		if err != nil || len(list) != 2 || list[0].ProviderID != "CA1" || list[1].ProviderID != "CA2" {
			t.Fatalf("list %+v, %v", list, err)
		}
		if none, err := s.PhoneCalls(ctx, "a1", "p2"); err != nil || none == nil || len(none) != 0 {
			t.Fatalf("another campaign's calls %v, %v", none, err)
		}
	})

	t.Run("a contact's calls in every campaign, newest first, paged", func(t *testing.T) {
		s := newStore(t)
		for i, cid := range []string{"p1", "p2", "p1", "p3", "p2"} {
			c := dialer.Call{ProviderID: fmt.Sprintf("CA%d", i), AccountID: "a1", CampaignID: cid, ContactID: "k1", Attempt: 1,
				Status: dialer.CallRinging, PlacedAt: t0.Add(time.Duration(i/2) * time.Minute)} // two calls an instant
			if _, err := s.CreatePhoneCall(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		// Another contact's, and another account's, are not the contact's.
		for _, c := range []dialer.Call{{ProviderID: "CB1", AccountID: "a1", CampaignID: "p1", ContactID: "k2", PlacedAt: t0},
			{ProviderID: "CB2", AccountID: "a2", CampaignID: "p1", ContactID: "k1", PlacedAt: t0}} {
			if _, err := s.CreatePhoneCall(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		// A call created again is listed once.
		_, err := s.CreatePhoneCall(ctx, dialer.Call{ProviderID: "CA0", AccountID: "a1", CampaignID: "p1", ContactID: "k1", PlacedAt: t0})
		wantCode(t, err, parley.ECONFLICT)
		// The list shows each call as it is now.
		ended, err := s.PhoneCall(ctx, "a1", "p3", "CA3")
		if err != nil {
			t.Fatal(err)
		}
		ended.Status = dialer.CallEnded
		if _, err := s.ReplacePhoneCall(ctx, ended); err != nil {
			t.Fatal(err)
		}
		all, next, err := s.ContactPhoneCalls(ctx, "a1", "k1", "", 100)
		if err != nil || len(all) != 5 || next != "" {
			t.Fatalf("all calls %+v next %q, %v; want 5 and no next", all, next, err)
		}
		for i := 1; i < len(all); i++ {
			if all[i].PlacedAt.After(all[i-1].PlacedAt) {
				t.Fatalf("calls out of order at %d: %+v", i, all)
			}
		}
		if i := slices.IndexFunc(all, func(c dialer.Call) bool { return c.ProviderID == "CA3" }); i < 0 || all[i].Status != dialer.CallEnded {
			t.Errorf("CA3 listed as %+v; want it ended", all)
		}
		order := func(cs []dialer.Call) (ids []string) {
			for _, c := range cs {
				ids = append(ids, c.ProviderID)
			}
			return ids
		}
		for _, size := range []int{1, 2, 3} {
			var got []dialer.Call
			cursor := ""
			for range 10 {
				page, next, err := s.ContactPhoneCalls(ctx, "a1", "k1", cursor, size)
				if err != nil || len(page) > size {
					t.Fatalf("page of %d: %d calls, %v", size, len(page), err)
				}
				got = append(got, page...)
				if cursor = next; next == "" {
					break
				}
			}
			if !slices.Equal(order(got), order(all)) {
				t.Errorf("pages of %d = %v, want %v", size, order(got), order(all))
			}
		}
		if none, next, err := s.ContactPhoneCalls(ctx, "a1", "k9", "", 10); err != nil || none == nil || len(none) != 0 || next != "" {
			t.Errorf("a contact without calls: %v %q, %v", none, next, err)
		}
		_, _, err = s.ContactPhoneCalls(ctx, "a1", "k1", "bad", 10)
		wantCode(t, err, parley.EINVALID)
	})

	t.Run("open entries and calls, as the pacer reads them", func(t *testing.T) {
		s := newStore(t)
		ids := func(es []dialer.Entry) (out []string) {
			for _, e := range es {
				out = append(out, e.ContactID)
			}
			return out
		}
		var es []dialer.Entry
		for i := range 5 {
			es = append(es, dialer.Entry{ContactID: fmt.Sprintf("k%d", i), Phone: "+12025550100", Status: dialer.EntryWaiting,
				NextAttemptAt: t0.Add(time.Duration(4-i) * time.Minute)}) // k4 is due first
		}
		if _, err := s.AddEntries(ctx, "a1", "p1", es); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddEntries(ctx, "a1", "p2", es[:1]); err != nil {
			t.Fatal(err)
		}
		// Index reads may lag a moment (an emulator's secondary index).
		eventually := func(what string, f func() (string, error), want string) {
			t.Helper()
			var got string
			var err error
			for range 50 {
				if got, err = f(); err == nil && got == want {
					return
				}
				time.Sleep(20 * time.Millisecond)
			}
			t.Fatalf("%s = %s, %v; want %s", what, got, err, want)
		}
		due := func(by time.Time, limit int) func() (string, error) {
			return func() (string, error) {
				got, err := s.DueEntries(ctx, "a1", "p1", by, limit)
				return fmt.Sprint(ids(got)), err
			}
		}
		inProgress := func() (string, error) {
			got, err := s.InProgressEntries(ctx, "a1", "p1")
			return fmt.Sprint(ids(got)), err
		}
		open := func() (string, error) {
			got, err := s.OpenPhoneCalls(ctx, "a1", "p1")
			var out []string
			for _, c := range got {
				out = append(out, c.ProviderID)
			}
			return fmt.Sprint(out), err
		}
		eventually("due at t0+2m", due(t0.Add(2*time.Minute), 10), "[k4 k3 k2]")
		eventually("the first due", due(t0.Add(time.Hour), 1), "[k4]")
		eventually("due before any", due(t0.Add(-time.Minute), 10), "[]")
		eventually("in progress", inProgress, "[]")
		// Claiming k4 moves it to in progress; calling k3 again later moves it back.
		k4, err := s.Entry(ctx, "a1", "p1", "k4")
		if err != nil {
			t.Fatal(err)
		}
		k4.Status = dialer.EntryInProgress
		if k4, err = s.ReplaceEntry(ctx, "a1", "p1", k4); err != nil {
			t.Fatal(err)
		}
		k3, err := s.Entry(ctx, "a1", "p1", "k3")
		if err != nil {
			t.Fatal(err)
		}
		k3.NextAttemptAt = t0.Add(time.Hour)
		if _, err := s.ReplaceEntry(ctx, "a1", "p1", k3); err != nil {
			t.Fatal(err)
		}
		eventually("due after the claim", due(t0.Add(2*time.Minute), 10), "[k2]")
		eventually("all waiting", due(t0.Add(2*time.Hour), 10), "[k2 k1 k0 k3]")
		eventually("in progress after the claim", inProgress, "[k4]")
		k4.Status = dialer.EntryProcessed
		if _, err := s.ReplaceEntry(ctx, "a1", "p1", k4); err != nil {
			t.Fatal(err)
		}
		eventually("in progress once processed", inProgress, "[]")
		eventually("waiting once k4 is processed", due(t0.Add(2*time.Hour), 10), "[k2 k1 k0 k3]")

		// A call is open until it ends.
		eventually("no calls", open, "[]")
		for _, id := range []string{"CA2", "CA1"} {
			if _, err := s.CreatePhoneCall(ctx, dialer.Call{ProviderID: id, AccountID: "a1", CampaignID: "p1", ContactID: "k4", Status: dialer.CallRinging, PlacedAt: t0}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.CreatePhoneCall(ctx, dialer.Call{ProviderID: "CB1", AccountID: "a1", CampaignID: "p2", ContactID: "k4", Status: dialer.CallRinging, PlacedAt: t0}); err != nil {
			t.Fatal(err)
		}
		eventually("open calls", open, "[CA1 CA2]")
		ca1, err := s.PhoneCall(ctx, "a1", "p1", "CA1")
		if err != nil {
			t.Fatal(err)
		}
		ca1.Status = dialer.CallWaiting
		if ca1, err = s.ReplacePhoneCall(ctx, ca1); err != nil {
			t.Fatal(err)
		}
		ca1.Status = dialer.CallEnded
		if _, err := s.ReplacePhoneCall(ctx, ca1); err != nil {
			t.Fatal(err)
		}
		eventually("open calls once CA1 ended", open, "[CA2]")
		if got, err := s.OpenPhoneCalls(ctx, "a1", "p1"); err != nil || len(got) != 1 || got[0].Status != dialer.CallRinging {
			t.Errorf("open calls %+v, %v; want CA2 as stored", got, err)
		}
	})

	t.Run("sessions, newest first, filtered and paged", func(t *testing.T) {
		s := newStore(t)
		// Six calls: five get an operator (one of them only when it is
		// bridged), one never does; another account's is not listed.
		for i := range 6 {
			c := dialer.Call{ProviderID: fmt.Sprintf("CA%d", i), AccountID: "a1", CampaignID: []string{"p1", "p2"}[i%2], ContactID: "k1",
				Status: dialer.CallRinging, PlacedAt: t0.Add(time.Duration(i) * time.Minute), Operator: []string{"ann", "bob", "ann", "", "ann", ""}[i]}
			created, err := s.CreatePhoneCall(ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			if i == 5 {
				created.Operator, created.Status, created.Params = "bob", dialer.CallEnded, map[string]string{"plan": "plus"}
				if _, err := s.ReplacePhoneCall(ctx, created); err != nil {
					t.Fatal(err)
				}
			}
		}
		if _, err := s.CreatePhoneCall(ctx, dialer.Call{ProviderID: "CB1", AccountID: "a2", CampaignID: "p1", Operator: "ann", PlacedAt: t0}); err != nil {
			t.Fatal(err)
		}
		list := func(f dialer.SessionFilter, limit int) string {
			t.Helper()
			var got []string
			cursor := ""
			for range 20 {
				page, next, err := s.PhoneSessions(ctx, "a1", f, cursor, limit)
				cursor = next
				if err != nil || len(page) > limit {
					t.Fatalf("sessions %+v: %d, %v", f, len(page), err)
				}
				for _, c := range page {
					got = append(got, c.ProviderID)
				}
				if cursor == "" {
					break
				}
			}
			return fmt.Sprint(got)
		}
		for range 50 { // wait for the index to take the last write
			if page, _, err := s.PhoneSessions(ctx, "a1", dialer.SessionFilter{Params: map[string]string{"plan": "plus"}}, "", 10); err == nil && len(page) == 1 {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		for _, tt := range []struct {
			f     dialer.SessionFilter
			limit int
			want  string
		}{
			{dialer.SessionFilter{}, 10, "[CA5 CA4 CA2 CA1 CA0]"},
			{dialer.SessionFilter{}, 2, "[CA5 CA4 CA2 CA1 CA0]"},
			{dialer.SessionFilter{Operator: "ann"}, 10, "[CA4 CA2 CA0]"},
			{dialer.SessionFilter{Operator: "ann"}, 1, "[CA4 CA2 CA0]"},
			{dialer.SessionFilter{CampaignID: "p2"}, 10, "[CA5 CA1]"},
			{dialer.SessionFilter{Params: map[string]string{"plan": "plus"}}, 10, "[CA5]"},
			{dialer.SessionFilter{Operator: "cy"}, 10, "[]"},
		} {
			if got := list(tt.f, tt.limit); got != tt.want {
				t.Errorf("sessions %+v in pages of %d = %s, want %s", tt.f, tt.limit, got, tt.want)
			}
		}
		_, _, err := s.PhoneSessions(ctx, "a1", dialer.SessionFilter{}, "bad", 10)
		wantCode(t, err, parley.EINVALID)
	})

	t.Run("operator groups exist empty until deleted", func(t *testing.T) {
		s := newStore(t)
		if none, err := s.PhoneGroups(ctx, "a1"); err != nil || none == nil || len(none) != 0 {
			t.Fatalf("no groups: %v, %v", none, err)
		}
		for _, g := range []dialer.OperatorGroup{{AccountID: "a1", Name: "sales", CreatedAt: t0}, {AccountID: "a1", Name: "care", CreatedAt: t0},
			{AccountID: "a2", Name: "sales", CreatedAt: t0}} {
			if created, err := s.CreatePhoneGroup(ctx, g); err != nil || !created {
				t.Fatalf("create %+v: %v, %v", g, created, err)
			}
		}
		if created, err := s.CreatePhoneGroup(ctx, dialer.OperatorGroup{AccountID: "a1", Name: "sales", CreatedAt: t0.Add(time.Hour)}); err != nil || created {
			t.Fatalf("create sales again: %v, %v; want not created", created, err)
		}
		gs, err := s.PhoneGroups(ctx, "a1")
		if err != nil || len(gs) != 2 || gs[0].Name != "care" || gs[1].Name != "sales" || !gs[1].CreatedAt.Equal(t0) || gs[1].AccountID != "a1" {
			t.Fatalf("groups %+v, %v; want care and sales as first created", gs, err)
		}
		if removed, err := s.DeletePhoneGroup(ctx, "a1", "sales"); err != nil || !removed {
			t.Fatalf("delete: %v, %v", removed, err)
		}
		if removed, err := s.DeletePhoneGroup(ctx, "a1", "sales"); err != nil || removed {
			t.Fatalf("delete again: %v, %v", removed, err)
		}
		if gs, err := s.PhoneGroups(ctx, "a2"); err != nil || len(gs) != 1 {
			t.Fatalf("the other account's groups %+v, %v", gs, err)
		}
	})

	t.Run("operators change on their revision", func(t *testing.T) {
		s := newStore(t)
		a := dialer.Agent{AccountID: "a1", ID: "op2", Group: "sales", Operator: dialer.Operator{State: dialer.Online, Since: t0}}
		got, err := s.PutPhoneAgent(ctx, a)
		if err != nil || got.Rev != 1 {
			t.Fatalf("create: %+v, %v", got, err)
		}
		_, err = s.PutPhoneAgent(ctx, a)
		wantCode(t, err, parley.ECONFLICT)
		got.State = dialer.Busy
		got.Offer = &dialer.Offer{CampaignID: "p1", ContactID: "k1", Phone: "+12025550101", OfferedAt: t0, AcceptedAt: t0.Add(time.Second)}
		if got, err = s.PutPhoneAgent(ctx, got); err != nil || got.Rev != 2 {
			t.Fatalf("busy: %+v, %v", got, err)
		}
		if _, err := s.PutPhoneAgent(ctx, dialer.Agent{AccountID: "a1", ID: "op1", Group: "sales"}); err != nil {
			t.Fatal(err)
		}
		list, err := s.PhoneAgents(ctx, "a1")
		if err != nil || len(list) != 2 || list[0].ID != "op1" || list[1].ID != "op2" || list[1].State != dialer.Busy || list[1].Rev != 2 {
			t.Fatalf("list %+v, %v", list, err)
		}
		if o := list[1].Offer; o == nil || o.ContactID != "k1" || !o.AcceptedAt.Equal(t0.Add(time.Second)) || !o.OfferedAt.Equal(t0) {
			t.Fatalf("offer read back %+v", o)
		}
		if none, err := s.PhoneAgents(ctx, "a2"); err != nil || none == nil || len(none) != 0 {
			t.Fatalf("another account's operators %v, %v", none, err)
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
