package dispatch_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/dispatch"
	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/queue"
	"github.com/parleyhq/parley/internal/ratelimit"
	"github.com/parleyhq/parley/internal/ratelimit/local"
	"github.com/parleyhq/parley/internal/store"
)

// rangeJob is the message of a range job over recipients from to to of
// the world's campaign.
func rangeJob(from, to, received int) queue.Message {
	j := queue.RangeJob{AccountID: "acct1", CampaignID: "camp1", From: from, To: to}
	return queue.Message{ID: "m", Body: j.Encode(), Receipt: "r", ReceiveCount: received}
}

// failOnce fails the first send to one number, transiently.
type failOnce struct {
	gateway.Sender
	to     string
	mu     sync.Mutex
	failed bool
}

func (f *failOnce) Send(ctx context.Context, m parley.Message) (string, error) {
	f.mu.Lock()
	fail := m.To == f.to && !f.failed
	f.failed = f.failed || fail
	f.mu.Unlock()
	if fail {
		return "", errors.New("connection reset")
	}
	return f.Sender.Send(ctx, m)
}

// TestRangeJob sends a range job's recipients once each however often it
// is delivered, and retries the whole message when one recipient fails:
// its redelivery sends that one and only that one.
func TestRangeJob(t *testing.T) {
	w := newWorld(t, 30, nil)
	ctx := context.Background()
	flaky := &failOnce{Sender: w.d.Sender, to: w.rs[2].Phone}
	w.d.Sender = flaky
	vis := &visibilityLog{}
	w.d.Queue = vis
	err := w.d.Handle(ctx, rangeJob(1, 5, 1))
	if !errors.Is(err, dispatch.ErrRetry) || len(vis.timeouts) != 1 || vis.timeouts[0] != dispatch.Backoff(1) {
		t.Fatalf("Handle = %v, visibility %v; want the message retried after %s", err, vis.timeouts, dispatch.Backoff(1))
	}
	if n := len(w.sent(t)); n != 4 {
		t.Fatalf("sent %d, want the 4 that did not fail", n)
	}
	for delivery := 2; delivery <= 3; delivery++ {
		if err := w.d.Handle(ctx, rangeJob(1, 5, delivery)); err != nil {
			t.Fatalf("delivery %d: %v", delivery, err)
		}
	}
	sent := map[string]int{}
	for _, m := range w.sent(t) {
		sent[m.RecipientID]++
	}
	for i := range 5 {
		if r := w.recipient(t, i); r.Status != parley.StatusSent || sent[r.ID] != 1 {
			t.Errorf("recipient %s is %s, sent %d times", r.ID, r.Status, sent[r.ID])
		}
	}
	if len(sent) != 5 {
		t.Errorf("sent to %d recipients, want the range's 5", len(sent))
	}
}

// TestRangeJobPutsBackWhatMustWait checks what is left of a range job that
// cannot all be sent now: the recipients whose send slots lie too far ahead
// go back to the queue as a range from the first of them, delayed until
// the earliest slot, and a paused campaign's range goes back whole, for
// PausedRecheck; each as a fresh message.
func TestRangeJobPutsBackWhatMustWait(t *testing.T) {
	ctx := context.Background()
	t.Run("paced", func(t *testing.T) {
		w := newWorld(t, 30, nil)
		requeued := &sentJobs{}
		w.d.Requeue = requeued
		slot := dispatch.MaxPaceWait + 5*time.Second
		w.d.Limiter = ratelimit.NewAdaptive(local.New(w.d.Clock), w.d.Clock)
		w.d.Limit = ratelimit.Limit{Rate: 1 / slot.Seconds(), Burst: 1}
		if err := w.d.Handle(ctx, rangeJob(26, 30, 1)); err != nil {
			t.Fatalf("Handle = %v; want the job finished and its rest requeued", err)
		}
		if sent := w.sent(t); len(sent) != 1 || sent[0].RecipientID != "000026" {
			t.Fatalf("sent %+v, want only the first, in the slot of now", sent)
		}
		want := queue.RangeJob{AccountID: "acct1", CampaignID: "camp1", From: 27, To: 30}
		if len(requeued.entries) != 1 || string(requeued.entries[0].Body) != string(want.Encode()) || requeued.entries[0].Delay != slot {
			t.Fatalf("requeued %+v, want %s after %s", requeued.entries, want.Encode(), slot)
		}
		for i := 26; i < 30; i++ {
			if r := w.recipient(t, i); r.Status != parley.StatusQueued || r.Attempts != 0 {
				t.Errorf("recipient %s is %s after %d attempts, want QUEUED and untouched", r.ID, r.Status, r.Attempts)
			}
		}
	})
	t.Run("paused", func(t *testing.T) {
		w := newWorld(t, 30, nil)
		requeued := &sentJobs{}
		w.d.Requeue = requeued
		if _, err := w.store.SetCampaignState(ctx, "acct1", "camp1", []parley.CampaignState{parley.StateActive}, parley.StatePaused, w.d.Clock.Now()); err != nil {
			t.Fatal(err)
		}
		m := rangeJob(3, 9, 4) // one more receive would dead-letter it
		if err := w.d.Handle(ctx, m); err != nil {
			t.Fatalf("Handle = %v; want the job finished and requeued", err)
		}
		if len(requeued.entries) != 1 || string(requeued.entries[0].Body) != string(m.Body) || requeued.entries[0].Delay != dispatch.PausedRecheck {
			t.Fatalf("requeued %+v, want the whole range after %s", requeued.entries, dispatch.PausedRecheck)
		}
		if n := len(w.sent(t)); n != 0 {
			t.Errorf("a paused campaign's range sent %d", n)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		w := newWorld(t, 30, nil)
		if _, err := w.store.SetCampaignState(ctx, "acct1", "camp1", []parley.CampaignState{parley.StateActive}, parley.StateCancelled, w.d.Clock.Now()); err != nil {
			t.Fatal(err)
		}
		if err := w.d.Handle(ctx, rangeJob(1, 3, 1)); err != nil {
			t.Fatalf("Handle = %v", err)
		}
		for i := range 3 {
			if r := w.recipient(t, i); r.Status != parley.StatusCancelled {
				t.Errorf("recipient %s is %s, want CANCELLED", r.ID, r.Status)
			}
		}
		if r := w.recipient(t, 3); r.Status != parley.StatusQueued {
			t.Errorf("recipient 4, outside the range, is %s", r.Status)
		}
	})
}

// TestRangeAndSendJobsInOneBatch hands one batch a range job and send jobs
// for recipients inside and outside it: each recipient is sent once.
func TestRangeAndSendJobsInOneBatch(t *testing.T) {
	w := newWorld(t, 30, nil)
	errs := w.d.HandleBatch(context.Background(), []queue.Message{w.job(1), rangeJob(1, 4, 1), w.job(3), w.job(9), rangeJob(2, 3, 2)})
	for i, err := range errs {
		if err != nil {
			t.Errorf("message %d: %v", i, err)
		}
	}
	sent := map[string]int{}
	for _, m := range w.sent(t) {
		sent[m.RecipientID]++
	}
	want := map[string]int{"000001": 1, "000002": 1, "000003": 1, "000004": 1, "000010": 1}
	if len(sent) != len(want) {
		t.Errorf("sent %v, want %v", sent, want)
	}
	for id, n := range want {
		if sent[id] != n {
			t.Errorf("recipient %s sent %d times, want %d", id, sent[id], n)
		}
	}
}

// claimCount counts the store's claims, range claims and single ones, and
// its records, range records and single ones.
type claimCount struct {
	dispatch.Store
	mu                  sync.Mutex
	ranges, refs        int
	singleClaims        int
	recordRanges        int
	rangeRecords        int
	singleRecordsOfSent int
}

func (c *claimCount) RecordRange(ctx context.Context, recs []store.RangeRecord) []store.RangeClaim {
	c.mu.Lock()
	c.recordRanges++
	c.rangeRecords += len(recs)
	c.mu.Unlock()
	return c.Store.RecordRange(ctx, recs)
}

func (c *claimCount) ClaimRange(ctx context.Context, refs []parley.Ref, ch parley.RecipientChange) []store.RangeClaim {
	c.mu.Lock()
	c.ranges++
	c.refs += len(refs)
	c.mu.Unlock()
	return c.Store.ClaimRange(ctx, refs, ch)
}

func (c *claimCount) UpdateRecipient(ctx context.Context, ref parley.Ref, ch parley.RecipientChange) (parley.Recipient, error) {
	c.mu.Lock()
	switch ch.Status {
	case parley.StatusSending:
		c.singleClaims++
	case parley.StatusSent:
		c.singleRecordsOfSent++
	}
	c.mu.Unlock()
	return c.Store.UpdateRecipient(ctx, ref, ch)
}

// TestRangeJobClaimsAtOnce: the recipients of a range job whose send slots
// lie within ClaimAhead are claimed by one range claim, not one each, and
// the messages sent to them recorded by one range record.
func TestRangeJobClaimsAtOnce(t *testing.T) {
	w := newWorld(t, 30, nil)
	counted := &claimCount{Store: w.store}
	w.d.Store = counted
	if err := w.d.Handle(context.Background(), rangeJob(3, 12, 1)); err != nil {
		t.Fatal(err)
	}
	if counted.ranges != 1 || counted.refs != 10 || counted.singleClaims != 0 {
		t.Errorf("%d range claims of %d recipients and %d single claims; want one of 10 and none", counted.ranges, counted.refs, counted.singleClaims)
	}
	if counted.recordRanges != 1 || counted.rangeRecords != 10 || counted.singleRecordsOfSent != 0 {
		t.Errorf("%d range records of %d recipients and %d single records of SENT; want one of 10 and none",
			counted.recordRanges, counted.rangeRecords, counted.singleRecordsOfSent)
	}
	if n := len(w.sent(t)); n != 10 {
		t.Errorf("sent %d, want 10", n)
	}
	for i := 2; i < 12; i++ {
		if r := w.recipient(t, i); r.Status != parley.StatusSent || r.ProviderMessageID == "" || r.Attempts != 1 {
			t.Errorf("recipient %s is %s (%q, %d attempts), want SENT once", r.ID, r.Status, r.ProviderMessageID, r.Attempts)
		}
	}
}

// TestRangeRecordsEachGroupOnce paces a range job at 4 messages a second:
// its recipients are claimed and recorded a second's worth at a time, one
// claim and one record per group, and a member that is not sent (opted
// out after its claim) is recorded alone without holding up the others.
func TestRangeRecordsEachGroupOnce(t *testing.T) {
	w := newWorld(t, 30, nil)
	w.d.Limiter = ratelimit.NewAdaptive(local.New(w.d.Clock), w.d.Clock)
	w.d.Limit = ratelimit.Limit{Rate: 4, Burst: 1}
	counted := &claimCount{Store: w.store}
	w.d.Store = counted
	w.d.Consent = optedOut{w.rs[4].Phone}
	if err := w.d.Handle(context.Background(), rangeJob(1, 8, 1)); err != nil {
		t.Fatal(err)
	}
	if counted.ranges != 2 || counted.recordRanges != 2 || counted.rangeRecords != 7 || counted.singleRecordsOfSent != 0 {
		t.Errorf("%d range claims, %d range records of %d recipients, %d single records of SENT; want 2, 2 of 7, none",
			counted.ranges, counted.recordRanges, counted.rangeRecords, counted.singleRecordsOfSent)
	}
	for i := 0; i < 8; i++ {
		want := parley.StatusSent
		if i == 4 {
			want = parley.StatusSkipped
		}
		if r := w.recipient(t, i); r.Status != want {
			t.Errorf("recipient %s is %s, want %s", r.ID, r.Status, want)
		}
	}
}

// TestStoppedRangeGivesBackItsClaims stops a dispatcher while the
// recipients its range job claimed ahead wait for their slots: they go back
// to QUEUED (an attempt counted, none sent) and their job is released.
func TestStoppedRangeGivesBackItsClaims(t *testing.T) {
	w := newWorld(t, 30, nil)
	started := make(chan struct{}, len(w.rs))
	w.d.Sender = &notifySender{Sender: w.d.Sender, started: started}
	w.d.Limiter = ratelimit.NewAdaptive(local.New(w.d.Clock), w.d.Clock)
	w.d.Limit = ratelimit.Limit{Rate: 4, Burst: 1} // four slots within ClaimAhead
	ctx := context.Background()
	counted := &claimCount{Store: w.store}
	w.d.Store = counted
	if err := w.queue.Send(ctx, queue.Entry{Body: rangeJob(1, 4, 1).Body}); err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { w.d.Run(runCtx, w.queue, 1); close(done) }()
	<-started // the first recipient's send; the others, claimed with it, wait for their slots
	stop()
	<-done
	if n := len(w.sent(t)); n != 1 || counted.ranges != 1 || counted.refs != 4 {
		t.Fatalf("sent %d after the stop with %d range claims of %d; want only the one in flight, of one claim of 4", n, counted.ranges, counted.refs)
	}
	for i := 1; i < 4; i++ {
		if r := w.recipient(t, i); r.Status != parley.StatusQueued || r.Attempts != 1 {
			t.Errorf("recipient %s is %s after %d attempts, want QUEUED, given back", r.ID, r.Status, r.Attempts)
		}
	}
	ms, err := w.queue.Receive(ctx, 10, 0, time.Minute)
	if err != nil || len(ms) != 1 {
		t.Errorf("%d jobs visible again after the stop (%v), want the range's", len(ms), err)
	}
}

// TestJobOfAnUnknownKindStays: a job of a kind a later release queued is
// left on the queue, to come back after a backoff, never dropped.
func TestJobOfAnUnknownKindStays(t *testing.T) {
	w := newWorld(t, 1, nil)
	vis := &visibilityLog{}
	w.d.Queue = vis
	errs := w.d.HandleBatch(context.Background(), []queue.Message{
		{ID: "later", Body: []byte(`{"k":"chunk","a":"acct1","c":"camp1","f":1,"t":1}`), Receipt: "r1", ReceiveCount: 2},
		w.job(0),
	})
	if !errors.Is(errs[0], dispatch.ErrRetry) || errs[1] != nil {
		t.Fatalf("HandleBatch = %v; want the unknown job retried and the send finished", errs)
	}
	if len(vis.timeouts) != 1 || vis.timeouts[0] != dispatch.Backoff(2) {
		t.Errorf("visibility %v, want [%s]", vis.timeouts, dispatch.Backoff(2))
	}
	if n := len(w.sent(t)); n != 1 {
		t.Errorf("sent %d, want the send job's 1", n)
	}
}

// optedOut is a consent list of one number.
type optedOut struct{ phone string }

func (o optedOut) OptedOut(_ context.Context, _ string, _ parley.Channel, phone string) (bool, error) {
	return phone == o.phone, nil
}
