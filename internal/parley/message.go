package parley

import (
	"fmt"
	"time"
)

// Message is one outbound message handed to a channel gateway.
type Message struct {
	Channel     Channel `json:"channel"`
	From        string  `json:"from"`
	To          string  `json:"to"`
	Body        string  `json:"body"`
	AccountID   string  `json:"accountId"`
	CampaignID  string  `json:"campaignId"`
	RecipientID string  `json:"recipientId"`
}

// SentMessage is what a sandbox gateway records for each message it accepts.
type SentMessage struct {
	ID          string    `json:"id"`
	Channel     Channel   `json:"channel"`
	To          string    `json:"to"`
	From        string    `json:"from"`
	Body        string    `json:"body"`
	CampaignID  string    `json:"campaignId"`
	AccountID   string    `json:"accountId"`
	RecipientID string    `json:"recipientId"`
	SentAt      time.Time `json:"sentAt"`
}

// SendError is a gateway's refusal of a message, in the provider's terms.
// Permanent errors fail the recipient with Code; others may be retried.
type SendError struct {
	Provider  string
	Code      string
	Reason    string
	Permanent bool
}

// Error implements error.
func (e *SendError) Error() string {
	kind := "transient"
	if e.Permanent {
		kind = "permanent"
	}
	return fmt.Sprintf("%s %s error %s: %s", e.Provider, kind, e.Code, e.Reason)
}
