package dispatch_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/dispatch"
	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/gateway/sandbox"
	"github.com/parleyhq/parley/internal/obs"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/phone"
	"github.com/parleyhq/parley/internal/queue"
	queueembedded "github.com/parleyhq/parley/internal/queue/embedded"
	"github.com/parleyhq/parley/internal/ratelimit"
	"github.com/parleyhq/parley/internal/ratelimit/local"
	"github.com/parleyhq/parley/internal/store/embedded"
	"github.com/parleyhq/parley/internal/store/storetest"
	"github.com/parleyhq/parley/internal/testworld"
)

var now = time.Date(2026, 11, 21, 15, 0, 0, 0, time.UTC)

type world struct {
	store *embedded.Store
	queue *queueembedded.Queue
	d     *dispatch.Dispatcher
	rs    []parley.Recipient
}

func newWorld(t *testing.T, n int, sender gateway.Sender) *world {
	t.Helper()
	s, q := testworld.Open(t)
	c, rs := storetest.Fixture("acct1", "camp1", n)
	if err := s.CreateCampaign(context.Background(), c, rs); err != nil {
		t.Fatal(err)
	}
	clock := parley.ClockFunc(func() time.Time { return now })
	if sender == nil {
		sender = &sandbox.Gateway{Recorder: s, Clock: clock}
	}
	return &world{store: s, queue: q, rs: rs, d: &dispatch.Dispatcher{
		Store: s, Sender: sender, Queue: q, Clock: clock, Log: obs.Discard(),
	}}
}

func (w *world) job(i int) queue.Message {
	return queue.Message{ID: "m", Body: queue.SendJob(w.rs[i].Ref()), Receipt: "r", ReceiveCount: 1}
}

func (w *world) sent(t *testing.T) []parley.SentMessage {
	t.Helper()
	ms, err := w.store.SandboxMessages(context.Background(), "acct1")
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

func (w *world) recipient(t *testing.T, i int) parley.Recipient {
	t.Helper()
	r, err := w.store.Recipient(context.Background(), w.rs[i].Ref())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRedeliveredJobSendsOnce(t *testing.T) {
	w := newWorld(t, 1, nil)
	for delivery := range 3 {
		if err := w.d.Handle(context.Background(), w.job(0)); err != nil {
			t.Fatalf("delivery %d: %v", delivery+1, err)
		}
	}
	sent := w.sent(t)
	if len(sent) != 1 {
		t.Fatalf("3 deliveries sent %d messages, want 1", len(sent))
	}
	r := w.recipient(t, 0)
	if r.Status != parley.StatusSent || r.ProviderMessageID != sent[0].ID || r.Attempts != 1 {
		t.Errorf("recipient = %+v, want SENT with provider id %s after 1 attempt", r, sent[0].ID)
	}
	if sent[0].To != w.rs[0].Phone || sent[0].From != "+15550000001" || sent[0].Body != w.rs[0].Body || sent[0].CampaignID != "camp1" {
		t.Errorf("sent %+v", sent[0])
	}
}

func TestConcurrentJobsForOneRecipientSendOnce(t *testing.T) {
	for round := range 20 {
		w := newWorld(t, 1, nil)
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() {
				// The job that finds the other's claim waits for its lease.
				if err := w.d.Handle(context.Background(), w.job(0)); err != nil && !errors.Is(err, dispatch.ErrRetry) {
					t.Errorf("round %d: %v", round, err)
				}
			})
		}
		wg.Wait()
		if n := len(w.sent(t)); n != 1 {
			t.Fatalf("round %d: two concurrent jobs sent %d messages, want 1", round, n)
		}
	}
}

type failingSender struct{ err error }

func (f failingSender) Send(context.Context, parley.Message) (string, error) { return "", f.err }

// visibilityLog wraps the real queue to see the backoff the dispatcher asks for.
type visibilityLog struct {
	dispatch.Visibility
	timeouts []time.Duration
}

func (v *visibilityLog) ChangeVisibility(ctx context.Context, receipt string, timeout time.Duration) error {
	v.timeouts = append(v.timeouts, timeout)
	return nil
}

func TestSendFailures(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantRetry  bool
		wantStatus parley.RecipientStatus
		wantCode   string
	}{
		{"permanent", &parley.SendError{Provider: "twilio", Code: "21211", Reason: "invalid To", Kind: parley.FailPermanent}, false, parley.StatusFailed, "21211"},
		{"transient", &parley.SendError{Provider: "twilio", Code: "20429", Reason: "too many requests"}, true, parley.StatusQueued, ""},
		{"network", errors.New("connection reset"), true, parley.StatusQueued, ""},
		{"not on the channel", &parley.SendError{Provider: "whatsapp", Code: "131026", Kind: parley.FailIneligible}, false, parley.StatusFailed, "131026"},
		{"our credentials", &parley.SendError{Provider: "twilio", Code: "20003", Kind: parley.FailConfig}, true, parley.StatusQueued, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, 1, failingSender{tt.err})
			vis := &visibilityLog{}
			w.d.Queue = vis
			m := w.job(0)
			m.ReceiveCount = 3
			err := w.d.Handle(context.Background(), m)
			if got := errors.Is(err, dispatch.ErrRetry); got != tt.wantRetry {
				t.Fatalf("Handle = %v; retry %v, want %v", err, got, tt.wantRetry)
			}
			r := w.recipient(t, 0)
			if r.Status != tt.wantStatus || r.ErrorMessage != tt.wantCode {
				t.Errorf("recipient %s %q, want %s %q", r.Status, r.ErrorMessage, tt.wantStatus, tt.wantCode)
			}
			if tt.wantRetry && (len(vis.timeouts) != 1 || vis.timeouts[0] != dispatch.Backoff(3)) {
				t.Errorf("visibility changes %v, want [%s]", vis.timeouts, dispatch.Backoff(3))
			}
		})
	}
}

func TestThrottledHonoursRetryAfter(t *testing.T) {
	w := newWorld(t, 1, failingSender{&parley.SendError{Provider: "twilio", Code: "20429", Kind: parley.FailThrottled, RetryAfter: 7 * time.Second}})
	vis := &visibilityLog{}
	w.d.Queue = vis
	if err := w.d.Handle(context.Background(), w.job(0)); !errors.Is(err, dispatch.ErrRetry) {
		t.Fatalf("Handle = %v", err)
	}
	if len(vis.timeouts) != 1 || vis.timeouts[0] != 7*time.Second {
		t.Errorf("visibility %v, want the provider's 7s", vis.timeouts)
	}
	if r := w.recipient(t, 0); r.Status != parley.StatusQueued {
		t.Errorf("status %s", r.Status)
	}
}

func TestDroppedJobs(t *testing.T) {
	w := newWorld(t, 1, nil)
	ghost := parley.Ref{AccountID: "acct1", CampaignID: "nope", RecipientID: "000001"}
	lost := w.rs[0].Ref()
	lost.RecipientID = "000999"
	for name, body := range map[string][]byte{
		"malformed":          []byte("{not json"),
		"incomplete":         []byte(`{"a":"acct1"}`),
		"unknown campaign":   queue.SendJob(ghost),
		"unknown recipient":  queue.SendJob(lost),
		"other account's id": queue.SendJob(parley.Ref{AccountID: "acct2", CampaignID: "camp1", RecipientID: "000001"}),
	} {
		if err := w.d.Handle(context.Background(), queue.Message{ID: name, Body: body, Receipt: "r", ReceiveCount: 1}); err != nil {
			t.Errorf("%s: %v, want the job dropped", name, err)
		}
	}
	if n := len(w.sent(t)); n != 0 {
		t.Errorf("dropped jobs sent %d messages", n)
	}
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		n    int
		want time.Duration
	}{{0, 2 * time.Second}, {1, 2 * time.Second}, {2, 4 * time.Second}, {5, 32 * time.Second}, {10, 15 * time.Minute}, {100, 15 * time.Minute}}
	for _, tt := range tests {
		if got := dispatch.Backoff(tt.n); got != tt.want {
			t.Errorf("Backoff(%d) = %s, want %s", tt.n, got, tt.want)
		}
	}
}

func TestRunDrainsQueue(t *testing.T) {
	w := newWorld(t, 25, nil)
	ctx := context.Background()
	var entries []queue.Entry
	for _, r := range w.rs {
		entries = append(entries, queue.Entry{Body: queue.SendJob(r.Ref())}, queue.Entry{Body: queue.SendJob(r.Ref())})
	}
	if err := w.queue.Send(ctx, entries...); err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { w.d.Run(runCtx, w.queue, 3); close(done) }()
	deadline := time.Now().Add(20 * time.Second)
	for len(w.sent(t)) < len(w.rs) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
	// A stop leaves the duplicates it had not claimed to the queue: the
	// next run finds them, and they send nothing.
	for {
		ms, err := w.queue.Receive(ctx, 10, 0, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) == 0 {
			break
		}
		for i, err := range w.d.HandleBatch(ctx, ms) {
			if err != nil {
				t.Fatalf("a job left by the stop: %v", err)
			}
			_ = w.queue.Delete(ctx, ms[i].Receipt)
		}
	}
	if n := len(w.sent(t)); n != len(w.rs) {
		t.Fatalf("sent %d, want %d (each recipient queued twice, sent once)", n, len(w.rs))
	}
}

func TestLogsMaskNumbersAndCarryIDs(t *testing.T) {
	w := newWorld(t, 1, nil)
	var buf bytes.Buffer
	w.d.Log = obs.NewLogger(&buf, "DEBUG")
	if err := w.d.Handle(context.Background(), w.job(0)); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, w.rs[0].Phone) {
		t.Errorf("log holds the full number %s:\n%s", w.rs[0].Phone, out)
	}
	for _, want := range []string{`"account":"acct1"`, `"campaign":"camp1"`, `"recipient":"000001"`, `"phone":"` + phone.Mask(w.rs[0].Phone) + `"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
	var line map[string]any
	if err := json.Unmarshal([]byte(strings.SplitN(out, "\n", 2)[0]), &line); err != nil {
		t.Errorf("log line is not JSON: %v", err)
	}
}

func TestWindowCheckedAtSendTime(t *testing.T) {
	end := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		at        time.Time
		endAt     time.Time
		status    parley.RecipientStatus
		due       time.Time
		retryIn   time.Duration
		wantRetry bool
	}{
		{"open: sent", time.Date(2026, 11, 21, 15, 0, 0, 0, time.UTC), time.Time{}, parley.StatusSent, time.Time{}, 0, false},
		{"opens in 10 minutes: re-delayed exactly", time.Date(2026, 11, 21, 12, 50, 0, 0, time.UTC), time.Time{}, parley.StatusQueued, time.Date(2026, 11, 21, 13, 0, 0, 0, time.UTC), 10 * time.Minute, true},
		{"opens in 9 hours: back to the due index", time.Date(2026, 11, 21, 4, 0, 0, 0, time.UTC), time.Time{}, parley.StatusScheduled, time.Date(2026, 11, 21, 13, 0, 0, 0, time.UTC), 0, false},
		{"never opens before the end: expired", time.Date(2026, 11, 22, 4, 0, 0, 0, time.UTC), end, parley.StatusExpired, time.Time{}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, 1, nil)
			w.d.Clock = parley.ClockFunc(func() time.Time { return tt.at })
			c, _ := w.store.Campaign(context.Background(), "acct1", "camp1")
			if !tt.endAt.IsZero() {
				// The fixture store has no campaign update; recreate it with an end.
				c.ID, c.Schedule.EndAt = "camp2", tt.endAt
				rs := []parley.Recipient{w.rs[0]}
				rs[0].CampaignID = "camp2"
				if err := w.store.CreateCampaign(context.Background(), c, rs); err != nil {
					t.Fatal(err)
				}
				w.rs = rs
			}
			vis := &visibilityLog{}
			w.d.Queue = vis
			err := w.d.Handle(context.Background(), w.job(0))
			if errors.Is(err, dispatch.ErrRetry) != tt.wantRetry {
				t.Fatalf("Handle = %v", err)
			}
			r := w.recipient(t, 0)
			if r.Status != tt.status || (!tt.due.IsZero() && !r.DueAt.Equal(tt.due)) {
				t.Errorf("recipient %s due %s; want %s due %s", r.Status, r.DueAt, tt.status, tt.due)
			}
			if tt.wantRetry && (len(vis.timeouts) != 1 || vis.timeouts[0] != tt.retryIn) {
				t.Errorf("visibility %v, want [%s]", vis.timeouts, tt.retryIn)
			}
			if sent := len(w.sent(t)); (sent == 1) != (tt.status == parley.StatusSent) {
				t.Errorf("%d messages sent", sent)
			}
		})
	}
}

// countingLimiter is the real adaptive limiter, counting the feedback it gets.
type countingLimiter struct {
	*ratelimit.Adaptive
	ok, throttled int
}

func (c *countingLimiter) OK(ctx context.Context, k ratelimit.Key) error {
	c.ok++
	return c.Adaptive.OK(ctx, k)
}

func (c *countingLimiter) Throttled(ctx context.Context, k ratelimit.Key) error {
	c.throttled++
	return c.Adaptive.Throttled(ctx, k)
}

func TestPacing(t *testing.T) {
	w := newWorld(t, 3, nil)
	lim := &countingLimiter{Adaptive: ratelimit.NewAdaptive(local.New(w.d.Clock), w.d.Clock)}
	w.d.Limiter, w.d.Limit = lim, ratelimit.Limit{Rate: 1.0 / 100, Burst: 1} // one send per 100 s
	vis := &visibilityLog{}
	w.d.Queue = vis
	if err := w.d.Handle(context.Background(), w.job(0)); err != nil {
		t.Fatal(err)
	}
	err := w.d.Handle(context.Background(), w.job(1))
	if !errors.Is(err, dispatch.ErrRetry) || len(vis.timeouts) != 1 || vis.timeouts[0] != 100*time.Second {
		t.Fatalf("second send 100 s away: %v, visibility %v; want the job back in 100s", err, vis.timeouts)
	}
	if r := w.recipient(t, 1); r.Status != parley.StatusQueued || r.Attempts != 0 {
		t.Errorf("a job waiting for its slot claimed its recipient: %+v", r)
	}
	if lim.ok != 1 || len(w.sent(t)) != 1 {
		t.Errorf("%d OKs, %d sent", lim.ok, len(w.sent(t)))
	}
}

func TestThrottlingSlowsTheSender(t *testing.T) {
	w := newWorld(t, 1, failingSender{&parley.SendError{Provider: "twilio", Code: "20429", Kind: parley.FailThrottled}})
	lim := &countingLimiter{Adaptive: ratelimit.NewAdaptive(local.New(w.d.Clock), w.d.Clock)}
	w.d.Limiter, w.d.Limit = lim, ratelimit.Limit{Rate: 1000, Burst: 1}
	w.d.Queue = &visibilityLog{}
	if err := w.d.Handle(context.Background(), w.job(0)); !errors.Is(err, dispatch.ErrRetry) {
		t.Fatal(err)
	}
	if lim.throttled != 1 || lim.ok != 0 {
		t.Errorf("throttled %d, ok %d; want the provider's push-back reported once", lim.throttled, lim.ok)
	}
}

func TestPausedAndCancelledCampaigns(t *testing.T) {
	w := newWorld(t, 2, nil)
	ctx := context.Background()
	vis := &visibilityLog{}
	w.d.Queue = vis
	if _, err := w.store.SetCampaignState(ctx, "acct1", "camp1", []parley.CampaignState{parley.StateActive}, parley.StatePaused, w.d.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	if err := w.d.Handle(ctx, w.job(0)); !errors.Is(err, dispatch.ErrRetry) || len(vis.timeouts) != 1 || vis.timeouts[0] != dispatch.PausedRecheck {
		t.Fatalf("paused: %v, visibility %v", err, vis.timeouts)
	}
	if r := w.recipient(t, 0); r.Status != parley.StatusQueued || r.Attempts != 0 {
		t.Errorf("a paused campaign's recipient was touched: %+v", r)
	}
	if _, err := w.store.SetCampaignState(ctx, "acct1", "camp1", []parley.CampaignState{parley.StatePaused}, parley.StateCancelled, w.d.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	if err := w.d.Handle(ctx, w.job(1)); err != nil {
		t.Fatal(err)
	}
	if r := w.recipient(t, 1); r.Status != parley.StatusCancelled || r.ErrorMessage != parley.CodeCancelled {
		t.Errorf("cancelled campaign's recipient %+v", r)
	}
	if n := len(w.sent(t)); n != 0 {
		t.Errorf("%d sent", n)
	}
}

// stale leaves recipient i SENDING under a claim of attempt 1 taken at
// claimedAt, as a dispatcher that stopped mid-send does.
func (w *world) stale(t *testing.T, i int, claimedAt time.Time) {
	t.Helper()
	claim := parley.RecipientChange{From: parley.Claimable, Status: parley.StatusSending, CountAttempt: true,
		DueAt: claimedAt.Add(dispatch.ClaimLease), At: claimedAt}
	if _, err := w.store.UpdateRecipient(context.Background(), w.rs[i].Ref(), claim); err != nil {
		t.Fatal(err)
	}
}

// TestRedeliveryTakesOverStaleClaims covers a job delivered again after its
// dispatcher stopped between the claim and the record.
func TestRedeliveryTakesOverStaleClaims(t *testing.T) {
	for _, tc := range []struct {
		name       string
		claimedAgo time.Duration
		sentBefore bool // the provider took the message before the stop
		noLookup   bool // a gateway that cannot say whether it did
		want       parley.RecipientStatus
		retry      bool
		sends      int
	}{
		{"lease still running: wait for it", time.Minute, false, false, parley.StatusSending, true, 0},
		{"never sent: sent now, once", 6 * time.Minute, false, false, parley.StatusSent, false, 1},
		{"sent before the stop: recorded, not resent", 6 * time.Minute, true, false, parley.StatusSent, false, 1},
		{"no lookup: UNKNOWN, never resent blindly", 6 * time.Minute, false, true, parley.StatusUnknown, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var sender gateway.Sender
			if tc.noLookup {
				sender = failingSender{errors.New("must not be called")}
			}
			w := newWorld(t, 1, sender)
			vis := &visibilityLog{}
			w.d.Queue = vis
			ctx := context.Background()
			w.stale(t, 0, now.Add(-tc.claimedAgo))
			var providerID string
			if tc.sentBefore {
				id, err := w.d.Sender.Send(ctx, parley.Message{Channel: parley.ChannelSMS, To: w.rs[0].Phone, Body: w.rs[0].Body,
					AccountID: "acct1", CampaignID: "camp1", RecipientID: w.rs[0].ID})
				if err != nil {
					t.Fatal(err)
				}
				providerID = id
			}
			err := w.d.Handle(ctx, w.job(0))
			if got := errors.Is(err, dispatch.ErrRetry); got != tc.retry {
				t.Fatalf("Handle = %v; retry %v, want %v", err, got, tc.retry)
			}
			if tc.retry && (len(vis.timeouts) != 1 || vis.timeouts[0] < dispatch.ClaimLease-tc.claimedAgo) {
				t.Errorf("retried after %v; want after the lease (%v)", vis.timeouts, dispatch.ClaimLease-tc.claimedAgo)
			}
			r := w.recipient(t, 0)
			if r.Status != tc.want {
				t.Errorf("status %s, want %s", r.Status, tc.want)
			}
			if tc.sentBefore && r.ProviderMessageID != providerID {
				t.Errorf("provider id %q, want the one the provider gave: %q", r.ProviderMessageID, providerID)
			}
			if !tc.noLookup {
				if n := len(w.sent(t)); n != tc.sends {
					t.Errorf("%d messages sent, want %d", n, tc.sends)
				}
			}
		})
	}
}

// TestTakenOverClaimIsFenced checks that a dispatcher whose claim was taken
// over cannot record over the new claim.
func TestTakenOverClaimIsFenced(t *testing.T) {
	w := newWorld(t, 1, nil)
	ctx := context.Background()
	w.stale(t, 0, now.Add(-10*time.Minute))
	old := w.recipient(t, 0)
	if err := w.d.Handle(ctx, w.job(0)); err != nil { // takes over and sends
		t.Fatal(err)
	}
	late := parley.RecipientChange{From: []parley.RecipientStatus{parley.StatusSending, parley.StatusSent}, Attempt: old.Attempts,
		Status: parley.StatusFailed, At: now}
	if _, err := w.store.UpdateRecipient(ctx, old.Ref(), late); parley.ErrorCode(err) != parley.ECONFLICT {
		t.Fatalf("a write fenced to the old claim = %v, want ECONFLICT", err)
	}
	if r := w.recipient(t, 0); r.Status != parley.StatusSent || r.Attempts != 2 {
		t.Errorf("recipient %+v; want SENT by the second claim", r)
	}
}

// sentJobs records the jobs a dispatcher puts back on the queue.
type sentJobs struct{ entries []queue.Entry }

func (s *sentJobs) Send(_ context.Context, es ...queue.Entry) error {
	s.entries = append(s.entries, es...)
	return nil
}

// TestPausedJobsGoBackAsFreshMessages checks that a paused campaign's job
// is finished and put back as a new message, delayed: its receive count
// never grows towards the dead-letter queue however long the pause.
func TestPausedJobsGoBackAsFreshMessages(t *testing.T) {
	w := newWorld(t, 1, nil)
	ctx := context.Background()
	requeued := &sentJobs{}
	w.d.Requeue = requeued
	if _, err := w.store.SetCampaignState(ctx, "acct1", "camp1", []parley.CampaignState{parley.StateActive}, parley.StatePaused, w.d.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	m := w.job(0)
	m.ReceiveCount = 4 // one more receive would dead-letter it
	if err := w.d.Handle(ctx, m); err != nil {
		t.Fatalf("Handle = %v; want the job finished and requeued", err)
	}
	if len(requeued.entries) != 1 || !bytes.Equal(requeued.entries[0].Body, m.Body) || requeued.entries[0].Delay != dispatch.PausedRecheck {
		t.Fatalf("requeued %+v", requeued.entries)
	}
	if r := w.recipient(t, 0); r.Status != parley.StatusQueued || r.Attempts != 0 {
		t.Errorf("a paused campaign's recipient was touched: %+v", r)
	}
}

// notifySender sends through the sandbox and says when each send starts.
type notifySender struct {
	gateway.Sender
	started chan struct{}
}

func (s *notifySender) Send(ctx context.Context, m parley.Message) (string, error) {
	s.started <- struct{}{}
	return s.Sender.Send(ctx, m)
}

// TestStopClaimsNoMore: once Run's context ends, the recipients of the
// batch in hand that are waiting for their send slot are not claimed: they
// stay QUEUED and their jobs are back on the queue at once, none sent, none
// counted as a failed attempt.
func TestStopClaimsNoMore(t *testing.T) {
	w := newWorld(t, 5, nil)
	started := make(chan struct{}, len(w.rs))
	w.d.Sender = &notifySender{Sender: w.d.Sender, started: started}
	w.d.Limiter = ratelimit.NewAdaptive(local.New(w.d.Clock), w.d.Clock)
	w.d.Limit = ratelimit.Limit{Rate: 1.0 / 4, Burst: 1} // one send, then one every 4 s
	ctx := context.Background()
	for _, r := range w.rs {
		if err := w.queue.Send(ctx, queue.Entry{Body: queue.SendJob(r.Ref())}); err != nil {
			t.Fatal(err)
		}
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { w.d.Run(runCtx, w.queue, 1); close(done) }()
	<-started // the first recipient's send; the others wait for their slots
	stop()
	<-done
	if n := len(w.sent(t)); n != 1 {
		t.Fatalf("sent %d after the stop, want only the one in flight", n)
	}
	var queued int
	for i := range w.rs {
		if r := w.recipient(t, i); r.Status == parley.StatusQueued && r.Attempts == 0 {
			queued++
		}
	}
	if queued != len(w.rs)-1 {
		t.Errorf("%d recipients left QUEUED without an attempt, want %d", queued, len(w.rs)-1)
	}
	ms, err := w.queue.Receive(ctx, 10, 0, time.Minute)
	if err != nil || len(ms) != len(w.rs)-1 {
		t.Errorf("%d jobs visible again after the stop (%v), want %d", len(ms), err, len(w.rs)-1)
	}
}

// claimedBy leaves recipient i SENDING under a claim of attempt 1 that
// dispatcher epoch made a minute ago, its lease still running.
func (w *world) claimedBy(t *testing.T, i int, epoch string) {
	t.Helper()
	claim := parley.RecipientChange{From: parley.Claimable, Status: parley.StatusSending, CountAttempt: true,
		Claimant: epoch, DueAt: now.Add(dispatch.ClaimLease - time.Minute), At: now.Add(-time.Minute)}
	if _, err := w.store.UpdateRecipient(context.Background(), w.rs[i].Ref(), claim); err != nil {
		t.Fatal(err)
	}
}

// TestEpochTakeover covers a job that meets a claim whose lease still runs:
// a sole dispatcher takes over the claim of an earlier process at once,
// never its own, and a dispatcher that is not its store's only one waits
// for the lease.
func TestEpochTakeover(t *testing.T) {
	for _, tc := range []struct {
		name     string
		sole     bool
		claimant string
		want     parley.RecipientStatus
		retry    bool
		sends    int
	}{
		{"sole, an earlier process's claim: taken over at once", true, "process-1", parley.StatusSent, false, 1},
		{"sole, a claim from before epochs: taken over at once", true, "", parley.StatusSent, false, 1},
		{"sole, this process's own claim: wait for the lease", true, "process-2", parley.StatusSending, true, 0},
		{"not sole, another process's claim: wait for the lease", false, "process-1", parley.StatusSending, true, 0},
	} {
		// A job received for the first time meets the claim when it claims;
		// a redelivered one before it takes a send slot.
		for _, receives := range []int{1, 2} {
			t.Run(fmt.Sprintf("%s, receive %d", tc.name, receives), func(t *testing.T) {
				w := newWorld(t, 1, nil)
				vis := &visibilityLog{}
				w.d.Queue, w.d.Sole, w.d.Epoch = vis, tc.sole, "process-2"
				w.claimedBy(t, 0, tc.claimant)
				m := w.job(0)
				m.ReceiveCount = receives
				err := w.d.Handle(context.Background(), m)
				if got := errors.Is(err, dispatch.ErrRetry); got != tc.retry {
					t.Fatalf("Handle = %v; retry %v, want %v", err, got, tc.retry)
				}
				if tc.retry && (len(vis.timeouts) != 1 || vis.timeouts[0] < dispatch.ClaimLease-time.Minute) {
					t.Errorf("retried after %v; want after the lease", vis.timeouts)
				}
				r := w.recipient(t, 0)
				if r.Status != tc.want {
					t.Errorf("status %s, want %s", r.Status, tc.want)
				}
				if tc.retry && r.Claimant != tc.claimant {
					t.Errorf("claimant %q, want the claim left to %q", r.Claimant, tc.claimant)
				}
				if !tc.retry && (r.Attempts < 2 || r.Claimant != "") {
					t.Errorf("recipient %+v; want settled by a second claim", r)
				}
				if n := len(w.sent(t)); n != tc.sends {
					t.Errorf("%d messages sent, want %d", n, tc.sends)
				}
			})
		}
	}
}

// TestEpochTakeoverIsFenced delivers the job of an earlier process's claim
// to many workers of the new process at once: one takes the claim over and
// sends, the others find it taken.
func TestEpochTakeoverIsFenced(t *testing.T) {
	w := newWorld(t, 1, nil)
	w.d.Queue, w.d.Sole, w.d.Epoch = noVisibility{}, true, "process-2"
	w.claimedBy(t, 0, "process-1")
	var wg sync.WaitGroup
	for i := range 16 {
		m := w.job(0)
		m.ReceiveCount = 1 + i%2
		wg.Go(func() { _ = w.d.Handle(context.Background(), m) })
	}
	wg.Wait()
	if n := len(w.sent(t)); n != 1 {
		t.Errorf("%d messages sent, want 1", n)
	}
	if r := w.recipient(t, 0); r.Status != parley.StatusSent || r.Attempts < 2 {
		t.Errorf("recipient %+v; want SENT by one take-over", r)
	}
}
