package dispatch_test

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/campaign"
	"github.com/parleyhq/parley/internal/dispatch"
	"github.com/parleyhq/parley/internal/gateway/sandbox"
	"github.com/parleyhq/parley/internal/obs"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/queue"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
	"github.com/parleyhq/parley/internal/testworld"
)

// killed is what a dispatcher "dies" of: a panic at a step boundary, so
// nothing after it runs, cleanup included.
type killed struct{ step string }

// killer kills the dispatcher at step boundaries with probability p.
type killer struct {
	mu    sync.Mutex
	rng   *rand.Rand
	p     float64
	kills map[string]int
}

func (k *killer) at(step string) {
	k.mu.Lock()
	die := k.rng.Float64() < k.p
	if die {
		k.kills[step]++
	}
	k.mu.Unlock()
	if die {
		panic(killed{step})
	}
}

// dyingStore is the real store with the dispatcher killed around each call.
type dyingStore struct {
	dispatch.Store
	k *killer
}

func (s dyingStore) Campaign(ctx context.Context, a, c string) (parley.Campaign, error) {
	s.k.at("before reading the campaign")
	v, err := s.Store.Campaign(ctx, a, c)
	s.k.at("after reading the campaign")
	return v, err
}

func (s dyingStore) UpdateRecipient(ctx context.Context, ref parley.Ref, ch parley.RecipientChange) (parley.Recipient, error) {
	s.k.at("before writing " + string(ch.Status))
	r, err := s.Store.UpdateRecipient(ctx, ref, ch)
	s.k.at("after writing " + string(ch.Status))
	return r, err
}

func (s dyingStore) ClaimRange(ctx context.Context, refs []parley.Ref, ch parley.RecipientChange) []store.RangeClaim {
	s.k.at("before claiming a range")
	out := s.Store.ClaimRange(ctx, refs, ch)
	s.k.at("after claiming a range")
	return out
}

func (s dyingStore) RecordRange(ctx context.Context, recs []store.RangeRecord) []store.RangeClaim {
	s.k.at("before recording a range")
	out := s.Store.RecordRange(ctx, recs)
	s.k.at("after recording a range")
	return out
}

// dyingGateway is the sandbox with the dispatcher killed around each send:
// "after sending" is the provider having accepted a message whose outcome
// is never recorded.
type dyingGateway struct {
	*sandbox.Gateway
	k *killer
}

func (g dyingGateway) Send(ctx context.Context, m parley.Message) (string, error) {
	g.k.at("before sending")
	id, err := g.Gateway.Send(ctx, m)
	g.k.at("after sending")
	return id, err
}

// jobs is an SQS stand-in: delivered jobs are handed out in random order,
// each at least once.
type jobs struct {
	mu      sync.Mutex
	pending []queue.Message
}

func (j *jobs) Send(ctx context.Context, es ...queue.Entry) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, e := range es {
		j.pending = append(j.pending, queue.Message{ID: "m", Body: e.Body, Receipt: "r", ReceiveCount: 1})
	}
	return nil
}

func (j *jobs) take() []queue.Message {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := j.pending
	j.pending = nil
	return out
}

type noVisibility struct{}

func (noVisibility) ChangeVisibility(context.Context, string, time.Duration) error { return nil }

// survive runs f, reporting whether the dispatcher was killed in it.
func survive(f func()) (died bool) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(killed); !ok {
				panic(r)
			}
			died = true
		}
	}()
	f()
	return false
}

// TestKilledDispatchersNeverDuplicateOrLose delivers the jobs of 10,000
// recipients (range jobs of 1 to 25 recipients, and some send jobs beside
// them) one to three times each to dispatchers that die at random step boundaries. A job
// whose dispatcher died, or that asked for a retry, is delivered again
// until it finishes, as SQS does; the recipients a dead dispatcher left
// SENDING are settled by those redeliveries once the claims' leases have
// run out. Every recipient must have been sent exactly once.
func TestKilledDispatchersNeverDuplicateOrLose(t *testing.T) {
	s, _ := testworld.Open(t)
	killAndRedeliver(t, s, 10_000, false)
}

// TestRestartedSoleDispatcherSettlesAtOnce is the same with the only
// dispatcher of its store restarted after every round, under a new epoch,
// and no time passing: the claims the killed process left are taken over
// by the next one at once, never waiting for a lease, and still every
// recipient is sent exactly once.
func TestRestartedSoleDispatcherSettlesAtOnce(t *testing.T) {
	s, _ := testworld.Open(t)
	killAndRedeliver(t, s, 2_000, true)
}

// crashStore is what killAndRedeliver runs on: the whole store, and the
// sandbox's outbox.
type crashStore interface {
	store.Store
	store.Outbox
}

// killAndRedeliver runs n recipients' jobs through killed dispatchers (see
// TestKilledDispatchersNeverDuplicateOrLose). With restarts, every round is
// a new process of a Sole dispatcher and the clock stands still; without,
// the clock moves past the claims' lease after every round.
func killAndRedeliver(t *testing.T, s crashStore, n int, restarts bool) {
	ctx := context.Background()
	c, rs := storetest.Fixture("acct1", "camp1", n)
	if err := s.CreateCampaign(ctx, c, rs); err != nil {
		t.Fatal(err)
	}
	var clockMu sync.Mutex
	now := time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC) // noon in New York
	clock := parley.ClockFunc(func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return now })
	k := &killer{rng: rand.New(rand.NewPCG(3, 5)), p: 0.03, kills: map[string]int{}}
	rec := &countingRecorder{Outbox: s, sends: map[string]int{}}
	gw := &sandbox.Gateway{Recorder: rec, Clock: clock}
	d := &dispatch.Dispatcher{
		Store: dyingStore{s, k}, Sender: dyingGateway{gw, k}, Queue: noVisibility{}, Clock: clock, Log: obs.Discard(),
		StateTTL: dispatch.DefaultStateTTL,
	}
	q := &jobs{}
	check := &campaign.Service{Store: s, Queue: q, Clock: clock, Log: obs.Discard()}

	rng := rand.New(rand.NewPCG(7, 9))
	for _, body := range randomJobs(rng, rs) {
		for range 1 + rng.IntN(3) {
			_ = q.Send(ctx, queue.Entry{Body: body})
		}
	}
	deaths, rounds := 0, 0
	for ; rounds < 200; rounds++ {
		batch := q.take()
		if len(batch) == 0 {
			if _, err := check.EnqueueDue(ctx); err != nil {
				t.Fatal(err)
			}
			if left := unsettled(t, s, c, now); left == 0 && len(q.pending) == 0 {
				break
			}
			continue
		}
		if restarts {
			d.Sole, d.Epoch = true, fmt.Sprintf("process-%d", rounds)
			deaths += deliver(ctx, d, q, batch)
			continue
		}
		deaths += deliver(ctx, d, q, batch)
		// Jobs come back after their retry delay: at the latest when the
		// claims of the dispatchers killed in this round have run out.
		clockMu.Lock()
		now = now.Add(dispatch.ClaimLease + time.Second)
		clockMu.Unlock()
	}
	sentOnce(t, s, rec, rs)
	t.Logf("the jobs of %d recipients delivered to dispatchers killed %d times (%v) settled in %d rounds", n, deaths, k.kills, rounds)
}

// randomJobs cuts rs (a campaign's recipients in Seq order) into range
// jobs of 1 to parley.ChunkSize recipients within their chunks, a run of
// one being a send job; a tenth of the recipients get a send job of their
// own besides, as a window check racing the fan-out would queue.
func randomJobs(rng *rand.Rand, rs []parley.Recipient) [][]byte {
	var bodies [][]byte
	for start := 0; start < len(rs); {
		first := rs[start]
		end := min(start+1+rng.IntN(parley.ChunkSize), len(rs), (parley.ChunkOf(first.Seq)+1)*parley.ChunkSize)
		if end-start == 1 {
			bodies = append(bodies, queue.SendJob(first.Ref()))
		} else {
			bodies = append(bodies, queue.RangeJob{AccountID: first.AccountID, CampaignID: first.CampaignID, From: first.Seq, To: rs[end-1].Seq}.Encode())
		}
		start = end
	}
	for _, r := range rs {
		if rng.IntN(10) == 0 {
			bodies = append(bodies, queue.SendJob(r.Ref()))
		}
	}
	return bodies
}

// deliver hands the batch to 32 dispatchers at once; a job whose dispatcher
// died or asked for a retry is delivered again later.
func deliver(ctx context.Context, d *dispatch.Dispatcher, q *jobs, batch []queue.Message) int {
	var mu sync.Mutex
	deaths := 0
	var wg sync.WaitGroup
	work := make(chan queue.Message)
	for range 32 {
		wg.Go(func() {
			for m := range work {
				var err error
				if survive(func() { err = d.Handle(ctx, m) }) || err != nil {
					mu.Lock()
					deaths++
					m.ReceiveCount++
					q.pending = append(q.pending, m)
					mu.Unlock()
				}
			}
		})
	}
	for _, m := range batch {
		work <- m
	}
	close(work)
	wg.Wait()
	return deaths
}

// unsettled counts recipients not yet SENT.
func unsettled(t *testing.T, s interface {
	Recipients(context.Context, string, string, int, int) ([]parley.Recipient, error)
}, c parley.Campaign, _ time.Time) int {
	t.Helper()
	left := 0
	for after := 0; ; {
		page, err := s.Recipients(context.Background(), c.AccountID, c.ID, after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			return left
		}
		for _, r := range page {
			if r.Status != parley.StatusSent {
				left++
			}
		}
		after = page[len(page)-1].Seq
	}
}

// countingRecorder counts the messages the sandbox records per recipient:
// the outbox answers only an account's newest ones.
type countingRecorder struct {
	store.Outbox
	mu    sync.Mutex
	sends map[string]int
}

func (c *countingRecorder) RecordSandbox(ctx context.Context, m parley.SentMessage) error {
	if err := c.Outbox.RecordSandbox(ctx, m); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sends[m.RecipientID]++
	return nil
}

func sentOnce(t *testing.T, s interface {
	Recipient(context.Context, parley.Ref) (parley.Recipient, error)
}, rec *countingRecorder, rs []parley.Recipient) {
	t.Helper()
	rec.mu.Lock()
	sends := maps.Clone(rec.sends)
	rec.mu.Unlock()
	dup, lost := 0, 0
	for _, r := range rs {
		switch sends[r.ID] {
		case 1:
		case 0:
			lost++
		default:
			dup++
		}
		got, err := s.Recipient(context.Background(), r.Ref())
		if err != nil || got.Status != parley.StatusSent {
			t.Errorf("recipient %s ended %s (%v)", r.ID, got.Status, err)
		}
	}
	if dup != 0 || lost != 0 {
		t.Fatalf("%d recipients sent more than once, %d never sent (%s)", dup, lost, fmt.Sprint(total(sends), " messages"))
	}
}

func total(sends map[string]int) int {
	n := 0
	for _, c := range sends {
		n += c
	}
	return n
}
