package dispatch

import (
	"context"
	"errors"
	"sync"

	"github.com/parleyhq/parley/internal/obs"
	"github.com/parleyhq/parley/internal/queue"
)

// Fanout runs a fan-out job: it queues one chunk of a campaign's recipients
// and the job for the next chunk (campaign.Service). An error means the job
// should run again later; running a job again must lose no recipient.
type Fanout interface {
	FanoutChunk(ctx context.Context, job queue.FanoutJob) error
}

// errNoFanout is the failure of a fan-out job that reached a dispatcher
// without a Fanout.
var errNoFanout = errors.New("dispatcher has no Fanout to run fan-out jobs")

// hasFanout reports whether any message of a batch is a fan-out job.
func hasFanout(ms []queue.Message) bool {
	for _, m := range ms {
		if queue.KindOf(m.Body) == queue.JobFanout {
			return true
		}
	}
	return false
}

// handleWithFanouts handles a batch that holds fan-out jobs: each runs
// alongside the batch of the other (send) jobs. The results are in the
// order of ms.
func (d *Dispatcher) handleWithFanouts(ctx context.Context, ms []queue.Message) []error {
	errs := make([]error, len(ms))
	var sends []queue.Message
	var at []int // at[k] is the index in ms of sends[k]
	var wg sync.WaitGroup
	for i, m := range ms {
		if queue.KindOf(m.Body) != queue.JobFanout {
			sends, at = append(sends, m), append(at, i)
			continue
		}
		wg.Go(func() { errs[i] = d.HandleFanout(ctx, m) })
	}
	if len(sends) > 0 {
		for k, err := range d.HandleBatch(ctx, sends) {
			errs[at[k]] = err
		}
	}
	wg.Wait()
	return errs
}

// HandleFanout runs one fan-out job through Fanout. It returns nil when the
// job is finished (or malformed, so that no retry could help); otherwise
// the job's visibility has been set for a backoff retry and the error wraps
// ErrRetry.
func (d *Dispatcher) HandleFanout(ctx context.Context, m queue.Message) error {
	job, err := queue.DecodeFanoutJob(m.Body)
	if err != nil {
		d.Log.ErrorContext(ctx, "dropping malformed fan-out job", "message", m.ID, "err", err)
		return nil
	}
	if d.Fanout == nil {
		err = errNoFanout
	} else {
		err = d.Fanout.FanoutChunk(ctx, job)
	}
	if err == nil {
		return nil
	}
	return d.retry(ctx, m, err, obs.IDs(job.AccountID, job.CampaignID, ""), "fanoutAfter", job.After)
}
