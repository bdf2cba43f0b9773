package eventpush

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/parleyhq/parley/internal/egress"
	"github.com/parleyhq/parley/internal/inbound/agentpush"
	"github.com/parleyhq/parley/internal/obs"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/queue"
	"github.com/parleyhq/parley/internal/run"
)

// Defaults of a Deliverer.
const (
	// DefaultTimeout bounds one POST, connection included.
	DefaultTimeout = 10 * time.Second
	// DefaultRetryFor is how long after an event was first queued its
	// delivery is still retried.
	DefaultRetryFor = 24 * time.Hour
	// The n-th retry waits about DefaultBaseDelay·2ⁿ⁻¹ (half of it fixed,
	// half random), at most DefaultMaxDelay, or what Retry-After asks if
	// that is longer: 10 s, 20 s, 40 s … 1 h, which makes 33 to 57
	// attempts in the 24 h.
	DefaultBaseDelay = 10 * time.Second
	DefaultMaxDelay  = time.Hour
	// DefaultConcurrency is how many POSTs of one batch run at once.
	DefaultConcurrency = 10
)

// UserAgent is the User-Agent of every delivery.
const UserAgent = "Parley-Events/1"

// SubscriptionStore is what a Deliverer needs of store.EventSubscriptions.
type SubscriptionStore interface {
	EventSubscription(ctx context.Context, accountID, id string) (parley.EventSubscription, error)
	RecordEventDelivery(ctx context.Context, d parley.EventDelivery) error
}

// Deliverer delivers the event queue's jobs. The zero values of its tuning
// fields mean the defaults.
type Deliverer struct {
	Subscriptions SubscriptionStore
	// Queue takes the jobs to retry: the event queue.
	Queue Enqueuer
	// HTTP sends the POSTs; it must be an egress client (public addresses
	// only, no redirects) with a timeout, as New's is.
	HTTP  *http.Client
	Clock parley.Clock
	// Jitter returns a random duration in [0, d); nil draws it from
	// math/rand/v2.
	Jitter                        func(d time.Duration) time.Duration
	RetryFor, BaseDelay, MaxDelay time.Duration
	Concurrency                   int
	Log                           *slog.Logger
}

// NewDeliverer returns a Deliverer of subscriptions retrying through q and
// posting through hc, which must be an egress client such as
// egress.Policy.Client(DefaultTimeout).
func NewDeliverer(subscriptions SubscriptionStore, q Enqueuer, hc *http.Client, clock parley.Clock, log *slog.Logger) *Deliverer {
	return &Deliverer{Subscriptions: subscriptions, Queue: q, HTTP: hc, Clock: clock, Log: log}
}

// HandleBatch delivers a batch of jobs, at most Concurrency at once. A
// job's result is nil once it is finished: delivered, queued again for its
// next attempt, abandoned, refused, or moot (malformed, or its
// subscription is gone or no longer wants the event). Otherwise (the store
// or the queue failed) the job stays on the queue and comes back.
func (d *Deliverer) HandleBatch(ctx context.Context, ms []queue.Message) []error {
	errs := make([]error, len(ms))
	slots := make(chan struct{}, cmp.Or(d.Concurrency, DefaultConcurrency))
	var wg sync.WaitGroup
	for i, m := range ms {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			errs[i] = d.handle(ctx, m)
		})
	}
	wg.Wait()
	return errs
}

func (d *Deliverer) handle(ctx context.Context, m queue.Message) error {
	j, err := DecodeJob(m.Body)
	if err != nil {
		d.log().ErrorContext(ctx, "dropping malformed event job", "message", m.ID, "err", err)
		return nil
	}
	now := d.clock().Now()
	if j.NotBefore.After(now) {
		return d.requeue(ctx, j, j.NotBefore.Sub(now))
	}
	ids := []any{obs.IDs(j.Event.AccountID, j.Event.CampaignID, j.Event.RecipientID), "subscription", j.SubscriptionID, "event", j.Event.ID}
	sub, err := d.Subscriptions.EventSubscription(ctx, j.Event.AccountID, j.SubscriptionID)
	switch {
	case parley.ErrorCode(err) == parley.ENOTFOUND:
		d.log().InfoContext(ctx, "event not delivered: the subscription is gone", ids...)
		return nil
	case err != nil:
		return err
	case !sub.Wants(j.Event.Type):
		d.log().InfoContext(ctx, "event not delivered: the subscription no longer wants it", append(ids, "type", j.Event.Type)...)
		return nil
	}
	rec, retryAfter := d.attempt(ctx, sub, j.Event, j.Attempt+1)
	// The attempt was made: what follows from it is done even when ctx
	// ends now (a poller stopping), or the job would come back and post
	// again.
	ctx = context.WithoutCancel(ctx)
	if rec.Outcome == parley.DeliveryRetrying {
		if now.Sub(j.Since) >= cmp.Or(d.RetryFor, DefaultRetryFor) {
			rec.Outcome = parley.DeliveryAbandoned
		} else {
			wait := max(d.backoff(rec.Attempt), retryAfter)
			rec.NextAttemptAt = now.Add(wait)
			j.Attempt = rec.Attempt
			if err := d.requeue(ctx, j, wait); err != nil {
				return err
			}
		}
	}
	level := slog.LevelInfo
	if rec.Outcome == parley.DeliveryRefused || rec.Outcome == parley.DeliveryAbandoned {
		level = slog.LevelWarn
	}
	d.log().Log(ctx, level, "event delivery", append(ids, "outcome", rec.Outcome, "attempt", rec.Attempt, "status", rec.Status, "err", rec.Error)...)
	d.record(ctx, rec)
	return nil
}

// requeue queues j again to be handled after wait: a wait longer than the
// queue's longest delay holds it back on arrival (NotBefore) and hops
// again.
func (d *Deliverer) requeue(ctx context.Context, j Job, wait time.Duration) error {
	j.NotBefore = time.Time{}
	if wait > queue.MaxDelay {
		j.NotBefore = d.clock().Now().Add(wait)
		wait = queue.MaxDelay
	}
	if err := d.Queue.Send(ctx, queue.Entry{Body: j.Encode(), Delay: max(wait, 0)}); err != nil {
		return fmt.Errorf("queue event %s for subscription %s again: %w", j.Event.ID, j.SubscriptionID, err)
	}
	return nil
}

// attempt POSTs ev to sub once, as attempt n, and returns its record
// (delivered, refused or retrying) and the wait a Retry-After asked for.
func (d *Deliverer) attempt(ctx context.Context, sub parley.EventSubscription, ev parley.Event, n int) (parley.EventDelivery, time.Duration) {
	now := d.clock().Now()
	rec := parley.EventDelivery{AccountID: sub.AccountID, SubscriptionID: sub.ID, EventID: ev.ID, EventType: ev.Type, Attempt: n, At: now}
	body, err := json.Marshal(ev)
	if err != nil {
		rec.Outcome, rec.Error = parley.DeliveryRefused, "the event does not encode: "+err.Error()
		return rec, 0
	}
	ans, err := agentpush.Post(ctx, d.http(), now, agentpush.Attempt{URL: sub.URL, Secret: sub.Secret.Reveal(),
		Event: string(ev.Type), Delivery: ev.ID, Body: body, UserAgent: UserAgent})
	var refused *egress.RefusedError
	switch {
	case errors.As(err, &refused):
		rec.Outcome, rec.Error = parley.DeliveryRefused, refused.Error()
	case err != nil:
		rec.Outcome, rec.Error = parley.DeliveryRetrying, transportError(err)
	case ans.Status/100 == 2:
		rec.Outcome, rec.Status = parley.DeliveryDelivered, ans.Status
	case agentpush.Retryable(ans.Status):
		rec.Outcome, rec.Status, rec.Error = parley.DeliveryRetrying, ans.Status, fmt.Sprintf("HTTP %d", ans.Status)
	default:
		rec.Outcome, rec.Status, rec.Error = parley.DeliveryRefused, ans.Status, fmt.Sprintf("HTTP %d: the endpoint refused the event", ans.Status)
	}
	return rec, ans.RetryAfter
}

// transportError describes a failed request without its URL, which may
// carry a token.
func transportError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, http.ErrHandlerTimeout) {
		return "timed out"
	}
	if t, ok := err.(interface{ Timeout() bool }); ok && t.Timeout() {
		return "timed out"
	}
	return err.Error()
}

// Ping sends sub one event of type EventPing, now, records the attempt and
// returns it: how a brand checks its endpoint and signature check. It is
// not retried.
func (d *Deliverer) Ping(ctx context.Context, sub parley.EventSubscription) parley.EventDelivery {
	ev := parley.Event{ID: "ping_" + uuid.Must(uuid.NewV7()).String(), Type: EventPing, AccountID: sub.AccountID, At: d.clock().Now()}
	rec, _ := d.attempt(ctx, sub, ev, 1)
	if rec.Outcome == parley.DeliveryRetrying {
		rec.Outcome = parley.DeliveryAbandoned // a test is not retried
	}
	d.record(ctx, rec)
	return rec
}

func (d *Deliverer) record(ctx context.Context, rec parley.EventDelivery) {
	if err := d.Subscriptions.RecordEventDelivery(ctx, rec); err != nil {
		d.log().ErrorContext(ctx, "event delivery not recorded", obs.IDs(rec.AccountID, "", ""), "subscription", rec.SubscriptionID, "event", rec.EventID, "err", err)
	}
}

// backoff is the wait after the n-th failed attempt: BaseDelay·2ⁿ⁻¹ at
// most MaxDelay, half of it fixed and half random, so that the retries of
// many events to one endpoint spread out.
func (d *Deliverer) backoff(n int) time.Duration {
	base, ceiling := cmp.Or(d.BaseDelay, DefaultBaseDelay), cmp.Or(d.MaxDelay, DefaultMaxDelay)
	w := base
	for i := 1; i < n && w < ceiling; i++ {
		w *= 2
	}
	w = min(w, ceiling)
	return w/2 + d.jitter(w/2)
}

func (d *Deliverer) jitter(w time.Duration) time.Duration {
	if w <= 0 {
		return 0
	}
	if d.Jitter != nil {
		return d.Jitter(w)
	}
	return rand.N(w)
}

// Puller is the event queue as a long-running poller sees it.
type Puller interface {
	Receive(ctx context.Context, max int, wait, visibility time.Duration) ([]queue.Message, error)
	Delete(ctx context.Context, receipts ...string) error
}

// PollVisibility hides a batch Run received while it is handled: longer
// than a batch can take (DefaultTimeout for each slot of Concurrency).
const PollVisibility = 120 * time.Second

// Run polls q with workers pollers until ctx is done, as the SQS event
// source does for the event push function: finished jobs are deleted, the
// others come back when their visibility ends. Deliveries in flight when
// ctx ends are cut off and come back.
func (d *Deliverer) Run(ctx context.Context, q Puller, workers int) {
	var wg sync.WaitGroup
	for range max(workers, 1) {
		wg.Go(func() {
			for ctx.Err() == nil {
				ms, err := q.Receive(ctx, queue.MaxBatch, time.Second, PollVisibility)
				if err != nil {
					if ctx.Err() == nil {
						d.log().ErrorContext(ctx, "event queue receive failed", "err", err)
						_ = run.Sleep(ctx, time.Second)
					}
					continue
				}
				var finished []string
				for i, err := range d.HandleBatch(ctx, ms) {
					if err == nil {
						finished = append(finished, ms[i].Receipt)
					} else {
						d.log().WarnContext(ctx, "event job left on the queue", "message", ms[i].ID, "err", err)
					}
				}
				if len(finished) > 0 {
					if err := q.Delete(context.WithoutCancel(ctx), finished...); err != nil {
						d.log().ErrorContext(ctx, "event jobs not deleted; they will be delivered again", "count", len(finished), "err", err)
					}
				}
			}
		})
	}
	wg.Wait()
}

func (d *Deliverer) http() *http.Client {
	if d.HTTP == nil {
		return defaultHTTP
	}
	return d.HTTP
}

// defaultHTTP is the client of a Deliverer without HTTP.
var defaultHTTP = egress.Policy{}.Client(DefaultTimeout)

func (d *Deliverer) clock() parley.Clock { return orSystemClock(d.Clock) }

func (d *Deliverer) log() *slog.Logger { return orDiscard(d.Log) }
