package eventpush_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/clocktest"
	"github.com/parleyhq/parley/internal/egress"
	"github.com/parleyhq/parley/internal/eventpush"
	"github.com/parleyhq/parley/internal/inbound/agentpush"
	"github.com/parleyhq/parley/internal/obs"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/queue"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/testworld"
)

const secret = "whsec-0123456789abcdef0123456789abcdef"

// A Sink is what the lifecycle feed publishes to.
var _ interface {
	Publish(ctx context.Context, events []parley.Event) error
} = (*eventpush.Sink)(nil)

var start = time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC)

// answer is what the brand's endpoint answers one POST with.
type answer struct {
	status     int
	retryAfter string
	hang       bool // never answer: the client times out
}

// endpoint is a brand's webhook endpoint: it checks every POST as a brand
// would (signature within 5 minutes of its clock, headers matching the
// body), deduplicates by event id and answers as scripted, then 200.
type endpoint struct {
	t      *testing.T
	clock  parley.Clock
	secret string

	mu        sync.Mutex
	script    []answer
	posts     int
	seen      map[string]int // event id → POSTs
	delivered []parley.Event // once per id: what a deduplicating receiver processes
	srv       *httptest.Server
}

func newEndpoint(t *testing.T, clock parley.Clock, script ...answer) *endpoint {
	e := &endpoint{t: t, clock: clock, secret: secret, script: script, seen: map[string]int{}}
	e.srv = httptest.NewServer(http.HandlerFunc(e.serve))
	t.Cleanup(e.srv.Close)
	return e
}

func (e *endpoint) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	e.mu.Lock()
	if err := agentpush.Verify(e.secret, r.Header.Get("Parley-Signature"), body, e.clock.Now(), 0); err != nil {
		e.mu.Unlock()
		e.t.Errorf("POST with a bad signature: %v", err)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var ev parley.Event
	if err := json.Unmarshal(body, &ev); err != nil {
		e.t.Errorf("body is not an event: %v", err)
	}
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" ||
		r.Header.Get("Parley-Event") != string(ev.Type) || r.Header.Get("Parley-Delivery") != ev.ID ||
		r.Header.Get("User-Agent") != eventpush.UserAgent {
		e.t.Errorf("request %s %v does not match event %+v", r.Method, r.Header, ev)
	}
	e.posts++
	a := answer{status: http.StatusOK}
	if len(e.script) > 0 {
		a, e.script = e.script[0], e.script[1:]
	}
	if a.status/100 == 2 {
		if e.seen[ev.ID] == 0 {
			e.delivered = append(e.delivered, ev)
		}
		e.seen[ev.ID]++
	}
	e.mu.Unlock()
	if a.hang {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
		return
	}
	if a.retryAfter != "" {
		w.Header().Set("Retry-After", a.retryAfter)
	}
	w.WriteHeader(a.status)
}

func (e *endpoint) counts() (posts int, delivered []parley.Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.posts, append([]parley.Event(nil), e.delivered...)
}

// fakeQueue is the event queue as a test drives it: it keeps what is sent,
// checked as a queue checks it, and can fail.
type fakeQueue struct {
	mu      sync.Mutex
	entries []queue.Entry
	fail    error
}

func (q *fakeQueue) Send(ctx context.Context, es ...queue.Entry) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.fail != nil {
		return q.fail
	}
	if err := queue.CheckEntries(es); err != nil {
		return err
	}
	q.entries = append(q.entries, es...)
	return nil
}

// next takes the oldest entry.
func (q *fakeQueue) next() (queue.Entry, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.entries) == 0 {
		return queue.Entry{}, false
	}
	e := q.entries[0]
	q.entries = q.entries[1:]
	return e, true
}

func (q *fakeQueue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.entries)
}

type world struct {
	store    store.Store
	queue    *fakeQueue
	clock    *clocktest.Clock
	sink     *eventpush.Sink
	deliver  *eventpush.Deliverer
	endpoint *endpoint
	sub      parley.EventSubscription
}

// newWorld subscribes acct1 to every event at an endpoint answering script.
func newWorld(t *testing.T, script ...answer) *world {
	s, _ := testworld.Open(t)
	w := &world{store: s, queue: &fakeQueue{}, clock: clocktest.New(start)}
	w.endpoint = newEndpoint(t, w.clock, script...)
	w.sub = parley.EventSubscription{ID: "sub1", AccountID: "acct1", URL: w.endpoint.srv.URL + "/hooks?token=t0ken",
		Types: []parley.EventType{parley.EventTypeAll}, Secret: secret, CreatedAt: start, UpdatedAt: start}
	if err := s.CreateEventSubscription(context.Background(), w.sub); err != nil {
		t.Fatal(err)
	}
	w.sink = eventpush.NewSink(s, w.queue, nil, w.clock, obs.Discard())
	hc := egress.Policy{AllowLoopback: true}.Client(300 * time.Millisecond)
	w.deliver = eventpush.NewDeliverer(s, w.queue, hc, w.clock, obs.Discard())
	w.deliver.Jitter = func(time.Duration) time.Duration { return 0 }
	return w
}

func event(id string, typ parley.EventType) parley.Event {
	return parley.Event{ID: id, Type: typ, AccountID: "acct1", At: start, CampaignID: "camp1", RecipientID: "r1", Consumer: "+12025550123", Status: "DELIVERED"}
}

// step lets the next queued job's delay pass and hands it to the
// deliverer, as the queue would; it returns the delay and the job's result.
func (w *world) step(t *testing.T) (time.Duration, error, bool) {
	t.Helper()
	e, ok := w.queue.next()
	if !ok {
		return 0, nil, false
	}
	w.clock.Advance(e.Delay)
	errs := w.deliver.HandleBatch(context.Background(), []queue.Message{{ID: "m", Body: e.Body, Receipt: "r", ReceiveCount: 1}})
	return e.Delay, errs[0], true
}

func (w *world) deliveries(t *testing.T) []parley.EventDelivery {
	t.Helper()
	ds, err := w.store.EventDeliveries(context.Background(), "acct1", w.sub.ID, store.MaxEventDeliveries)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func TestPublishQueuesOneJobPerWantingSubscription(t *testing.T) {
	ctx := context.Background()
	s, _ := testworld.Open(t)
	subs := []parley.EventSubscription{
		{ID: "a", AccountID: "acct1", URL: "https://a.example.com", Types: []parley.EventType{parley.EventDelivered}, Secret: secret},
		{ID: "b", AccountID: "acct1", URL: "https://b.example.com", Types: []parley.EventType{parley.EventTypeAll}, Secret: secret},
		{ID: "c", AccountID: "acct1", URL: "https://c.example.com", Types: []parley.EventType{parley.EventTypeAll}, Secret: secret, Disabled: true},
		{ID: "d", AccountID: "acct2", URL: "https://d.example.com", Types: []parley.EventType{parley.EventSent}, Secret: secret},
	}
	for _, sub := range subs {
		if err := s.CreateEventSubscription(ctx, sub); err != nil {
			t.Fatal(err)
		}
	}
	q, bus := &fakeQueue{}, &fakeBus{}
	sink := eventpush.NewSink(s, q, bus, clocktest.New(start), obs.Discard())
	other := event("ev3", parley.EventSent)
	other.AccountID = "acct2"
	events := []parley.Event{event("ev1", parley.EventSent), event("ev2", parley.EventDelivered), other, {Type: parley.EventSent, AccountID: "acct1"}, event("ev4", parley.EventRead)}
	if err := sink.Publish(ctx, events); err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		e, ok := q.next()
		if !ok {
			break
		}
		j, err := eventpush.DecodeJob(e.Body)
		if err != nil || e.Delay != 0 || j.Attempt != 0 || !j.Since.Equal(start) {
			t.Fatalf("job %s (delay %s): %+v, %v", e.Body, e.Delay, j, err)
		}
		got = append(got, j.Event.ID+">"+j.SubscriptionID)
	}
	if want := "ev1>b ev2>a ev2>b ev3>d ev4>b"; strings.Join(got, " ") != want {
		t.Errorf("jobs %q, want %q", got, want)
	}
	if len(bus.put) != 4 {
		t.Errorf("the bus got %d events, want the 4 valid ones", len(bus.put))
	}

	bus.fail = errors.New("bus down")
	if err := sink.Publish(ctx, events[:1]); parley.ErrorCode(err) != parley.EUNAVAILABLE {
		t.Errorf("Publish with the bus failing = %v, want EUNAVAILABLE", err)
	}
	q.fail = errors.New("queue down")
	if err := sink.Publish(ctx, events[:1]); parley.ErrorCode(err) != parley.EUNAVAILABLE {
		t.Errorf("Publish with the queue failing = %v, want EUNAVAILABLE", err)
	}
	if err := sink.Publish(ctx, []parley.Event{{ID: "no account", Type: parley.EventSent}}); err != nil {
		t.Errorf("Publish of events that can never be delivered = %v, want them dropped", err)
	}
}

type fakeBus struct {
	put  []parley.Event
	fail error
}

func (b *fakeBus) Put(ctx context.Context, events []parley.Event) error {
	if b.fail != nil {
		return b.fail
	}
	b.put = append(b.put, events...)
	return nil
}

func TestDeliveryRetriesUntilDelivered(t *testing.T) {
	w := newWorld(t, answer{status: 500}, answer{hang: true}, answer{status: 429, retryAfter: "120"}, answer{status: 503, retryAfter: start.Add(time.Hour).Format(http.TimeFormat)}, answer{status: 408})
	if err := w.sink.Publish(context.Background(), []parley.Event{event("ev1", parley.EventDelivered)}); err != nil {
		t.Fatal(err)
	}
	var delays []time.Duration
	for {
		d, err, ok := w.step(t)
		if !ok {
			break
		}
		if err != nil {
			t.Fatalf("HandleBatch: %v", err)
		}
		delays = append(delays, d)
	}
	// Publish's 0, then backoff 5 s (10 s, half fixed, no jitter), 10 s,
	// Retry-After 120 s over 20 s, the rest of the hour the HTTP date asked
	// for (in hops of at most 900 s), then 80 s (160 s, half fixed).
	rest := time.Hour - (5+10+120)*time.Second - 3*queue.MaxDelay
	want := []time.Duration{0, 5 * time.Second, 10 * time.Second, 120 * time.Second, queue.MaxDelay, queue.MaxDelay, queue.MaxDelay, rest, 80 * time.Second}
	if len(delays) != len(want) {
		t.Fatalf("delays %v, want %v", delays, want)
	}
	for i := range want {
		if delays[i] != want[i] {
			t.Errorf("delay %d = %s, want %s (all: %v)", i, delays[i], want[i], delays)
		}
	}
	posts, delivered := w.endpoint.counts()
	if posts != 6 || len(delivered) != 1 || delivered[0].ID != "ev1" || delivered[0].Consumer != "+12025550123" {
		t.Errorf("the endpoint got %d POSTs and processed %+v; want 6 POSTs of one event", posts, delivered)
	}
	ds := w.deliveries(t)
	outcomes := make([]string, len(ds))
	for i, d := range ds {
		outcomes[i] = strconv.Itoa(d.Attempt) + ":" + d.Outcome + ":" + strconv.Itoa(d.Status)
	}
	if got, want := strings.Join(outcomes, " "), "6:delivered:200 5:retrying:408 4:retrying:503 3:retrying:429 2:retrying:0 1:retrying:500"; got != want {
		t.Errorf("recorded %s, want %s", got, want)
	}
	if ds[4].Error != "timed out" || strings.Contains(ds[4].Error, "t0ken") {
		t.Errorf("the timed-out attempt's error = %q; want \"timed out\", without the URL", ds[4].Error)
	}
	if !ds[1].NextAttemptAt.Equal(ds[0].At) {
		t.Errorf("attempt 5 said the next attempt is at %s, it was at %s", ds[1].NextAttemptAt, ds[0].At)
	}
}

func TestDeliveryRetriesForADayThenAbandons(t *testing.T) {
	for name, jitter := range map[string]func(time.Duration) time.Duration{
		"shortest waits": func(time.Duration) time.Duration { return 0 },
		"longest waits":  func(d time.Duration) time.Duration { return d - 1 },
	} {
		t.Run(name, func(t *testing.T) {
			down := make([]answer, 1000)
			for i := range down {
				down[i] = answer{status: http.StatusServiceUnavailable}
			}
			w := newWorld(t, down...)
			w.deliver.Jitter = jitter
			if err := w.sink.Publish(context.Background(), []parley.Event{event("ev1", parley.EventFailed)}); err != nil {
				t.Fatal(err)
			}
			hops := 0
			for {
				d, err, ok := w.step(t)
				if !ok {
					break
				}
				if err != nil || d > queue.MaxDelay {
					t.Fatalf("hop %d: delay %s, %v", hops, d, err)
				}
				hops++
			}
			ds := w.deliveries(t)
			last, first := ds[0], ds[len(ds)-1]
			if last.Outcome != parley.DeliveryAbandoned || last.At.Sub(start) < 24*time.Hour {
				t.Errorf("last attempt %+v, %s after the event; want abandoned after at least 24 h", last, last.At.Sub(start))
			}
			if first.Attempt != 1 || !first.At.Equal(start) || len(ds) != last.Attempt {
				t.Errorf("%d attempts recorded, first %+v, last %+v", len(ds), first, last)
			}
			for _, d := range ds[1:] {
				if d.Outcome != parley.DeliveryRetrying {
					t.Errorf("attempt %d: %s, want retrying", d.Attempt, d.Outcome)
				}
			}
			posts, _ := w.endpoint.counts()
			if posts != last.Attempt {
				t.Errorf("%d POSTs for %d attempts", posts, last.Attempt)
			}
			t.Logf("%d attempts in %d queue hops, the last %s after the event", last.Attempt, hops, last.At.Sub(start))
		})
	}
}

func TestDeliveryStopsWhenRefused(t *testing.T) {
	for _, status := range []int{400, 401, 404, 410, 301} {
		w := newWorld(t, answer{status: status})
		if err := w.sink.Publish(context.Background(), []parley.Event{event("ev1", parley.EventSent)}); err != nil {
			t.Fatal(err)
		}
		w.step(t)
		if n := w.queue.len(); n != 0 {
			t.Errorf("HTTP %d: %d jobs queued again", status, n)
		}
		ds := w.deliveries(t)
		if len(ds) != 1 || ds[0].Outcome != parley.DeliveryRefused || ds[0].Status != status || !strings.Contains(ds[0].Error, strconv.Itoa(status)) {
			t.Errorf("HTTP %d: recorded %+v", status, ds)
		}
	}
}

func TestDeliveryRefusesInternalAddresses(t *testing.T) {
	w := newWorld(t)
	w.deliver.HTTP = egress.Policy{}.Client(time.Second) // production's: loopback refused
	if err := w.sink.Publish(context.Background(), []parley.Event{event("ev1", parley.EventSent)}); err != nil {
		t.Fatal(err)
	}
	w.step(t)
	if posts, _ := w.endpoint.counts(); posts != 0 || w.queue.len() != 0 {
		t.Errorf("%d POSTs reached a loopback endpoint; %d jobs queued again", posts, w.queue.len())
	}
	if ds := w.deliveries(t); len(ds) != 1 || ds[0].Outcome != parley.DeliveryRefused || !strings.Contains(ds[0].Error, "not a public address") {
		t.Errorf("recorded %+v", ds)
	}
}

func TestDeliveryFollowsTheSubscription(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, answer{status: 500})
	if err := w.sink.Publish(ctx, []parley.Event{event("ev1", parley.EventSent), event("ev2", parley.EventReplied)}); err != nil {
		t.Fatal(err)
	}
	w.step(t) // ev1: 500, queued again
	// The brand rotates its secret: the retry is signed with the new one.
	rotated := w.sub
	rotated.Secret, rotated.Types = secret+"-rotated", []parley.EventType{parley.EventSent}
	if err := w.store.UpdateEventSubscription(ctx, rotated); err != nil {
		t.Fatal(err)
	}
	w.endpoint.mu.Lock()
	w.endpoint.secret = rotated.Secret.Reveal()
	w.endpoint.mu.Unlock()
	w.step(t) // ev2: no longer wanted
	w.step(t) // ev1 again: delivered with the new secret
	if _, delivered := w.endpoint.counts(); len(delivered) != 1 || delivered[0].ID != "ev1" {
		t.Errorf("delivered %+v, want ev1 alone", delivered)
	}
	if err := w.sink.Publish(ctx, []parley.Event{event("ev3", parley.EventSent)}); err != nil {
		t.Fatal(err)
	}
	if err := w.store.DeleteEventSubscription(ctx, "acct1", "sub1"); err != nil {
		t.Fatal(err)
	}
	if _, err, _ := w.step(t); err != nil {
		t.Errorf("the job of a deleted subscription: %v, want it finished", err)
	}
	if posts, _ := w.endpoint.counts(); posts != 2 {
		t.Errorf("%d POSTs, want 2 (none after the delete)", posts)
	}
}

func TestDeliveryDuplicatesShareTheEventID(t *testing.T) {
	w := newWorld(t)
	ev := event("ev1", parley.EventOptedOut)
	// The feed publishes the same change twice (a retried stream batch).
	for range 2 {
		if err := w.sink.Publish(context.Background(), []parley.Event{ev}); err != nil {
			t.Fatal(err)
		}
	}
	for _, _, ok := w.step(t); ok; _, _, ok = w.step(t) {
	}
	posts, delivered := w.endpoint.counts()
	if posts != 2 || len(delivered) != 1 {
		t.Errorf("%d POSTs, %d events after deduplication by id; want 2 and 1", posts, len(delivered))
	}
}

func TestDeliveryLeavesTheJobWhenTheQueueFails(t *testing.T) {
	w := newWorld(t, answer{status: 502})
	if err := w.sink.Publish(context.Background(), []parley.Event{event("ev1", parley.EventSent)}); err != nil {
		t.Fatal(err)
	}
	w.queue.fail = errors.New("queue down")
	if _, err, _ := w.step(t); err == nil {
		t.Error("a job whose retry could not be queued was finished")
	}
	errs := w.deliver.HandleBatch(context.Background(), []queue.Message{{ID: "m", Body: []byte(`{"s":"sub1"}`)}})
	if errs[0] != nil {
		t.Errorf("a malformed job: %v, want it dropped", errs[0])
	}
}

func TestPing(t *testing.T) {
	w := newWorld(t)
	rec := w.deliver.Ping(context.Background(), w.sub)
	if rec.Outcome != parley.DeliveryDelivered || rec.Status != 200 || rec.EventType != eventpush.EventPing || !strings.HasPrefix(rec.EventID, "ping_") {
		t.Errorf("Ping = %+v", rec)
	}
	if ds := w.deliveries(t); len(ds) != 1 || ds[0].EventID != rec.EventID {
		t.Errorf("recorded %+v", ds)
	}
	down := newWorld(t, answer{status: 500})
	if rec := down.deliver.Ping(context.Background(), down.sub); rec.Outcome != parley.DeliveryAbandoned || down.queue.len() != 0 {
		t.Errorf("Ping of a failing endpoint = %+v (%d queued); want abandoned, not retried", rec, down.queue.len())
	}
}

// TestRun delivers through the embedded queue, as parley serve does.
func TestRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, q := testworld.Open(t)
	clock := clocktest.New(start)
	ep := newEndpoint(t, clock)
	sub := parley.EventSubscription{ID: "sub1", AccountID: "acct1", URL: ep.srv.URL, Types: []parley.EventType{parley.EventTypeAll}, Secret: secret}
	if err := s.CreateEventSubscription(ctx, sub); err != nil {
		t.Fatal(err)
	}
	d := eventpush.NewDeliverer(s, q, egress.Policy{AllowLoopback: true}.Client(time.Second), clock, obs.Discard())
	done := make(chan struct{})
	go func() { d.Run(ctx, q, 2); close(done) }()
	events := []parley.Event{event("ev1", parley.EventSent), event("ev2", parley.EventDelivered), event("ev3", parley.EventRead)}
	if err := eventpush.NewSink(s, q, nil, clock, obs.Discard()).Publish(ctx, events); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, delivered := ep.counts(); len(delivered) == len(events) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the events were not delivered")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if ms, err := q.Receive(context.Background(), 10, 0, time.Second); err != nil || len(ms) != 0 {
		t.Errorf("jobs left on the queue: %d, %v", len(ms), err)
	}
}

func FuzzDecodeJob(f *testing.F) {
	f.Add(eventpush.Job{SubscriptionID: "s", Since: start, Event: event("ev1", parley.EventSent)}.Encode())
	f.Add([]byte(`{"s":"x","n":-1,"f":"2026-01-01T00:00:00Z","e":{"id":"a","type":"t","accountId":"b"}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		j, err := eventpush.DecodeJob(body)
		if err != nil {
			if parley.ErrorCode(err) != parley.EINVALID {
				t.Fatalf("DecodeJob(%q) = %v, want EINVALID", body, err)
			}
			return
		}
		again, err := eventpush.DecodeJob(j.Encode())
		if err != nil || again.Event.ID != j.Event.ID || again.SubscriptionID != j.SubscriptionID || again.Attempt != j.Attempt {
			t.Fatalf("a decoded job does not survive encoding: %+v, %+v, %v", j, again, err)
		}
	})
}
