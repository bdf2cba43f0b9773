package parley

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// EventType names a lifecycle event: what happened to a message, a
// consumer, a conversation or a campaign.
type EventType string

// Lifecycle event types. Each is derived from one committed change of a
// stored record (a recipient's status, a conversation, an opt-out, a
// campaign's state), never from an attempt that may still fail.
const (
	EventSent                 EventType = "message.sent"
	EventDelivered            EventType = "message.delivered"
	EventRead                 EventType = "message.read"
	EventFailed               EventType = "message.failed"
	EventSkipped              EventType = "message.skipped"
	EventReplied              EventType = "message.replied"
	EventOptedOut             EventType = "consumer.opted_out"
	EventConversationCreated  EventType = "conversation.created"
	EventConversationClosed   EventType = "conversation.closed"
	EventCampaignStateChanged EventType = "campaign.state_changed"
)

// EventTypes lists every lifecycle event type, in the order above.
var EventTypes = []EventType{
	EventSent, EventDelivered, EventRead, EventFailed, EventSkipped, EventReplied,
	EventOptedOut, EventConversationCreated, EventConversationClosed, EventCampaignStateChanged,
}

// Event is one lifecycle event. Its ID is derived from the change it
// records, so the same change seen twice (a redelivered job, a retried
// stream batch) yields the same ID: consumers deduplicate by it.
type Event struct {
	ID        string    `json:"id"`
	Type      EventType `json:"type"`
	AccountID string    `json:"accountId"`
	At        time.Time `json:"at"`

	CampaignID  string  `json:"campaignId,omitempty"`
	RecipientID string  `json:"recipientId,omitempty"`
	Channel     Channel `json:"channel,omitempty"`
	Skill       string  `json:"skill,omitempty"`
	// Consumer is the consumer's number (E.164) or, in-app, the brand's
	// consumer id.
	Consumer          string `json:"consumer,omitempty"`
	ProviderMessageID string `json:"providerMessageId,omitempty"`
	ConversationID    string `json:"conversationId,omitempty"`
	// Status is the recipient's status after the change, or the
	// campaign's status for EventCampaignStateChanged.
	Status       string `json:"status,omitempty"`
	ErrorCode    string `json:"errorCode,omitempty"`
	ErrorMessage string `json:"errorMessage,omitempty"`
}

// stepEvents names the event each lifecycle step publishes; the steps of
// intake (attempted, eligible) and a cancel publish none.
var stepEvents = [NumSteps]EventType{
	StepSent: EventSent, StepDelivered: EventDelivered, StepRead: EventRead, StepFailed: EventFailed,
	StepSkipped: EventSkipped, StepResponded: EventReplied, StepOptedOut: EventOptedOut,
	StepConversationCreated: EventConversationCreated, StepConversationClosed: EventConversationClosed,
}

// Events lists the lifecycle events of a recipient's change from before to
// after: one per step newly stamped that publishes one, at its stamp, in
// step order. An event's ID depends only on the recipient and the step, so
// the same change seen again yields the same events.
func Events(before, after Recipient) []Event {
	var out []Event
	for _, s := range after.Timeline.Reached(before.Timeline) {
		typ := stepEvents[s]
		if typ == "" {
			continue
		}
		ev := Event{
			ID: stepEventID(after.Ref(), s), Type: typ, AccountID: after.AccountID, At: after.Timeline.At(s),
			CampaignID: after.CampaignID, RecipientID: after.ID, Channel: after.Channel, Skill: after.Skill,
			Consumer: cmp.Or(after.Phone, after.ConsumerID), ProviderMessageID: after.ProviderMessageID,
			Status: string(after.Status),
		}
		if s == StepFailed || s == StepSkipped {
			ev.ErrorCode = after.ErrorMessage // a recipient's error is a code (see ErrorSource)
		}
		out = append(out, ev)
	}
	return out
}

// stepEventID is the id of the event of step s of the recipient ref.
func stepEventID(ref Ref, s Step) string {
	return eventID(ref.AccountID, ref.CampaignID, ref.RecipientID, s.String())
}

// eventID derives an event's id from what identifies its change.
func eventID(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x1f")))
	return "evt_" + hex.EncodeToString(sum[:16])
}

// Campaign statuses a campaign.state_changed event reports besides
// StatePaused and StateCancelled.
const (
	// CampaignResumed: a paused campaign is active again.
	CampaignResumed = "ACTIVE"
)

// CampaignEvents lists the campaign.state_changed events of a campaign's
// change from before to after: a pause, a resume (ACTIVE) or a cancel, at
// its StateChangedAt, and its completion (COMPLETED), at its CompletedAt.
// An event's ID depends only on the campaign, the status and its time, so
// the same change seen again yields the same events.
func CampaignEvents(before, after Campaign) []Event {
	var out []Event
	add := func(status string, at time.Time) {
		out = append(out, Event{ID: eventID(after.AccountID, after.ID, status, at.UTC().Format(time.RFC3339Nano)), Type: EventCampaignStateChanged, AccountID: after.AccountID,
			At: at, CampaignID: after.ID, Channel: after.Channel, Skill: after.Skill, Status: status})
	}
	if after.State != before.State && !after.StateChangedAt.IsZero() {
		add(cmp.Or(string(after.State), CampaignResumed), after.StateChangedAt)
	}
	if before.CompletedAt.IsZero() && !after.CompletedAt.IsZero() {
		add(CampaignCompleted, after.CompletedAt)
	}
	return out
}
