package parley

import "time"

// ReportEvent is a reporting record; one is written for every conversation
// started.
type ReportEvent struct {
	ID             string             `json:"id"`
	AccountID      string             `json:"accountId"`
	Type           string             `json:"type"`
	At             time.Time          `json:"at"`
	ConversationID string             `json:"conversationId"`
	Consumer       string             `json:"consumer"`
	Channel        Channel            `json:"channel"`
	Skill          string             `json:"skill"`
	Source         ConversationSource `json:"source"`
	CampaignID     string             `json:"campaignId,omitempty"`
	BroadcastID    string             `json:"broadcastId,omitempty"`
	EngagementID   string             `json:"engagementId,omitempty"`
	EntryPoint     string             `json:"entryPoint,omitempty"`
}

// ReportConversationStarted is the type of the event of a conversation
// started.
const ReportConversationStarted = "CONVERSATION_STARTED"
