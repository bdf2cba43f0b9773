package storetest

import (
	"context"
	"testing"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Handoffs checks store.Handoffs: versions kept, conditional edits, titles
// unique per account, deletion.
func Handoffs(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("Versions", func(t *testing.T) { testHandoffVersions(t, newStore(t)) })
	t.Run("Titles", func(t *testing.T) { testHandoffTitles(t, newStore(t)) })
	t.Run("Delete", func(t *testing.T) { testHandoffDelete(t, newStore(t)) })
}

func handoffFixture(account, id, title string) parley.Handoff {
	return parley.Handoff{
		AccountID: account, ID: id, Title: title, Version: 1, LookbackMinutes: 43200,
		Channels:  []parley.HandoffChannel{{Channel: parley.ChannelSMS, OutboundNumber: "+15550000001", Text: "Hi {{1}}"}},
		CreatedAt: t0, UpdatedAt: t0,
	}
}

func putHandoff(t *testing.T, s store.Store, h parley.Handoff) {
	t.Helper()
	if err := s.PutHandoff(context.Background(), h); err != nil {
		t.Fatalf("PutHandoff(%s v%d): %v", h.ID, h.Version, err)
	}
}

func testHandoffVersions(t *testing.T, s store.Store) {
	ctx := context.Background()
	if hs, err := s.Handoffs(ctx, "acct1"); err != nil || hs == nil || len(hs) != 0 {
		t.Fatalf("Handoffs of an empty store = %v, %v; want an empty list", hs, err)
	}
	_, err := s.Handoff(ctx, "acct1", "H000000000000001")
	wantCode(t, err, parley.ENOTFOUND)
	_, err = s.HandoffVersions(ctx, "acct1", "H000000000000001")
	wantCode(t, err, parley.ENOTFOUND)

	v1 := handoffFixture("acct1", "H000000000000001", "Orders")
	putHandoff(t, s, v1)
	wantCode(t, s.PutHandoff(ctx, v1), parley.ECONFLICT) // version 1 exists
	v2 := v1
	v2.Version, v2.LookbackMinutes = 2, 60
	v2.Channels = []parley.HandoffChannel{{Channel: parley.ChannelWhatsApp, OutboundNumber: "+15550000001", TemplateID: "WA1"}}
	putHandoff(t, s, v2)
	stale := v1
	stale.Version = 2
	wantCode(t, s.PutHandoff(ctx, stale), parley.ECONFLICT) // version 2 exists
	skip := v1
	skip.Version = 4
	wantCode(t, s.PutHandoff(ctx, skip), parley.ECONFLICT) // not the next version

	got, err := s.Handoff(ctx, "acct1", v1.ID)
	if err != nil || got.Version != 2 || got.LookbackMinutes != 60 || got.Channels[0].TemplateID != "WA1" || !got.CreatedAt.Equal(t0) {
		t.Fatalf("Handoff = %+v, %v; want version 2", got, err)
	}
	vs, err := s.HandoffVersions(ctx, "acct1", v1.ID)
	if err != nil || len(vs) != 2 || vs[0].Version != 1 || vs[0].Channels[0].Text != "Hi {{1}}" || vs[1].Version != 2 {
		t.Fatalf("HandoffVersions = %+v, %v; want versions 1 and 2", vs, err)
	}
	putHandoff(t, s, handoffFixture("acct1", "H000000000000002", "Renewals"))
	hs, err := s.Handoffs(ctx, "acct1")
	if err != nil || len(hs) != 2 || hs[0].ID != v1.ID || hs[0].Version != 2 || hs[1].ID != "H000000000000002" {
		t.Fatalf("Handoffs = %+v, %v; want the latest of both, by id", hs, err)
	}
	_, err = s.Handoff(ctx, "acct2", v1.ID)
	wantCode(t, err, parley.ENOTFOUND)
	if other, err := s.Handoffs(ctx, "acct2"); err != nil || len(other) != 0 {
		t.Errorf("another account lists %v, %v", other, err)
	}
}

func testHandoffTitles(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := handoffFixture("acct1", "H000000000000001", "Orders")
	putHandoff(t, s, a)
	wantCode(t, s.PutHandoff(ctx, handoffFixture("acct1", "H000000000000002", "ORDERS")), parley.ECONFLICT)
	if _, err := s.Handoff(ctx, "acct1", "H000000000000002"); parley.ErrorCode(err) != parley.ENOTFOUND {
		t.Fatalf("a refused handoff was saved: %v", err)
	}
	putHandoff(t, s, handoffFixture("acct2", "H000000000000002", "Orders")) // another account's titles are its own

	// Renaming frees the old title and keeps the new one; keeping a title is no conflict.
	same := a
	same.Version = 2
	putHandoff(t, s, same)
	renamed := a
	renamed.Version, renamed.Title = 3, "Shipping"
	putHandoff(t, s, renamed)
	putHandoff(t, s, handoffFixture("acct1", "H000000000000003", "Orders"))
	wantCode(t, s.PutHandoff(ctx, handoffFixture("acct1", "H000000000000004", "shipping")), parley.ECONFLICT)
}

func testHandoffDelete(t *testing.T, s store.Store) {
	ctx := context.Background()
	h := handoffFixture("acct1", "H000000000000001", "Orders")
	putHandoff(t, s, h)
	h.Version = 2
	putHandoff(t, s, h)
	wantCode(t, s.DeleteHandoff(ctx, "acct2", h.ID), parley.ENOTFOUND)
	if err := s.DeleteHandoff(ctx, "acct1", h.ID); err != nil {
		t.Fatal(err)
	}
	_, err := s.Handoff(ctx, "acct1", h.ID)
	wantCode(t, err, parley.ENOTFOUND)
	_, err = s.HandoffVersions(ctx, "acct1", h.ID)
	wantCode(t, err, parley.ENOTFOUND)
	wantCode(t, s.DeleteHandoff(ctx, "acct1", h.ID), parley.ENOTFOUND)
	putHandoff(t, s, handoffFixture("acct1", "H000000000000002", "Orders")) // the title is free again
}
