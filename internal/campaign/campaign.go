// Package campaign accepts proactive campaigns: it validates a brand's
// request, answers per consumer (accepted, or failed with a LivePerson error
// code), persists the campaign and its recipients, and fans the recipients
// out to the dispatch queue in resumable chunks.
package campaign

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/parleyhq/parley/internal/message"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/phone"
	"github.com/parleyhq/parley/internal/queue"
)

// Store is what the service needs from persistence.
type Store interface {
	CreateCampaign(ctx context.Context, c parley.Campaign, rs []parley.Recipient) error
	Campaign(ctx context.Context, accountID, campaignID string) (parley.Campaign, error)
	SetFannedOut(ctx context.Context, accountID, campaignID string, n int) error
	PendingFanout(ctx context.Context) ([]parley.Campaign, error)
	Recipients(ctx context.Context, accountID, campaignID string, afterSeq, limit int) ([]parley.Recipient, error)
}

// Queue is what the service needs from the job queue.
type Queue interface {
	Send(ctx context.Context, entries ...queue.Entry) error
}

// Per-consumer error codes, as LivePerson names them.
const (
	ErrInvalidNumber   = phone.Invalid
	ErrDuplicateNumber = "DUPLICATE_NUMBER"
	ErrMissingVariable = "MISSING_VARIABLE" // rendered as MISSING_VARIABLE=<n>
)

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

// Draft is a campaign as a brand submits it.
type Draft struct {
	Name           string
	Skill          string
	TemplateID     string
	OutboundNumber string
	Consent        bool
	Message        string
	Consumers      []Consumer
}

// Consumer is one addressee of a draft.
type Consumer struct {
	SMS       string
	Variables map[string]string
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
	if err := d.validate(); err != nil {
		return Accepted{}, err
	}
	now := s.Clock.Now()
	outbound, _ := phone.Normalize(d.OutboundNumber) // validated above
	c := parley.Campaign{
		AccountID: accountID, ID: s.newID(), Name: d.Name, Skill: d.Skill, TemplateID: d.TemplateID,
		OutboundNumber: outbound, Channel: parley.ChannelSMS, Message: d.Message,
		Consent: d.Consent, CreatedAt: now,
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
	var err error
	if c.FannedOut, err = s.fanout(ctx, c, rs); err != nil {
		// The campaign is accepted; ResumeFanout finishes the job.
		s.Log.WarnContext(ctx, "fan-out interrupted", "account", accountID, "campaign", c.ID, "err", err)
	}
	return Accepted{Campaign: c, Accepted: accepted, Failed: failed}, nil
}

func (d Draft) validate() error {
	required := []struct{ field, value string }{
		{"campaignName", d.Name}, {"skill", d.Skill}, {"templateId", d.TemplateID}, {"outboundNumber", d.OutboundNumber},
	}
	for _, r := range required {
		if strings.TrimSpace(r.value) == "" {
			return parley.FieldErrorf(r.field, "%s is required", r.field)
		}
	}
	switch {
	case !d.Consent:
		return parley.FieldErrorf("consent", "consent must be true: the brand confirms every consumer opted in to this channel")
	case d.TemplateID != parley.PlainSMSTemplateID:
		return parley.FieldErrorf("templateId", "templateId %q is not known; use %s for a plain SMS campaign", d.TemplateID, parley.PlainSMSTemplateID)
	case strings.TrimSpace(d.Message) == "":
		return parley.FieldErrorf("message", "message is required for a plain SMS campaign")
	case len([]rune(d.Message)) > message.MaxLength:
		return parley.FieldErrorf("message", "message is %d characters; at most %d", len([]rune(d.Message)), message.MaxLength)
	case len(d.Consumers) == 0:
		return parley.FieldErrorf("consumers", "at least one consumer is required")
	case len(d.Consumers) > parley.MaxConsumersPerCall:
		return parley.FieldErrorf("consumers", "%d consumers in one call; at most %d", len(d.Consumers), parley.MaxConsumersPerCall)
	}
	if _, ok := phone.Normalize(d.OutboundNumber); !ok {
		return parley.FieldErrorf("outboundNumber", "outboundNumber %q is not a valid phone number with country code", d.OutboundNumber)
	}
	return nil
}

// recipients turns consumers into recipients, one outcome per consumer.
func (s *Service) recipients(c parley.Campaign, consumers []Consumer, now time.Time) ([]parley.Recipient, []Outcome, []Outcome) {
	var rs []parley.Recipient
	var accepted, failed []Outcome
	seen := map[string]int{}
	for i, cons := range consumers {
		o := Outcome{Index: i}
		r, code, detail := s.recipient(c, cons, seen, i)
		if code != "" {
			o.Phone, o.Error, o.Detail = r.Phone, code, detail
			failed = append(failed, o)
			continue
		}
		seen[r.Phone] = i
		r.Seq = len(rs) + 1
		r.ID = parley.RecipientID(r.Seq)
		r.DueAt, r.UpdatedAt = now, now
		rs = append(rs, r)
		o.Phone, o.RecipientID = r.Phone, r.ID
		accepted = append(accepted, o)
	}
	return rs, accepted, failed
}

func (s *Service) recipient(c parley.Campaign, cons Consumer, seen map[string]int, i int) (parley.Recipient, string, string) {
	e164, ok := phone.Normalize(cons.SMS)
	if !ok {
		return parley.Recipient{Phone: cons.SMS}, ErrInvalidNumber,
			fmt.Sprintf("consumers[%d].consumerContent.sms %q is not a valid phone number with country code", i, cons.SMS)
	}
	if first, dup := seen[e164]; dup {
		return parley.Recipient{Phone: e164}, ErrDuplicateNumber,
			fmt.Sprintf("consumers[%d] repeats the number of consumers[%d]", i, first)
	}
	body, missing := message.Render(c.Message, cons.Variables)
	if len(missing) > 0 {
		return parley.Recipient{Phone: e164}, fmt.Sprintf("%s=%d", ErrMissingVariable, missing[0]),
			fmt.Sprintf("consumers[%d].variables has no value for {{%d}}", i, missing[0])
	}
	return parley.Recipient{
		AccountID: c.AccountID, CampaignID: c.ID, Channel: c.Channel, Phone: e164,
		Variables: cons.Variables, Body: message.WithOptOut(body, ""), Status: parley.StatusQueued,
	}, "", ""
}

// fanout queues rs (a campaign's recipients in Seq order, starting after
// c.FannedOut) chunk by chunk, marking progress after each chunk. It returns
// the progress mark reached.
func (s *Service) fanout(ctx context.Context, c parley.Campaign, rs []parley.Recipient) (int, error) {
	done := c.FannedOut
	size := cmp.Or(s.Chunk, FanoutChunk)
	for start := 0; start < len(rs); start += size {
		chunk := rs[start:min(start+size, len(rs))]
		var entries []queue.Entry
		for _, r := range chunk {
			if r.Status == parley.StatusQueued || r.Status == parley.StatusScheduled {
				entries = append(entries, queue.Entry{Body: r.Ref().Encode()})
			}
		}
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
// a recipient queued twice is sent once.
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
		if err := s.resume(ctx, c); err != nil {
			return fmt.Errorf("resume fan-out of campaign %s: %w", c.ID, err)
		}
		s.Log.InfoContext(ctx, "fan-out resumed", "account", c.AccountID, "campaign", c.ID, "from", c.FannedOut)
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
