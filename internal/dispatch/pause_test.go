package dispatch_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/campaign"
	"github.com/parleyhq/parley/internal/dispatch"
	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/gateway/sandbox"
	"github.com/parleyhq/parley/internal/obs"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/queue"
	"github.com/parleyhq/parley/internal/ratelimit"
	"github.com/parleyhq/parley/internal/ratelimit/local"
	"github.com/parleyhq/parley/internal/store/embedded"
	"github.com/parleyhq/parley/internal/store/storetest"
	"github.com/parleyhq/parley/internal/testworld"
)

// The stop measured: a campaign of stopRecipients at stopMPS, drained by
// stopDispatchers dispatcher processes, each with a batch of jobs whose
// send slots it reserved up front, stopped after stopAfter sends.
const (
	stopRecipients = 100
	// pacedRecipients is how many BenchmarkPacing sends: more than the
	// dispatchers can reserve slots for at once (MaxPaceWait at stopMPS),
	// so that jobs wait on the queue for the sender's slots too.
	pacedRecipients = 400
	stopMPS         = 10
	stopDispatchers = 8
	stopAfter       = 20
	// stopGoal is how soon after its call answered a stop must hold.
	stopGoal = time.Second
)

// flowing is a clock that starts at now and runs in real time, so that
// pacing is real while the delivery window stays open on any date.
func flowing() parley.Clock {
	start := time.Now()
	return parley.ClockFunc(func() time.Time { return now.Add(time.Since(start)) })
}

// sendLog is a gateway that records when each send starts and runs stop,
// once, after the stopAfter-th.
type sendLog struct {
	gateway.Sender
	clock parley.Clock
	stop  func()
	mu    sync.Mutex
	at    []time.Time
}

func (s *sendLog) Send(ctx context.Context, m parley.Message) (string, error) {
	s.mu.Lock()
	s.at = append(s.at, s.clock.Now())
	if len(s.at) == stopAfter && s.stop != nil {
		go s.stop()
	}
	s.mu.Unlock()
	return s.Sender.Send(ctx, m)
}

// held is the queue as the dispatchers put jobs back on it: it counts the
// recipients of those held back for a pause, which come back only after
// the run.
type held struct {
	queue.Queue
	mu sync.Mutex
	n  int
}

func (h *held) Send(ctx context.Context, es ...queue.Entry) error {
	h.mu.Lock()
	for _, e := range es {
		if e.Delay >= dispatch.PausedRecheck {
			refs, _ := queue.DecodeRecipients(e.Body)
			h.n += len(refs)
		}
	}
	h.mu.Unlock()
	return h.Queue.Send(ctx, es...)
}

func (h *held) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n
}

// optOuts is a consent list that opts out every number at once.
type optOuts struct {
	mu  sync.Mutex
	all bool
}

func (o *optOuts) OptedOut(context.Context, string, parley.Channel, string) (bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.all, nil
}

func (o *optOuts) optOutAll() {
	o.mu.Lock()
	o.all = true
	o.mu.Unlock()
}

// stopRun is what one measured stop gave.
type stopRun struct {
	// answered is when the stop's call answered.
	answered time.Time
	// sends are the start times of every send.
	sends []time.Time
	store *embedded.Store
	rs    []parley.Recipient
}

// after counts the sends that started more than d after the stop answered,
// and returns the latest one's distance from it.
func (r stopRun) after(d time.Duration) (n int, latest time.Duration) {
	for _, at := range r.sends {
		since := at.Sub(r.answered)
		latest = max(latest, since)
		if since > d {
			n++
		}
	}
	return n, latest
}

// runStop sends a campaign as described above and, after stopAfter sends,
// stops it with action (pause, cancel or opt-out, through the store or
// consent list the dispatchers read; none sends it all), then waits until
// every job is settled: sent, held back, cancelled or skipped.
func runStop(tb testing.TB, action string, recipients int) stopRun {
	tb.Helper()
	ctx := context.Background()
	s, q := testworld.Open(tb)
	c, rs := storetest.Fixture("acct1", "camp1", recipients)
	if err := s.CreateCampaign(ctx, c, rs); err != nil {
		tb.Fatal(err)
	}
	clock := flowing()
	if err := q.Send(ctx, campaign.Jobs(rs, clock.Now())...); err != nil {
		tb.Fatal(err)
	}
	consent := &optOuts{}
	var answered time.Time
	stopped := make(chan struct{})
	stop := func() {
		defer close(stopped)
		var err error
		switch action {
		case "pause":
			_, err = s.SetCampaignState(ctx, "acct1", "camp1", []parley.CampaignState{parley.StateActive}, parley.StatePaused, time.Now())
		case "cancel":
			_, err = s.SetCampaignState(ctx, "acct1", "camp1", []parley.CampaignState{parley.StateActive}, parley.StateCancelled, time.Now())
		case "opt-out":
			consent.optOutAll()
		}
		if err != nil {
			tb.Error(err)
		}
		answered = clock.Now()
	}
	log := &sendLog{Sender: &sandbox.Gateway{Recorder: s, Clock: clock}, clock: clock, stop: stop}
	if action == "none" {
		log.stop = nil
		close(stopped)
	}
	requeued := &held{Queue: q}
	pacer := ratelimit.NewAdaptive(local.New(clock), clock)
	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for range stopDispatchers {
		d := &dispatch.Dispatcher{
			Store: s, Sender: log, Queue: q, Requeue: requeued, Clock: clock, Log: obs.Discard(), Consent: consent,
			Limiter: pacer, Limit: ratelimit.Limit{Rate: stopMPS, Burst: 1}, StateTTL: dispatch.DefaultStateTTL,
		}
		wg.Go(func() { d.Run(runCtx, q, 1) })
	}
	defer func() { cancel(); wg.Wait() }()
	select {
	case <-stopped:
	case <-time.After(time.Minute):
		tb.Fatalf("only %d sent within a minute", len(log.at))
	}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		settled, err := settledJobs(ctx, s, rs)
		if err != nil {
			tb.Fatal(err)
		}
		if action == "pause" {
			settled += requeued.count()
		}
		if settled == len(rs) {
			break
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%d of %d jobs settled within a minute of the %s", settled, len(rs), action)
		}
	}
	cancel()
	wg.Wait()
	log.mu.Lock()
	defer log.mu.Unlock()
	return stopRun{answered: answered, sends: append([]time.Time(nil), log.at...), store: s, rs: rs}
}

// settledJobs counts the recipients whose jobs are finished: those out of
// QUEUED and SENDING.
func settledJobs(ctx context.Context, s *embedded.Store, rs []parley.Recipient) (int, error) {
	n := 0
	for _, r := range rs {
		got, err := s.Recipient(ctx, r.Ref())
		if err != nil {
			return 0, err
		}
		if got.Status != parley.StatusQueued && got.Status != parley.StatusSending {
			n++
		}
	}
	return n, nil
}

// TestStopHoldsWithinASecond pauses, cancels and opts out a campaign mid-send
// at 10 MPS with 8 dispatchers whose batches reserved their send slots up
// front: no message starts more than a second after the call answered,
// every recipient is sent once or left in the state the stop asks for, and
// none is left SENDING.
func TestStopHoldsWithinASecond(t *testing.T) {
	if testing.Short() {
		t.Skip("paces sends in real time")
	}
	want := map[string]parley.RecipientStatus{"pause": parley.StatusQueued, "cancel": parley.StatusCancelled, "opt-out": parley.StatusSkipped}
	for _, action := range []string{"pause", "cancel", "opt-out"} {
		t.Run(action, func(t *testing.T) {
			t.Parallel()
			r := runStop(t, action, stopRecipients)
			if n, latest := r.after(stopGoal); n != 0 {
				t.Errorf("%d messages started more than %s after the %s answered (the latest %s after)", n, stopGoal, action, latest)
			}
			sent := map[string]int{}
			for _, m := range mustSandbox(t, r.store) {
				sent[m.RecipientID]++
			}
			unsent := 0
			for _, rc := range r.rs {
				got, err := r.store.Recipient(context.Background(), rc.Ref())
				if err != nil {
					t.Fatal(err)
				}
				switch {
				case got.Status == parley.StatusSent && sent[rc.ID] == 1:
				case got.Status == want[action] && sent[rc.ID] == 0:
					unsent++
				default:
					t.Errorf("recipient %s is %s, sent %d times", rc.ID, got.Status, sent[rc.ID])
				}
			}
			if len(r.sends) != len(sent) || unsent == 0 {
				t.Errorf("%d sends of %d recipients, %d left unsent", len(r.sends), len(sent), unsent)
			}
		})
	}
}

func mustSandbox(t *testing.T, s *embedded.Store) []parley.SentMessage {
	t.Helper()
	ms, err := s.SandboxMessages(context.Background(), "acct1")
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

// BenchmarkPause pauses a campaign mid-send at 10 MPS with 8 dispatchers
// and reports how many messages started after the pause answered, how many
// more than a second after, and the latest one's distance from it.
func BenchmarkPause(b *testing.B) {
	var after, late int
	var latest time.Duration
	for b.Loop() {
		r := runStop(b, "pause", stopRecipients)
		n, l := r.after(0)
		m, _ := r.after(stopGoal)
		after, late, latest = after+n, late+m, max(latest, l)
	}
	b.ReportMetric(float64(after)/float64(b.N), "sends-after-pause/op")
	b.ReportMetric(float64(late)/float64(b.N), "sends-after-1s/op")
	b.ReportMetric(float64(latest.Milliseconds()), "latest-send-after-pause-ms")
}

// BenchmarkPacing sends a campaign like BenchmarkPause's, of pacedRecipients, without a pause and
// reports the rate its 8 dispatchers sent at, against stopMPS, and the most
// sends that started within any one second (at most stopMPS + the burst of
// 1).
func BenchmarkPacing(b *testing.B) {
	for b.Loop() {
		r := runStop(b, "none", pacedRecipients)
		slices.SortFunc(r.sends, time.Time.Compare)
		span := r.sends[len(r.sends)-1].Sub(r.sends[0])
		most := 0
		for i, at := range r.sends {
			n, _ := slices.BinarySearchFunc(r.sends, at.Add(time.Second), time.Time.Compare)
			most = max(most, n-i)
		}
		b.ReportMetric(float64(len(r.sends)-1)/span.Seconds(), "sends/s")
		b.ReportMetric(float64(most), "max/1s")
	}
}
