// Package campaign accepts proactive campaigns: it validates a brand's
// request, answers per consumer (accepted, or failed with a LivePerson error
// code), persists the campaign and its recipients, and fans the recipients
// out to the dispatch queue in resumable chunks.
package campaign

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/parleyhq/parley/internal/message"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/phone"
	"github.com/parleyhq/parley/internal/queue"
	"github.com/parleyhq/parley/internal/tz"
	"github.com/parleyhq/parley/internal/window"
)

// Store is what the service needs from persistence.
type Store interface {
	CreateCampaign(ctx context.Context, c parley.Campaign, rs []parley.Recipient) error
	Campaign(ctx context.Context, accountID, campaignID string) (parley.Campaign, error)
	SetFannedOut(ctx context.Context, accountID, campaignID string, n int) error
	PendingFanout(ctx context.Context) ([]parley.Campaign, error)
	Recipients(ctx context.Context, accountID, campaignID string, afterSeq, limit int) ([]parley.Recipient, error)
	DueRecipients(ctx context.Context, before time.Time, limit int) ([]parley.Recipient, error)
	UpdateRecipient(ctx context.Context, ref parley.Ref, change parley.RecipientChange) (parley.Recipient, error)
}

// Queue is what the service needs from the job queue.
type Queue interface {
	Send(ctx context.Context, entries ...queue.Entry) error
}

// QueueHorizon is how far ahead a recipient's send may be queued: SQS's
// longest delivery delay. Later sends wait in the due-time index.
const QueueHorizon = queue.MaxDelay

// FanoutChunk is how many recipients are queued between two progress marks;
// a crash re-queues at most this many (the dispatcher's claim absorbs them).
const FanoutChunk = 100

// Service accepts campaigns and reports on them.
type Service struct {
	Store Store
	Queue Queue
	Clock parley.Clock
	Log   *slog.Logger
	// NewID returns a new campaign id; uuid v7 (time-ordered) by default.
	NewID func() string
	// Chunk is how many recipients are queued between progress marks
	// (FanoutChunk when zero).
	Chunk int
}

// Outcome is the answer for one consumer of a draft.
type Outcome struct {
	Index       int    // position in the draft's consumers
	Phone       string // E.164 when valid
	RecipientID string // set when accepted
	Error       string // LivePerson code when failed
	Detail      string // a sentence saying why
}

// Accepted is the result of a successful Create.
type Accepted struct {
	Campaign parley.Campaign
	Accepted []Outcome
	Failed   []Outcome
}

// RejectedError is returned when no consumer of a draft was accepted. It
// carries the per-consumer reasons; nothing was persisted.
type RejectedError struct {
	Failed []Outcome
}

// Error implements error.
func (e *RejectedError) Error() string {
	return fmt.Sprintf("none of %d consumers was accepted", len(e.Failed))
}

func (s *Service) newID() string {
	if s.NewID != nil {
		return s.NewID()
	}
	return uuid.Must(uuid.NewV7()).String()
}

// Create validates d, persists the campaign with its accepted consumers and
// queues them for dispatch. A draft with an invalid campaign-level field is
// EINVALID naming the field; one whose consumers all fail is a
// *RejectedError. In both cases nothing is persisted.
func (s *Service) Create(ctx context.Context, accountID string, d Draft) (Accepted, error) {
	now := s.Clock.Now()
	c, err := s.campaign(accountID, d, now)
	if err != nil {
		return Accepted{}, err
	}
	rs, accepted, failed := s.recipients(c, d.Consumers, now)
	if len(rs) == 0 {
		return Accepted{}, &RejectedError{Failed: failed}
	}
	c.Recipients = len(rs)
	if err := s.Store.CreateCampaign(ctx, c, rs); err != nil {
		return Accepted{}, fmt.Errorf("persist campaign: %w", err)
	}
	s.Log.InfoContext(ctx, "campaign accepted", "account", accountID, "campaign", c.ID,
		"accepted", len(accepted), "failed", len(failed))
	if c.FannedOut, err = s.fanout(ctx, c, rs); err != nil {
		// The campaign is accepted; ResumeFanout finishes the job.
		s.Log.WarnContext(ctx, "fan-out interrupted", "account", accountID, "campaign", c.ID, "err", err)
	}
	return Accepted{Campaign: c, Accepted: accepted, Failed: failed}, nil
}

// campaign validates d and builds the campaign it describes.
func (s *Service) campaign(accountID string, d Draft, now time.Time) (parley.Campaign, error) {
	if err := d.validate(now); err != nil {
		return parley.Campaign{}, err
	}
	sched, err := d.schedule()
	if err != nil {
		return parley.Campaign{}, err
	}
	lookback, _ := d.lookback() // validated above
	outbound, _ := phone.Normalize(d.OutboundNumber)
	return parley.Campaign{
		AccountID: accountID, ID: s.newID(), Name: d.Name, Skill: d.Skill, TemplateID: d.TemplateID,
		OutboundNumber: outbound, Channel: parley.ChannelSMS, Message: d.Message,
		Consent: d.Consent, CreatedAt: now, Schedule: sched, Lookback: lookback,
	}, nil
}

// recipients turns consumers into recipients, one outcome per consumer.
func (s *Service) recipients(c parley.Campaign, consumers []Consumer, now time.Time) ([]parley.Recipient, []Outcome, []Outcome) {
	var rs []parley.Recipient
	var accepted, failed []Outcome
	seen := map[string]int{}
	due := dueCache{schedule: c.Schedule, now: now, at: map[string]dueAt{}}
	for i, cons := range consumers {
		o := Outcome{Index: i}
		r, code, detail := s.recipient(c, cons, seen, i)
		if code == "" {
			code, detail = due.place(&r, i)
		}
		if code != "" {
			o.Phone, o.Error, o.Detail = r.Phone, code, detail
			failed = append(failed, o)
			continue
		}
		seen[r.Phone] = i
		r.Seq = len(rs) + 1
		r.ID = parley.RecipientID(r.Seq)
		r.UpdatedAt = now
		rs = append(rs, r)
		o.Phone, o.RecipientID = r.Phone, r.ID
		accepted = append(accepted, o)
	}
	return rs, accepted, failed
}

func (s *Service) recipient(c parley.Campaign, cons Consumer, seen map[string]int, i int) (parley.Recipient, string, string) {
	e164, ok := phone.Normalize(cons.SMS)
	if !ok {
		return parley.Recipient{Phone: cons.SMS}, parley.CodeInvalidNumber,
			fmt.Sprintf("consumers[%d].consumerContent.sms %q is not a valid phone number with country code", i, cons.SMS)
	}
	if first, dup := seen[e164]; dup {
		return parley.Recipient{Phone: e164}, parley.CodeDuplicateNumber,
			fmt.Sprintf("consumers[%d] repeats the number of consumers[%d]", i, first)
	}
	body, missing := message.Render(c.Message, cons.Variables)
	if len(missing) > 0 {
		return parley.Recipient{Phone: e164}, fmt.Sprintf("%s=%d", parley.CodeMissingVariable, missing[0]),
			fmt.Sprintf("consumers[%d].variables has no value for {{%d}}", i, missing[0])
	}
	body = message.WithOptOut(body, "")
	if n := utf8.RuneCountInString(body); n > message.SMSLimit {
		return parley.Recipient{Phone: e164}, parley.CodeTooLong,
			fmt.Sprintf("consumers[%d]: the message with its opt-out text is %d characters; at most %d", i, n, message.SMSLimit)
	}
	return parley.Recipient{
		AccountID: c.AccountID, CampaignID: c.ID, Channel: c.Channel, Phone: e164,
		Variables: cons.Variables, Body: body,
	}, "", ""
}

// dueAt is the first allowed send time of a zone set.
type dueAt struct {
	zones []string
	at    time.Time
	ok    bool
}

// dueCache computes first allowed send times once per zone set: recipients
// of one intake share the instant and the schedule, so numbers in the same
// zones get the same answer.
type dueCache struct {
	schedule window.Schedule
	now      time.Time
	at       map[string]dueAt
}

// place sets r's zones, DueAt and status (QUEUED when due within the queue
// horizon, SCHEDULED otherwise), or returns why r can never be sent.
func (c *dueCache) place(r *parley.Recipient, i int) (code, detail string) {
	names := tz.Names(r.Phone)
	if names == nil {
		return parley.CodeUnknownZone, fmt.Sprintf("consumers[%d]: no time zone is known for %s", i, r.Phone)
	}
	key := tz.Key(names)
	d, seen := c.at[key]
	if !seen {
		d = dueAt{zones: names}
		if locs, err := tz.Locations(names); err == nil {
			d.at, d.ok = c.schedule.Due(c.now, locs)
		}
		c.at[key] = d
	}
	if !d.ok {
		return parley.CodeNoWindow, fmt.Sprintf("consumers[%d]: the delivery window %s is never open at once in all of %s's time zones (%s)%s",
			i, c.schedule.Window, r.Phone, strings.Join(names, ", "), endNote(c.schedule))
	}
	r.Zones, r.DueAt, r.Status = d.zones, d.at, parley.StatusQueued
	if d.at.Sub(c.now) > QueueHorizon {
		r.Status = parley.StatusScheduled
	}
	return "", ""
}

func endNote(s window.Schedule) string {
	if s.EndAt.IsZero() {
		return ""
	}
	return " before the campaign ends at " + s.EndAt.UTC().Format(time.RFC3339)
}
