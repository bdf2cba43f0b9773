package phonecampaign

import (
	"context"
	"encoding/json"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/queue"
)

// Enqueuer sends jobs (queue.Queue is one).
type Enqueuer interface {
	Send(ctx context.Context, entries ...queue.Entry) error
}

// QueueJobs carries the runtime's jobs on the dispatch queue, and runs
// them when a dispatcher receives them (dispatch.Phone).
type QueueJobs struct {
	Queue  Enqueuer
	Dialer *Dialer
}

var _ Jobs = (*QueueJobs)(nil)

type paceBody struct {
	Kind queue.JobKind `json:"k"`
	PaceJob
}

type graceBody struct {
	Kind queue.JobKind `json:"k"`
	GraceJob
}

// send queues body after delay, rounded up to whole seconds (as SQS
// counts them) and capped at the queue's longest delay: a round armed
// further ahead runs early and arms the next.
func (q *QueueJobs) send(ctx context.Context, body any, delay time.Duration) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	delay = min(max(0, (delay+time.Second-1).Truncate(time.Second)), queue.MaxDelay)
	return q.Queue.Send(ctx, queue.Entry{Body: b, Delay: delay})
}

// Pace implements Jobs.
func (q *QueueJobs) Pace(ctx context.Context, j PaceJob, delay time.Duration) error {
	return q.send(ctx, paceBody{Kind: queue.JobPace, PaceJob: j}, delay)
}

// Grace implements Jobs.
func (q *QueueJobs) Grace(ctx context.Context, j GraceJob, delay time.Duration) error {
	return q.send(ctx, graceBody{Kind: queue.JobGrace, GraceJob: j}, delay)
}

// HandlePhoneJob implements dispatch.Phone. A body that is not a complete
// job of its kind is EINVALID: running it again can never succeed.
func (q *QueueJobs) HandlePhoneJob(ctx context.Context, kind queue.JobKind, body []byte) error {
	switch kind {
	case queue.JobPace:
		var b paceBody
		if err := json.Unmarshal(body, &b); err != nil || b.AccountID == "" || b.CampaignID == "" || b.Version < 0 {
			return parley.Errorf(parley.EINVALID, "job body %q is not a complete pace job", body)
		}
		return q.Dialer.Pace(ctx, b.PaceJob)
	case queue.JobGrace:
		var b graceBody
		if err := json.Unmarshal(body, &b); err != nil || b.AccountID == "" || b.CampaignID == "" || b.ProviderID == "" {
			return parley.Errorf(parley.EINVALID, "job body %q is not a complete grace job", body)
		}
		return q.Dialer.Grace(ctx, b.GraceJob)
	}
	return parley.Errorf(parley.EINVALID, "job kind %q is not a telephone campaign's", kind)
}
