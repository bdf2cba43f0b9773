// Package campaign accepts proactive campaigns: it validates a brand's
// request, answers per consumer (accepted, or failed with a LivePerson error
// code), persists the campaign and its recipients, and fans the recipients
// out to the dispatch queue in resumable chunks: inline, or (Service.Async)
// through fan-out jobs on the queue that each queue one chunk.
package campaign

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/parleyhq/parley/internal/campaign/upload"
	"github.com/parleyhq/parley/internal/message"
	"github.com/parleyhq/parley/internal/obs"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/phone"
	"github.com/parleyhq/parley/internal/queue"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/tz"
	"github.com/parleyhq/parley/internal/window"
)

// Store is what the service needs from persistence.
type Store interface {
	store.Accounts
	store.Templates
	store.Campaigns
	store.Recipients
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
	// Counters, when set, gives a campaign's counts by status without
	// reading its recipients (see Detail).
	Counters Counters
	Queue    Queue
	Clock    parley.Clock
	Log      *slog.Logger
	// NewID returns a new campaign id; uuid v7 (time-ordered) by default.
	NewID func() string
	// Chunk is how many recipients are queued between progress marks
	// (FanoutChunk when zero).
	Chunk int
	// Async makes Create answer once the campaign is persisted and a
	// fan-out job is queued: dispatchers run FanoutChunk for each chunk of
	// JobChunk recipients, so a large upload is accepted within API
	// Gateway's limit. Otherwise Create fans out inline.
	Async bool
	// JobChunk is how many recipients one fan-out job queues
	// (FanoutJobChunk when zero).
	JobChunk int
	// SingleJobs queues a job per recipient, never a range job (see
	// Jobs): while dispatchers of a release that cannot read range jobs
	// may still be running (config.Config.RangeJobs).
	SingleJobs bool
	// OptOuts, when set, is consulted at intake: opted-out consumers become
	// SKIPPED recipients (OPTED_OUT) that are never queued.
	OptOuts OptOuts
	// Devices, when set, is consulted at intake of in-app campaigns: a
	// consumer without a registered device is refused (NO_DEVICE; see
	// MaxDeviceChecks).
	Devices Devices
	// ResumeDelay is how long a fan-out job queued by ResumeFanout waits:
	// a chain that is only slow moves past it meanwhile, and the job then
	// does nothing (DefaultResumeDelay when zero; negative for none).
	ResumeDelay time.Duration
	// Handoffs, when set, resolves a templateId that names an API handoff
	// (see applyHandoff).
	Handoffs Handoffs
	// Gate, when set, holds each account to a rate of creations. A draft
	// is checked first, so a request that is refused as invalid uses up
	// none of the budget.
	Gate Gate
	// Daily, when set, holds each account to its daily recipient limit
	// per channel (daily.go).
	Daily store.DailyCounts
}

// Gate admits or refuses (ETOOMANY, with the wait) an account's call
// (*ratelimit.Gate is one).
type Gate interface {
	Admit(ctx context.Context, accountID string) error
}

// Outcome is the answer for one consumer of a draft.
type Outcome struct {
	Index       int    // position in the draft's consumers
	Line        int    // line of the uploaded or typed list, when it came from one
	Phone       string // E.164 when accepted, as written when not
	ConsumerID  string // an in-app consumer's id, instead of Phone
	RecipientID string // set when accepted
	Error       string // LivePerson code when failed
	Detail      string // a sentence saying why
	// For accepted consumers: the message as sent, its SMS encoding, length
	// in that encoding's units and segments (for in-app: no encoding or
	// segments, and its length in characters), and when it will first go
	// out.
	Body     string
	Encoding message.Encoding
	Units    int
	Segments int
	DueAt    time.Time
	Status   parley.RecipientStatus
}

// Accepted is a validated draft: its campaign, the recipients to persist,
// and an outcome per consumer.
type Accepted struct {
	Campaign   parley.Campaign
	Recipients []parley.Recipient
	Accepted   []Outcome
	Failed     []Outcome
	// dailyLimit is the account's daily recipient limit per channel.
	dailyLimit int
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

// Preview validates d and builds its campaign and recipients — each
// recipient's number, message, segments and first allowed send time — and an
// outcome per consumer, persisting nothing. A draft with an invalid
// campaign-level field is EINVALID naming the field.
func (s *Service) Preview(ctx context.Context, accountID string, d Draft) (Accepted, error) {
	now := s.Clock.Now()
	acct, err := s.Store.Account(ctx, accountID)
	if err != nil {
		return Accepted{}, fmt.Errorf("read account %s: %w", accountID, err)
	}
	d, templateID, err := s.applyHandoff(ctx, accountID, d)
	if err != nil {
		return Accepted{}, err
	}
	tpl, err := s.template(ctx, accountID, templateID, d.Channel)
	if err != nil {
		return Accepted{}, err
	}
	c, err := s.campaign(acct, d, now, tpl)
	if err != nil {
		return Accepted{}, err
	}
	cs, err := consumers(d, c)
	if err != nil {
		return Accepted{}, err
	}
	if cs, err = s.refuseWithoutDevice(ctx, c, cs); err != nil {
		return Accepted{}, err
	}
	rs, accepted, failed := s.recipients(c, cs, now, d.Timezone)
	if err := s.skipOptedOut(ctx, c, rs, accepted); err != nil {
		return Accepted{}, err
	}
	c.Recipients = len(rs)
	if c.LaunchAt = launchAt(rs); c.LaunchAt.IsZero() {
		c.CompletedAt = now // every recipient skipped at intake: nothing to send
	}
	return Accepted{Campaign: c, Recipients: rs, Accepted: accepted, Failed: failed, dailyLimit: acct.DailyLimit()}, nil
}

// Parse is Preview, with the consumers past the account's daily recipient
// limit refused (DAILY_LIMIT_REACHED) as a create now would refuse them;
// it takes nothing from the limit.
func (s *Service) Parse(ctx context.Context, accountID string, d Draft) (Accepted, error) {
	a, err := s.Preview(ctx, accountID, d)
	if err != nil {
		return Accepted{}, err
	}
	if err := s.peekDaily(ctx, &a); err != nil {
		return Accepted{}, err
	}
	return a, nil
}

// Create validates d, persists the campaign with its accepted consumers and
// queues those due soon for dispatch (with Async, queues the job that does).
// A draft with an invalid campaign-level field is EINVALID naming the field;
// one whose consumers all fail is a *RejectedError. In both cases nothing
// is persisted.
func (s *Service) Create(ctx context.Context, accountID string, d Draft) (Accepted, error) {
	a, err := s.Preview(ctx, accountID, d)
	if err != nil {
		return Accepted{}, err
	}
	if len(a.Recipients) == 0 {
		return Accepted{}, &RejectedError{Failed: a.Failed}
	}
	if s.Gate != nil && d.CallID == "" { // an invite is held to its route's own rate
		if err := s.Gate.Admit(ctx, accountID); err != nil {
			return Accepted{}, err
		}
	}
	taken, err := s.takeDaily(ctx, &a)
	if err != nil {
		return Accepted{}, err
	}
	if len(a.Recipients) == 0 {
		return Accepted{}, &RejectedError{Failed: a.Failed}
	}
	if t := a.Campaign.Template; t != nil {
		// Recorded first: a template is never deleted under a campaign
		// that sends it (a use of a campaign never created is harmless).
		if err := s.Store.UseTemplate(ctx, accountID, t.ID, a.Campaign.ID); err != nil {
			s.giveBackDaily(ctx, taken)
			return Accepted{}, fmt.Errorf("record the use of template %s: %w", t.ID, err)
		}
	}
	if err := s.Store.CreateCampaign(ctx, a.Campaign, a.Recipients); err != nil {
		s.giveBackDaily(ctx, taken)
		return Accepted{}, fmt.Errorf("persist campaign: %w", err)
	}
	s.Log.InfoContext(ctx, "campaign accepted", obs.IDs(accountID, a.Campaign.ID, ""),
		"accepted", len(a.Accepted), "failed", len(a.Failed))
	if s.Async {
		if err := s.startFanout(ctx, a.Campaign); err != nil {
			// The campaign is accepted; ResumeFanout starts the job.
			s.Log.WarnContext(ctx, "fan-out job not queued", obs.IDs(accountID, a.Campaign.ID, ""), "err", err)
		}
		return a, nil
	}
	if a.Campaign.FannedOut, err = s.fanout(ctx, a.Campaign, a.Recipients); err != nil {
		// The campaign is accepted; ResumeFanout finishes the job.
		s.Log.WarnContext(ctx, "fan-out interrupted", obs.IDs(accountID, a.Campaign.ID, ""), "err", err)
	}
	return a, nil
}

// template returns the WhatsApp template a campaign names, nil for plain
// SMS. An in-app campaign's templateId names no template: Parley keeps it
// as the brand's reference (LivePerson's API handoff id).
func (s *Service) template(ctx context.Context, accountID, id string, channel parley.Channel) (*parley.WhatsAppTemplate, error) {
	if id == parley.PlainSMSTemplateID || strings.TrimSpace(id) == "" {
		return nil, nil
	}
	t, err := s.Store.Template(ctx, accountID, id)
	if parley.ErrorCode(err) == parley.ENOTFOUND && channel == parley.ChannelInApp {
		return nil, nil
	}
	if parley.ErrorCode(err) == parley.ENOTFOUND {
		return nil, parley.FieldErrorf("templateId", "templateId %q is neither %s (plain SMS) nor a WhatsApp template registered for this account", id, parley.PlainSMSTemplateID)
	}
	if err != nil {
		return nil, err
	}
	if err := t.Usable("templateId"); err != nil {
		return nil, err
	}
	return &t, nil
}

// campaign validates d and builds the campaign it describes.
func (s *Service) campaign(acct parley.Account, d Draft, now time.Time, tpl *parley.WhatsAppTemplate) (parley.Campaign, error) {
	if tpl == nil && cmp.Or(d.Channel, parley.ChannelSMS) == parley.ChannelSMS && strings.TrimSpace(d.Message) == "" && d.TemplateID == parley.PlainSMSTemplateID {
		d.Message = DefaultSMSMessage
	}
	optOut := cmp.Or(d.OptOutText, acct.OptOutText)
	if err := d.validate(now, optOut, tpl); err != nil {
		return parley.Campaign{}, err
	}
	channel := cmp.Or(d.Channel, parley.ChannelSMS)
	if tpl != nil {
		channel = cmp.Or(d.Channel, parley.ChannelWhatsApp)
	}
	sched, err := d.schedule(channel)
	if err != nil {
		return parley.Campaign{}, err
	}
	lookback, _ := d.lookback() // validated above
	outbound, _ := phone.Normalize(d.OutboundNumber)
	country := cmp.Or(d.DefaultCountry, acct.DefaultCountry)
	if channel == parley.ChannelInApp {
		outbound = strings.TrimSpace(d.OutboundNumber) // the sending app, if the brand names one
		country = ""                                   // in-app consumers have no number
	}
	return parley.Campaign{
		AccountID: acct.ID, ID: cmp.Or(d.ID, s.newID()), CallID: d.CallID, Name: d.Name, Skill: d.Skill, TemplateID: d.TemplateID,
		OutboundNumber: outbound, Channel: channel, Message: d.Message, OptOutText: optOut,
		DefaultCountry: country, Consent: d.Consent, CreatedAt: now, Schedule: sched, Lookback: lookback, Template: tpl,
		Apps:      d.Apps,
		CreatedBy: d.CreatedBy, Source: cmp.Or(d.Source, parley.SourceAPI),
		HandoffID: d.handoffID, IVRNumber: d.IVRNumber,
	}, nil
}

// recipients turns consumers into recipients, one outcome per consumer.
// draftZone is the time zone of in-app consumers that name none.
func (s *Service) recipients(c parley.Campaign, consumers []Consumer, now time.Time, draftZone string) ([]parley.Recipient, []Outcome, []Outcome) {
	var rs []parley.Recipient
	var accepted, failed []Outcome
	seen := map[string]string{} // E.164 (or in-app consumer id) → where it first appeared
	due := dueCache{schedule: c.Schedule, now: now, at: map[string]dueAt{}}
	for i, cons := range consumers {
		where := cons.where(i)
		o := Outcome{Index: i, Line: cons.Line, Phone: cons.SMS, ConsumerID: cons.ConsumerID, Error: cons.Error, Detail: cons.Detail}
		var r parley.Recipient
		if o.Error == "" {
			o.Error, o.Detail = unsafeValues(cons, where)
		}
		if o.Error == "" && c.Template == nil && cons.Header != "" {
			o.Error, o.Detail = upload.CodeTooManyHeaderVariables, fmt.Sprintf("%s has a header value; the message has no media header", where)
		}
		switch {
		case o.Error != "":
		case c.Channel == parley.ChannelInApp:
			r, o.Error, o.Detail = inAppRecipient(c, cons, seen, where, draftZone)
		default:
			r, o.Error, o.Detail = newRecipient(c, cons, seen, where)
		}
		if o.Error == "" {
			o.Error, o.Detail = due.place(&r, where)
		}
		if o.Error != "" {
			failed = append(failed, o)
			continue
		}
		seen[identity(r)] = where
		r.SDEs = cons.SDEs
		r.Seq = len(rs) + 1
		r.ID = parley.RecipientID(r.Seq)
		r.UpdatedAt = now
		rs = append(rs, r)
		o.Phone, o.ConsumerID, o.RecipientID, o.Body, o.DueAt, o.Status = r.Phone, r.ConsumerID, r.ID, r.Body, r.DueAt, r.Status
		if r.Channel == parley.ChannelInApp {
			o.Units = utf8.RuneCountInString(r.Body)
		} else {
			o.Encoding, o.Units, o.Segments = message.Segments(r.Body)
		}
		accepted = append(accepted, o)
	}
	return rs, accepted, failed
}

func newRecipient(c parley.Campaign, cons Consumer, seen map[string]string, where string) (parley.Recipient, string, string) {
	if cons.ConsumerID != "" {
		return parley.Recipient{}, parley.CodeInvalidNumber,
			fmt.Sprintf("%s has a consumer id, which only an inapp campaign reaches; a %s campaign needs a phone number", where, c.Channel)
	}
	if cons.Timezone != "" {
		return parley.Recipient{}, parley.CodeInvalidTimezone,
			fmt.Sprintf("%s: timezone is for inapp consumers; this one's time zones come from its phone number", where)
	}
	e164, code := phone.Read(cons.SMS, c.DefaultCountry)
	switch {
	case code == phone.Ambiguous:
		return parley.Recipient{}, parley.CodeAmbiguousNumber, fmt.Sprintf("%s: %q %s", where, cons.SMS, upload.AmbiguousNumber)
	case code != "" && c.DefaultCountry != "":
		return parley.Recipient{}, parley.CodeInvalidNumber,
			fmt.Sprintf("%s: %q is not a valid phone number, with its country code or of %s", where, cons.SMS, c.DefaultCountry)
	case code != "":
		return parley.Recipient{}, parley.CodeInvalidNumber,
			fmt.Sprintf("%s: %q is not a valid phone number with country code", where, cons.SMS)
	}
	if first, dup := seen[e164]; dup {
		return parley.Recipient{}, parley.CodeDuplicateNumber, fmt.Sprintf("%s repeats the number of %s", where, first)
	}
	if c.Template != nil {
		return templateRecipient(c, cons, e164, where)
	}
	if cons.Text == "" && cons.Line == 0 {
		if code, detail := checkVariables(expected(c.Message), cons.Variables, where); code != "" {
			return parley.Recipient{}, code, detail
		}
	}
	body, missing := cons.Text, []int(nil)
	if body == "" {
		body, missing = message.Render(c.Message, cons.Variables)
	}
	if len(missing) > 0 {
		return parley.Recipient{}, fmt.Sprintf("%s=%d", parley.CodeMissingVariable, missing[0]),
			fmt.Sprintf("%s has no value for {{%d}}", where, missing[0])
	}
	body = message.WithOptOut(body, c.OptOutText)
	limit := message.SMSLimit
	if c.CallID != "" && cons.Text != "" {
		limit = parley.MaxOverrideMessage // an IVR's overrideMessage
	}
	if n := utf8.RuneCountInString(body); n > limit {
		return parley.Recipient{}, parley.CodeTooLong,
			fmt.Sprintf("%s: the message with its opt-out text is %d characters; at most %d", where, n, limit)
	}
	return parley.Recipient{
		AccountID: c.AccountID, CampaignID: c.ID, Channel: parley.ChannelSMS, Phone: e164,
		Variables: cons.Variables, Body: body,
	}, "", ""
}

// templateRecipient checks a consumer's values against the campaign's
// WhatsApp template. Its Body is the template body as rendered; for a
// prioritized campaign, with the opt-out text, as its SMS fallback sends it.
func templateRecipient(c parley.Campaign, cons Consumer, e164, where string) (parley.Recipient, string, string) {
	t := *c.Template
	n := t.BodyVars()
	if cons.Line == 0 {
		if code, detail := checkVariables(expected(t.Body), cons.Variables, where); code != "" {
			return parley.Recipient{}, code, detail
		}
	}
	for k := range cons.Variables {
		if i, err := strconv.Atoi(k); err != nil || i < 1 || i > n {
			return parley.Recipient{}, upload.CodeTooManyVariables, fmt.Sprintf("%s: variable %q is not one of the template's {{1}}..{{%d}}", where, k, n)
		}
	}
	if code, detail := checkHeader(t, cons, where); code != "" {
		return parley.Recipient{}, code, detail
	}
	r := parley.Recipient{
		AccountID: c.AccountID, CampaignID: c.ID, Channel: parley.ChannelWhatsApp, Phone: e164,
		Variables: cons.Variables, HeaderURL: cons.Header, ButtonValue: cons.URL,
	}
	if code, detail := upload.Check(shape(c), cons.Header, t.For(r).Body, cons.URL, where); code != "" {
		return parley.Recipient{}, code, detail
	}
	r.Body, _ = message.Render(t.Body, cons.Variables)
	if c.Channel == parley.ChannelPrioritized {
		r.Body = message.WithOptOut(r.Body, c.OptOutText)
		if n := utf8.RuneCountInString(r.Body); n > message.SMSLimit {
			return parley.Recipient{}, parley.CodeTooLong,
				fmt.Sprintf("%s: the SMS fallback with its opt-out text is %d characters; at most %d", where, n, message.SMSLimit)
		}
	}
	return r, "", ""
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

// place sets r's zones (those of its phone number, unless set already, as
// for in-app), DueAt and status (QUEUED when due within the queue horizon,
// SCHEDULED otherwise), or returns why r can never be sent.
func (c *dueCache) place(r *parley.Recipient, where string) (code, detail string) {
	names := r.Zones
	if names == nil {
		names = tz.Names(r.Phone)
	}
	if names == nil {
		return parley.CodeUnknownZone, fmt.Sprintf("%s: no time zone is known for %s", where, r.Phone)
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
		return parley.CodeNoWindow, fmt.Sprintf("%s: the delivery window %s is never open at once in all of %s's time zones (%s)%s",
			where, c.schedule.Window, cmp.Or(r.Phone, "the consumer"), strings.Join(names, ", "), endNote(c.schedule))
	}
	r.Zones, r.DueAt, r.Status = d.zones, d.at, parley.StatusQueued
	if d.at.Sub(c.now) > QueueHorizon {
		r.Status = parley.StatusScheduled
	}
	return "", ""
}

// launchAt is the first allowed send of recipients: the earliest DueAt of
// those still to be sent (zero when none is).
func launchAt(rs []parley.Recipient) time.Time {
	var first time.Time
	for _, r := range rs {
		if !r.Status.Final() && (first.IsZero() || r.DueAt.Before(first)) {
			first = r.DueAt
		}
	}
	return first
}

func endNote(s window.Schedule) string {
	if s.EndAt.IsZero() {
		return ""
	}
	return " before the campaign ends at " + s.EndAt.UTC().Format(time.RFC3339)
}

// unsafeValues refuses a consumer whose values carry a character no
// message may (message.Unsafe), naming the value and the character.
func unsafeValues(cons Consumer, where string) (string, string) {
	values := [][2]string{{"text", cons.Text}, {"headerUrl", cons.Header}, {"buttonVariable", cons.URL}}
	for _, k := range slices.Sorted(maps.Keys(cons.Variables)) {
		values = append(values, [2]string{"variable " + k, cons.Variables[k]})
	}
	for _, v := range values {
		if r, pos, bad := message.Unsafe(v[1]); bad {
			return parley.CodeInvalidCharacter, fmt.Sprintf("%s: %s has %s; remove it", where, v[0], message.DescribeUnsafe(r, pos))
		}
	}
	return "", ""
}
