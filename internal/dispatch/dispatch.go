// Package dispatch sends queued recipients: per job it claims the recipient
// with a conditional write (so a redelivered or concurrent job never sends
// twice), hands the message to the channel gateway and records the outcome.
package dispatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/parleyhq/parley/internal/gateway"
	msgtext "github.com/parleyhq/parley/internal/message"
	"github.com/parleyhq/parley/internal/obs"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/queue"
	"github.com/parleyhq/parley/internal/ratelimit"
	"github.com/parleyhq/parley/internal/run"
	"github.com/parleyhq/parley/internal/store"
)

// Store is what dispatch needs from persistence.
type Store interface {
	store.Campaigns
	store.Recipients
}

// Visibility delays the next delivery of a job that must be retried.
type Visibility interface {
	ChangeVisibility(ctx context.Context, receipt string, timeout time.Duration) error
}

// Dispatcher handles dispatch jobs.
type Dispatcher struct {
	Store  Store
	Sender gateway.Sender
	Queue  Visibility
	// Requeue, when set, takes back what must wait of a job, as a fresh
	// message (see putBack).
	Requeue Requeuer
	Clock   parley.Clock
	Log     *slog.Logger
	// Consent and Conversations, when set, are checked before each send
	// (opt-outs, open conversations); Conversations also takes each sent
	// message's outbound context.
	Consent       Consent
	Conversations Conversations
	// Limiter, when set, paces sends at Limit per account, channel and
	// sender.
	Limiter Limiter
	Limit   ratelimit.Limit
	// Fanout, when set, runs the fan-out jobs on the queue (see
	// HandleFanout).
	Fanout Fanout
	// Phone, when set, runs the jobs of telephone campaigns (see
	// HandlePhone).
	Phone Phone
	// Epoch names this dispatcher process in the claims it makes
	// (Recipient.Claimant): a new one for every process.
	Epoch string
	// Sole is set where this process is its store's only dispatcher
	// (parley serve on the embedded backend, which holds the data
	// directory's lock): a claim of another epoch then belongs to a process
	// that is gone, and is taken over at once rather than when its lease
	// runs out (see takeOver).
	Sole bool
	// StateTTL is how long a campaign read for the state check before
	// each send may be reused by this process (see DefaultStateTTL); zero
	// reads it for every check.
	StateTTL time.Duration

	cache campaigns
}

// Backoff is the delay before the n-th retry of a job (n ≥ 1): exponential
// from 2 s, capped at 15 minutes.
func Backoff(n int) time.Duration {
	d := 2 * time.Second
	for i := 1; i < n && d < 15*time.Minute; i++ {
		d *= 2
	}
	return min(d, 15*time.Minute)
}

// failKind returns the kind of a gateway failure, if err is one.
func failKind(err error) (parley.FailKind, bool) {
	var se *parley.SendError
	if errors.As(err, &se) {
		return se.Kind, true
	}
	return 0, false
}

// PausedRecheck is how long a job of a paused campaign waits before it
// looks again.
const PausedRecheck = 5 * time.Minute

// Requeuer puts a job back on the queue as a new message.
type Requeuer interface {
	Send(ctx context.Context, entries ...queue.Entry) error
}

// putBack gives back to the queue, as a new message with body and delay,
// what is left of the job m: with a Requeuer that is one SQS request and no
// store write, so however long a pause lasts, its jobs never count their
// way to the dead-letter queue; without one (or when the Requeuer fails),
// m's own visibility is delayed instead, and its next delivery handles all
// of it again (the recipients it finished are duplicates then, which their
// claims absorb).
func (d *Dispatcher) putBack(ctx context.Context, m queue.Message, body []byte, delay time.Duration, who any) error {
	delay = min(delay, queue.MaxDelay)
	if d.Requeue == nil {
		return d.retry(ctx, m, &notYet{delay: delay}, who)
	}
	if err := d.Requeue.Send(ctx, queue.Entry{Body: body, Delay: delay}); err != nil {
		return d.retry(ctx, m, err, who)
	}
	return nil
}

// cancel marks the recipient of a cancelled campaign's job CANCELLED.
func (d *Dispatcher) cancel(ctx context.Context, ref parley.Ref) {
	_, err := d.Store.UpdateRecipient(ctx, ref, parley.Cancellation(d.Clock.Now()))
	if err != nil && parley.ErrorCode(err) != parley.ECONFLICT {
		d.Log.WarnContext(ctx, "recipient of a cancelled campaign not marked", obs.Ref(ref), "err", err)
	}
}

// ErrRetry marks a job whose recipient is still to be sent.
var ErrRetry = errors.New("dispatch: retry later")

// job is one recipient of a received message (the k-th of its i-th
// message), with what its handling shares with the other jobs of its
// batch: the campaign, read once, and its send slot.
type job struct {
	i, k int
	ref  parley.Ref
	c    parley.Campaign
	slot time.Time
	// group, when set, claims the job's recipient with others (see
	// claimGroup), at pos in it.
	group *claimGroup
	pos   int
}

// Handle processes one job: HandleBatch of one.
func (d *Dispatcher) Handle(ctx context.Context, m queue.Message) error {
	return d.HandleBatch(ctx, []queue.Message{m})[0]
}

// errUnknownKind is the failure of a job of a kind this release does not
// know (see queue.JobKind.Known).
var errUnknownKind = errors.New("dispatch: unknown job kind")

// errHeld is the verdict on a recipient of a paused campaign: its job goes
// back to the queue for PausedRecheck.
var errHeld = errors.New("dispatch: the campaign is paused; the job is held back")

// HandleBatch handles a batch of jobs concurrently and returns one result
// per message, in order: nil when the job is finished (sent, failed for
// good, or a duplicate) and may be deleted; otherwise the job's visibility
// has been set for its retry and the error wraps ErrRetry. A range job's
// recipients are handled as single jobs would be, and its message
// concluded once all are (see conclude). The jobs of one campaign share one
// read of it, and those of one sender one reservation of send slots.
func (d *Dispatcher) HandleBatch(ctx context.Context, ms []queue.Message) []error {
	if hasFanout(ms) {
		return d.handleWithFanouts(ctx, ms)
	}
	b := &batch{ms: ms, refs: make([][]parley.Ref, len(ms)), verdicts: make([][]error, len(ms))}
	jobs := d.reserve(ctx, d.prepare(ctx, b), b)
	group(jobs, b)
	errs := make([]error, len(ms))
	running := make([]int, len(ms)) // jobs of each message still to run
	for _, j := range jobs {
		running[j.i]++
	}
	for i, m := range ms {
		switch k := queue.KindOf(m.Body); {
		case !k.Known():
			errs[i] = d.retry(ctx, m, fmt.Errorf("%w: a job of kind %q, which this release does not know", errUnknownKind, k), "message", m.ID)
		case running[i] == 0:
			errs[i] = d.conclude(ctx, m, b.refs[i], b.verdicts[i])
		}
	}
	var mu sync.Mutex
	run := func(j job) {
		var done *settled
		err := d.handle(ctx, j)
		if errors.As(err, &done) {
			err = done.err
		}
		mu.Lock()
		b.verdicts[j.i][j.k] = err
		running[j.i]--
		last := running[j.i] == 0
		mu.Unlock()
		if last {
			// The message is concluded as soon as its own jobs are done, so
			// that what must wait is back on the queue on time.
			errs[j.i] = d.conclude(ctx, ms[j.i], b.refs[j.i], b.verdicts[j.i])
		}
	}
	if len(jobs) == 1 {
		run(jobs[0])
	} else {
		runAll(jobs, run)
	}
	return errs
}

// runAll runs each job on a goroutine of its own and waits for all. A job
// that panics panics HandleBatch's caller, once the others are done, as
// a job run on the caller's goroutine would: the batch is then unfinished
// and comes back from the queue, like that of a dispatcher that crashed.
func runAll(jobs []job, run func(job)) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var panicked any
	for _, j := range jobs {
		wg.Go(func() {
			defer func() {
				if p := recover(); p != nil {
					mu.Lock()
					if panicked == nil {
						panicked = p
					}
					mu.Unlock()
				}
			}()
			run(j)
		})
	}
	wg.Wait()
	if panicked != nil {
		panic(panicked)
	}
}

// batch is a received batch as HandleBatch works through it: the
// recipients of each message and the verdict on each, nil when it is
// finished, errStopped when it was left unclaimed, errHeld when its
// campaign is paused, otherwise the reason to retry it (a *notYet when it
// names its delay).
type batch struct {
	ms       []queue.Message
	refs     [][]parley.Ref
	verdicts [][]error
}

// judge sets the verdict on every recipient of message i.
func (b *batch) judge(i int, verdict func(ref parley.Ref) error) {
	for k, ref := range b.refs[i] {
		b.verdicts[i][k] = verdict(ref)
	}
}

// prepare decodes the batch and reads each campaign once. Recipients that
// are finished or must wait before any claim (of an unknown, paused or
// cancelled campaign) get their verdict; a malformed message has no
// recipients. The others are returned as jobs, in order.
func (d *Dispatcher) prepare(ctx context.Context, b *batch) []job {
	campaigns := map[[2]string]parley.Campaign{}
	inBatch := map[parley.Ref]bool{}
	var jobs []job
	for i, m := range b.ms {
		if !queue.KindOf(m.Body).Known() {
			continue // left to the queue (see HandleBatch)
		}
		refs, err := queue.DecodeRecipients(m.Body)
		if err != nil {
			d.Log.ErrorContext(ctx, "dropping malformed job", "message", m.ID, "err", err)
			continue
		}
		b.refs[i], b.verdicts[i] = refs, make([]error, len(refs))
		first := refs[0]
		id := [2]string{first.AccountID, first.CampaignID}
		c, ok := campaigns[id]
		if !ok {
			if c, err = d.campaign(ctx, first.AccountID, first.CampaignID); err == nil {
				campaigns[id] = c
			}
		}
		switch {
		case parley.ErrorCode(err) == parley.ENOTFOUND:
			d.Log.ErrorContext(ctx, "dropping job of unknown campaign", obs.Ref(first))
		case err != nil:
			b.judge(i, func(parley.Ref) error { return err })
		case c.State != parley.StateActive:
			b.judge(i, func(ref parley.Ref) error { return d.stop(ctx, c, ref) })
		default:
			for k, ref := range refs {
				if inBatch[ref] {
					// The other copy in this batch does the work, and its
					// message stays on the queue until it is done.
					d.Log.InfoContext(ctx, "duplicate job in the batch ignored", obs.Ref(ref))
					continue
				}
				inBatch[ref] = true
				if settled, err := d.settleOrphan(ctx, c, m, ref); settled {
					b.verdicts[i][k] = err
					continue
				}
				jobs = append(jobs, job{i: i, k: k, ref: ref, c: c})
			}
		}
	}
	return jobs
}

// conclude settles the message m once every one of its recipients has its
// verdict (see batch), and returns the message's result. It is finished
// when they all are. A recipient that failed retries the whole message
// after a backoff; a stopping dispatcher releases it. Otherwise, what is
// left waits: a send job's message for the delay its recipient named (or,
// paused, for PausedRecheck, see putBack), a range job's as a range from
// its first recipient not finished, for the shortest delay any of them
// named.
func (d *Dispatcher) conclude(ctx context.Context, m queue.Message, refs []parley.Ref, verdicts []error) error {
	first := -1
	var failed []error
	stopped, wait := false, queue.MaxDelay
	for k, v := range verdicts {
		if v == nil {
			continue
		}
		if first < 0 {
			first = k
		}
		var later *notYet
		switch {
		case errors.Is(v, errStopped):
			stopped = true
		case errors.Is(v, errHeld):
			wait = min(wait, PausedRecheck)
		case errors.As(v, &later):
			wait = min(wait, d.left(later))
		default:
			failed = append(failed, v)
		}
	}
	switch {
	case first < 0:
		return nil
	case len(failed) > 0:
		return d.retry(ctx, m, errors.Join(failed...), obs.Ref(refs[first]))
	case stopped:
		return errStopped
	case len(refs) == 1 && errors.Is(verdicts[0], errHeld):
		return d.putBack(ctx, m, m.Body, PausedRecheck, obs.Ref(refs[0]))
	case len(refs) == 1:
		return d.retry(ctx, m, verdicts[0], obs.Ref(refs[0]))
	}
	rest, _ := queue.DecodeRangeJob(m.Body) // refs came from it
	rest.From += first
	return d.putBack(ctx, m, rest.Encode(), wait, obs.Ref(refs[first]))
}

// notYet asks for the job again after a given delay rather than a backoff:
// counted from since, when that is set, otherwise from when the job's
// message is concluded.
type notYet struct {
	delay time.Duration
	since time.Time
}

// left is what remains of e's delay now.
func (d *Dispatcher) left(e *notYet) time.Duration {
	if e.since.IsZero() {
		return e.delay
	}
	return max(e.delay-d.Clock.Now().Sub(e.since), 0)
}

func (e *notYet) Error() string { return fmt.Sprintf("not yet: due in %s", e.delay) }

// retry delays m's next delivery, by a backoff or by the delay a notYet
// cause names, and returns cause wrapped with ErrRetry. who names the job
// in the logs.
func (d *Dispatcher) retry(ctx context.Context, m queue.Message, cause error, who ...any) error {
	delay := Backoff(m.ReceiveCount)
	var later *notYet
	if errors.As(cause, &later) {
		delay = d.left(later)
	}
	d.Log.WarnContext(ctx, "job will be retried", append(who, "receiveCount", m.ReceiveCount, "retryIn", delay.String(), "err", cause)...)
	if err := d.Queue.ChangeVisibility(ctx, m.Receipt, delay); err != nil {
		d.Log.WarnContext(ctx, "could not delay retry", append(who, "err", err)...)
	}
	return errors.Join(ErrRetry, cause)
}

// handle returns an error only when the job should be retried.
func (d *Dispatcher) handle(ctx context.Context, j job) error {
	if j.group != nil {
		defer j.group.finish(ctx, d, j.pos)
	}
	err := d.wait(ctx, j.slot)
	if err == nil && stopping(ctx) {
		err = errStopped
	}
	if err == nil && j.group != nil {
		if r, ok := j.group.claimedAhead(j.pos); ok {
			return d.sendClaimed(ctx, j, j.c, r)
		}
	}
	var c parley.Campaign
	if err == nil {
		c, err = d.active(ctx, j, nil)
	}
	if err != nil {
		if j.group == nil {
			return err
		}
		if r, ok := j.group.leave(j.pos); ok {
			// Claimed with its group, and not to be sent now: given back.
			return errors.Join(err, d.record(ctx, r, parley.StatusQueued, "", ""))
		}
		return err
	}
	r, claimed, err := d.claim(ctx, c, j)
	if !claimed {
		return err
	}
	return d.sendClaimed(ctx, j, c, r)
}

// sendClaimed sends the claimed recipient r of job j, unless its delivery
// window is closed, it opted out or has a conversation open, or its
// campaign stopped since.
func (d *Dispatcher) sendClaimed(ctx context.Context, j job, c parley.Campaign, r parley.Recipient) error {
	if send, err := d.gate(ctx, c, r); !send {
		return err
	}
	if send, err := d.recheck(ctx, c, r); !send {
		return err
	}
	c, err := d.active(ctx, j, &r)
	if err != nil {
		return err
	}
	return d.send(ctx, j, c, r)
}

// claim moves the recipient to SENDING under a lease, counting the attempt:
// with the others of its claim group in one write, if it has one. A
// recipient already SENDING under a lease that ran out was left by a
// dispatcher that stopped mid-send: claim takes it over (see takeOver).
// claimed is false when the job is finished or must wait (err says which).
func (d *Dispatcher) claim(ctx context.Context, c parley.Campaign, j job) (r parley.Recipient, claimed bool, err error) {
	ref := j.ref
	if j.group != nil {
		res := j.group.claim(ctx, d)[j.pos]
		switch {
		case res.Err != nil:
			return r, false, res.Err
		case res.Claimed:
			return res.Recipient, true, nil
		case res.Recipient.ID == "":
			d.Log.ErrorContext(ctx, "dropping job of unknown recipient", obs.Ref(ref))
			return r, false, nil
		case res.Recipient.Status != parley.StatusScheduled:
			return d.unclaimable(ctx, c, res.Recipient)
		}
		// SCHEDULED: claimed from there, as a job of its own is.
	}
	now := d.Clock.Now()
	change := parley.RecipientChange{
		From: []parley.RecipientStatus{parley.StatusQueued}, Status: parley.StatusSending, CountAttempt: true,
		Claimant: d.Epoch, DueAt: now.Add(ClaimLease), At: now,
	}
	r, err = d.Store.UpdateRecipient(ctx, ref, change)
	if parley.ErrorCode(err) == parley.ECONFLICT && r.Status == parley.StatusScheduled {
		// Queued by the window check before it could mark it QUEUED.
		change.From = []parley.RecipientStatus{parley.StatusScheduled}
		r, err = d.Store.UpdateRecipient(ctx, ref, change)
	}
	switch parley.ErrorCode(err) {
	case "":
		return r, true, nil
	case parley.ECONFLICT:
		return d.unclaimable(ctx, c, r)
	case parley.ENOTFOUND:
		d.Log.ErrorContext(ctx, "dropping job of unknown recipient", obs.Ref(ref))
		return r, false, nil
	default:
		return r, false, err
	}
}

// unclaimable settles a job whose recipient r its claim did not move: one
// SENDING is taken over when its claim is stale (see takeOver); any other is
// a duplicate's, finished.
func (d *Dispatcher) unclaimable(ctx context.Context, c parley.Campaign, r parley.Recipient) (parley.Recipient, bool, error) {
	if r.Status == parley.StatusSending {
		return d.takeOver(ctx, c, r)
	}
	d.Log.InfoContext(ctx, "duplicate job ignored", obs.Recipient(r), "status", r.Status)
	return r, false, nil
}

// send delivers a claimed recipient of job j and records the outcome: a
// message sent with the others of j's claim group, if it has one (see
// recordSent).
func (d *Dispatcher) send(ctx context.Context, j job, c parley.Campaign, r parley.Recipient) error {
	msg := message(c, r)
	id, err := d.Sender.Send(ctx, msg)
	if sms, ok := fallback(c, r, msg, err); ok {
		d.Log.InfoContext(ctx, "not reachable on WhatsApp; sending the SMS fallback", obs.Recipient(r), "err", err)
		msg = sms
		id, err = d.Sender.Send(ctx, msg)
	}
	d.paced(ctx, c, err)
	var sendErr *parley.SendError
	switch {
	case err == nil:
		d.Log.InfoContext(ctx, "sent", obs.Recipient(r), "channel", msg.Channel, "providerMessageId", id)
		d.remember(ctx, c, r, msg, id)
		return d.recordSent(ctx, j, r, parley.RecipientChange{Status: parley.StatusSent, ProviderMessageID: id, Channel: msg.Channel})
	case errors.As(err, &sendErr) && (sendErr.Kind == parley.FailPermanent || sendErr.Kind == parley.FailIneligible):
		d.Log.WarnContext(ctx, "send failed", obs.Recipient(r), "code", sendErr.Code, "kind", sendErr.Kind, "reason", sendErr.Reason)
		return d.record(ctx, r, parley.StatusFailed, "", sendErr.Code)
	case errors.As(err, &sendErr) && sendErr.Kind == parley.FailThrottled && sendErr.RetryAfter > 0:
		return errors.Join(err, &notYet{delay: sendErr.RetryAfter}, d.record(ctx, r, parley.StatusQueued, "", ""))
	default:
		return d.requeue(ctx, r, err)
	}
}

// message is what goes to the gateway for r: its SMS text, or its
// campaign's WhatsApp template filled with its values.
func message(c parley.Campaign, r parley.Recipient) parley.Message {
	m := parley.Message{
		Channel: r.Channel, From: c.OutboundNumber, To: r.Phone, Body: r.Body,
		AccountID: r.AccountID, CampaignID: r.CampaignID, RecipientID: r.ID,
	}
	if r.Channel == parley.ChannelInApp {
		m.To, m.Apps = r.ConsumerID, c.Apps
	}
	if r.Channel == parley.ChannelWhatsApp && c.Template != nil {
		m.Template = c.Template.For(r)
		m.Body, _ = msgtext.Render(c.Template.Body, r.Variables)
	}
	return m
}

// fallback is the SMS a prioritized campaign sends when the consumer cannot
// be reached on WhatsApp: the same text, with the opt-out text (r.Body).
func fallback(c parley.Campaign, r parley.Recipient, m parley.Message, err error) (parley.Message, bool) {
	kind, failed := failKind(err)
	if c.Channel != parley.ChannelPrioritized || m.Channel != parley.ChannelWhatsApp || !failed || kind != parley.FailIneligible {
		return parley.Message{}, false
	}
	m.Channel, m.Template, m.Body = parley.ChannelSMS, nil, r.Body
	return m, true
}

// record moves a sent (or refused) recipient out of SENDING.
func (d *Dispatcher) record(ctx context.Context, r parley.Recipient, status parley.RecipientStatus, providerID, code string) error {
	return d.transition(ctx, r, parley.RecipientChange{Status: status, ProviderMessageID: providerID, ErrorMessage: code})
}

// recordSent records change, the message sent to r, j's recipient as
// claimed: with the others of j's claim group when the group claimed it
// (see claimGroup.record), otherwise, or when that write failed for it, on
// its own (see transition).
func (d *Dispatcher) recordSent(ctx context.Context, j job, r parley.Recipient, change parley.RecipientChange) error {
	if j.group == nil {
		return d.transition(ctx, r, change)
	}
	res, ok := j.group.record(ctx, d, j.pos, store.RangeRecord{Ref: r.Ref(), Change: d.fenced(r, change), Claimant: r.Claimant})
	switch {
	case !ok || res.Err != nil:
		if res.Err != nil {
			d.Log.WarnContext(ctx, "outcome not recorded with its group; recording it alone", obs.Recipient(r), "err", res.Err)
		}
		return d.transition(ctx, r, change)
	case !res.Claimed:
		d.Log.WarnContext(ctx, "claim was taken over; outcome not recorded here", obs.Recipient(r),
			"status", change.Status, "stored", res.Recipient.Status, "attempts", res.Recipient.Attempts)
	}
	return nil
}

// fenced is change made to r as claimed: out of SENDING, fenced to its
// claim, now.
func (d *Dispatcher) fenced(r parley.Recipient, change parley.RecipientChange) parley.RecipientChange {
	change.From, change.Attempt, change.At = []parley.RecipientStatus{parley.StatusSending}, r.Attempts, d.Clock.Now()
	return change
}

// transition applies change to the recipient r as claimed (SENDING, fenced
// to its claim), retrying briefly. A change that still fails leaves the
// recipient SENDING; the error then keeps the job until the claim's lease
// has run out, and its redelivery settles the recipient (see takeOver). A
// claim another dispatcher took over is not this one's to change: that is
// logged and not retried. When ctx ends, the retries stop at once and the
// error wraps ctx's.
func (d *Dispatcher) transition(ctx context.Context, r parley.Recipient, change parley.RecipientChange) error {
	change = d.fenced(r, change)
	var err error
	for attempt := range 4 {
		if attempt > 0 {
			if serr := run.Sleep(ctx, time.Duration(attempt*attempt)*50*time.Millisecond); serr != nil {
				err = errors.Join(serr, err)
				break
			}
		}
		var cur parley.Recipient
		cur, err = d.Store.UpdateRecipient(ctx, r.Ref(), change)
		switch parley.ErrorCode(err) {
		case "":
			return nil
		case parley.ECONFLICT:
			d.Log.WarnContext(ctx, "claim was taken over; outcome not recorded here", obs.Recipient(r),
				"status", change.Status, "stored", cur.Status, "attempts", cur.Attempts)
			return nil
		}
	}
	d.Log.ErrorContext(ctx, "outcome not recorded; the job returns when the claim's lease runs out", obs.Recipient(r),
		"status", change.Status, "providerMessageId", change.ProviderMessageID, "err", err)
	return errors.Join(err, &notYet{delay: ClaimLease})
}
