// Package inbound takes in what channel providers send back after a send:
// consumers' messages and the delivery statuses of Parley's messages. The
// webhooks verify and parse what a provider posted and hand it here; this
// package does no I/O of its own.
//
// A consumer's message is first marked seen under its provider's message
// id, so a webhook the provider delivers twice takes effect once. Then an
// opt-out, opt-in or help keyword is applied and answered, from the number
// the consumer wrote to, and goes no further; any other message is routed
// to a conversation. When taking a message in fails, its mark is forgotten
// again, so the provider's retry of the webhook is taken in: every step is
// safe to repeat (the opt-out list changes once, a reply already in its
// conversation is not added twice), and a retry is how a conversation that
// could not be pushed to the agent platform gets pushed.
//
// A status is applied to the recipient named by the reference the provider
// echoes back (parley.Message.CallbackRef), if that recipient carries the
// status's message. Statuses are not marked seen: the provider's message
// id is the same for each status of a message, a repeated or late status
// changes nothing anyway (delivery ranks statuses), and a mark would cost
// a write per status.
package inbound

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/inbound/conversation"
	"github.com/parleyhq/parley/internal/inbound/optout"
	"github.com/parleyhq/parley/internal/inbound/receipts"
	"github.com/parleyhq/parley/internal/obs"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/phone"
	"github.com/parleyhq/parley/internal/store"
)

// Keywords applies consumers' opt-out, opt-in and help keywords
// (*optout.Service is one).
type Keywords interface {
	Handle(ctx context.Context, accountID string, channel parley.Channel, from, body string) (optout.Result, error)
}

// Replies routes consumers' messages into conversations (*conversation.Service is
// one).
type Replies interface {
	Receive(ctx context.Context, in conversation.Inbound) (parley.Conversation, error)
}

// OptOutAttribution stamps an opt-out on the recipient whose message it
// answers (*conversation.Service is one).
type OptOutAttribution interface {
	OptedOut(ctx context.Context, in conversation.Inbound) error
}

// Statuses applies delivery statuses to recipients (*receipts.Service is
// one).
type Statuses interface {
	Apply(ctx context.Context, u receipts.Update) (receipts.Result, error)
}

// DefaultRetention is how long a provider message id is remembered when
// Service.Retention is zero: CM redelivers an unacknowledged message for up
// to a month, Meta for a week.
const DefaultRetention = 32 * 24 * time.Hour

// Service takes in consumers' messages and delivery statuses. Every field
// but Log and Retention must be set.
type Service struct {
	// Seen records the provider message ids already taken in.
	Seen     store.Seen
	Keywords Keywords
	Replies  Replies
	Statuses Statuses
	// Sender sends the answers to keywords: the dispatcher's gateway
	// router, which sends through the account's provider for the channel.
	Sender gateway.Sender
	Clock  parley.Clock
	Log    *slog.Logger
	// Retention is how long a message id is remembered; DefaultRetention
	// when zero.
	Retention time.Duration
	// Attribution, when set, attributes opt-out keywords to the campaign
	// whose message they answer.
	Attribution OptOutAttribution
	// History, when set, keeps every message taken in, keyword or reply,
	// in its consumer's message history.
	History History
}

// History keeps the messages consumers sent (store.MessageHistory is one).
type History interface {
	PutReceivedMessage(ctx context.Context, m parley.ReceivedMessage) error
}

// Message is a consumer's message as a provider's webhook delivered it.
type Message = gateway.InboundMessage

// Outcome says what Receive did with a message.
type Outcome struct {
	// Duplicate says the message was taken in before: nothing was done.
	Duplicate bool
	// Keyword is the keyword the message was, if it was one that is now
	// dealt with (it was not routed).
	Keyword optout.Keyword
	// Answer is the text sent back for the keyword, "" when none;
	// AnswerID is its provider id, "" when its send failed.
	Answer   string
	AnswerID string
	// Routed says the message went to a conversation, Conversation.
	Routed       bool
	Conversation parley.Conversation
}

// Receive takes in a consumer's message (see the package documentation).
// It is EINVALID without an account, provider or sender. When it fails,
// the message is not remembered as seen, so the provider may deliver it
// again; the error of a conversation stored but not pushed to the agent
// platform wraps conversation.ErrNotPushed.
func (s *Service) Receive(ctx context.Context, m Message) (Outcome, error) {
	switch {
	case strings.TrimSpace(m.AccountID) == "":
		return Outcome{}, parley.FieldErrorf("accountId", "a message needs its account")
	case strings.TrimSpace(string(m.Provider)) == "":
		return Outcome{}, parley.FieldErrorf("provider", "a message needs its provider")
	case strings.TrimSpace(m.From) == "":
		return Outcome{}, parley.FieldErrorf("from", "a message needs its sender")
	}
	scope := Scope(string(m.Provider), m.AccountID)
	if m.ID != "" {
		first, err := s.Seen.MarkSeen(ctx, scope, m.ID, s.Clock.Now(), s.retention())
		if err != nil {
			return Outcome{}, fmt.Errorf("mark %s message %s of %s seen: %w", m.Provider, m.ID, m.AccountID, err)
		}
		if !first {
			s.log().InfoContext(ctx, "message already taken in", obs.IDs(m.AccountID, "", ""), "provider", m.Provider, "providerMessageId", m.ID)
			return Outcome{Duplicate: true}, nil
		}
	}
	out, err := s.takeIn(ctx, m)
	if err == nil {
		err = s.remember(ctx, m, out)
	}
	if err != nil && m.ID != "" {
		// Let the provider's retry in. The context may be what failed.
		if ferr := s.Seen.ForgetSeen(context.WithoutCancel(ctx), scope, m.ID); ferr != nil {
			s.log().ErrorContext(ctx, "failed message stays marked seen: a retry of it will be dropped", obs.IDs(m.AccountID, "", ""),
				"provider", m.Provider, "providerMessageId", m.ID, "err", ferr)
		}
	}
	return out, err
}

// remember records a message taken in, and the answer to its keyword, in
// its consumer's history; recording it again (a redelivery taken in once
// more after a failure) replaces it.
func (s *Service) remember(ctx context.Context, m Message, out Outcome) error {
	if s.History == nil {
		return nil
	}
	at := m.At
	if at.IsZero() {
		at = s.Clock.Now()
	}
	r := parley.ReceivedMessage{AccountID: m.AccountID, Consumer: conversation.Consumer(m.Channel, m.From), Channel: m.Channel,
		To: m.Sender(), Body: m.Body, ProviderMessageID: m.ID, At: at}
	if out.Keyword != optout.None {
		r.Keyword, r.Answer = out.Keyword.String(), out.Answer
	}
	if err := s.History.PutReceivedMessage(ctx, r); err != nil {
		return fmt.Errorf("record %s message %s of %s in the history: %w", m.Provider, m.ID, m.AccountID, err)
	}
	return nil
}

// Scope is the scope a provider's message ids of an account are marked
// seen in.
func Scope(provider, accountID string) string { return "inbound#" + provider + "#" + accountID }

// takeIn applies m's keyword or routes it.
func (s *Service) takeIn(ctx context.Context, m Message) (Outcome, error) {
	if e164, ok := phone.Normalize(m.From); ok && (m.Channel == parley.ChannelSMS || m.Channel == parley.ChannelWhatsApp) {
		res, err := s.Keywords.Handle(ctx, m.AccountID, m.Channel, e164, m.Body)
		if err != nil {
			return Outcome{}, fmt.Errorf("apply the keyword of %s message %s: %w", m.Provider, m.ID, err)
		}
		if res.Keyword == optout.OptOut && s.Attribution != nil {
			err := s.Attribution.OptedOut(ctx, conversation.Inbound{AccountID: m.AccountID, Channel: m.Channel, From: e164, To: m.To, Sender: m.Sender(), At: m.At})
			if err != nil {
				return Outcome{}, fmt.Errorf("attribute the opt-out of %s message %s: %w", m.Provider, m.ID, err)
			}
		}
		if res.Handled() {
			out := Outcome{Keyword: res.Keyword, Answer: res.Reply}
			if res.Reply != "" {
				out.AnswerID = s.answer(ctx, m, e164, res)
			}
			s.log().InfoContext(ctx, "keyword", obs.IDs(m.AccountID, "", ""), "provider", m.Provider, "providerMessageId", m.ID,
				"consumer", phone.Mask(e164), "keyword", res.Keyword.String(), "changed", res.Changed, "answered", out.AnswerID != "")
			return out, nil
		}
	}
	conv, err := s.Replies.Receive(ctx, conversation.Inbound{
		AccountID: m.AccountID, Channel: m.Channel, From: m.From, To: m.To, Sender: m.Sender(), Body: m.Body,
		ProviderMessageID: m.ID, At: m.At, EntryPoint: m.EntryPoint,
	})
	if err != nil {
		return Outcome{}, fmt.Errorf("route %s message %s of %s: %w", m.Provider, m.ID, m.AccountID, err)
	}
	return Outcome{Routed: true, Conversation: conv}, nil
}

// answer sends a keyword's answer back on the channel it came on, from the
// number the consumer wrote to, and returns its provider id. A failed send
// is logged, not returned: the keyword has taken effect, and a retried
// webhook would not answer it again.
func (s *Service) answer(ctx context.Context, m Message, consumer string, res optout.Result) string {
	id, err := s.Sender.Send(ctx, parley.Message{Channel: m.Channel, From: m.Sender(), To: consumer, Body: res.Reply, AccountID: m.AccountID})
	if err != nil {
		s.log().WarnContext(ctx, "keyword answer not sent", obs.IDs(m.AccountID, "", ""), "provider", m.Provider, "providerMessageId", m.ID,
			"consumer", phone.Mask(consumer), "keyword", res.Keyword.String(), "err", err)
		return ""
	}
	return id
}

// StatusOutcome says what Status did.
type StatusOutcome struct {
	receipts.Result
	// Ignored says why the status named no recipient of the account: no
	// reference came back with it (a message Parley sent to no recipient,
	// or one sent before references were), or the reference names no
	// recipient. "" when it named one.
	Ignored string
}

// Status applies a delivery status. A status without a recipient reference,
// or whose reference names no recipient of the account, is ignored: a
// provider would only deliver it again. It is EUNAVAILABLE while the
// recipient's message id is not recorded yet (the provider should retry).
func (s *Service) Status(ctx context.Context, u receipts.Update) (StatusOutcome, error) {
	if u.CampaignID == "" || u.RecipientID == "" {
		s.log().DebugContext(ctx, "status without a recipient reference", obs.IDs(u.AccountID, "", ""), "provider", u.Provider,
			"providerMessageId", u.ProviderMessageID, "status", u.Word)
		return StatusOutcome{Ignored: "no recipient reference"}, nil
	}
	res, err := s.Statuses.Apply(ctx, u)
	switch {
	case parley.ErrorCode(err) == parley.ENOTFOUND:
		s.log().WarnContext(ctx, "status names no recipient", obs.IDs(u.AccountID, u.CampaignID, u.RecipientID),
			"provider", u.Provider, "providerMessageId", u.ProviderMessageID)
		return StatusOutcome{Result: receipts.Result{Ref: u.Ref()}, Ignored: "no such recipient"}, nil
	case err != nil:
		return StatusOutcome{Result: res}, err
	}
	if !res.Matched && !res.Awaited {
		s.log().WarnContext(ctx, "status for a message the recipient does not carry", obs.IDs(u.AccountID, u.CampaignID, u.RecipientID), "provider", u.Provider, "providerMessageId", u.ProviderMessageID)
	}
	return StatusOutcome{Result: res}, nil
}

func (s *Service) retention() time.Duration {
	if s.Retention <= 0 {
		return DefaultRetention
	}
	return s.Retention
}

var discard = slog.New(slog.DiscardHandler)

func (s *Service) log() *slog.Logger {
	if s.Log == nil {
		return discard
	}
	return s.Log
}
