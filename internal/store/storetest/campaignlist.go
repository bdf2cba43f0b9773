package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// CampaignListing checks store.Campaigns' ListCampaigns and
// CompleteCampaign.
func CampaignListing(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("NewestFirst", func(t *testing.T) { testListNewestFirst(t, newStore(t)) })
	t.Run("Filters", func(t *testing.T) { testListFilters(t, newStore(t)) })
	t.Run("Complete", func(t *testing.T) { testCompleteCampaign(t, newStore(t)) })
}

// listed campaigns: c1..c5 in acct1 (c3 and c4 created at the same
// instant), one in acct2.
func seedListing(t *testing.T, s store.Store) {
	t.Helper()
	at := []time.Duration{0, time.Minute, 2 * time.Minute, 2 * time.Minute, 3 * time.Minute}
	for i, d := range at {
		c, rs := Fixture("acct1", "c"+string(rune('1'+i)), 1)
		c.CreatedAt = t0.Add(d)
		c.CreatedBy = "client-" + c.ID
		c.LaunchAt = c.CreatedAt.Add(time.Hour)
		if i%2 == 1 {
			c.Channel, c.Skill = parley.ChannelWhatsApp, "service"
		}
		create(t, s, c, rs)
	}
	other, rs := Fixture("acct2", "c9", 1)
	other.CreatedAt = t0.Add(time.Hour)
	create(t, s, other, rs)
}

// listAll follows Next from the start, limit at a time, and returns the
// ids in listing order.
func listAll(t *testing.T, s store.Store, f store.CampaignFilter, limit int) []string {
	t.Helper()
	var ids []string
	after := store.CampaignPosition{}
	for range 20 {
		page, err := s.ListCampaigns(context.Background(), "acct1", f, after, limit)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Campaigns) > limit {
			t.Fatalf("page of %d with limit %d", len(page.Campaigns), limit)
		}
		for _, c := range page.Campaigns {
			ids = append(ids, c.ID)
		}
		if page.Next.IsZero() {
			return ids
		}
		after = page.Next
	}
	t.Fatalf("listing did not end: %v", ids)
	return nil
}

func testListNewestFirst(t *testing.T, s store.Store) {
	seedListing(t, s)
	want := []string{"c5", "c4", "c3", "c2", "c1"}
	for _, limit := range []int{1, 2, 5, 100} {
		if got := listAll(t, s, store.CampaignFilter{}, limit); !slices.Equal(got, want) {
			t.Errorf("limit %d: %v, want %v", limit, got, want)
		}
	}
	page, err := s.ListCampaigns(context.Background(), "acct1", store.CampaignFilter{}, store.CampaignPosition{}, 2)
	if err != nil || len(page.Campaigns) != 2 || page.Next != store.PositionOf(page.Campaigns[1]) {
		t.Fatalf("first page = %+v, %v; want c5, c4 and a Next at c4", page, err)
	}
	got := page.Campaigns[0]
	if got.CreatedBy != "client-c5" || !got.LaunchAt.Equal(t0.Add(3*time.Minute+time.Hour)) || got.Name != "renewal c5" ||
		got.Recipients != 1 || got.Skill != "sales" || got.Channel != parley.ChannelSMS {
		t.Errorf("listed campaign = %+v", got)
	}
	none, err := s.ListCampaigns(context.Background(), "acct3", store.CampaignFilter{}, store.CampaignPosition{}, 10)
	if err != nil || len(none.Campaigns) != 0 || !none.Next.IsZero() {
		t.Errorf("account without campaigns: %+v, %v", none, err)
	}
	full, err := s.Campaign(context.Background(), "acct1", "c2")
	if err != nil || full.CreatedBy != "client-c2" || !full.LaunchAt.Equal(t0.Add(time.Minute+time.Hour)) {
		t.Errorf("Campaign = %+v, %v; want createdBy and launchAt kept", full, err)
	}
}

func testListFilters(t *testing.T, s store.Store) {
	seedListing(t, s)
	for _, tc := range []struct {
		name string
		f    store.CampaignFilter
		want []string
	}{
		{"channel", store.CampaignFilter{Channel: parley.ChannelWhatsApp}, []string{"c4", "c2"}},
		{"skill", store.CampaignFilter{Skill: "sales"}, []string{"c5", "c3", "c1"}},
		{"both", store.CampaignFilter{Channel: parley.ChannelSMS, Skill: "service"}, nil},
		{"from, inclusive", store.CampaignFilter{CreatedFrom: t0.Add(2 * time.Minute)}, []string{"c5", "c4", "c3"}},
		{"to, exclusive", store.CampaignFilter{CreatedTo: t0.Add(2 * time.Minute)}, []string{"c2", "c1"}},
		{"range", store.CampaignFilter{CreatedFrom: t0.Add(time.Minute), CreatedTo: t0.Add(3 * time.Minute)}, []string{"c4", "c3", "c2"}},
		{"range and skill", store.CampaignFilter{CreatedFrom: t0.Add(time.Minute), CreatedTo: t0.Add(3 * time.Minute), Skill: "sales"}, []string{"c3"}},
	} {
		for _, limit := range []int{1, 10} {
			if got := listAll(t, s, tc.f, limit); !slices.Equal(got, tc.want) {
				t.Errorf("%s, limit %d: %v, want %v", tc.name, limit, got, tc.want)
			}
		}
	}
	// A position outside the creation range (a cursor of another
	// filter) continues with what is older than it, within the range.
	ctx := context.Background()
	ranged := store.CampaignFilter{CreatedFrom: t0.Add(time.Minute), CreatedTo: t0.Add(2 * time.Minute)}
	for _, tc := range []struct {
		after store.CampaignPosition
		want  []string
	}{
		{store.CampaignPosition{CreatedAt: t0.Add(3 * time.Minute), ID: "c5"}, []string{"c2"}},
		{store.CampaignPosition{CreatedAt: t0, ID: "c1"}, nil},
	} {
		page, err := s.ListCampaigns(ctx, "acct1", ranged, tc.after, 10)
		var got []string
		for _, c := range page.Campaigns {
			got = append(got, c.ID)
		}
		if err != nil || !slices.Equal(got, tc.want) || !page.Next.IsZero() {
			t.Errorf("after %s in [1m, 2m): %v (next %+v), %v; want %v", tc.after.ID, got, page.Next, err, tc.want)
		}
	}
}

func testCompleteCampaign(t *testing.T, s store.Store) {
	ctx := context.Background()
	c, rs := Fixture("acct1", "camp1", 1)
	create(t, s, c, rs)
	first := t0.Add(time.Hour)
	got, err := s.CompleteCampaign(ctx, "acct1", "camp1", first)
	if err != nil || !got.CompletedAt.Equal(first) || got.Name != c.Name {
		t.Fatalf("CompleteCampaign = %+v, %v; want completedAt %v", got, err, first)
	}
	got, err = s.CompleteCampaign(ctx, "acct1", "camp1", first.Add(time.Hour))
	if err != nil || !got.CompletedAt.Equal(first) {
		t.Errorf("second CompleteCampaign = %v, %v; want the first time kept", got.CompletedAt, err)
	}
	if stored, err := s.Campaign(ctx, "acct1", "camp1"); err != nil || !stored.CompletedAt.Equal(first) {
		t.Errorf("Campaign after completion = %v, %v", stored.CompletedAt, err)
	}
	_, err = s.CompleteCampaign(ctx, "acct2", "camp1", first)
	wantCode(t, err, parley.ENOTFOUND)
}
