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
)

// Store is what dispatch needs from persistence.
type Store interface {
	Campaign(ctx context.Context, accountID, campaignID string) (parley.Campaign, error)
	UpdateRecipient(ctx context.Context, ref parley.Ref, change parley.RecipientChange) (parley.Recipient, error)
	DueRecipients(ctx context.Context, status parley.RecipientStatus, before time.Time, limit int) ([]parley.Recipient, error)
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
	Clock  parley.Clock
	Log    *slog.Logger
	// Limiter, when set, paces sends at Limit per account, channel and
	// sender.
	Limiter Limiter
	Limit   ratelimit.Limit
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
const PausedRecheck = 2 * time.Minute

// cancel marks the recipient of a cancelled campaign's job CANCELLED.
func (d *Dispatcher) cancel(ctx context.Context, ref parley.Ref) {
	_, err := d.Store.UpdateRecipient(ctx, ref, parley.Cancellation(d.Clock.Now()))
	if err != nil && parley.ErrorCode(err) != parley.ECONFLICT {
		d.Log.WarnContext(ctx, "recipient of a cancelled campaign not marked", obs.Ref(ref), "err", err)
	}
}

// ErrRetry marks a job whose recipient is still to be sent.
var ErrRetry = errors.New("dispatch: retry later")

// Handle processes one job. It returns nil when the job is finished (sent,
// failed for good, or a duplicate) and may be deleted; otherwise the job's
// visibility has been set for a backoff retry and an error wrapping ErrRetry
// is returned.
func (d *Dispatcher) Handle(ctx context.Context, m queue.Message) error {
	ref, err := parley.DecodeJob(m.Body)
	if err != nil {
		d.Log.ErrorContext(ctx, "dropping malformed job", "message", m.ID, "err", err)
		return nil
	}
	if err := d.handle(ctx, ref); err != nil {
		return d.retry(ctx, m, ref, err)
	}
	return nil
}

// notYet asks for the job again after a given delay rather than a backoff.
type notYet struct{ delay time.Duration }

func (e *notYet) Error() string { return fmt.Sprintf("not yet: due in %s", e.delay) }

func (d *Dispatcher) retry(ctx context.Context, m queue.Message, ref parley.Ref, cause error) error {
	delay := Backoff(m.ReceiveCount)
	var later *notYet
	if errors.As(cause, &later) {
		delay = later.delay
	}
	d.Log.WarnContext(ctx, "job will be retried", obs.Ref(ref), "receiveCount", m.ReceiveCount, "retryIn", delay.String(), "err", cause)
	if err := d.Queue.ChangeVisibility(ctx, m.Receipt, delay); err != nil {
		d.Log.WarnContext(ctx, "could not delay retry", obs.Ref(ref), "err", err)
	}
	return errors.Join(ErrRetry, cause)
}

// handle returns an error only when the job should be retried.
func (d *Dispatcher) handle(ctx context.Context, ref parley.Ref) error {
	c, err := d.Store.Campaign(ctx, ref.AccountID, ref.CampaignID)
	if parley.ErrorCode(err) == parley.ENOTFOUND {
		d.Log.ErrorContext(ctx, "dropping job of unknown campaign", obs.Ref(ref))
		return nil
	} else if err != nil {
		return err
	}
	switch c.State {
	case parley.StatePaused:
		return &notYet{delay: PausedRecheck}
	case parley.StateCancelled:
		d.cancel(ctx, ref)
		return nil
	}
	if err := d.pace(ctx, c); err != nil {
		return err
	}
	now := d.Clock.Now()
	r, err := d.Store.UpdateRecipient(ctx, ref, parley.RecipientChange{
		From: parley.Claimable, Status: parley.StatusSending, CountAttempt: true, DueAt: now.Add(ClaimLease), At: now,
	})
	switch parley.ErrorCode(err) {
	case "":
	case parley.ECONFLICT:
		d.Log.InfoContext(ctx, "duplicate job ignored", obs.Ref(ref), "status", r.Status)
		return nil
	case parley.ENOTFOUND:
		d.Log.ErrorContext(ctx, "dropping job of unknown recipient", obs.Ref(ref))
		return nil
	default:
		return err
	}
	if send, err := d.gate(ctx, c, r); !send {
		return err
	}
	return d.send(ctx, c, r)
}

// send delivers a claimed recipient and records the outcome.
func (d *Dispatcher) send(ctx context.Context, c parley.Campaign, r parley.Recipient) error {
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
		d.transition(ctx, r, parley.RecipientChange{Status: parley.StatusSent, ProviderMessageID: id, Channel: msg.Channel})
		d.Log.InfoContext(ctx, "sent", obs.Recipient(r), "channel", msg.Channel, "providerMessageId", id)
		return nil
	case errors.As(err, &sendErr) && (sendErr.Kind == parley.FailPermanent || sendErr.Kind == parley.FailIneligible):
		d.record(ctx, r, parley.StatusFailed, "", sendErr.Code)
		d.Log.WarnContext(ctx, "send failed", obs.Recipient(r), "code", sendErr.Code, "kind", sendErr.Kind, "reason", sendErr.Reason)
		return nil
	case errors.As(err, &sendErr) && sendErr.Kind == parley.FailThrottled && sendErr.RetryAfter > 0:
		d.record(ctx, r, parley.StatusQueued, "", "")
		return errors.Join(err, &notYet{delay: sendErr.RetryAfter})
	default:
		d.record(ctx, r, parley.StatusQueued, "", "")
		return err
	}
}

// message is what goes to the gateway for r: its SMS text, or its
// campaign's WhatsApp template filled with its values.
func message(c parley.Campaign, r parley.Recipient) parley.Message {
	m := parley.Message{
		Channel: r.Channel, From: c.OutboundNumber, To: r.Phone, Body: r.Body,
		AccountID: r.AccountID, CampaignID: r.CampaignID, RecipientID: r.ID,
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
func (d *Dispatcher) record(ctx context.Context, r parley.Recipient, status parley.RecipientStatus, providerID, code string) {
	d.transition(ctx, r, parley.RecipientChange{Status: status, ProviderMessageID: providerID, ErrorMessage: code})
}

// transition applies change to a claimed recipient (From is SENDING),
// retrying briefly: the claim already prevents a second send, so a change
// that still fails is logged for reconciliation rather than retried through
// the queue.
func (d *Dispatcher) transition(ctx context.Context, r parley.Recipient, change parley.RecipientChange) {
	change.From, change.At = []parley.RecipientStatus{parley.StatusSending}, d.Clock.Now()
	var err error
	for attempt := range 4 {
		if attempt > 0 {
			time.Sleep(time.Duration(attempt*attempt) * 50 * time.Millisecond)
		}
		if _, err = d.Store.UpdateRecipient(ctx, r.Ref(), change); err == nil || parley.ErrorCode(err) == parley.ECONFLICT {
			return
		}
	}
	d.Log.ErrorContext(ctx, "outcome not recorded; recipient left SENDING", obs.Recipient(r),
		"status", change.Status, "providerMessageId", change.ProviderMessageID, "err", err)
}

// HandleBatch handles messages concurrently and returns one result per
// message, in order: nil for a finished job.
func (d *Dispatcher) HandleBatch(ctx context.Context, ms []queue.Message) []error {
	errs := make([]error, len(ms))
	var wg sync.WaitGroup
	for i, m := range ms {
		wg.Go(func() { errs[i] = d.Handle(ctx, m) })
	}
	wg.Wait()
	return errs
}
