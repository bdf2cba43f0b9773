package dispatch_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/campaign"
	"github.com/parleyhq/parley/internal/dispatch"
	"github.com/parleyhq/parley/internal/obs"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/queue"
)

// fanoutWorld is a world whose campaign is not fanned out yet and whose
// dispatcher runs fan-out jobs through the real campaign service.
func fanoutWorld(t *testing.T, n int) *world {
	t.Helper()
	w := newWorld(t, n, nil)
	w.d.Fanout = &campaign.Service{
		Store: w.store, Queue: w.queue, Log: obs.Discard(), JobChunk: 2,
		Clock: parley.ClockFunc(func() time.Time { return now }),
	}
	return w
}

func fanoutMessage(j queue.FanoutJob) queue.Message {
	return queue.Message{ID: "f", Body: j.Encode(), Receipt: "rf", ReceiveCount: 1}
}

// queuedBodies drains the world's queue.
func (w *world) queuedBodies(t *testing.T) []string {
	t.Helper()
	var out []string
	for {
		ms, err := w.queue.Receive(context.Background(), 10, 0, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) == 0 {
			return out
		}
		for _, m := range ms {
			out = append(out, string(m.Body))
		}
	}
}

func TestFanoutJobInABatch(t *testing.T) {
	w := fanoutWorld(t, 3)
	fan := queue.FanoutJob{AccountID: "acct1", CampaignID: "camp1"}
	errs := w.d.HandleBatch(context.Background(), []queue.Message{w.job(2), fanoutMessage(fan), {ID: "x", Body: []byte("junk"), Receipt: "rx"}})
	if len(errs) != 3 || slices.ContainsFunc(errs, func(err error) bool { return err != nil }) {
		t.Fatalf("HandleBatch = %v, want three finished jobs", errs)
	}
	// The send job went out; the fan-out job queued its chunk of two and
	// the job for the rest.
	if sent := w.sent(t); len(sent) != 1 || sent[0].RecipientID != "000003" {
		t.Errorf("sent %+v, want recipient 3", sent)
	}
	want := []string{
		string(queue.RangeJob{AccountID: "acct1", CampaignID: "camp1", From: 1, To: 2}.Encode()),
		string(queue.FanoutJob{AccountID: "acct1", CampaignID: "camp1", After: 2}.Encode()),
	}
	got := w.queuedBodies(t)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("queued %q, want %q", got, want)
	}
	// A single fan-out job through Handle.
	if err := w.d.Handle(context.Background(), fanoutMessage(queue.FanoutJob{AccountID: "acct1", CampaignID: "camp1", After: 2})); err != nil {
		t.Fatal(err)
	}
	if c, _ := w.store.Campaign(context.Background(), "acct1", "camp1"); !c.FanoutDone() {
		t.Errorf("after the last chunk: fanned out %d of %d", c.FannedOut, c.Recipients)
	}
}

func TestFanoutJobFailures(t *testing.T) {
	tests := []struct {
		name      string
		body      []byte
		noHook    bool
		wantRetry bool
	}{
		{"malformed", []byte(`{"k":"fanout","a":"acct1"}`), false, false},
		{"unknown campaign", queue.FanoutJob{AccountID: "acct1", CampaignID: "nope"}.Encode(), false, false},
		{"no Fanout", queue.FanoutJob{AccountID: "acct1", CampaignID: "camp1"}.Encode(), true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := fanoutWorld(t, 1)
			vis := &visibilityLog{}
			w.d.Queue = vis
			if tt.noHook {
				w.d.Fanout = nil
			}
			err := w.d.Handle(context.Background(), queue.Message{ID: "f", Body: tt.body, Receipt: "rf", ReceiveCount: 3})
			if got := errors.Is(err, dispatch.ErrRetry); got != tt.wantRetry {
				t.Fatalf("Handle = %v, want retry %v", err, tt.wantRetry)
			}
			if tt.wantRetry && !slices.Equal(vis.timeouts, []time.Duration{dispatch.Backoff(3)}) {
				t.Errorf("visibility %v, want [%s]", vis.timeouts, dispatch.Backoff(3))
			}
		})
	}
}

func TestInAppMessageGoesToTheConsumerID(t *testing.T) {
	w := newWorld(t, 0, nil)
	c := parley.Campaign{AccountID: "acct1", ID: "app1", Channel: parley.ChannelInApp, Message: "Hi", Recipients: 1, FannedOut: 1}
	r := parley.Recipient{
		AccountID: "acct1", CampaignID: "app1", ID: parley.RecipientID(1), Seq: 1, Channel: parley.ChannelInApp,
		ConsumerID: "jane", Zones: []string{"UTC"}, Body: "Hi Jane", Status: parley.StatusQueued, DueAt: now,
	}
	if err := w.store.CreateCampaign(context.Background(), c, []parley.Recipient{r}); err != nil {
		t.Fatal(err)
	}
	w.d.Clock = parley.ClockFunc(func() time.Time { return time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC) })
	if err := w.d.Handle(context.Background(), queue.Message{ID: "m", Body: queue.SendJob(r.Ref()), Receipt: "r", ReceiveCount: 1}); err != nil {
		t.Fatal(err)
	}
	sent := w.sent(t)
	if len(sent) != 1 || sent[0].To != "jane" || sent[0].Channel != parley.ChannelInApp || sent[0].Body != "Hi Jane" {
		t.Fatalf("sent %+v, want one in-app message to jane", sent)
	}
}
