package parley

import (
	"fmt"
	"time"
)

// Message is one outbound message handed to a channel gateway.
type Message struct {
	Channel Channel `json:"channel"`
	// From is the sender: an E.164 number, a Twilio Messaging Service SID,
	// a WhatsApp phone-number id or a push app id, as the channel needs.
	From string `json:"from"`
	// To is the consumer: an E.164 number, or a brand consumer id for in-app.
	To   string `json:"to"`
	Body string `json:"body"`
	// Template, when set, sends a WhatsApp template instead of Body.
	Template    *Template `json:"template,omitempty"`
	AccountID   string    `json:"accountId"`
	CampaignID  string    `json:"campaignId"`
	RecipientID string    `json:"recipientId"`
	// Apps narrows an in-app message to the consumer's devices registered
	// from these apps (the campaign's); every device when empty.
	Apps []string `json:"apps,omitempty"`
}

// Template is a WhatsApp message template with this recipient's values.
type Template struct {
	Name     string   `json:"name"`
	Language string   `json:"language"` // e.g. en_US
	Header   *Media   `json:"header,omitempty"`
	Body     []string `json:"body,omitempty"` // values of {{1}}, {{2}}, … in order
	Buttons  []Button `json:"buttons,omitempty"`
}

// Media types a template header may carry.
const (
	MediaImage    = "image"
	MediaVideo    = "video"
	MediaDocument = "document"
)

// Media is a template header's media: an https link.
type Media struct {
	Type string `json:"type"` // MediaImage, MediaVideo or MediaDocument
	URL  string `json:"url"`
}

// Button kinds of a template.
const (
	ButtonQuickReply = "quick_reply"
	ButtonURL        = "url"
	ButtonPhone      = "phone_number"
)

// Button is a template button that takes a per-recipient value: the
// variable of a dynamic URL button, or a quick reply's payload.
type Button struct {
	Index int    `json:"index"` // position among the template's buttons, from 0
	Kind  string `json:"kind"`  // ButtonQuickReply or ButtonURL
	Value string `json:"value"`
}

// SentMessage is what a sandbox gateway records for each message it accepts.
type SentMessage struct {
	ID          string    `json:"id"`
	Channel     Channel   `json:"channel"`
	To          string    `json:"to"`
	From        string    `json:"from"`
	Body        string    `json:"body"`
	Template    *Template `json:"template,omitempty"`
	CampaignID  string    `json:"campaignId"`
	AccountID   string    `json:"accountId"`
	RecipientID string    `json:"recipientId"`
	SentAt      time.Time `json:"sentAt"`
}

// FailKind says what a gateway failure means for the recipient.
type FailKind int

// Failure kinds.
const (
	// FailTransient: the provider or network failed; retry with backoff.
	FailTransient FailKind = iota
	// FailPermanent: this message can never be delivered (invalid number,
	// blocked, opted out at the provider); fail the recipient with Code.
	FailPermanent
	// FailThrottled: the provider asks us to slow down; retry after
	// RetryAfter and lower the send rate.
	FailThrottled
	// FailIneligible: the consumer is not reachable on this channel; the
	// next channel in the priority list may be tried.
	FailIneligible
	// FailConfig: our credentials or sender are wrong or expired; nothing
	// sends until an operator fixes it, so retry later without failing the
	// recipient.
	FailConfig
)

var failKindNames = [...]string{"transient", "permanent", "throttled", "ineligible", "config"}

// String names the kind.
func (k FailKind) String() string {
	if int(k) < len(failKindNames) {
		return failKindNames[k]
	}
	return fmt.Sprintf("FailKind(%d)", int(k))
}

// SendError is a gateway's refusal of a message, in the provider's terms.
type SendError struct {
	Provider   string
	Code       string // the provider's error code, reported as the recipient's errorMessage
	Reason     string
	Kind       FailKind
	RetryAfter time.Duration // for FailThrottled, when the provider says
	// Err is the failure that caused the refusal (a network, context or
	// decoding error), if any; errors.Is and errors.As reach it through
	// Unwrap. Error does not print it: Reason says what went wrong.
	Err error
}

// Error implements error.
func (e *SendError) Error() string {
	return fmt.Sprintf("%s %s error %s: %s", e.Provider, e.Kind, e.Code, e.Reason)
}

// Unwrap returns the cause of the refusal, nil when there is none.
func (e *SendError) Unwrap() error { return e.Err }
