package parley

import "time"

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
