package parley

import "time"

// Call is a Connect to Messaging call context: what an IVR's eligibility
// request asked and was answered, kept under its callId (a UUID v4) for
// the invite that follows and, once invited, for the replies the
// deflection message draws.
type Call struct {
	AccountID string `json:"accountId"`
	ID        string `json:"id"`
	HandoffID string `json:"handoffId"`
	Skill     string `json:"skill"`
	// Consumer is the caller's number in E.164; ConsumerID the brand's id
	// of an in-app consumer.
	Consumer   string     `json:"consumer"`
	ConsumerID string     `json:"consumerId,omitempty"`
	IVR        IVRContext `json:"ivr"`
	// SDEs are the engagement attributes the IVR gave (see FlattenSDEs):
	// the deflection's recipient keeps them, and the conversation a reply
	// opens shows them as a campaign's.
	SDEs map[string]string `json:"sdes,omitempty"`
	// Available are the channels the consumer may be messaged on, in the
	// handoff's priority order; the first is the recommended one.
	Available []Channel `json:"available"`
	CreatedAt time.Time `json:"createdAt"`
	// InvitedAt is when the invite was accepted; zero before.
	InvitedAt time.Time `json:"invitedAt,omitzero"`
	// ExpiresAt is when the call is forgotten (the store's TTL): CallTTL
	// after the eligibility, or once invited the handoff's lookback and a
	// day after the invite.
	ExpiresAt time.Time `json:"expiresAt"`
}

// IVRContext is what the IVR told about the call, which the conversation
// its deflection message opens carries to the agent (with the call's
// SDEs, as every campaign's conversation carries its consumer's).
type IVRContext struct {
	CallID            string            `json:"callId"`
	IVRNumber         string            `json:"ivrNumber,omitempty"`
	TemplateVariables map[string]string `json:"templateVariables,omitempty"`
}

// Call bounds.
const (
	// CallTTL is how long an eligibility's callId may be invited.
	CallTTL = 24 * time.Hour
	// CallGrace keeps an invited call a day past its lookback.
	CallGrace = 24 * time.Hour
	// MaxOverrideMessage bounds an invite's overrideMessage: Twilio's
	// limit, as LivePerson's.
	MaxOverrideMessage = 1600
)

// Expired reports whether the call is forgotten at at.
func (c Call) Expired(at time.Time) bool { return !at.Before(c.ExpiresAt) }

// Recommended is the channel the call should be messaged on; "" when none
// is available.
func (c Call) Recommended() Channel {
	if len(c.Available) == 0 {
		return ""
	}
	return c.Available[0]
}
