package parley

import (
	"slices"
	"time"
)

// RecipientStatus is where a recipient is on its way to the consumer.
type RecipientStatus string

// Recipient statuses. SENDING: the recipient is claimed by one dispatcher
// and its message is with the gateway, the outcome not yet recorded.
const (
	StatusScheduled RecipientStatus = "SCHEDULED"
	StatusQueued    RecipientStatus = "QUEUED"
	StatusSending   RecipientStatus = "SENDING"
	StatusSent      RecipientStatus = "SENT"
	StatusDelivered RecipientStatus = "DELIVERED"
	StatusFailed    RecipientStatus = "FAILED"
	StatusSkipped   RecipientStatus = "SKIPPED"
	StatusExpired   RecipientStatus = "EXPIRED"
	StatusCancelled RecipientStatus = "CANCELLED"
	// StatusUnknown: a dispatcher stopped after handing the message to a
	// provider that cannot be asked whether it took it. It is never resent
	// blindly.
	StatusUnknown RecipientStatus = "UNKNOWN"
)

// Final reports whether no further send will be attempted.
func (s RecipientStatus) Final() bool {
	switch s {
	case StatusSent, StatusDelivered, StatusRead, StatusUndelivered, StatusFailed, StatusSkipped, StatusExpired, StatusCancelled, StatusUnknown:
		return true
	}
	return false
}

// Indexed reports whether a recipient in status s is in the due-time index,
// which holds SCHEDULED recipients by when they are due. (A SENDING one is
// not: its job stays on the queue until the outcome is recorded, and a
// redelivery after the claim's lease settles it.)
func (s RecipientStatus) Indexed() bool { return s == StatusScheduled }

// Claimable lists the statuses from which a dispatcher may claim a recipient.
var Claimable = []RecipientStatus{StatusScheduled, StatusQueued}

// Recipient is one consumer of a campaign and the state of the message to
// them.
type Recipient struct {
	AccountID  string            `json:"accountId"`
	CampaignID string            `json:"campaignId"`
	ID         string            `json:"id"`
	Seq        int               `json:"seq"`
	Channel    Channel           `json:"channel"`
	Phone      string            `json:"phone"`
	ConsumerID string            `json:"consumerId,omitempty"` // the brand's id of an in-app consumer, who has no Phone
	Zones      []string          `json:"zones,omitempty"`      // IANA zones of Phone, or the in-app consumer's zone
	Variables  map[string]string `json:"variables,omitempty"`
	// SDEs are the engagement attributes the brand gave with the consumer
	// (see FlattenSDEs), shown on the conversation a reply opens.
	SDEs        map[string]string `json:"sdes,omitempty"`
	Body        string            `json:"body"`                  // the SMS text, opt-out text included; a WhatsApp body as rendered
	HeaderURL   string            `json:"headerUrl,omitempty"`   // a template's media header (H1)
	ButtonValue string            `json:"buttonValue,omitempty"` // a template's dynamic URL variable (BU1)
	// Skill is the campaign's skill when the recipient was taken in: the
	// one replies go to, and the one its counts are kept under.
	Skill string `json:"skill,omitempty"`
	// HandoffID and Source are its campaign's (Campaign.HandoffID and
	// Campaign.Source); App is AppC2M for a Connect to Messaging
	// deflection's recipient, "" for a Proactive campaign's. Its counts are
	// kept under all three.
	HandoffID string          `json:"handoffId,omitempty"`
	Source    string          `json:"source,omitempty"`
	App       string          `json:"app,omitempty"`
	Status    RecipientStatus `json:"status"`
	// ErrorMessage holds the code of why the recipient failed or was not
	// sent: one of codes.go or the provider's (see ErrorSource).
	ErrorMessage      string `json:"errorMessage,omitempty"`
	ProviderMessageID string `json:"providerMessageId,omitempty"`
	Attempts          int    `json:"attempts"`
	// Claimant names the dispatcher process (its epoch) that holds the
	// recipient's claim while it is SENDING; empty otherwise.
	Claimant  string    `json:"claimant,omitempty"`
	DueAt     time.Time `json:"dueAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	// Timeline is when each lifecycle step first happened.
	Timeline Timeline `json:"timeline,omitzero"`
}

// Ref returns the key that addresses r.
func (r Recipient) Ref() Ref {
	return Ref{AccountID: r.AccountID, CampaignID: r.CampaignID, RecipientID: r.ID}
}

// RecipientChange is a conditional update of a recipient: it applies only
// while the stored status is one of From.
type RecipientChange struct {
	From              []RecipientStatus
	Status            RecipientStatus
	ErrorMessage      string
	ProviderMessageID string
	// Channel, when set, records the channel the message went out on (an
	// SMS fallback of a prioritized campaign).
	Channel      Channel
	CountAttempt bool
	// Attempt, when not zero, fences the change to one claim: it applies
	// only while the stored Attempts equals it, so a dispatcher whose claim
	// another took over can no longer move the recipient.
	Attempt int
	// Claimant is the recipient's Claimant after the change: the epoch of
	// the dispatcher that claims it, or empty for a change out of SENDING.
	Claimant string
	// DueAt, when set, moves the recipient's first allowed send time (or,
	// for a claim, when its lease runs out).
	DueAt time.Time
	At    time.Time
	// Carries, when set, is the provider's message id the recipient must
	// carry for the change to apply: a delivery report moves only the
	// recipient of the message it reports on, in one conditional write.
	Carries string
}

// Allows reports whether the change may apply to r: its status is one of
// From and, when the change is fenced, its Attempts match, and r carries
// the message the change names, if it names one.
func (c RecipientChange) Allows(r Recipient) bool {
	return slices.Contains(c.From, r.Status) && (c.Attempt == 0 || c.Attempt == r.Attempts) &&
		(c.Carries == "" || c.Carries == r.ProviderMessageID)
}

// Unindexes reports whether the change may take a recipient out of the
// due-time index: whether one of the statuses it applies to is Indexed.
func (c RecipientChange) Unindexes() bool {
	return slices.ContainsFunc(c.From, RecipientStatus.Indexed)
}

// Apply writes the change into r. It does not check From; adapters check it
// atomically with the write.
func (c RecipientChange) Apply(r *Recipient) {
	r.Status = c.Status
	r.ErrorMessage = c.ErrorMessage
	if c.ProviderMessageID != "" {
		r.ProviderMessageID = c.ProviderMessageID
	}
	if c.Channel != "" {
		r.Channel = c.Channel
	}
	if c.CountAttempt {
		r.Attempts++
	}
	r.Claimant = c.Claimant
	if !c.DueAt.IsZero() {
		r.DueAt = c.DueAt
	}
	r.UpdatedAt = c.At
	r.Timeline.StampStatus(c.Status, c.At)
}

// Cancellation is the change that cancels a recipient not yet sent.
func Cancellation(at time.Time) RecipientChange {
	return RecipientChange{From: Claimable, Status: StatusCancelled, ErrorMessage: CodeCancelled, At: at}
}

// Ref addresses one recipient of one campaign of one account. Encoded, it is
// the body of a dispatch job.
type Ref struct {
	AccountID   string `json:"a"`
	CampaignID  string `json:"c"`
	RecipientID string `json:"r"`
}
