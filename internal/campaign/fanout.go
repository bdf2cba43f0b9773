package campaign

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"github.com/parleyhq/parley/internal/obs"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/queue"
)

// delay is how long r's job waits on the queue: until r is due.
func delay(r parley.Recipient, now time.Time) time.Duration {
	return min(max(r.DueAt.Sub(now), 0), QueueHorizon).Round(time.Second)
}

// Jobs returns the queue entries that send rs, each delayed until its
// recipient is due. A run of recipients that follow one another in rs, in
// one campaign and chunk, with consecutive Seqs and ids of their Seqs, and
// due at the same second goes as one range job; any other recipient as a
// job of its own.
func Jobs(rs []parley.Recipient, now time.Time) []queue.Entry {
	var entries []queue.Entry
	for start := 0; start < len(rs); {
		first, wait := rs[start], delay(rs[start], now)
		end := start + 1
		for end < len(rs) && follows(rs[end-1], rs[end]) && delay(rs[end], now) == wait {
			end++
		}
		if end-start == 1 {
			entries = append(entries, SendJobs(rs[start:end], now)...)
		} else {
			j := queue.RangeJob{AccountID: first.AccountID, CampaignID: first.CampaignID, From: first.Seq, To: rs[end-1].Seq}
			entries = append(entries, queue.Entry{Body: j.Encode(), Delay: wait})
		}
		start = end
	}
	return entries
}

// SendJobs returns the queue entries that send rs, a job each, delayed
// until its recipient is due.
func SendJobs(rs []parley.Recipient, now time.Time) []queue.Entry {
	entries := make([]queue.Entry, len(rs))
	for i, r := range rs {
		entries[i] = queue.Entry{Body: queue.SendJob(r.Ref()), Delay: delay(r, now)}
	}
	return entries
}

// jobs returns the queue entries that send rs: range jobs (Jobs) unless
// s.SingleJobs.
func (s *Service) jobs(rs []parley.Recipient, now time.Time) []queue.Entry {
	if s.SingleJobs {
		return SendJobs(rs, now)
	}
	return Jobs(rs, now)
}

// inChunk reports whether r can be sent by a range job: its id is its
// Seq's.
func inChunk(r parley.Recipient) bool {
	return r.Seq >= 1 && r.ID == parley.RecipientID(r.Seq)
}

// follows reports whether next is the recipient right after prev in one
// range job.
func follows(prev, next parley.Recipient) bool {
	return inChunk(prev) && inChunk(next) && next.AccountID == prev.AccountID && next.CampaignID == prev.CampaignID &&
		next.Seq == prev.Seq+1 && parley.ChunkOf(next.Seq) == parley.ChunkOf(prev.Seq)
}

// queued returns the QUEUED recipients of rs, in order.
func queued(rs []parley.Recipient) []parley.Recipient {
	var out []parley.Recipient
	for _, r := range rs {
		if r.Status == parley.StatusQueued {
			out = append(out, r)
		}
	}
	return out
}

// fanout queues the QUEUED recipients of rs (a campaign's recipients in Seq
// order, starting after c.FannedOut) chunk by chunk, each delayed until it
// is due, marking progress after each chunk. SCHEDULED recipients are left
// to the window check. It returns the progress mark reached.
func (s *Service) fanout(ctx context.Context, c parley.Campaign, rs []parley.Recipient) (int, error) {
	done := c.FannedOut
	size := cmp.Or(s.Chunk, FanoutChunk)
	for start := 0; start < len(rs); start += size {
		chunk := rs[start:min(start+size, len(rs))]
		entries := s.jobs(queued(chunk), s.Clock.Now())
		if len(entries) > 0 {
			if err := s.Queue.Send(ctx, entries...); err != nil {
				return done, fmt.Errorf("queue recipients %d..%d: %w", chunk[0].Seq, chunk[len(chunk)-1].Seq, err)
			}
		}
		last := chunk[len(chunk)-1].Seq
		if err := s.Store.SetFannedOut(ctx, c.AccountID, c.ID, last); err != nil {
			return done, fmt.Errorf("mark fan-out progress: %w", err)
		}
		done = last
	}
	return done, nil
}

// ResumeFanout finishes the fan-out of campaigns created more than grace ago
// whose recipients are not all queued (an intake that crashed or lost the
// queue half-way). Recipients past the last progress mark are queued again;
// a recipient queued twice is sent once. With Async it queues a fan-out job
// from the last progress mark instead, delayed by ResumeDelay: a chain of
// jobs that is still moving has passed that mark by then, and the job does
// nothing.
func (s *Service) ResumeFanout(ctx context.Context, grace time.Duration) error {
	pending, err := s.Store.PendingFanout(ctx)
	if err != nil {
		return fmt.Errorf("list pending fan-outs: %w", err)
	}
	cutoff := s.Clock.Now().Add(-grace)
	for _, c := range pending {
		if c.CreatedAt.After(cutoff) {
			continue
		}
		if s.Async {
			if err := s.enqueueFanout(ctx, queue.FanoutJob{AccountID: c.AccountID, CampaignID: c.ID, After: c.FannedOut}, s.resumeDelay()); err != nil {
				return fmt.Errorf("queue fan-out job of campaign %s: %w", c.ID, err)
			}
			continue
		}
		if err := s.resume(ctx, c); err != nil {
			return fmt.Errorf("resume fan-out of campaign %s: %w", c.ID, err)
		}
		s.Log.InfoContext(ctx, "fan-out resumed", obs.IDs(c.AccountID, c.ID, ""), "from", c.FannedOut)
	}
	return nil
}

func (s *Service) resume(ctx context.Context, c parley.Campaign) error {
	for after := c.FannedOut; ; {
		rs, err := s.Store.Recipients(ctx, c.AccountID, c.ID, after, cmp.Or(s.Chunk, FanoutChunk))
		if err != nil || len(rs) == 0 {
			return err
		}
		if _, err := s.fanout(ctx, c, rs); err != nil {
			return err
		}
		after = rs[len(rs)-1].Seq
	}
}

// EnqueueDue is the window check: it queues every SCHEDULED recipient due
// within the queue horizon, delayed by exactly the time left until it is
// due, and marks it QUEUED. The job is sent before the mark, so a crash in
// between queues the recipient again at the next check (sent once all the
// same) rather than losing it. It returns how many recipients it queued.
func (s *Service) EnqueueDue(ctx context.Context) (int, error) {
	total := 0
	done := map[parley.Ref]bool{}
	for {
		now := s.Clock.Now()
		due, err := s.Store.DueRecipients(ctx, parley.StatusScheduled, now.Add(QueueHorizon), cmp.Or(s.Chunk, FanoutChunk))
		if err != nil || len(due) == 0 || done[due[0].Ref()] {
			// A recipient seen twice means the store has not caught up with
			// the marks yet; the next check carries on.
			return total, err
		}
		if err := s.Queue.Send(ctx, s.jobs(due, now)...); err != nil {
			return total, fmt.Errorf("queue %d due recipients: %w", len(due), err)
		}
		for _, r := range due {
			done[r.Ref()] = true
			_, err := s.Store.UpdateRecipient(ctx, r.Ref(), parley.RecipientChange{
				From: []parley.RecipientStatus{parley.StatusScheduled}, Status: parley.StatusQueued, At: now,
			})
			if err != nil && parley.ErrorCode(err) != parley.ECONFLICT {
				return total, fmt.Errorf("mark recipient %s of %s queued: %w", r.ID, r.CampaignID, err)
			}
		}
		total += len(due)
	}
}
