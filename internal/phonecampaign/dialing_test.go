package phonecampaign_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/clocktest"
	"github.com/parleyhq/parley/internal/dialer"
	"github.com/parleyhq/parley/internal/directory"
	"github.com/parleyhq/parley/internal/gateway/sandboxvoice"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/phonecampaign"
	"github.com/parleyhq/parley/internal/queue"
	"github.com/parleyhq/parley/internal/store/embedded"
)

// jobs is the queue of the dialing runtime on the test's clock: every job
// is delivered twice (a redelivery), and pace jobs due together run
// concurrently.
type jobs struct {
	mu      sync.Mutex
	pending []pendingJob
	seq     int
}

type pendingJob struct {
	at   time.Time
	seq  int
	pace *phonecampaign.PaceJob
	gr   *phonecampaign.GraceJob
}

func (q *jobs) add(p pendingJob) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.seq++
	p.seq = q.seq
	q.pending = append(q.pending, p)
}

func (q *jobs) Pace(ctx context.Context, j phonecampaign.PaceJob, delay time.Duration) error {
	q.add(pendingJob{at: clockNow().Add(delay), pace: &j})
	return nil
}

func (q *jobs) Grace(ctx context.Context, j phonecampaign.GraceJob, delay time.Duration) error {
	q.add(pendingJob{at: clockNow().Add(delay), gr: &j})
	return nil
}

var clockNow func() time.Time

// next returns when the earliest job is due.
func (q *jobs) next() (time.Time, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.pending) == 0 {
		return time.Time{}, false
	}
	sort.Slice(q.pending, func(i, j int) bool {
		if !q.pending[i].at.Equal(q.pending[j].at) {
			return q.pending[i].at.Before(q.pending[j].at)
		}
		return q.pending[i].seq < q.pending[j].seq
	})
	return q.pending[0].at, true
}

// due removes and returns the jobs due at now.
func (q *jobs) due(now time.Time) []pendingJob {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out, keep []pendingJob
	for _, p := range q.pending {
		if p.at.After(now) {
			keep = append(keep, p)
		} else {
			out = append(out, p)
		}
	}
	q.pending = keep
	return out
}

// directoryOf returns a store whose directory holds n contacts, and the
// test's clock.
func directoryOf(t *testing.T, n int) (*embedded.Store, *clocktest.Clock) {
	t.Helper()
	s, err := embedded.Open(filepath.Join(t.TempDir(), "store.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	clock := clocktest.New(time.Now().Truncate(time.Second))
	clockNow = clock.Now
	for i := range n {
		now := clock.Now()
		k := directory.Contact{AccountID: "a1", ID: fmt.Sprintf("k%03d", i), Phone: fmt.Sprintf("+1202555%04d", 1000+i), Version: 1, CreatedAt: now, UpdatedAt: now}
		if err := s.PutContact(context.Background(), k); err != nil {
			t.Fatal(err)
		}
	}
	return s, clock
}

func TestPredictiveCampaignRunsToAllProcessed(t *testing.T) {
	ctx := context.Background()
	const contacts, operators = 200, 20
	s, clock := directoryOf(t, contacts)
	svc := &phonecampaign.Service{Store: s, Clock: clock}
	pickup := 30
	no := false
	created, err := svc.Create(ctx, "a1", dialer.Draft{
		Name: "renewals", Mode: dialer.ModePredictive, PickupPercent: &pickup, OperatorGroup: "sales",
		CallingHours: &dialer.Hours{Start: "00:00", End: "24:00"}, CallerIDs: []string{"+12025550100", "+12025550199"},
		Rules: []dialer.Rule{{When: dialer.Conditions{Connected: &no}, Action: dialer.ActionCallAgain, DelayMinutes: 10}},
	})
	if err != nil || created.Entries != contacts {
		t.Fatalf("create: %+v, %v", created, err)
	}
	c := created.Campaign
	voice := sandboxvoice.New(clock, 7, sandboxvoice.DefaultProfile)
	q := &jobs{}
	d := &phonecampaign.Dialer{Store: s, Clock: clock, Voice: voice, Jobs: q, DetectorHumanLoss: 0.02}
	voice.SetSink(d)
	for i := range operators {
		if _, err := d.SetState(ctx, "a1", fmt.Sprintf("op%02d", i), "sales", dialer.Online); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Start(ctx, "a1", c.ID); err != nil {
		t.Fatal(err)
	}
	start := clock.Now()
	for steps := 0; ; steps++ {
		if steps > 200000 {
			t.Fatal("the campaign never completed")
		}
		jt, jok := q.next()
		vt, vok := voice.Next()
		if !jok && !vok {
			break
		}
		at := jt
		if !jok || (vok && vt.Before(jt)) {
			at = vt
		}
		if at.After(clock.Now()) {
			clock.Advance(at.Sub(clock.Now()))
		}
		if _, err := voice.Fire(ctx); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for _, p := range q.due(clock.Now()) {
			for range 2 { // every job delivered twice, both at once
				wg.Go(func() {
					var err error
					if p.pace != nil {
						err = d.Pace(ctx, *p.pace)
					} else {
						err = d.Grace(ctx, *p.gr)
					}
					if err != nil {
						errs <- err
					}
				})
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if got, _ := s.PhoneCampaign(ctx, "a1", c.ID); got.State == dialer.CampaignCompleted {
			break
		}
	}
	got, err := s.PhoneCampaign(ctx, "a1", c.ID)
	if err != nil || got.State != dialer.CampaignCompleted {
		t.Fatalf("campaign is %s (%v), want completed", got.State, err)
	}

	// Every attempt of every contact was dialled once.
	seen := map[string]bool{}
	for _, p := range voice.Placed() {
		key := fmt.Sprintf("%s#%d", p.ContactID, p.Attempt)
		if seen[key] {
			t.Errorf("attempt %s dialled twice", key)
		}
		seen[key] = true
	}
	calls, err := s.PhoneCalls(ctx, "a1", c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != len(voice.Placed()) {
		t.Errorf("%d calls recorded for %d placed", len(calls), len(voice.Placed()))
	}
	var live, abandoned, bridged int
	var talk time.Duration
	for _, k := range calls {
		if k.Status != dialer.CallEnded {
			t.Errorf("call %s is %s after the campaign completed", k.ProviderID, k.Status)
		}
		if k.Answer == dialer.AnswerHuman {
			live++
		}
		if k.Abandoned {
			abandoned++
		}
		if k.Operator != "" {
			bridged++
			talk += k.Talk()
			if k.Result == "" || k.WrappedAt.IsZero() {
				t.Errorf("session %s has no result", k.ProviderID)
			}
		}
	}
	st, err := svc.Stats(ctx, "a1", c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Waiting != 0 || st.InProgress != 0 || st.Processed+st.Deleted != contacts {
		t.Errorf("stats %+v", st)
	}
	// Each bridged call is a connected contact (connected contacts are
	// not called again), and each contact's abandonment is its last call's.
	if st.Connected != bridged {
		t.Errorf("stats count %d connected, the sessions %d", st.Connected, bridged)
	}
	rate := float64(abandoned) / float64(max(live, 1))
	elapsed := clock.Now().Sub(start)
	occupancy := talk.Seconds() / (elapsed.Seconds() * operators)
	t.Logf("%d calls, %d live, %d bridged, %d abandoned (%.2f%% of live), talk occupancy %.0f%% over %s",
		len(calls), live, bridged, abandoned, 100*rate, 100*occupancy, elapsed.Round(time.Second))
	if rate > dialer.MaxAbandon {
		t.Errorf("abandoned %.2f%% of live answers, above %.0f%%", 100*rate, 100*dialer.MaxAbandon)
	}
	for _, a := range mustAgents(t, s) {
		if a.State != dialer.Online || a.CallID != "" {
			t.Errorf("operator %s left %s on %q", a.ID, a.State, a.CallID)
		}
	}
}

func mustAgents(t *testing.T, s *embedded.Store) []dialer.Agent {
	t.Helper()
	as, err := s.PhoneAgents(context.Background(), "a1")
	if err != nil {
		t.Fatal(err)
	}
	return as
}

// recordingVoice counts what the runtime asks of the gateway: the calls
// placed, the bridges ("call>operator") and the ends ("hangup call",
// "abandon call").
type recordingVoice struct {
	mu      sync.Mutex
	placed  []phonecampaign.PlaceCall
	bridged []string
	ended   []string
}

func (v *recordingVoice) PlaceCall(ctx context.Context, p phonecampaign.PlaceCall) (string, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.placed = append(v.placed, p)
	return fmt.Sprintf("CA%d", len(v.placed)), nil
}
func (v *recordingVoice) Bridge(ctx context.Context, c dialer.Call, op string) error {
	return v.record(&v.bridged, c.ProviderID+">"+op)
}
func (v *recordingVoice) Abandon(ctx context.Context, c dialer.Call) error {
	return v.record(&v.ended, "abandon "+c.ProviderID)
}
func (v *recordingVoice) Hangup(ctx context.Context, c dialer.Call) error {
	return v.record(&v.ended, "hangup "+c.ProviderID)
}

func (v *recordingVoice) record(to *[]string, s string) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	*to = append(*to, s)
	return nil
}

// paceNow runs the pace job of campaignID on its stored version, times
// times (a redelivery finds its version stale).
func paceNow(t *testing.T, s *embedded.Store, d *phonecampaign.Dialer, campaignID string, times int) {
	t.Helper()
	ctx := context.Background()
	_, v, err := s.PacerState(ctx, "a1", campaignID)
	if err != nil {
		t.Fatal(err)
	}
	for range times {
		if err := d.Pace(ctx, phonecampaign.PaceJob{AccountID: "a1", CampaignID: campaignID, Version: v}); err != nil {
			t.Fatal(err)
		}
	}
}

// progressiveOnRecorder is a progressive campaign, calling all day, over a
// directory of n contacts, dialled through a recordingVoice.
func progressiveOnRecorder(t *testing.T, n int) (*embedded.Store, *clocktest.Clock, dialer.Campaign, *recordingVoice, *phonecampaign.Dialer) {
	t.Helper()
	s, clock := directoryOf(t, n)
	svc := &phonecampaign.Service{Store: s, Clock: clock}
	created, err := svc.Create(context.Background(), "a1", dialer.Draft{Name: "n", Mode: dialer.ModeProgressive, OperatorGroup: "g",
		CallingHours: &dialer.Hours{Start: "00:00", End: "24:00"}, CallerIDs: []string{"+12025550100"}})
	if err != nil {
		t.Fatal(err)
	}
	voice := &recordingVoice{}
	return s, clock, created.Campaign, voice, &phonecampaign.Dialer{Store: s, Clock: clock, Voice: voice, Jobs: &jobs{}}
}

func TestPaceAndOutcomesCountOnce(t *testing.T) {
	ctx := context.Background()
	s, clock, c, voice, d := progressiveOnRecorder(t, 10)
	for i := range 3 {
		if _, err := d.SetState(ctx, "a1", fmt.Sprintf("op%d", i), "g", dialer.Online); err != nil {
			t.Fatal(err)
		}
	}
	// Eight copies of one pace job at once: progressive with 3 Online
	// operators places 3 calls, whichever copies win.
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if err := d.Pace(ctx, phonecampaign.PaceJob{AccountID: "a1", CampaignID: c.ID}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if len(voice.placed) != 3 {
		t.Fatalf("placed %d calls, want 3: %+v", len(voice.placed), voice.placed)
	}
	// The chain continues on version 1 only; a redelivery of version 0 does nothing.
	if err := d.Pace(ctx, phonecampaign.PaceJob{AccountID: "a1", CampaignID: c.ID}); err != nil || len(voice.placed) != 3 {
		t.Fatalf("stale job placed calls: %d, %v", len(voice.placed), err)
	}
	clock.Advance(5 * time.Second)
	busy := phonecampaign.Event{AccountID: "a1", CampaignID: c.ID, ProviderID: "CA1", At: clock.Now(), Answer: dialer.AnswerBusy}
	for range 3 {
		if err := d.Ended(ctx, busy, 0); err != nil {
			t.Fatal(err)
		}
	}
	st, _, err := s.PacerState(ctx, "a1", c.ID)
	if err != nil || st.Outcomes != 1 {
		t.Fatalf("a busy event delivered three times counted %d outcomes (%v)", st.Outcomes, err)
	}
	e, err := s.Entry(ctx, "a1", c.ID, voice.placed[0].ContactID)
	if err != nil || e.Attempts != 1 || e.CallID != "" {
		t.Fatalf("entry after the busy call %+v, %v", e, err)
	}
	human := phonecampaign.Event{AccountID: "a1", CampaignID: c.ID, ProviderID: "CA2", At: clock.Now(), Answer: dialer.AnswerHuman}
	for range 2 {
		if err := d.Answered(ctx, human); err != nil {
			t.Fatal(err)
		}
	}
	call, err := s.PhoneCall(ctx, "a1", c.ID, "CA2")
	if err != nil || call.Status != dialer.CallBridged || call.Operator == "" {
		t.Fatalf("answered call %+v, %v", call, err)
	}
	if st, _, _ := s.PacerState(ctx, "a1", c.ID); st.Outcomes != 2 || st.Live != 1 {
		t.Fatalf("after the answer: %d outcomes, %.0f live", st.Outcomes, st.Live)
	}
	// A live answer with every operator taken waits Grace, then is abandoned.
	for _, op := range []string{"op0", "op1", "op2"} {
		if _, err := d.SetState(ctx, "a1", op, "g", dialer.Offline); err != nil {
			t.Fatal(err)
		}
	}
	late := phonecampaign.Event{AccountID: "a1", CampaignID: c.ID, ProviderID: "CA3", At: clock.Now(), Answer: dialer.AnswerHuman}
	if err := d.Answered(ctx, late); err != nil {
		t.Fatal(err)
	}
	grace := phonecampaign.GraceJob{AccountID: "a1", CampaignID: c.ID, ProviderID: "CA3"}
	if err := d.Grace(ctx, grace); err != nil {
		t.Fatal(err)
	}
	if k, _ := s.PhoneCall(ctx, "a1", c.ID, "CA3"); k.Status != dialer.CallWaiting {
		t.Fatalf("before Grace the call is %s", k.Status)
	}
	clock.Advance(dialer.Grace)
	for range 2 {
		if err := d.Grace(ctx, grace); err != nil {
			t.Fatal(err)
		}
	}
	k, _ := s.PhoneCall(ctx, "a1", c.ID, "CA3")
	st, _, _ = s.PacerState(ctx, "a1", c.ID)
	if !k.Abandoned || k.Status != dialer.CallEnded || st.Abandoned != 1 || st.Live != 2 {
		t.Fatalf("after Grace: call %+v, pacer %.0f abandoned of %.0f live", k, st.Abandoned, st.Live)
	}
}

type sentJobs struct{ entries []queue.Entry }

func (s *sentJobs) Send(ctx context.Context, es ...queue.Entry) error {
	s.entries = append(s.entries, es...)
	return nil
}

func TestQueueJobsRoundTrip(t *testing.T) {
	ctx := context.Background()
	sent := &sentJobs{}
	q := &phonecampaign.QueueJobs{Queue: sent, Dialer: &phonecampaign.Dialer{}}
	if err := q.Pace(ctx, phonecampaign.PaceJob{AccountID: "a1", CampaignID: "c1", Version: 4}, 1500*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := q.Grace(ctx, phonecampaign.GraceJob{AccountID: "a1", CampaignID: "c1", ProviderID: "CA1"}, time.Hour); err != nil {
		t.Fatal(err)
	}
	if len(sent.entries) != 2 || sent.entries[0].Delay != 2*time.Second || sent.entries[1].Delay != queue.MaxDelay {
		t.Fatalf("sent %+v", sent.entries)
	}
	if k := queue.KindOf(sent.entries[0].Body); k != queue.JobPace {
		t.Errorf("pace job has kind %q", k)
	}
	if k := queue.KindOf(sent.entries[1].Body); k != queue.JobGrace {
		t.Errorf("grace job has kind %q", k)
	}
	for _, bad := range []string{`{"k":"pace","a":"a1"}`, `{"k":"grace","a":"a1","c":"c1"}`, `{"k":"pace","a":"a1","c":"c1","v":-1}`} {
		err := q.HandlePhoneJob(ctx, queue.KindOf([]byte(bad)), []byte(bad))
		if parley.ErrorCode(err) != parley.EINVALID {
			t.Errorf("%s: %v, want EINVALID", bad, err)
		}
	}
}

func TestSilentCallEndsAsFailed(t *testing.T) {
	ctx := context.Background()
	s, clock, c, voice, d := progressiveOnRecorder(t, 2)
	if _, err := d.SetState(ctx, "a1", "op0", "g", dialer.Online); err != nil {
		t.Fatal(err)
	}
	pace := func() { t.Helper(); paceNow(t, s, d, c.ID, 1) }
	pace()
	if len(voice.placed) != 1 {
		t.Fatalf("placed %d calls, want 1", len(voice.placed))
	}
	first := voice.placed[0].ContactID
	// The gateway never reports the call: it rings on in the store until
	// StaleRinging has passed, then the attempt ends as failed.
	clock.Advance(phonecampaign.StaleRinging - time.Second)
	pace()
	if e, _ := s.Entry(ctx, "a1", c.ID, first); e.Status != dialer.EntryInProgress {
		t.Fatalf("entry ended before StaleRinging: %+v", e)
	}
	clock.Advance(time.Second)
	pace()
	e, err := s.Entry(ctx, "a1", c.ID, first)
	if err != nil || e.Status == dialer.EntryInProgress || e.CallID != "" || e.Attempts != 1 {
		t.Fatalf("entry after a silent call %+v, %v", e, err)
	}
	call, err := s.PhoneCall(ctx, "a1", c.ID, "CA1")
	if err != nil || call.Status != dialer.CallEnded || call.Answer != dialer.AnswerFailed {
		t.Fatalf("silent call %+v, %v", call, err)
	}
}

// readCounter counts the entries and calls a dialer reads.
type readCounter struct {
	*embedded.Store
	entries, calls, due atomic.Int64
}

func (r *readCounter) Entries(ctx context.Context, accountID, campaignID, after string, limit int) ([]dialer.Entry, error) {
	es, err := r.Store.Entries(ctx, accountID, campaignID, after, limit)
	r.entries.Add(int64(len(es)))
	return es, err
}

func (r *readCounter) PhoneCalls(ctx context.Context, accountID, campaignID string) ([]dialer.Call, error) {
	cs, err := r.Store.PhoneCalls(ctx, accountID, campaignID)
	r.calls.Add(int64(len(cs)))
	return cs, err
}

func (r *readCounter) DueEntries(ctx context.Context, accountID, campaignID string, by time.Time, limit int) ([]dialer.Entry, error) {
	es, err := r.Store.DueEntries(ctx, accountID, campaignID, by, limit)
	r.due.Add(int64(len(es)))
	return es, err
}

// TestPaceRoundReadsWhatIsOpen: a pacing round of a campaign of 400
// contacts, some already called, reads its open calls and entries and a
// few due ones, never the whole campaign.
func TestPaceRoundReadsWhatIsOpen(t *testing.T) {
	ctx := context.Background()
	s, clock, c, voice, d := progressiveOnRecorder(t, 400)
	counted := &readCounter{Store: s}
	d.Store = counted
	for i := range 2 {
		if _, err := d.SetState(ctx, "a1", fmt.Sprintf("op%d", i), "g", dialer.Online); err != nil {
			t.Fatal(err)
		}
	}
	for round := range 5 {
		counted.entries.Store(0)
		counted.calls.Store(0)
		counted.due.Store(0)
		paceNow(t, s, d, c.ID, 1)
		if n := counted.entries.Load() + counted.calls.Load(); n != 0 {
			t.Errorf("round %d read %d entries and calls of the whole campaign", round, n)
		}
		if n := counted.due.Load(); n == 0 || n > 16 {
			t.Errorf("round %d read %d due entries; want some, at most 16 (3 lines for each of 2 operators, and 10)", round, n)
		}
		// The calls end unanswered, so the next round has lines free.
		for i := range voice.placed {
			ev := phonecampaign.Event{AccountID: "a1", CampaignID: c.ID, ProviderID: fmt.Sprintf("CA%d", i+1), At: clock.Now(), Answer: dialer.AnswerNoAnswer}
			if err := d.Ended(ctx, ev, 0); err != nil {
				t.Fatal(err)
			}
		}
		clock.Advance(3 * time.Second)
	}
	if len(voice.placed) < 5*2 {
		t.Errorf("%d calls placed in 5 rounds with 2 operators; want at least 10", len(voice.placed))
	}
}

// unlisted is a store whose listings hold only the entries rewritten since
// it was made: a store of entries written before there were listings.
type unlisted struct {
	*embedded.Store
	mu        sync.Mutex
	rewritten map[string]bool
}

func (u *unlisted) ReplaceEntry(ctx context.Context, accountID, campaignID string, e dialer.Entry) (dialer.Entry, error) {
	u.mu.Lock()
	u.rewritten[e.ContactID] = true
	u.mu.Unlock()
	return u.Store.ReplaceEntry(ctx, accountID, campaignID, e)
}

func (u *unlisted) DueEntries(ctx context.Context, accountID, campaignID string, by time.Time, limit int) ([]dialer.Entry, error) {
	es, err := u.Store.DueEntries(ctx, accountID, campaignID, by, limit)
	u.mu.Lock()
	defer u.mu.Unlock()
	return slices.DeleteFunc(es, func(e dialer.Entry) bool { return !u.rewritten[e.ContactID] }), err
}

// TestPaceIndexesAnOlderCampaign: the first round of a campaign whose
// pacer state predates the listings writes its open entries again, so
// that the next rounds find and call them.
func TestPaceIndexesAnOlderCampaign(t *testing.T) {
	ctx := context.Background()
	s, clock, c, voice, d := progressiveOnRecorder(t, 5)
	old := &unlisted{Store: s, rewritten: map[string]bool{}}
	d.Store = old
	if _, err := d.SetState(ctx, "a1", "op0", "g", dialer.Online); err != nil {
		t.Fatal(err)
	}
	st := dialer.NewState(c.PacerConfig(0))
	st.Indexed = false
	if err := s.PutPacerState(ctx, "a1", c.ID, st, 1); err != nil {
		t.Fatal(err)
	}
	if err := d.Pace(ctx, phonecampaign.PaceJob{AccountID: "a1", CampaignID: c.ID, Version: 1}); err != nil {
		t.Fatal(err)
	}
	if len(old.rewritten) != 5 {
		t.Fatalf("the first round rewrote %d entries, want all 5", len(old.rewritten))
	}
	saved, v, err := s.PacerState(ctx, "a1", c.ID)
	if err != nil || !saved.Indexed || v != 2 {
		t.Fatalf("pacer state %v at %d, %v; want it indexed at version 2", saved.Indexed, v, err)
	}
	clock.Advance(3 * time.Second)
	paceNow(t, s, d, c.ID, 1)
	if len(voice.placed) != 1 {
		t.Errorf("%d calls placed after the campaign was indexed, want 1", len(voice.placed))
	}
}
