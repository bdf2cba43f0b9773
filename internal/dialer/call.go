package dialer

import "time"

// CallStatus is where one placed call stands.
type CallStatus string

// The call statuses, in the order a call moves through them.
const (
	// CallRinging: placed, not yet answered.
	CallRinging CallStatus = "ringing"
	// CallWaiting: a live person answered and waits for an operator (at
	// most Grace).
	CallWaiting CallStatus = "waiting"
	// CallBridged: the person talks to an operator.
	CallBridged CallStatus = "bridged"
	// CallEnded: the call is over and its outcome recorded.
	CallEnded CallStatus = "ended"
)

// Answer is how a placed call was first answered, or why it was not.
type Answer string

// The answers a voice gateway reports.
const (
	AnswerHuman    Answer = "human"     // a live person (as detection judged)
	AnswerMachine  Answer = "machine"   // an answering machine or fax: hung up on, never bridged
	AnswerNoAnswer Answer = "no_answer" // rang out
	AnswerBusy     Answer = "busy"
	AnswerFailed   Answer = "failed" // the number could not be called
)

// Connected reports whether the answer puts a live person on the line.
func (a Answer) Connected() bool { return a == AnswerHuman }

// Call is one call placed for an entry of a campaign: the record that
// makes every outcome of the call count once, whatever the provider
// repeats. Rev is its revision: each change is written on the condition of
// the stored one.
type Call struct {
	// ProviderID is the voice gateway's id of the call; it identifies the
	// call in the provider's status events.
	ProviderID string     `json:"providerId"`
	AccountID  string     `json:"accountId"`
	CampaignID string     `json:"campaignId"`
	ContactID  string     `json:"contactId"`
	Attempt    int        `json:"attempt"` // the entry's attempt this call is (1 for the first)
	Phone      string     `json:"phone"`
	From       string     `json:"from"`
	Status     CallStatus `json:"status"`
	Answer     Answer     `json:"answer,omitempty"`
	PlacedAt   time.Time  `json:"placedAt"`
	AnsweredAt time.Time  `json:"answeredAt,omitzero"`
	BridgedAt  time.Time  `json:"bridgedAt,omitzero"`
	EndedAt    time.Time  `json:"endedAt,omitzero"`
	Operator   string     `json:"operator,omitempty"`
	Abandoned  bool       `json:"abandoned"`
	// Misdetected is set on a call hung up on as a machine that was found
	// to be a live person: it counts as a live answer, abandoned.
	Misdetected bool `json:"misdetected,omitempty"`
	// Result is what the operator recorded at wrap-up; WrappedAt is when
	// their wrap-up ended (the session is then complete).
	Result    string    `json:"result,omitempty"`
	WrappedAt time.Time `json:"wrappedAt,omitzero"`
	// Params are the session's parameters: the answers to the campaign's
	// call script.
	Params map[string]string `json:"params,omitempty"`
	Rev    int               `json:"rev"`
}

// Line returns the call as the pacer sees a call in flight; ok is false
// when it is no longer one (bridged or ended).
func (c Call) Line() (l Line, ok bool) {
	switch c.Status {
	case CallRinging:
		return Line{PlacedAt: c.PlacedAt}, true
	case CallWaiting:
		return Line{PlacedAt: c.PlacedAt, ConnectedAt: c.AnsweredAt}, true
	}
	return Line{}, false
}

// Talk is how long the person talked to the operator (zero when the call
// was never bridged).
func (c Call) Talk() time.Duration {
	if c.BridgedAt.IsZero() || c.EndedAt.Before(c.BridgedAt) {
		return 0
	}
	return c.EndedAt.Sub(c.BridgedAt)
}

// SessionFilter selects sessions: calls with an operator. Empty fields
// select every value; Params select the sessions whose parameters (answers
// to the call script) have these values.
type SessionFilter struct {
	Operator   string
	CampaignID string
	Params     map[string]string
}

// Matches reports whether call c is a session f selects.
func (f SessionFilter) Matches(c Call) bool {
	if c.Operator == "" || (f.Operator != "" && c.Operator != f.Operator) || (f.CampaignID != "" && c.CampaignID != f.CampaignID) {
		return false
	}
	for k, v := range f.Params {
		if got, ok := c.Params[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// OperatorGroup is an operator group as it is kept: it exists, with
// members or none, until it is deleted.
type OperatorGroup struct {
	AccountID string    `json:"accountId"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"createdAt"`
}

// Agent is an operator of an account as the dialing runtime keeps them:
// their state, the group they take calls for, the call they are on.
// Rev is its revision: each change is written on the condition of the
// stored one.
type Agent struct {
	AccountID string `json:"accountId"`
	ID        string `json:"id"`
	Group     string `json:"group"`
	Operator
	// CallID is the provider id of the call they are on or wrapping up.
	CallID     string `json:"callId,omitempty"`
	CampaignID string `json:"campaignId,omitempty"`
	// Offer is, in preview mode, the contact offered to the operator: they
	// are Busy with it from the offer until their wrap-up ends.
	Offer *Offer `json:"offer,omitempty"`
	Rev   int    `json:"rev"`
}

// Offer is a contact of a preview campaign offered to an operator. Once
// they accept it, its call is placed BCW later.
type Offer struct {
	CampaignID string    `json:"campaignId"`
	ContactID  string    `json:"contactId"`
	Phone      string    `json:"phone"`
	OfferedAt  time.Time `json:"offeredAt"`
	AcceptedAt time.Time `json:"acceptedAt,omitzero"`
}

// DialAt is when the call of an accepted offer is placed: BCW after its
// acceptance. ok is false while it is not accepted.
func (o Offer) DialAt(bcw time.Duration) (t time.Time, ok bool) {
	if o.AcceptedAt.IsZero() {
		return time.Time{}, false
	}
	return o.AcceptedAt.Add(bcw), true
}
