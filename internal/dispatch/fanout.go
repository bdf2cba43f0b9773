package dispatch

import (
	"context"
	"errors"
	"sync"

	"github.com/parleyhq/parley/internal/obs"
	"github.com/parleyhq/parley/internal/parley"
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

// Phone runs the jobs of telephone campaigns (phonecampaign.QueueJobs).
// An error means the job should run again later.
type Phone interface {
	HandlePhoneJob(ctx context.Context, kind queue.JobKind, body []byte) error
}

// errNoPhone is the failure of a telephone job that reached a dispatcher
// without a Phone.
var errNoPhone = errors.New("dispatcher has no Phone to run telephone campaign jobs")

// sideJob reports whether a job runs beside the batch of sends: a fan-out
// or a telephone campaign's job.
func sideJob(m queue.Message) bool {
	k := queue.KindOf(m.Body)
	return k == queue.JobFanout || k.Phone()
}

// hasFanout reports whether any message of a batch is a side job.
func hasFanout(ms []queue.Message) bool {
	for _, m := range ms {
		if sideJob(m) {
			return true
		}
	}
	return false
}

// HandlePhone runs one telephone campaign job through Phone, retrying it
// with backoff when it fails.
func (d *Dispatcher) HandlePhone(ctx context.Context, m queue.Message) error {
	err := errNoPhone
	if d.Phone != nil {
		err = d.Phone.HandlePhoneJob(ctx, queue.KindOf(m.Body), m.Body)
	}
	if err == nil || parley.ErrorCode(err) == parley.EINVALID {
		if err != nil {
			d.Log.ErrorContext(ctx, "dropping malformed telephone job", "message", m.ID, "err", err)
		}
		return nil
	}
	return d.retry(ctx, m, err, "job", string(queue.KindOf(m.Body)))
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
		switch {
		case !sideJob(m):
			sends, at = append(sends, m), append(at, i)
		case queue.KindOf(m.Body) == queue.JobFanout:
			wg.Go(func() { errs[i] = d.HandleFanout(ctx, m) })
		default:
			wg.Go(func() { errs[i] = d.HandlePhone(ctx, m) })
		}
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
