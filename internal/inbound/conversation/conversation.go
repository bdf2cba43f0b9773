// Package conversation routes consumers' replies into conversations. A reply goes
// to the skill of the newest message Parley sent the consumer on the
// reply's channel whose lookback has not passed, preferring those sent from
// the number the consumer wrote to (see Attribute); else, inside a provider
// broadcast's timeframe, to the engagement its entry point names; else to
// the account's default skill.
// The conversation starts with the outbound message it answers, takes
// further replies while open, and once closed gives way to a new one. Each
// conversation started is recorded as a reporting event, and every change
// is pushed to the brand's agent platform.
//
// Opt-out and help keywords are handled before Receive is called; Receive
// takes any text, empty included.
package conversation

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/parleyhq/parley/internal/obs"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/phone"
	"github.com/parleyhq/parley/internal/store"
)

// Store is what the service needs from persistence.
type Store interface {
	store.Accounts
	store.OutboundContexts
	store.Conversations
	store.Broadcasts
}

// Recipients gives a campaign's recipient, whose engagement attributes
// (SDEs) a conversation it opens shows (store.Campaigns is one).
type Recipients interface {
	Recipient(ctx context.Context, ref parley.Ref) (parley.Recipient, error)
}

// Connector pushes conversations to the brand's agent platform.
type Connector interface {
	Push(ctx context.Context, ev parley.ConversationEvent) error
}

// Service routes replies and keeps conversations.
type Service struct {
	Store Store
	// Recipients, when set, gives a proactive conversation the engagement
	// attributes of the recipient whose message it answers.
	Recipients Recipients
	// Events, when set, records a reporting event per conversation started.
	Events store.ReportEvents
	// Connector, when set, receives every change of a conversation.
	Connector Connector
	Clock     parley.Clock
	Log       *slog.Logger
	// NewID names new conversations and broadcasts; nil means UUIDv7,
	// whose order is creation order (listings rely on it).
	NewID func() string
	// Calls, when set, gives the IVR context of the Connect to Messaging
	// call a deflection message was sent for, which the conversation its
	// reply opens carries.
	Calls Calls
	// Stamps, when set, stamps the recipient whose message a conversation
	// answers: responded and conversation created when a reply opens it,
	// conversation closed when it closes, opted out (see OptedOut).
	Stamps store.Stamps
}

// stamp stamps steps at at on the recipient whose message c answers, if
// it answers one; a recipient gone is left alone.
func (s *Service) stamp(ctx context.Context, c parley.Conversation, at time.Time, steps ...parley.Step) error {
	if s.Stamps == nil || c.Context.CampaignID == "" || c.Context.RecipientID == "" {
		return nil
	}
	ref := parley.Ref{AccountID: c.AccountID, CampaignID: c.Context.CampaignID, RecipientID: c.Context.RecipientID}
	for _, step := range steps {
		_, _, err := s.Stamps.StampRecipient(ctx, ref, step, at)
		if err != nil && parley.ErrorCode(err) != parley.ENOTFOUND {
			return fmt.Errorf("stamp %s on recipient %s of campaign %s: %w", step, ref.RecipientID, ref.CampaignID, err)
		}
	}
	return nil
}

// OptedOut attributes a consumer's opt-out keyword to the campaign whose
// message it answers, as a reply would be routed (see Attribute): that
// recipient is stamped opted out. An opt-out that answers no message
// stamps nothing.
func (s *Service) OptedOut(ctx context.Context, in Inbound) error {
	consumer := Consumer(in.Channel, in.From)
	if s.Stamps == nil || consumer == "" {
		return nil
	}
	at := in.At
	if at.IsZero() {
		at = s.now()
	}
	contexts, err := s.Store.OutboundContexts(ctx, in.AccountID, consumer, at.Add(-parley.MaxLookback), routeContexts)
	if err != nil {
		return err
	}
	o, ok := Attribute(contexts, cmp.Or(in.Channel, parley.ChannelSMS), cmp.Or(in.Sender, in.To), at, time.Time{})
	if !ok {
		return nil
	}
	c := parley.Conversation{AccountID: in.AccountID, Context: parley.ConversationContext{CampaignID: o.CampaignID, RecipientID: o.RecipientID}}
	return s.stamp(ctx, c, at, parley.StepOptedOut)
}

// Calls reads Connect to Messaging call contexts (store.Calls is one).
type Calls interface {
	Call(ctx context.Context, accountID, id string) (parley.Call, error)
}

// Inbound is a consumer's message as a channel webhook received it.
type Inbound struct {
	AccountID string
	Channel   parley.Channel
	// From is the consumer: a phone number, or a brand's consumer id for
	// in-app.
	From string
	// To is the number or app the consumer wrote to; it may be a
	// broadcast's entry point.
	To string
	// Sender is the outbound number (as campaigns name it) of the sender
	// the consumer wrote to (gateway.InboundMessage.Sender); To when empty.
	Sender            string
	Body              string
	ProviderMessageID string
	// At is when the provider received the message; zero means now.
	At time.Time
	// EntryPoint is the provider's campaign id, when the webhook knows it.
	EntryPoint string
}

// ErrNotPushed marks a conversation that was stored but could not be pushed
// to the agent platform; a redelivered webhook pushes it again.
var ErrNotPushed = errors.New("conversation stored but not pushed to the agent platform")

// maxRaces bounds how often Receive and Close start over when the
// consumer's conversation changed under them. Every conflict means another
// writer succeeded, so n concurrent replies of one consumer need at most n
// rounds.
const maxRaces = 16

// routeContexts is how many of a consumer's recent outbound contexts are
// considered: as many as one read returns (all channels share them, and a
// reply picks those of its own), still one DynamoDB request of at most
// 50 KB.
const routeContexts = store.MaxContexts

func (s *Service) now() time.Time { return s.Clock.Now() }

func (s *Service) log() *slog.Logger {
	if s.Log == nil {
		return obs.Discard()
	}
	return s.Log
}

func (s *Service) newID() string {
	if s.NewID != nil {
		return s.NewID()
	}
	return uuid.Must(uuid.NewV7()).String()
}

// Consumer is how a conversation names its consumer: a phone number in
// E.164 (as written when it is none), a consumer id as is for in-app.
func Consumer(channel parley.Channel, raw string) string {
	raw = strings.TrimSpace(raw)
	if channel == parley.ChannelInApp {
		return raw
	}
	if e164, ok := phone.Normalize(raw); ok {
		return e164
	}
	return raw
}

// Receive routes a consumer's message: it joins the consumer's open
// conversation, or opens one (see the package doc). A message whose
// provider id the consumer's latest conversation already holds changes
// nothing and is pushed again. When the push fails the conversation is
// returned with an EUNAVAILABLE error wrapping ErrNotPushed.
func (s *Service) Receive(ctx context.Context, in Inbound) (parley.Conversation, error) {
	if strings.TrimSpace(in.AccountID) == "" {
		return parley.Conversation{}, parley.FieldErrorf("accountId", "a reply needs its account")
	}
	consumer := Consumer(in.Channel, in.From)
	if consumer == "" {
		return parley.Conversation{}, parley.FieldErrorf("from", "a reply needs its sender")
	}
	at := in.At
	if at.IsZero() {
		at = s.now()
	}
	line := parley.Line{Direction: parley.Inbound, Body: in.Body, At: at, ProviderMessageID: in.ProviderMessageID}
	for range maxRaces {
		latest, found, err := s.Store.LatestConversation(ctx, in.AccountID, consumer)
		if err != nil {
			return parley.Conversation{}, err
		}
		switch {
		case found && latest.HasMessage(in.ProviderMessageID):
			return s.redelivered(ctx, latest, in.ProviderMessageID)
		case found && latest.Open():
			latest.Append(line)
			latest.UpdatedAt = s.now()
			saved, err := s.Store.SaveConversation(ctx, latest)
			if parley.ErrorCode(err) == parley.ECONFLICT {
				continue
			}
			if err != nil {
				return parley.Conversation{}, err
			}
			if err := s.stamp(ctx, saved, at, parley.StepResponded); err != nil {
				return saved, err
			}
			return saved, s.push(ctx, parley.EventMessage, saved)
		}
		prevID, consumed := "", time.Time{}
		if found {
			prevID, consumed = latest.ID, latest.OpenedAt
		}
		conv, err := s.open(ctx, in, consumer, at, consumed)
		if err != nil {
			return parley.Conversation{}, err
		}
		conv.Append(line)
		err = s.Store.CreateConversation(ctx, conv, prevID)
		if parley.ErrorCode(err) == parley.ECONFLICT {
			continue
		}
		if err != nil {
			return parley.Conversation{}, err
		}
		s.log().InfoContext(ctx, "conversation started", obs.IDs(conv.AccountID, conv.Context.CampaignID, ""), "conversation", conv.ID,
			"consumer", phone.Mask(consumer), "skill", conv.Skill, "source", conv.Context.Source,
			"broadcast", conv.Context.BroadcastID, "engagement", conv.Context.EngagementID)
		if err := s.stamp(ctx, conv, at, parley.StepResponded, parley.StepConversationCreated); err != nil {
			return conv, err
		}
		if err := s.report(ctx, conv); err != nil {
			return conv, err
		}
		return conv, s.push(ctx, parley.EventStarted, conv)
	}
	return parley.Conversation{}, parley.Errorf(parley.ECONFLICT, "the conversation of consumer %s changed %d times while a reply was routed; retry", phone.Mask(consumer), maxRaces)
}

// redelivered answers a message the conversation holds already: its event
// is recorded and pushed again, in case the first delivery stopped short.
func (s *Service) redelivered(ctx context.Context, c parley.Conversation, providerID string) (parley.Conversation, error) {
	s.log().InfoContext(ctx, "reply already routed", obs.IDs(c.AccountID, "", ""), "conversation", c.ID, "providerMessageId", providerID)
	first := slices.IndexFunc(c.Transcript, func(l parley.Line) bool { return l.Direction == parley.Inbound })
	if first < 0 || c.Transcript[first].ProviderMessageID != providerID {
		return c, s.push(ctx, parley.EventMessage, c)
	}
	if err := s.stamp(ctx, c, c.Transcript[first].At, parley.StepResponded, parley.StepConversationCreated); err != nil {
		return c, err
	}
	if err := s.report(ctx, c); err != nil {
		return c, err
	}
	return c, s.push(ctx, parley.EventStarted, c)
}

// open builds the conversation a reply at at starts. Outbound contexts sent
// before consumed (when the consumer's previous conversation opened) were
// answered already and route nothing.
// Whichever way it is routed, it carries the consumer's recent outbound
// messages (parley.RecentOutbound).
func (s *Service) open(ctx context.Context, in Inbound, consumer string, at, consumed time.Time) (c parley.Conversation, err error) {
	now := s.now()
	c = parley.Conversation{
		ID: s.newID(), AccountID: in.AccountID, Consumer: consumer, Channel: in.Channel, Status: parley.ConversationOpen,
		Transcript: []parley.Line{}, OpenedAt: at, UpdatedAt: now,
	}
	contexts, err := s.Store.OutboundContexts(ctx, c.AccountID, c.Consumer, at.Add(-parley.MaxLookback), routeContexts)
	if err != nil {
		return c, err
	}
	defer func() {
		if err == nil {
			c.Context.RecentOutbound = parley.RecentOutbound(contexts, at)
		}
	}()
	routed, err := s.byContext(ctx, &c, contexts, in, at, consumed)
	if err != nil || routed {
		return c, err
	}
	routed, err = s.byBroadcast(ctx, &c, in, at)
	if err != nil || routed {
		return c, err
	}
	a, err := s.Store.Account(ctx, in.AccountID)
	if err != nil {
		return c, err
	}
	c.Skill, c.Context = a.DefaultSkill, parley.ConversationContext{Source: parley.SourceInbound}
	c.Channel = cmp.Or(c.Channel, parley.ChannelSMS)
	return c, nil
}

// byContext routes c by the outbound context Attribute picks among the
// consumer's newest ones (contexts); a deflection's carries its call's IVR
// context.
func (s *Service) byContext(ctx context.Context, c *parley.Conversation, contexts []parley.OutboundContext, in Inbound, at, consumed time.Time) (bool, error) {
	o, ok := Attribute(contexts, cmp.Or(in.Channel, parley.ChannelSMS), cmp.Or(in.Sender, in.To), at, consumed)
	if !ok {
		return false, nil
	}
	c.Skill = o.Skill
	c.Channel = cmp.Or(c.Channel, o.Channel, parley.ChannelSMS)
	c.Context = parley.ConversationContext{
		Source: parley.SourceProactive, CampaignID: o.CampaignID, CampaignName: o.CampaignName, RecipientID: o.RecipientID,
		CustomerInfo: o.CustomerInfo, OutboundAt: o.SentAt,
	}
	if s.Recipients != nil && o.CampaignID != "" && o.RecipientID != "" {
		r, err := s.Recipients.Recipient(ctx, parley.Ref{AccountID: c.AccountID, CampaignID: o.CampaignID, RecipientID: o.RecipientID})
		switch {
		case err == nil:
			c.Context.SDEs = r.SDEs
		case parley.ErrorCode(err) != parley.ENOTFOUND: // a recipient gone leaves none to show
			return false, fmt.Errorf("read the recipient the reply answers: %w", err)
		}
	}
	c.Append(parley.Line{Direction: parley.Outbound, Body: o.Body, At: o.SentAt, ProviderMessageID: o.ProviderMessageID})
	if o.CallID == "" || s.Calls == nil {
		return true, nil
	}
	call, err := s.Calls.Call(ctx, c.AccountID, o.CallID)
	switch parley.ErrorCode(err) {
	case "":
		c.Context.IVR = &call.IVR
	case parley.ENOTFOUND: // forgotten: the reply is still the deflection's
		s.log().InfoContext(ctx, "the call of a deflection message is forgotten", obs.IDs(c.AccountID, o.CampaignID, ""))
	default:
		return false, err
	}
	return true, nil
}

// Attribute picks the outbound message a reply on channel, written to
// sender at at, answers, among contexts (newest first): the newest sent on
// channel from sender; else the newest sent on channel from any sender (the
// consumer may write to another number of the brand's, a provider may
// report the number where campaigns name a service, and contexts recorded
// before senders were have none). A message on another channel is never
// picked: an SMS reply does not answer a WhatsApp message. Only messages
// sent not after at, whose lookback holds at, and sent after consumed
// (when the consumer's previous conversation opened: older ones were
// answered in it) count. A context without a channel is SMS; senders are
// compared as EntryPoint writes them.
func Attribute(contexts []parley.OutboundContext, channel parley.Channel, sender string, at, consumed time.Time) (parley.OutboundContext, bool) {
	sender = EntryPoint(sender)
	fallback := -1
	for i, o := range contexts {
		if !consumed.IsZero() && !o.SentAt.After(consumed) {
			break // this and older ones were answered in an earlier conversation
		}
		if o.SentAt.After(at) || !o.Routes(at) || cmp.Or(o.Channel, parley.ChannelSMS) != channel {
			continue
		}
		if sender != "" && EntryPoint(o.Sender) == sender {
			return o, true
		}
		if fallback < 0 {
			fallback = i
		}
	}
	if fallback < 0 {
		return parley.OutboundContext{}, false
	}
	return contexts[fallback], true
}

// byBroadcast links c to the engagement of a broadcast whose timeframe
// holds at, found by entry point: the webhook's, then those of the
// consumer's latest broadcast notification (the provider's campaign id,
// the sending number), then the number the consumer wrote to.
func (s *Service) byBroadcast(ctx context.Context, c *parley.Conversation, in Inbound, at time.Time) (bool, error) {
	note, noted, err := s.Store.LatestBroadcastNotification(ctx, c.AccountID, c.Consumer)
	if err != nil {
		return false, err
	}
	var points []string
	add := func(p string) {
		if p = EntryPoint(p); p != "" && !slices.Contains(points, p) {
			points = append(points, p)
		}
	}
	add(in.EntryPoint)
	if noted && !note.At.After(at) {
		add(note.EntryPoint)
		add(note.From)
	}
	add(in.To)
	for _, p := range points {
		bs, err := s.Store.BroadcastsByEntryPoint(ctx, c.AccountID, p)
		if err != nil {
			return false, err
		}
		best := -1
		for i, b := range bs {
			if b.Within(at) && (best < 0 || b.Start.After(bs[best].Start)) {
				best = i
			}
		}
		if best < 0 {
			continue
		}
		b := bs[best]
		e, _ := b.Engagement(p)
		c.Skill = e.Skill
		c.Channel = cmp.Or(c.Channel, parley.ChannelSMS)
		c.Context = parley.ConversationContext{
			Source: parley.SourceBroadcast, CampaignName: b.Name, BroadcastID: b.ID, Goal: b.Goal,
			EngagementID: e.ID, EntryPoint: p, Language: e.Language, NotesToAgent: e.NotesToAgent,
		}
		if noted && note.Body != "" && (EntryPoint(note.EntryPoint) == p || EntryPoint(note.From) == p) {
			c.Context.OutboundAt = note.At
			c.Append(parley.Line{Direction: parley.Outbound, Body: note.Body, At: note.At})
		}
		return true, nil
	}
	return false, nil
}

// EntryPoint is how an entry point is compared: a sending number (written
// with its leading plus) in E.164, a provider's campaign id as is.
func EntryPoint(raw string) string {
	raw = strings.TrimSpace(raw)
	if strings.HasPrefix(raw, "+") {
		if e164, ok := phone.Normalize(raw); ok {
			return e164
		}
	}
	return raw
}

// report records the event of a conversation started; its id is the
// conversation's, so recording it again changes nothing.
func (s *Service) report(ctx context.Context, c parley.Conversation) error {
	if s.Events == nil {
		return nil
	}
	err := s.Events.PutReportEvent(ctx, parley.ReportEvent{
		ID: c.ID, AccountID: c.AccountID, Type: parley.ReportConversationStarted, At: c.OpenedAt, ConversationID: c.ID,
		Consumer: c.Consumer, Channel: c.Channel, Skill: c.Skill, Source: c.Context.Source, CampaignID: c.Context.CampaignID,
		BroadcastID: c.Context.BroadcastID, EngagementID: c.Context.EngagementID, EntryPoint: c.Context.EntryPoint,
	})
	if err != nil {
		return parley.Wrap(parley.EUNAVAILABLE, err, "conversation %s stored; its reporting event was not", c.ID)
	}
	return nil
}

// push sends a change of c to the agent platform.
func (s *Service) push(ctx context.Context, typ string, c parley.Conversation) error {
	if s.Connector == nil {
		return nil
	}
	err := s.Connector.Push(ctx, parley.NewConversationEvent(typ, c, s.now()))
	if err == nil {
		return nil
	}
	s.log().WarnContext(ctx, "conversation not pushed", obs.IDs(c.AccountID, "", ""), "conversation", c.ID, "event", typ, "err", err)
	return &parley.Error{Code: parley.EUNAVAILABLE, Message: "conversation " + c.ID + " stored; the agent platform did not take it", Err: errors.Join(ErrNotPushed, err)}
}

// RecordOutbound records the context of a message just sent, which the
// consumer's replies are routed by during its lookback. The dispatcher
// calls it after each successful send.
func (s *Service) RecordOutbound(ctx context.Context, o parley.OutboundContext) error {
	o.Consumer = Consumer(o.Channel, o.Consumer)
	if err := o.Validate(); err != nil {
		return err
	}
	return s.Store.PutOutboundContext(ctx, o.Fit())
}

// OpenConversation reports whether the consumer (an E.164 number, or an
// in-app consumer id) has an open conversation, which holds back new
// proactive messages to them.
func (s *Service) OpenConversation(ctx context.Context, accountID, consumer string) (bool, error) {
	return s.Store.HasOpenConversation(ctx, accountID, strings.TrimSpace(consumer))
}

// Get returns one conversation.
func (s *Service) Get(ctx context.Context, accountID, id string) (parley.Conversation, error) {
	return s.Store.Conversation(ctx, accountID, id)
}

// List lists an account's conversations, newest first, a page at a time.
func (s *Service) List(ctx context.Context, accountID string, f parley.ConversationFilter) (parley.ConversationPage, error) {
	f.Consumer, f.Skill = strings.TrimSpace(f.Consumer), strings.TrimSpace(f.Skill)
	return s.Store.ListConversations(ctx, accountID, f)
}

// Close closes a conversation: the consumer's next message starts a new
// one. Closing a closed conversation returns it unchanged. A failed push
// is logged, not returned: the conversation is closed.
func (s *Service) Close(ctx context.Context, accountID, id string) (parley.Conversation, error) {
	for range maxRaces {
		c, err := s.Store.Conversation(ctx, accountID, id)
		if err != nil || !c.Open() {
			return c, err
		}
		now := s.now()
		c.Status, c.ClosedAt, c.UpdatedAt = parley.ConversationClosed, now, now
		saved, err := s.Store.SaveConversation(ctx, c)
		if parley.ErrorCode(err) == parley.ECONFLICT {
			continue
		}
		if err != nil {
			return parley.Conversation{}, err
		}
		s.log().InfoContext(ctx, "conversation closed", obs.IDs(accountID, "", ""), "conversation", id)
		if err := s.stamp(ctx, saved, now, parley.StepConversationClosed); err != nil {
			s.log().WarnContext(ctx, "conversation closed, its recipient not stamped", obs.IDs(accountID, saved.Context.CampaignID, saved.Context.RecipientID), "err", err)
		}
		_ = s.push(ctx, parley.EventClosed, saved)
		return saved, nil
	}
	return parley.Conversation{}, parley.Errorf(parley.ECONFLICT, "conversation %s changed %d times while it was closed; retry", id, maxRaces)
}

// RecordBroadcast records a provider's notice that it broadcast to a
// consumer.
func (s *Service) RecordBroadcast(ctx context.Context, n parley.BroadcastNotification) error {
	n.Consumer, n.From = Consumer(parley.ChannelSMS, n.Consumer), EntryPoint(n.From)
	switch {
	case n.AccountID == "":
		return parley.FieldErrorf("accountId", "a broadcast notification needs its account")
	case n.Consumer == "":
		return parley.FieldErrorf("consumer", "a broadcast notification needs its consumer")
	}
	if n.At.IsZero() {
		n.At = s.now()
	}
	return s.Store.PutBroadcastNotification(ctx, n)
}

// CreateBroadcast checks and stores a provider broadcast campaign, naming
// it and its engagements ("1", "2", ...).
func (s *Service) CreateBroadcast(ctx context.Context, b parley.BroadcastCampaign) (parley.BroadcastCampaign, error) {
	if strings.TrimSpace(b.AccountID) == "" {
		return parley.BroadcastCampaign{}, parley.FieldErrorf("accountId", "a broadcast campaign needs its account")
	}
	b.ID, b.CreatedAt = s.newID(), s.now()
	b.Name, b.Goal = strings.TrimSpace(b.Name), strings.TrimSpace(b.Goal)
	b.Engagements = slices.Clone(b.Engagements)
	for i := range b.Engagements {
		e := &b.Engagements[i]
		e.ID = strconv.Itoa(i + 1)
		e.Source, e.Skill, e.EntryPoint = strings.ToLower(strings.TrimSpace(e.Source)), strings.TrimSpace(e.Skill), EntryPoint(e.EntryPoint)
	}
	if err := b.Validate(); err != nil {
		return parley.BroadcastCampaign{}, err
	}
	if err := s.Store.CreateBroadcast(ctx, b); err != nil {
		return parley.BroadcastCampaign{}, err
	}
	return b, nil
}

// Broadcast returns one broadcast campaign.
func (s *Service) Broadcast(ctx context.Context, accountID, id string) (parley.BroadcastCampaign, error) {
	return s.Store.Broadcast(ctx, accountID, id)
}

// Broadcasts lists an account's broadcast campaigns.
func (s *Service) Broadcasts(ctx context.Context, accountID string) ([]parley.BroadcastCampaign, error) {
	return s.Store.Broadcasts(ctx, accountID)
}

// RecentOutbound returns the newest messages sent to the consumer (an
// E.164 number, or an in-app consumer id) in the last 30 days, at most
// five, newest first: what an agent is shown beside a conversation. It is
// one key query of the consumer's outbound contexts.
func (s *Service) RecentOutbound(ctx context.Context, accountID, consumer string) ([]parley.OutboundSummary, error) {
	now := s.now()
	contexts, err := s.Store.OutboundContexts(ctx, accountID, strings.TrimSpace(consumer), now.Add(-parley.RecentOutboundWindow), parley.RecentOutboundCount)
	if err != nil {
		return nil, err
	}
	return parley.RecentOutbound(contexts, now), nil
}
