package campaign_test

import (
	"context"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/campaign"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/queue"
)

func TestJobs(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	at := func(seq int, due time.Duration) parley.Recipient {
		return parley.Recipient{AccountID: "a", CampaignID: "c", ID: parley.RecipientID(seq), Seq: seq, DueAt: now.Add(due)}
	}
	named := at(7, 0)
	named.ID = "custom"
	other := at(8, 0)
	other.CampaignID = "d"
	rangeOf := func(from, to int) string {
		return string(queue.RangeJob{AccountID: "a", CampaignID: "c", From: from, To: to}.Encode())
	}
	send := func(r parley.Recipient) string { return string(queue.SendJob(r.Ref())) }
	tests := []struct {
		name string
		rs   []parley.Recipient
		want []string
	}{
		{"none", nil, nil},
		{"one", []parley.Recipient{at(1, 0)}, []string{send(at(1, 0))}},
		{"a run", []parley.Recipient{at(1, 0), at(2, 0), at(3, 0)}, []string{rangeOf(1, 3)}},
		{"split at the chunk's end", []parley.Recipient{at(24, 0), at(25, 0), at(26, 0), at(27, 0)}, []string{rangeOf(24, 25), rangeOf(26, 27)}},
		{"a gap", []parley.Recipient{at(1, 0), at(2, 0), at(4, 0), at(5, 0)}, []string{rangeOf(1, 2), rangeOf(4, 5)}},
		{"another due second", []parley.Recipient{at(1, 0), at(2, 0), at(3, time.Hour), at(4, time.Hour)}, []string{rangeOf(1, 2), rangeOf(3, 4)}},
		{"the same due second", []parley.Recipient{at(1, 100*time.Millisecond), at(2, 0)}, []string{rangeOf(1, 2)}},
		{"an id not its Seq's", []parley.Recipient{at(6, 0), named, at(8, 0)}, []string{send(at(6, 0)), send(named), send(at(8, 0))}},
		{"another campaign", []parley.Recipient{at(7, 0), other}, []string{send(at(7, 0)), send(other)}},
		{"out of order", []parley.Recipient{at(3, 0), at(2, 0)}, []string{send(at(3, 0)), send(at(2, 0))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, e := range campaign.Jobs(tt.rs, now) {
				got = append(got, string(e.Body))
			}
			if len(got) != len(tt.want) {
				t.Fatalf("Jobs = %q, want %q", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("job %d = %s, want %s", i, got[i], tt.want[i])
				}
			}
		})
	}
	es := campaign.Jobs([]parley.Recipient{at(1, 90*time.Second), at(2, 90*time.Second), at(3, 24*time.Hour)}, now)
	if len(es) != 2 || es[0].Delay != 90*time.Second || es[1].Delay != campaign.QueueHorizon {
		t.Errorf("delays %+v, want 90s for the range and the queue horizon for the last", es)
	}
}

// TestSingleJobs: with SingleJobs a campaign's recipients are queued a job
// each, as a dispatcher that cannot read range jobs needs; without, as
// range jobs.
func TestSingleJobs(t *testing.T) {
	for _, single := range []bool{true, false} {
		w := newWorld(t)
		w.svc.SingleJobs = single
		if _, err := w.svc.Create(context.Background(), "acct1", draft("+12025550101", "+12025550102", "+12025550103")); err != nil {
			t.Fatal(err)
		}
		ms, err := w.queue.Receive(context.Background(), 10, 0, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[queue.JobKind]int{}
		for _, m := range ms {
			kinds[queue.KindOf(m.Body)]++
		}
		want := map[queue.JobKind]int{queue.JobRange: 1}
		if single {
			want = map[queue.JobKind]int{queue.JobSend: 3}
		}
		if len(kinds) != 1 || kinds[queue.JobSend] != want[queue.JobSend] || kinds[queue.JobRange] != want[queue.JobRange] {
			t.Errorf("SingleJobs %v: queued %v, want %v", single, kinds, want)
		}
	}
}
