package campaign_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/campaign"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/queue"
	"github.com/parleyhq/parley/internal/testworld"
)

// entryLog records what is sent to the real queue underneath.
type entryLog struct {
	campaign.Queue
	entries []queue.Entry
}

func (l *entryLog) Send(ctx context.Context, entries ...queue.Entry) error {
	l.entries = append(l.entries, entries...)
	return l.Queue.Send(ctx, entries...)
}

func (l *entryLog) delays() map[string]time.Duration {
	out := map[string]time.Duration{}
	for _, e := range l.entries {
		refs, _ := queue.DecodeRecipients(e.Body)
		for _, ref := range refs {
			out[ref.RecipientID] = e.Delay
		}
	}
	return out
}

func TestDraftScheduleValidation(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*campaign.Draft)
		field string
	}{
		{"SMS window too early", func(d *campaign.Draft) { d.Window = &campaign.WindowSpec{Start: "07:00", End: "20:00"} }, "deliveryWindow"},
		{"SMS window too late", func(d *campaign.Draft) { d.Window = &campaign.WindowSpec{Start: "09:00", End: "22:00"} }, "deliveryWindow"},
		{"bad start", func(d *campaign.Draft) { d.Window = &campaign.WindowSpec{Start: "9am", End: "17:00"} }, "deliveryWindow.start"},
		{"bad day", func(d *campaign.Draft) {
			d.Window = &campaign.WindowSpec{Start: "09:00", End: "17:00", Days: []string{"MON", "XYZ"}}
		}, "deliveryWindow.days[1]"},
		{"end passed", func(d *campaign.Draft) { d.EndTime = now.Add(-time.Minute) }, "endTime"},
		{"end before start", func(d *campaign.Draft) { d.StartTime, d.EndTime = now.Add(2*time.Hour), now.Add(time.Hour) }, "endTime"},
		{"lookback too short", func(d *campaign.Draft) { d.LookbackMinutes = 59 }, "lookbackMinutes"},
		{"lookback too long", func(d *campaign.Draft) { d.LookbackMinutes = 43201 }, "lookbackMinutes"},
		{"unsupported channel", func(d *campaign.Draft) { d.Channel = "fax" }, "channel"},
		{"over 140 with the opt-out text", func(d *campaign.Draft) { d.Message = strings.Repeat("x", 140-len("\nReply STOP to opt out")+1) }, "message"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			d := draft("+12025550101")
			tt.edit(&d)
			_, err := w.svc.Create(context.Background(), "acct1", d)
			if parley.ErrorCode(err) != parley.EINVALID || parley.ErrorField(err) != tt.field {
				t.Fatalf("Create = %v (field %q), want EINVALID on %q", err, parley.ErrorField(err), tt.field)
			}
		})
	}
}

// at sets the world's clock for the rest of the test.
func at(t *testing.T, when time.Time) {
	old := now
	now = when
	t.Cleanup(func() { now = old })
}

func TestIntakeSchedules(t *testing.T) {
	at(t, time.Date(2026, 11, 21, 12, 50, 0, 0, time.UTC)) // 07:50 New York, 12:50 London, 04:50 Los Angeles
	w := newWorld(t)
	log := &entryLog{Queue: w.queue}
	w.svc.Queue = log
	d := draft("+12025550101", "+447911123456", "+16505550123")
	d.LookbackMinutes = 120
	got, err := w.svc.Create(context.Background(), "acct1", d)
	if err != nil || len(got.Failed) != 0 {
		t.Fatal(got.Failed, err)
	}
	if got.Campaign.Lookback != 2*time.Hour {
		t.Errorf("lookback = %s", got.Campaign.Lookback)
	}
	want := map[string]struct {
		status parley.RecipientStatus
		due    time.Time
	}{
		"000001": {parley.StatusQueued, time.Date(2026, 11, 21, 13, 0, 0, 0, time.UTC)},    // opens in 10 minutes
		"000002": {parley.StatusQueued, now},                                               // open now
		"000003": {parley.StatusScheduled, time.Date(2026, 11, 21, 16, 0, 0, 0, time.UTC)}, // 08:00 in Los Angeles
	}
	for id, wt := range want {
		r, err := w.store.Recipient(context.Background(), parley.Ref{AccountID: "acct1", CampaignID: got.Campaign.ID, RecipientID: id})
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != wt.status || !r.DueAt.Equal(wt.due) || len(r.Zones) == 0 {
			t.Errorf("recipient %s: %s due %s zones %v; want %s due %s", id, r.Status, r.DueAt, r.Zones, wt.status, wt.due)
		}
	}
	delays := log.delays()
	if len(delays) != 2 || delays["000001"] != 10*time.Minute || delays["000002"] != 0 {
		t.Errorf("queued with delays %v; want 000001 after 10m, 000002 at once, 000003 not yet", delays)
	}
}

func TestMessageLimitPerRecipient(t *testing.T) {
	w := newWorld(t)
	d := draft("+12025550101", "+12025550102")
	d.Message = strings.Repeat("x", 110) + "{{1}}"
	d.Consumers[0].Variables["1"] = strings.Repeat("y", 9) // 119 + 22 = 141
	d.Consumers[1].Variables["1"] = strings.Repeat("y", 8) // exactly 140
	got, err := w.svc.Create(context.Background(), "acct1", d)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Failed) != 1 || got.Failed[0].Index != 0 || got.Failed[0].Error != parley.CodeTooLong || !strings.Contains(got.Failed[0].Detail, "141") {
		t.Fatalf("failed = %+v; want consumer 0 too long at 141 characters", got.Failed)
	}
}

func TestNoCommonWindow(t *testing.T) {
	w := newWorld(t)
	d := draft("+12025550101", "+18005550123")
	d.Window = &campaign.WindowSpec{Start: "09:00", End: "17:00"}
	got, err := w.svc.Create(context.Background(), "acct1", d)
	if err != nil {
		t.Fatal(err)
	}
	// A toll-free number may be anywhere from Guam to Newfoundland: no
	// instant is 09:00-17:00 in all those zones at once.
	if len(got.Failed) != 1 || got.Failed[0].Index != 1 || got.Failed[0].Error != parley.CodeNoWindow {
		t.Fatalf("failed = %+v", got.Failed)
	}
	d = draft("+12025550101")
	at(t, time.Date(2026, 11, 21, 2, 0, 0, 0, time.UTC)) // 21:00 in New York: closed until 08:00
	d.EndTime = now.Add(time.Hour)
	_, err = w.svc.Create(context.Background(), "acct1", d)
	var rejected *campaign.RejectedError
	if !errors.As(err, &rejected) || rejected.Failed[0].Error != parley.CodeNoWindow || !strings.Contains(rejected.Failed[0].Detail, "before the campaign ends") {
		t.Fatalf("a recipient whose window opens after the campaign's end: %v", err)
	}
}

func TestEnqueueDue(t *testing.T) {
	at(t, time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC)) // 22:00 in New York
	w := newWorld(t)
	log := &entryLog{Queue: w.queue}
	w.svc.Queue = log
	got, err := w.svc.Create(context.Background(), "acct1", draft("+12025550101", "+12025550102"))
	if err != nil {
		t.Fatal(err)
	}
	if len(log.entries) != 0 {
		t.Fatalf("recipients due in 10 hours were queued at intake: %d", len(log.entries))
	}
	checks := []struct {
		at     time.Time
		queued int
	}{
		{time.Date(2026, 11, 21, 12, 44, 0, 0, time.UTC), 0}, // 16 minutes early: still waiting
		{time.Date(2026, 11, 21, 12, 47, 30, 0, time.UTC), 2},
		{time.Date(2026, 11, 21, 12, 48, 30, 0, time.UTC), 0}, // already queued: no second job
	}
	for _, c := range checks {
		now = c.at
		n, err := w.svc.EnqueueDue(context.Background())
		if err != nil || n != c.queued {
			t.Fatalf("EnqueueDue at %s = %d, %v; want %d", c.at, n, err, c.queued)
		}
	}
	delays := log.delays()
	if delays["000001"] != 12*time.Minute+30*time.Second || delays["000002"] != delays["000001"] {
		t.Errorf("delays %v; want exactly the 12m30s left until 08:00 in New York", delays)
	}
	r, _ := w.store.Recipient(context.Background(), parley.Ref{AccountID: "acct1", CampaignID: got.Campaign.ID, RecipientID: "000001"})
	if r.Status != parley.StatusQueued {
		t.Errorf("status after the window check = %s, want QUEUED", r.Status)
	}
}

func TestWhatsAppMayWidenTheWindow(t *testing.T) {
	w := newWorld(t)
	tpl := parley.WhatsAppTemplate{AccountID: "acct1", ID: "T1", Name: "hello", Language: "en_US", Body: "Hi {{1}}"}
	testworld.PutApproved(t, w.store, tpl)
	d := draft("+12025550101")
	d.TemplateID, d.Message, d.Window = "T1", "", &campaign.WindowSpec{Start: "06:00", End: "23:00"}
	if _, err := w.svc.Create(context.Background(), "acct1", d); err != nil {
		t.Fatalf("a WhatsApp campaign with a 06:00-23:00 window: %v", err)
	}
	d.Channel = parley.ChannelPrioritized
	if _, err := w.svc.Create(context.Background(), "acct1", d); parley.ErrorField(err) != "deliveryWindow" {
		t.Fatalf("a prioritized campaign (SMS fallback) with a 06:00-23:00 window: %v", err)
	}
	d.Channel, d.TemplateID = "", "nope"
	if _, err := w.svc.Create(context.Background(), "acct1", d); parley.ErrorField(err) != "templateId" {
		t.Fatalf("an unknown templateId: %v", err)
	}
}
