package app_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/app"
	"github.com/parleyhq/parley/internal/campaign"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/queue"
)

// faultyQueue is the campaign service's queue with faults: the Send calls
// numbered in fail (from 1) pass on only the first half of their entries and
// then fail, as a process that dies mid-way would (of a single entry, that
// entry: the process died before the queue's answer). It counts the send jobs
// that reached the queue per recipient.
type faultyQueue struct {
	campaign.Queue
	mu     sync.Mutex
	calls  int
	fail   map[int]bool
	queued map[string]int // recipient id → send jobs queued
	cut    int            // recipients queued by the calls that then failed
}

func (q *faultyQueue) Send(ctx context.Context, entries ...queue.Entry) error {
	q.mu.Lock()
	q.calls++
	failing := q.fail[q.calls]
	q.mu.Unlock()
	if failing {
		entries = entries[:(len(entries)+1)/2]
	}
	if err := q.Queue.Send(ctx, entries...); err != nil {
		return err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, e := range entries {
		if k := queue.KindOf(e.Body); k == queue.JobSend || k == queue.JobRange {
			refs, _ := queue.DecodeRecipients(e.Body)
			for _, ref := range refs {
				q.queued[ref.RecipientID]++
				if failing {
					q.cut++
				}
			}
		}
	}
	if failing {
		return parley.Errorf(parley.EUNAVAILABLE, "injected: send call %d stopped half-way", q.calls)
	}
	return nil
}

// faultyStore fails the fan-out progress marks numbered in fail (from 1):
// a dispatcher that stops after queueing the next fan-out job but before
// recording progress.
type faultyStore struct {
	campaign.Store
	mu    sync.Mutex
	calls int
	fail  map[int]bool
}

func (s *faultyStore) SetFannedOut(ctx context.Context, accountID, campaignID string, n int) error {
	s.mu.Lock()
	s.calls++
	failing := s.fail[s.calls]
	s.mu.Unlock()
	if failing {
		return parley.Errorf(parley.EUNAVAILABLE, "injected: progress mark %d lost", n)
	}
	return s.Store.SetFannedOut(ctx, accountID, campaignID, n)
}

// TestAsyncFanoutSurvivesFaults runs an upload through the AWS path
// (DynamoDB and SQS on moto_server) with the fan-out failing at every step
// it has: the intake's first fan-out job is lost, a chunk stops half-way
// through queueing its recipients, and progress marks are lost after the
// next job was queued. The window check's safety net starts the chain,
// redelivered jobs redo their chunks, and in the end every recipient was
// queued at least once and sent exactly once.
func TestAsyncFanoutSurvivesFaults(t *testing.T) {
	const n, chunk = 70, 20
	ctx := context.Background()
	a := awsApp(t)
	if !a.Campaigns.Async {
		t.Fatal("the AWS backend fans out inline")
	}
	a.Dispatcher.Limiter = nil
	q := &faultyQueue{Queue: a.Campaigns.Queue, queued: map[string]int{}, fail: map[int]bool{
		1: true, // Create's first fan-out job: nothing reaches the queue
		3: true, // the first chunk's recipients: half of them
	}}
	a.Campaigns.Queue = q
	// Progress marks fall at 20, 40, 60 and 70. Losing the one at 40 does
	// no harm (the job after it is queued); losing the last one makes its
	// chunk run again.
	a.Campaigns.Store = &faultyStore{Store: a.Campaigns.Store, fail: map[int]bool{2: true, 4: true}}
	a.Campaigns.JobChunk, a.Campaigns.ResumeDelay = chunk, -1

	var csv strings.Builder
	csv.WriteString("Phone,Message\n")
	for i := range n {
		fmt.Fprintf(&csv, "+1202555%04d,Hi %d\n", i, i)
	}
	acc, err := a.Campaigns.Create(ctx, "acct1", campaign.Draft{
		Name: "big", Skill: "s", TemplateID: parley.PlainSMSTemplateID, OutboundNumber: "+12025550100",
		Consent: true, Message: "Hello", CSV: strings.NewReader(csv.String()),
	})
	if err != nil || len(acc.Accepted) != n {
		t.Fatalf("Create: %d accepted, %v", len(acc.Accepted), err)
	}
	c := acc.Campaign
	if q.calls != 1 || len(q.queued) != 0 {
		t.Fatalf("Create made %d queue calls and queued %d recipients; want only the fan-out job", q.calls, len(q.queued))
	}

	// The window check finds the campaign's fan-out pending and queues the
	// job Create could not.
	if err := a.Campaigns.ResumeFanout(ctx, 0); err != nil {
		t.Fatal(err)
	}
	// First only the fan-out jobs run, so that the send jobs a failed chunk
	// queued are still waiting when the chunk runs again; then the send
	// jobs run, duplicates and all.
	held := fanOut(t, a, c)
	for batch := range slices.Chunk(held, queue.MaxBatch) {
		var done []string
		for i, err := range a.Dispatcher.HandleBatch(ctx, batch) {
			if err == nil {
				done = append(done, batch[i].Receipt)
			}
		}
		if err := a.Queue.Delete(ctx, done...); err != nil {
			t.Fatal(err)
		}
	}
	runCtx, cancel := context.WithCancel(ctx)
	stopped := make(chan struct{})
	go func() { a.Dispatcher.Run(runCtx, a.Queue, 2); close(stopped) }()
	defer func() { cancel(); <-stopped }()
	var rep campaign.Report
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if rep, err = a.Campaigns.Report(ctx, c.AccountID, c.ID); err != nil {
			t.Fatal(err)
		}
		if rep.Status == parley.CampaignCompleted {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not all sent: status %s", rep.Status)
		}
	}
	cancel()
	<-stopped

	twice := 0
	for _, r := range rep.Recipients {
		if r.Status != parley.StatusSent {
			t.Errorf("recipient %s is %s", r.ID, r.Status)
		}
		switch q.queued[r.ID] {
		case 0:
			t.Errorf("recipient %s was never queued", r.ID)
		case 1:
		default:
			twice++
		}
	}
	if last := n % chunk; q.cut == 0 || twice < q.cut+last {
		t.Errorf("%d recipients queued more than once; want at least the %d of the chunk that stopped half-way and the %d of the last chunk",
			twice, q.cut, last)
	}
	sent, err := a.Sandbox.Messages(ctx, "acct1")
	if err != nil {
		t.Fatal(err)
	}
	per := map[string]int{}
	for _, m := range sent {
		per[m.RecipientID]++
	}
	if len(sent) != n || len(per) != n {
		t.Errorf("%d messages to %d recipients; want each of %d sent once", len(sent), len(per), n)
	}
	if pending, err := a.Store.PendingFanout(ctx); err != nil || len(pending) != 0 {
		t.Errorf("pending fan-outs after the end: %d, %v", len(pending), err)
	}
	t.Logf("%d queue calls; %d of %d recipients queued more than once", q.calls, twice, n)
}

// fanOut runs the fan-out jobs on a's queue until c's fan-out is done, and
// returns the send jobs it received meanwhile, unhandled.
func fanOut(t *testing.T, a *app.App, c parley.Campaign) []queue.Message {
	t.Helper()
	ctx := context.Background()
	var held []queue.Message
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		got, err := a.Store.Campaign(ctx, c.AccountID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.FanoutDone() {
			return held
		}
		ms, err := a.Queue.Receive(ctx, queue.MaxBatch, time.Second, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			if queue.KindOf(m.Body) != queue.JobFanout {
				held = append(held, m)
				continue
			}
			if err := a.Dispatcher.Handle(ctx, m); err == nil {
				if err := a.Queue.Delete(ctx, m.Receipt); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	t.Fatal("the fan-out did not finish")
	return nil
}
