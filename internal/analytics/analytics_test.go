package analytics_test

import (
	"context"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/analytics"
	"github.com/parleyhq/parley/internal/clocktest"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/storetest"
	"github.com/parleyhq/parley/internal/testworld"
)

func TestDays(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	// A Wednesday, 23:30 in New York (04:30 UTC on the 3rd): still the 2nd there.
	now := time.Date(2026, 12, 3, 4, 30, 0, 0, time.UTC).In(ny)
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, ny) }
	today := day(2026, 12, 2)
	tests := []struct {
		name        string
		q           analytics.Query
		created     time.Time
		first, last time.Time
		field       string
	}{
		{"today", analytics.Query{Range: "today"}, time.Time{}, today, today, ""},
		{"this week starts on Monday", analytics.Query{Range: "thisWeek"}, time.Time{}, day(2026, 11, 30), today, ""},
		{"this month", analytics.Query{Range: "thisMonth"}, time.Time{}, day(2026, 12, 1), today, ""},
		{"last 30 days include today", analytics.Query{Range: "last30"}, time.Time{}, day(2026, 11, 3), today, ""},
		{"last 60", analytics.Query{Range: "last60"}, time.Time{}, day(2026, 10, 4), today, ""},
		{"last 90", analytics.Query{Range: "last90"}, time.Time{}, day(2026, 9, 4), today, ""},
		{"year to date", analytics.Query{Range: "yearToDate"}, time.Time{}, day(2026, 1, 1), today, ""},
		{"default: last 30", analytics.Query{}, time.Time{}, day(2026, 11, 3), today, ""},
		{"a campaign: from its creation", analytics.Query{}, time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC), day(2026, 11, 19), today, ""},
		{"from and to", analytics.Query{From: "2026-11-01", To: "2026-11-15"}, time.Time{}, day(2026, 11, 1), day(2026, 11, 15), ""},
		{"from alone ends today", analytics.Query{From: "2026-11-01"}, time.Time{}, day(2026, 11, 1), today, ""},
		{"unknown range", analytics.Query{Range: "lastWeek"}, time.Time{}, time.Time{}, time.Time{}, "range"},
		{"range and dates", analytics.Query{Range: "today", From: "2026-11-01"}, time.Time{}, time.Time{}, time.Time{}, "range"},
		{"bad from", analytics.Query{From: "11/01/2026"}, time.Time{}, time.Time{}, time.Time{}, "from"},
		{"bad to", analytics.Query{To: "2026-13-01"}, time.Time{}, time.Time{}, time.Time{}, "to"},
		{"to before from", analytics.Query{From: "2026-11-02", To: "2026-11-01"}, time.Time{}, time.Time{}, time.Time{}, "to"},
		{"too long", analytics.Query{From: "2024-11-01", To: "2026-11-01"}, time.Time{}, time.Time{}, time.Time{}, "from"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			first, last, err := analytics.Days(tt.q, now, tt.created)
			if tt.field != "" {
				if parley.ErrorCode(err) != parley.EINVALID || parley.ErrorField(err) != tt.field {
					t.Fatalf("err = %v, want EINVALID on %s", err, tt.field)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !first.Equal(tt.first) || !last.Equal(tt.last) {
				t.Errorf("days = %v … %v, want %v … %v", first, last, tt.first, tt.last)
			}
		})
	}
}

// TestAnswer counts a campaign of 10 recipients on the embedded store: 8
// sent (2 fail at the gateway), 6 delivered, 3 replies, 1 opt-out.
func TestAnswer(t *testing.T) {
	ctx := context.Background()
	s, _ := testworld.Open(t)
	c, rs := storetest.Fixture("acct1", "camp1", 10)
	if err := s.PutAccount(ctx, parley.Account{ID: "acct1", TimeZone: "Europe/Paris"}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateCampaign(ctx, c, rs); err != nil {
		t.Fatal(err)
	}
	sent := c.CreatedAt.Add(2 * time.Hour)
	move := func(r parley.Recipient, to parley.RecipientStatus, at time.Time) {
		t.Helper()
		if _, err := s.UpdateRecipient(ctx, r.Ref(), parley.RecipientChange{From: []parley.RecipientStatus{parley.StatusQueued, parley.StatusSent}, Status: to, At: at}); err != nil {
			t.Fatal(err)
		}
	}
	for i, r := range rs {
		switch {
		case i < 2:
			move(r, parley.StatusFailed, sent)
		case i < 8:
			move(r, parley.StatusSent, sent)
			move(r, parley.StatusDelivered, sent.Add(time.Minute))
		default:
			move(r, parley.StatusSent, sent)
		}
	}
	for i, step := range []parley.Step{parley.StepResponded, parley.StepResponded, parley.StepResponded, parley.StepOptedOut} {
		if _, _, err := s.StampRecipient(ctx, rs[2+i].Ref(), step, sent.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	svc := &analytics.Service{Counters: s, Accounts: s, Campaigns: s, Clock: clocktest.New(c.CreatedAt.Add(24 * time.Hour))}
	for _, campaign := range []string{"", "camp1"} {
		rep, err := svc.Answer(ctx, analytics.Query{AccountID: "acct1", CampaignID: campaign, Range: "last30"})
		if err != nil {
			t.Fatal(err)
		}
		want := analytics.Counts{Attempted: 10, Eligible: 10, Sent: 8, Delivered: 6, Failed: 2, Responded: 3, OptedOut: 1}
		if rep.Counts != want {
			t.Errorf("counts = %+v, want %+v", rep.Counts, want)
		}
		if rep.SuccessRate == nil || *rep.SuccessRate != 75 || rep.ResponseRate == nil || *rep.ResponseRate != 50 || rep.OptOutRate == nil || *rep.OptOutRate != 16.67 {
			t.Errorf("rates = %v %v %v, want 75 50 16.67", deref(rep.SuccessRate), deref(rep.ResponseRate), deref(rep.OptOutRate))
		}
		if rep.ResponseStatus != (analytics.ResponseStatus{Delivered: 6, Responded: 3, NotResponded: 3}) || rep.DeliveryStatus != (analytics.DeliveryStatus{Sent: 8, Delivered: 6, Failed: 2}) {
			t.Errorf("status charts = %+v %+v", rep.DeliveryStatus, rep.ResponseStatus)
		}
		if rep.Granularity != analytics.ByDay || len(rep.Messages) != 30 || rep.TimeZone != "Europe/Paris" {
			t.Fatalf("granularity %s, %d buckets, zone %s", rep.Granularity, len(rep.Messages), rep.TimeZone)
		}
		day := rep.Messages[len(rep.Messages)-2] // the campaign's day, 16:00 in Paris
		if day.Sent != 8 || day.Delivered != 6 || day.Failed != 2 || day.Responded != 3 || day.Start.Hour() != 0 {
			t.Errorf("campaign day = %+v", day)
		}
	}
	// One day is counted by the hour: 14:00 UTC intake, 16:00 sends (17:00
	// and 18:00 in Paris).
	rep, err := svc.Answer(ctx, analytics.Query{AccountID: "acct1", From: "2026-11-21", To: "2026-11-21"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Granularity != analytics.ByHour || len(rep.Messages) != 24 || rep.Messages[17].Sent != 8 || rep.Messages[18].Responded != 3 {
		t.Errorf("hourly: %s, %d buckets, %+v", rep.Granularity, len(rep.Messages), rep.Messages[17:19])
	}
	if rep, err := svc.Answer(ctx, analytics.Query{AccountID: "acct1", Range: "today", Channels: []parley.Channel{parley.ChannelWhatsApp}}); err != nil || rep.SuccessRate != nil {
		t.Errorf("nothing sent: rate %v, err %v; want null", deref(rep.SuccessRate), err)
	}
	if _, err := svc.Answer(ctx, analytics.Query{AccountID: "acct1", CampaignID: "nope"}); parley.ErrorCode(err) != parley.ENOTFOUND {
		t.Errorf("unknown campaign: %v", err)
	}
}

func deref(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}
