// Package eventpush pushes lifecycle events (parley.Event) to the webhook
// endpoints brands subscribe (parley.EventSubscription), and on AWS onto
// an EventBridge bus as well.
//
// A Sink takes events from the lifecycle feed: for each event and each of
// its account's subscriptions that wants it, it queues one delivery job on
// the event queue (its own queue, never the dispatch queue), and hands the
// events to the Bus. That is all it does, so it is quick, and nothing it
// does waits on a brand's endpoint.
//
// A Deliverer takes jobs off the event queue: it POSTs the event as JSON,
// signed with the subscription's secret exactly as the agent-platform
// connector signs (Parley-Signature: t=…,v1=…; see package agentpush), with
// the event's type and id in the Parley-Event and Parley-Delivery headers.
// A 2xx answer delivers it. A 5xx, 408 or 429, a timeout or no connection
// is retried with exponential backoff and jitter, honouring Retry-After, by
// queueing the job again with a delay, for RetryFor (24 h) after the event
// was first queued; then it is abandoned. Any other answer (a 4xx, a
// redirect, which is never followed) or an address that is not public
// ends it at once. Every attempt is recorded with the subscription. The
// event's id is the same on every attempt and every copy: receivers
// deduplicate by it, since delivery is at least once.
package eventpush

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/parleyhq/parley/internal/obs"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/queue"
)

// EventPing is the type of the event a subscription's test sends; no
// lifecycle event has it.
const EventPing parley.EventType = "ping"

// Enqueuer queues jobs (a queue.Queue).
type Enqueuer interface {
	Send(ctx context.Context, entries ...queue.Entry) error
}

// SubscriptionLister lists an account's subscriptions, without secrets
// (store.EventSubscriptions).
type SubscriptionLister interface {
	EventSubscriptions(ctx context.Context, accountID string) ([]parley.EventSubscription, error)
}

// Bus is an event bus brands route events from with rules of their own
// (EventBridge on AWS).
type Bus interface {
	// Put puts every event on the bus, or fails.
	Put(ctx context.Context, events []parley.Event) error
}

// Sink is the lifecycle feed's way out: Publish queues each event's
// deliveries and puts the events on the Bus.
type Sink struct {
	Subscriptions SubscriptionLister
	Queue         Enqueuer
	// Bus is nil where there is none (the embedded backend).
	Bus   Bus
	Clock parley.Clock
	Log   *slog.Logger
}

// NewSink returns a Sink of subscriptions queueing on q, putting events on
// bus unless it is nil.
func NewSink(subscriptions SubscriptionLister, q Enqueuer, bus Bus, clock parley.Clock, log *slog.Logger) *Sink {
	return &Sink{Subscriptions: subscriptions, Queue: q, Bus: bus, Clock: clock, Log: log}
}

// Publish queues one delivery job per event and subscription of the
// event's account that wants its type, then puts the events on the Bus.
// It reads each account's subscriptions once. An event without id, type or
// account is logged and left out: no retry can mend it. When anything
// fails, Publish is EUNAVAILABLE and the feed publishes the batch again;
// what went through the first time then goes again, with the same event
// ids, for receivers to deduplicate.
func (s *Sink) Publish(ctx context.Context, events []parley.Event) error {
	valid := make([]parley.Event, 0, len(events))
	for _, ev := range events {
		if err := checkEvent(ev); err != nil {
			s.log().ErrorContext(ctx, "lifecycle event dropped", "err", err)
			continue
		}
		valid = append(valid, ev)
	}
	if len(valid) == 0 {
		return nil
	}
	entries, err := s.jobs(ctx, valid)
	if err == nil && len(entries) > 0 {
		err = s.Queue.Send(ctx, entries...)
	}
	if err != nil {
		return parley.Wrap(parley.EUNAVAILABLE, err, "queue deliveries of %d events", len(valid))
	}
	if s.Bus != nil {
		if err := s.Bus.Put(ctx, valid); err != nil {
			return parley.Wrap(parley.EUNAVAILABLE, err, "put %d events on the event bus", len(valid))
		}
	}
	return nil
}

// jobs returns the delivery jobs of events.
func (s *Sink) jobs(ctx context.Context, events []parley.Event) ([]queue.Entry, error) {
	subs := map[string][]parley.EventSubscription{}
	now := s.clock().Now()
	var entries []queue.Entry
	var errs []error
	for _, ev := range events {
		list, ok := subs[ev.AccountID]
		if !ok {
			var err error
			if list, err = s.Subscriptions.EventSubscriptions(ctx, ev.AccountID); err != nil {
				errs = append(errs, fmt.Errorf("event subscriptions of account %s: %w", ev.AccountID, err))
			}
			subs[ev.AccountID] = list
		}
		for _, sub := range list {
			if sub.Wants(ev.Type) {
				entries = append(entries, queue.Entry{Body: Job{SubscriptionID: sub.ID, Since: now, Event: ev}.Encode()})
			}
		}
	}
	return entries, errors.Join(errs...)
}

func (s *Sink) clock() parley.Clock { return orSystemClock(s.Clock) }

func (s *Sink) log() *slog.Logger { return orDiscard(s.Log) }

// orSystemClock is c, or the system clock when c is nil.
func orSystemClock(c parley.Clock) parley.Clock {
	if c == nil {
		return parley.SystemClock{}
	}
	return c
}

// orDiscard is l, or a logger that discards when l is nil.
func orDiscard(l *slog.Logger) *slog.Logger {
	if l == nil {
		return obs.Discard()
	}
	return l
}
