package campaign_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/campaign"
	"github.com/parleyhq/parley/internal/obs"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/queue"
	queueembedded "github.com/parleyhq/parley/internal/queue/embedded"
	"github.com/parleyhq/parley/internal/store/embedded"
	"github.com/parleyhq/parley/internal/testworld"
)

var now = time.Date(2026, 11, 21, 15, 0, 0, 0, time.UTC)

type world struct {
	svc   *campaign.Service
	store *embedded.Store
	queue *queueembedded.Queue
}

func newWorld(t *testing.T) *world {
	t.Helper()
	s, q := testworld.Open(t)
	ids := 0
	return &world{store: s, queue: q, svc: &campaign.Service{
		Store: s, Queue: q, Log: obs.Discard(),
		Clock: parley.ClockFunc(func() time.Time { return now }),
		NewID: func() string { ids++; return fmt.Sprintf("camp%d", ids) },
	}}
}

// queued drains the queue and returns the recipient ids it held, sorted.
func (w *world) queued(t *testing.T) []string {
	t.Helper()
	var ids []string
	for {
		ms, err := w.queue.Receive(context.Background(), 10, 0, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) == 0 {
			slices.Sort(ids)
			return ids
		}
		for _, m := range ms {
			refs, err := queue.DecodeRecipients(m.Body)
			if err != nil {
				t.Fatal(err)
			}
			for _, ref := range refs {
				ids = append(ids, ref.RecipientID)
			}
		}
	}
}

func draft(numbers ...string) campaign.Draft {
	d := campaign.Draft{
		Name: "Renewal", Skill: "sales", TemplateID: parley.PlainSMSTemplateID,
		OutboundNumber: "+1 (202) 555-0100", Consent: true, Message: "Hi {{1}}, your plan renews soon.",
	}
	for i, n := range numbers {
		d.Consumers = append(d.Consumers, campaign.Consumer{SMS: n, Variables: map[string]string{"1": fmt.Sprintf("C%d", i)}})
	}
	return d
}

func TestCreateValidation(t *testing.T) {
	tooMany := draft()
	for i := range 101 {
		tooMany.Consumers = append(tooMany.Consumers, campaign.Consumer{SMS: fmt.Sprintf("+1202555%04d", i)})
	}
	tests := []struct {
		name  string
		edit  func(*campaign.Draft)
		field string
	}{
		{"no name", func(d *campaign.Draft) { d.Name = " " }, "campaignName"},
		{"no skill", func(d *campaign.Draft) { d.Skill = "" }, "skill"},
		{"no template", func(d *campaign.Draft) { d.TemplateID = "" }, "templateId"},
		{"unknown template", func(d *campaign.Draft) { d.TemplateID = "H123" }, "templateId"},
		{"no outbound number", func(d *campaign.Draft) { d.OutboundNumber = "" }, "outboundNumber"},
		{"bad outbound number", func(d *campaign.Draft) { d.OutboundNumber = "12345" }, "outboundNumber"},
		{"no consent", func(d *campaign.Draft) { d.Consent = false }, "consent"},
		{"no message for inapp", func(d *campaign.Draft) { d.Message, d.Channel, d.OutboundNumber = "", parley.ChannelInApp, "" }, "message"},
		{"long message", func(d *campaign.Draft) { d.Message = strings.Repeat("x", 1601) }, "message"},
		{"NUL in the message", func(d *campaign.Draft) { d.Message = "Hi {{1}}\x00" }, "message"},
		{"bidi override in the message", func(d *campaign.Draft) { d.Message = "Pay at \u202Emoc.evil" }, "message"},
		{"no consumers", func(d *campaign.Draft) { d.Consumers = nil }, "consumers"},
		{"101 consumers", func(d *campaign.Draft) { *d = tooMany }, "consumers"},
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
			if q := w.queued(t); len(q) != 0 {
				t.Errorf("rejected draft queued %v", q)
			}
			if _, err := w.store.Campaign(context.Background(), "acct1", "camp1"); parley.ErrorCode(err) != parley.ENOTFOUND {
				t.Errorf("rejected draft persisted a campaign: %v", err)
			}
		})
	}
}

func TestCreatePerConsumerOutcomes(t *testing.T) {
	w := newWorld(t)
	d := draft("12025550101", "+1 202 555 0101", "12345", "+1(202)5550102", "+12025550103")
	d.Consumers[4].Variables = map[string]string{"1": " "}
	got, err := w.svc.Create(context.Background(), "acct1", d)
	if err != nil {
		t.Fatal(err)
	}
	type outcome struct {
		index       int
		phone, code string
	}
	var failed []outcome
	for _, o := range got.Failed {
		failed = append(failed, outcome{o.Index, o.Phone, o.Error})
		if o.Detail == "" || !strings.Contains(o.Detail, fmt.Sprintf("consumers[%d]", o.Index)) {
			t.Errorf("failure %+v: detail must name the consumer", o)
		}
	}
	want := []outcome{{1, "+1 202 555 0101", "DUPLICATE_NUMBER"}, {2, "12345", "INVALID_NUMBER"}, {4, "+12025550103", "MISSING_VARIABLE=1"}}
	if !slices.Equal(failed, want) {
		t.Errorf("failed = %+v, want %+v", failed, want)
	}
	if len(got.Accepted) != 2 || got.Accepted[0].Index != 0 || got.Accepted[1].Index != 3 {
		t.Fatalf("accepted = %+v, want consumers 0 and 3", got.Accepted)
	}
	c := got.Campaign
	if c.Recipients != 2 || c.OutboundNumber != "+12025550100" || !c.FanoutDone() {
		t.Errorf("campaign = %+v", c)
	}
	r, err := w.store.Recipient(context.Background(), parley.Ref{AccountID: "acct1", CampaignID: c.ID, RecipientID: got.Accepted[1].RecipientID})
	if err != nil {
		t.Fatal(err)
	}
	if r.Phone != "+12025550102" || r.Body != "Hi C3, your plan renews soon.\nReply STOP to opt out" || r.Status != parley.StatusQueued {
		t.Errorf("recipient = %+v", r)
	}
	if q := w.queued(t); !slices.Equal(q, []string{"000001", "000002"}) {
		t.Errorf("queued %v, want both accepted recipients", q)
	}
}

func TestCreateAllConsumersRejected(t *testing.T) {
	w := newWorld(t)
	_, err := w.svc.Create(context.Background(), "acct1", draft("123", "456"))
	var rejected *campaign.RejectedError
	if !errors.As(err, &rejected) || len(rejected.Failed) != 2 {
		t.Fatalf("Create = %v, want a RejectedError for both consumers", err)
	}
	if _, err := w.store.Campaign(context.Background(), "acct1", "camp1"); parley.ErrorCode(err) != parley.ENOTFOUND {
		t.Errorf("rejected campaign persisted: %v", err)
	}
}

// brokenQueue is the real queue that starts failing after ok sends.
type brokenQueue struct {
	campaign.Queue
	ok int
}

func (b *brokenQueue) Send(ctx context.Context, entries ...queue.Entry) error {
	if b.ok == 0 {
		return parley.Errorf(parley.EUNAVAILABLE, "queue down")
	}
	b.ok--
	return b.Queue.Send(ctx, entries...)
}

func TestFanoutResumesAfterCrash(t *testing.T) {
	w := newWorld(t)
	w.svc.Chunk = 10
	var numbers []string
	for i := range 35 {
		numbers = append(numbers, fmt.Sprintf("+1202555%04d", 100+i))
	}
	w.svc.Queue = &brokenQueue{Queue: w.queue, ok: 2}
	got, err := w.svc.Create(context.Background(), "acct1", draft(numbers...))
	if err != nil {
		t.Fatalf("an accepted campaign whose fan-out broke must still be accepted: %v", err)
	}
	c, _ := w.store.Campaign(context.Background(), "acct1", got.Campaign.ID)
	if c.FannedOut != 20 {
		t.Fatalf("FannedOut = %d after two good chunks of 10, want 20", c.FannedOut)
	}
	w.svc.Queue = w.queue
	if err := w.svc.ResumeFanout(context.Background(), time.Minute); err != nil {
		t.Fatal(err)
	}
	if n := len(w.queued(t)); n != 20 {
		t.Fatalf("a campaign inside its grace period was resumed: %d queued, want 20", n)
	}
	now = now.Add(2 * time.Minute)
	defer func() { now = now.Add(-2 * time.Minute) }()
	if err := w.svc.ResumeFanout(context.Background(), time.Minute); err != nil {
		t.Fatal(err)
	}
	q := w.queued(t)
	var want []string
	for i := 21; i <= 35; i++ {
		want = append(want, parley.RecipientID(i))
	}
	if !slices.Equal(q, want) {
		t.Errorf("resume queued %v, want recipients 21..35", q)
	}
	if pending, _ := w.store.PendingFanout(context.Background()); len(pending) != 0 {
		t.Errorf("still pending after resume: %+v", pending)
	}
}

func TestReport(t *testing.T) {
	w := newWorld(t)
	got, err := w.svc.Create(context.Background(), "acct1", draft("+12025550101", "+12025550102"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := w.svc.Report(context.Background(), "acct1", got.Campaign.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Status != parley.CampaignScheduled || len(rep.Recipients) != 2 {
		t.Errorf("report = %s with %d recipients", rep.Status, len(rep.Recipients))
	}
	if _, err := w.svc.Report(context.Background(), "acct2", got.Campaign.ID); parley.ErrorCode(err) != parley.ENOTFOUND {
		t.Errorf("another account's report: %v, want ENOTFOUND", err)
	}
}

func TestCampaignStatus(t *testing.T) {
	tests := []struct {
		counts map[parley.RecipientStatus]int
		want   string
	}{
		{map[parley.RecipientStatus]int{parley.StatusQueued: 2}, parley.CampaignScheduled},
		{map[parley.RecipientStatus]int{parley.StatusQueued: 1, parley.StatusSent: 1}, parley.CampaignInProgress},
		{map[parley.RecipientStatus]int{parley.StatusSending: 1}, parley.CampaignInProgress},
		{map[parley.RecipientStatus]int{parley.StatusSent: 1, parley.StatusFailed: 1}, parley.CampaignCompleted},
		{map[parley.RecipientStatus]int{}, parley.CampaignCompleted},
	}
	for _, tt := range tests {
		if got := parley.CampaignStatus(tt.counts); got != tt.want {
			t.Errorf("CampaignStatus(%v) = %s, want %s", tt.counts, got, tt.want)
		}
	}
}

// TestUnsafeConsumerValues refuses each consumer whose values carry a
// control character or a bidirectional override, saying which value and
// which character, and still accepts the others.
func TestUnsafeConsumerValues(t *testing.T) {
	w := newWorld(t)
	d := draft("+12025550101", "+12025550102", "+12025550103", "+12025550104")
	d.Consumers[1].Variables["1"] = "Bob\x00"
	d.Consumers[2].Variables["1"] = "\u2066Ann"
	d.Consumers[3].Text = "bell\a"
	got, err := w.svc.Create(context.Background(), "acct1", d)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]string{1: "variable 1 has U+0000", 2: "variable 1 has U+2066", 3: "text has U+0007"}
	for _, o := range got.Failed {
		if o.Error != parley.CodeInvalidCharacter || !strings.Contains(o.Detail, want[o.Index]) || !strings.Contains(o.Detail, fmt.Sprintf("consumers[%d]", o.Index)) {
			t.Errorf("consumer %d: %s %q; want %s naming %q", o.Index, o.Error, o.Detail, parley.CodeInvalidCharacter, want[o.Index])
		}
	}
	if len(got.Failed) != 3 || len(got.Accepted) != 1 || got.Accepted[0].Index != 0 {
		t.Errorf("accepted %+v, failed %+v; want consumer 0 alone accepted", got.Accepted, got.Failed)
	}
}

// TestActiveCampaigns: a campaign may still send while it is not cancelled
// and a recipient is not final; unknown campaigns are left out.
func TestActiveCampaigns(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	var ids []string
	for range 3 {
		got, err := w.svc.Create(ctx, "acct1", draft("+12025550101", "+12025550102"))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, got.Campaign.ID)
	}
	rs, err := w.store.Recipients(ctx, "acct1", ids[1], 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs { // the second campaign is done
		if _, err := w.store.UpdateRecipient(ctx, r.Ref(), parley.RecipientChange{From: []parley.RecipientStatus{r.Status}, Status: parley.StatusDelivered}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.svc.Cancel(ctx, "acct1", ids[2]); err != nil {
		t.Fatal(err)
	}
	active, err := w.svc.ActiveCampaigns(ctx, "acct1", append(ids, "missing"))
	if err != nil || !slices.Equal(active, ids[:1]) {
		t.Errorf("ActiveCampaigns = %v, %v; want only %s", active, err, ids[0])
	}
}
