package campaign_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/campaign"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/queue"
)

// drain receives everything on the world's queue: the fan-out jobs and the
// recipient ids of the send jobs, in the order received.
func (w *world) drain(t *testing.T) (jobs []queue.FanoutJob, sends []string) {
	t.Helper()
	for {
		ms, err := w.queue.Receive(context.Background(), 10, 0, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) == 0 {
			return jobs, sends
		}
		for _, m := range ms {
			if queue.KindOf(m.Body) == queue.JobFanout {
				j, err := queue.DecodeFanoutJob(m.Body)
				if err != nil {
					t.Fatal(err)
				}
				jobs = append(jobs, j)
				continue
			}
			refs, err := queue.DecodeRecipients(m.Body)
			if err != nil {
				t.Fatal(err)
			}
			for _, ref := range refs {
				sends = append(sends, ref.RecipientID)
			}
		}
	}
}

func TestAsyncFanout(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	w.svc.Async, w.svc.JobChunk = true, 10
	var numbers []string
	for i := range 34 {
		numbers = append(numbers, fmt.Sprintf("+1202555%04d", 100+i))
	}
	// Midnight in Tokyo: recipient 35 waits in the due index, not the queue.
	numbers = append(numbers, "+81312345678")
	acc, err := w.svc.Create(ctx, "acct1", draft(numbers...))
	if err != nil {
		t.Fatal(err)
	}
	if s := acc.Recipients[34].Status; s != parley.StatusScheduled {
		t.Fatalf("the Tokyo recipient is %s, want SCHEDULED", s)
	}
	jobs, sends := w.drain(t)
	want := queue.FanoutJob{AccountID: "acct1", CampaignID: acc.Campaign.ID}
	if len(sends) != 0 || !slices.Equal(jobs, []queue.FanoutJob{want}) {
		t.Fatalf("Create queued %v and sends %v; want only the fan-out job %v", jobs, sends, want)
	}

	// Each job queues its chunk and the job for the next one.
	var ran []int
	var queued []string
	for len(jobs) > 0 {
		j := jobs[0]
		ran = append(ran, j.After)
		if err := w.svc.FanoutChunk(ctx, j); err != nil {
			t.Fatal(err)
		}
		next, sends := w.drain(t)
		jobs = append(jobs[1:], next...)
		queued = append(queued, sends...)
	}
	if !slices.Equal(ran, []int{0, 10, 20, 30}) {
		t.Errorf("fan-out jobs ran after %v, want 0, 10, 20, 30", ran)
	}
	slices.Sort(queued)
	var wantQueued []string
	for i := 1; i <= 34; i++ {
		wantQueued = append(wantQueued, parley.RecipientID(i))
	}
	if !slices.Equal(queued, wantQueued) {
		t.Errorf("queued %v, want recipients 1..34 once each", queued)
	}
	c, err := w.store.Campaign(ctx, "acct1", acc.Campaign.ID)
	if err != nil || !c.FanoutDone() {
		t.Fatalf("after the last job: %+v, %v; want fan-out done", c, err)
	}

	// A job run again after progress passed it does nothing; so does one
	// of a campaign that does not exist.
	for _, j := range []queue.FanoutJob{want, {AccountID: "acct1", CampaignID: "nope"}} {
		if err := w.svc.FanoutChunk(ctx, j); err != nil {
			t.Errorf("FanoutChunk(%v) = %v", j, err)
		}
	}
	if jobs, sends := w.drain(t); len(jobs)+len(sends) != 0 {
		t.Errorf("a stale job queued %v and %v", jobs, sends)
	}
}

func TestAsyncFanoutRedoesAFailedChunk(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	w.svc.Async, w.svc.JobChunk = true, 10
	var numbers []string
	for i := range 15 {
		numbers = append(numbers, fmt.Sprintf("+1202555%04d", 100+i))
	}
	acc, err := w.svc.Create(ctx, "acct1", draft(numbers...))
	if err != nil {
		t.Fatal(err)
	}
	first, _ := w.drain(t)
	// The chunk's recipients are queued, the next job is not: the job fails
	// and must run again, which queues the chunk again.
	w.svc.Queue = &brokenQueue{Queue: w.queue, ok: 1}
	if err := w.svc.FanoutChunk(ctx, first[0]); err == nil {
		t.Fatal("a fan-out job that could not queue the next one succeeded")
	}
	if c, _ := w.store.Campaign(ctx, "acct1", acc.Campaign.ID); c.FannedOut != 0 {
		t.Fatalf("progress %d recorded before the next job was queued", c.FannedOut)
	}
	w.svc.Queue = w.queue
	if err := w.svc.FanoutChunk(ctx, first[0]); err != nil {
		t.Fatal(err)
	}
	next, sends := w.drain(t)
	if len(sends) != 20 || len(next) != 1 || next[0].After != 10 {
		t.Fatalf("after the redo: %d sends, jobs %v; want chunk 1..10 twice and the job after 10", len(sends), next)
	}
}

func TestAsyncResumeQueuesADelayedJob(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	w.svc.Async = true
	w.svc.Queue = &brokenQueue{Queue: w.queue}
	acc, err := w.svc.Create(ctx, "acct1", draft("+12025550100", "+12025550101"))
	if err != nil {
		t.Fatalf("a campaign whose fan-out job was lost must still be accepted: %v", err)
	}
	log := &entryLog{Queue: w.queue}
	w.svc.Queue = log
	if err := w.svc.ResumeFanout(ctx, 0); err != nil {
		t.Fatal(err)
	}
	want := queue.FanoutJob{AccountID: "acct1", CampaignID: acc.Campaign.ID}
	if len(log.entries) != 1 || string(log.entries[0].Body) != string(want.Encode()) || log.entries[0].Delay != campaign.DefaultResumeDelay {
		t.Fatalf("resume queued %+v; want %s delayed %s", log.entries, want.Encode(), campaign.DefaultResumeDelay)
	}
	if d := log.entries[0].Delay; d > queue.MaxDelay {
		t.Errorf("delay %s beyond the queue's", d)
	}
}
