package campaign

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/parleyhq/parley/internal/obs"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/queue"
	"github.com/parleyhq/parley/internal/run"
	"github.com/parleyhq/parley/internal/store"
)

// Asynchronous fan-out. Create persists the campaign and queues one fan-out
// job; each job queues one chunk of recipients, queues the job for the next
// chunk, and only then records progress (SetFannedOut). So whenever the
// recorded progress is n, the recipients up to n are on the queue and so is
// the job for those after n (or there are none): a job found behind the
// recorded progress has nothing left to do, and a crash at any step leaves a
// job on the queue that redoes the chunk. Redone chunks queue recipients
// twice; the dispatcher's claim sends each once.

// Fan-out job tuning.
const (
	// FanoutJobChunk is how many recipients one fan-out job queues: about
	// 200 SQS batch calls, seconds of a dispatcher's time.
	FanoutJobChunk = 2000
	// DefaultResumeDelay is how long a fan-out job queued by ResumeFanout
	// waits before it looks at the campaign's progress.
	DefaultResumeDelay = 5 * time.Minute
	// fanoutGroup is how many entries one Queue.Send of a chunk carries,
	// and fanoutSenders how many such sends run at once.
	fanoutGroup   = 100
	fanoutSenders = 8
)

func (s *Service) jobChunk() int { return cmp.Or(s.JobChunk, FanoutJobChunk) }

func (s *Service) resumeDelay() time.Duration {
	switch {
	case s.ResumeDelay < 0:
		return 0
	case s.ResumeDelay == 0:
		return DefaultResumeDelay
	}
	return min(s.ResumeDelay, queue.MaxDelay)
}

// startFanout queues the first fan-out job of a new campaign.
func (s *Service) startFanout(ctx context.Context, c parley.Campaign) error {
	return s.enqueueFanout(ctx, queue.FanoutJob{AccountID: c.AccountID, CampaignID: c.ID, After: c.FannedOut}, 0)
}

func (s *Service) enqueueFanout(ctx context.Context, job queue.FanoutJob, delay time.Duration) error {
	return s.Queue.Send(ctx, queue.Entry{Body: job.Encode(), Delay: delay.Round(time.Second)})
}

// FanoutChunk runs one fan-out job: it queues the QUEUED recipients among
// the JobChunk after job.After, each delayed until it is due (SCHEDULED ones
// are left to the window check), queues the job for the next chunk, and then
// records progress. It may run any number of times for one job: a job
// behind the recorded progress does nothing, and a chunk queued twice is
// sent once. A job of a campaign that does not exist does nothing. An error
// means the job should run again later.
func (s *Service) FanoutChunk(ctx context.Context, j queue.FanoutJob) error {
	c, err := s.Store.Campaign(ctx, j.AccountID, j.CampaignID)
	switch {
	case parley.ErrorCode(err) == parley.ENOTFOUND:
		s.Log.WarnContext(ctx, "fan-out job of an unknown campaign dropped", obs.IDs(j.AccountID, j.CampaignID, ""))
		return nil
	case err != nil:
		return fmt.Errorf("read campaign %s: %w", j.CampaignID, err)
	case c.FannedOut > j.After || c.FanoutDone():
		return nil // done already: a redelivery, or a resume job a moving chain overtook
	}
	rs, err := s.chunk(ctx, c, j.After, s.jobChunk())
	if err != nil {
		return fmt.Errorf("read recipients after %d of %s: %w", j.After, c.ID, err)
	}
	entries := s.jobs(queued(rs), s.Clock.Now())
	if err := s.sendAll(ctx, entries); err != nil {
		return fmt.Errorf("queue recipients after %d of %s: %w", j.After, c.ID, err)
	}
	mark := c.Recipients // no recipient is left after this chunk
	if len(rs) == s.jobChunk() && rs[len(rs)-1].Seq < c.Recipients {
		mark = rs[len(rs)-1].Seq
		next := queue.FanoutJob{AccountID: c.AccountID, CampaignID: c.ID, After: mark}
		if err := s.enqueueFanout(ctx, next, 0); err != nil {
			return fmt.Errorf("queue the fan-out job after %d of %s: %w", mark, c.ID, err)
		}
	}
	if err := s.Store.SetFannedOut(ctx, c.AccountID, c.ID, mark); err != nil {
		return fmt.Errorf("mark fan-out progress of %s at %d: %w", c.ID, mark, err)
	}
	s.Log.InfoContext(ctx, "fan-out chunk queued", obs.IDs(c.AccountID, c.ID, ""),
		"after", j.After, "progress", mark, "of", c.Recipients, "jobs", len(entries))
	return nil
}

// chunk reads up to n recipients of c after Seq after, page by page.
func (s *Service) chunk(ctx context.Context, c parley.Campaign, after, n int) ([]parley.Recipient, error) {
	var out []parley.Recipient
	for len(out) < n {
		want := min(n-len(out), store.MaxPage)
		page, err := s.Store.Recipients(ctx, c.AccountID, c.ID, after, want)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < want {
			break
		}
		after = page[len(page)-1].Seq
	}
	return out, nil
}

// sendAll queues entries in groups of fanoutGroup, fanoutSenders groups at
// once. It stops at the first failure and returns it; other groups may have
// been queued.
func (s *Service) sendAll(ctx context.Context, entries []queue.Entry) error {
	groups := slices.Collect(slices.Chunk(entries, fanoutGroup))
	return run.Each(ctx, fanoutSenders, groups, func(ctx context.Context, group []queue.Entry) error {
		return s.Queue.Send(ctx, group...)
	})
}
