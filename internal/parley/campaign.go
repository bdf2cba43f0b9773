package parley

import (
	"fmt"
	"slices"
	"time"

	"github.com/parleyhq/parley/internal/window"
)

// Channel is a messaging channel a recipient is reached on.
type Channel string

// The channels Parley sends on.
const (
	ChannelSMS      Channel = "sms"
	ChannelWhatsApp Channel = "whatsapp"
	ChannelInApp    Channel = "inapp"
	// ChannelPrioritized is a campaign mode, not a recipient's channel:
	// WhatsApp first, SMS (with the opt-out text) when the consumer cannot
	// be reached on WhatsApp.
	ChannelPrioritized Channel = "prioritized"
)

// PlainSMSTemplateID is the templateId that LivePerson Proactive clients use
// for a plain SMS campaign whose text travels in the request.
const PlainSMSTemplateID = "1234567890"

// MaxConsumersPerCall bounds the consumers[] of one campaign API call.
const MaxConsumersPerCall = 100

// Campaign is a brand's outbound campaign: who it is from, what it says, where
// replies are routed. Its recipients are stored separately.
type Campaign struct {
	AccountID      string  `json:"accountId"`
	ID             string  `json:"id"`
	Name           string  `json:"name"`
	Skill          string  `json:"skill"`
	TemplateID     string  `json:"templateId"`
	OutboundNumber string  `json:"outboundNumber"`
	Channel        Channel `json:"channel"`
	Message        string  `json:"message"`
	OptOutText     string  `json:"optOutText,omitempty"` // the account's (or its API handoff's), when the campaign was accepted
	// DefaultCountry is the ISO 3166 alpha-2 country the recipients'
	// national numbers were read in: the campaign's own, else the
	// account's; empty when numbers had to carry their country code.
	DefaultCountry string    `json:"defaultCountry,omitempty"`
	Consent        bool      `json:"consent"`
	Recipients     int       `json:"recipients"`
	FannedOut      int       `json:"fannedOut"`
	CreatedAt      time.Time `json:"createdAt"`
	// Schedule is when recipients may be messaged, in their local time.
	Schedule window.Schedule `json:"schedule"`
	// Lookback is how long after a send a reply is routed to Skill.
	Lookback time.Duration `json:"lookback"`
	// Template is the WhatsApp template the campaign sends, as it was when
	// the campaign was accepted; nil for a plain SMS campaign.
	Template *WhatsAppTemplate `json:"template,omitempty"`
	// Apps are the brand's apps an in-app campaign reaches its consumers
	// through (its API handoff's): only devices registered from them get
	// its messages. Every device of the consumer when empty.
	Apps []string `json:"apps,omitempty"`
	// CallID names the Connect to Messaging call a deflection campaign
	// (one consumer, sent at once) was invited by; "" for other campaigns.
	CallID string `json:"callId,omitempty"`
	// HandoffID is the API handoff the campaign's templateId named, when it
	// named one (every Connect to Messaging deflection does); "" otherwise.
	HandoffID string `json:"handoffId,omitempty"`
	// IVRNumber is the number the IVR said the consumer called, for a
	// Connect to Messaging deflection that gave one; "" otherwise.
	IVRNumber string `json:"ivrNumber,omitempty"`
	// State says whether the campaign may send; the zero value is active.
	State CampaignState `json:"state,omitempty"`
	// CreatedBy is who created the campaign: the authenticated principal's
	// subject (an API client id, or a signed-in user).
	CreatedBy string `json:"createdBy,omitempty"`
	// Source is how the campaign was created, in LivePerson's reporting
	// vocabulary: SourceAPI or SourceUI; "" for a campaign created before
	// sources were kept.
	Source string `json:"source,omitempty"`
	// LaunchAt is the campaign's first allowed send: the earliest DueAt of
	// its recipients when it was accepted.
	LaunchAt time.Time `json:"launchAt,omitzero"`
	// StateChangedAt is when State last changed; zero while it never has.
	StateChangedAt time.Time `json:"stateChangedAt,omitzero"`
	// CompletedAt is when every recipient was found final (nothing more
	// will be sent); zero until then.
	CompletedAt time.Time `json:"completedAt,omitzero"`
}

// CampaignState is whether a campaign may send.
type CampaignState string

// Campaign states. A paused campaign holds its recipients until resumed; a
// cancelled one never sends again.
const (
	StateActive    CampaignState = ""
	StatePaused    CampaignState = "PAUSED"
	StateCancelled CampaignState = "CANCELLED"
)

// Lookback bounds, as LivePerson sets them.
const (
	MinLookback     = time.Hour
	MaxLookback     = 30 * 24 * time.Hour
	DefaultLookback = MaxLookback
)

// FanoutDone reports whether every recipient has been handed to the queue.
func (c Campaign) FanoutDone() bool { return c.FannedOut >= c.Recipients }

// Campaign statuses, derived from the statuses of its recipients.
const (
	CampaignScheduled  = "SCHEDULED"
	CampaignInProgress = "IN_PROGRESS"
	CampaignCompleted  = "COMPLETED"
)

// Status derives a campaign's status from its state and its recipients'
// statuses: PAUSED or CANCELLED when so, else as CampaignStatus says.
func (c Campaign) Status(counts map[RecipientStatus]int) string {
	if c.State != StateActive {
		return string(c.State)
	}
	return CampaignStatus(counts)
}

// CampaignStatus derives a campaign's status from its recipients' statuses:
// completed when none is still waiting to be sent, scheduled when none has
// been attempted yet, in progress otherwise.
func CampaignStatus(counts map[RecipientStatus]int) string {
	pending, attempted := 0, 0
	for s, n := range counts {
		if s.Final() {
			attempted += n
		} else {
			pending += n
			if s == StatusSending {
				attempted += n
			}
		}
	}
	switch {
	case pending == 0:
		return CampaignCompleted
	case attempted == 0:
		return CampaignScheduled
	default:
		return CampaignInProgress
	}
}

// Campaign phases: the status the campaign list and detail show. They
// extend the statuses LivePerson's Proactive tool shows (SCHEDULED,
// RUNNING, PAUSED, FINISHED, CANCELLED) with EXPIRED: the campaign's end
// time passed before all its recipients were reached.
const (
	PhaseScheduled = "SCHEDULED"
	PhaseRunning   = "RUNNING"
	PhasePaused    = "PAUSED"
	PhaseFinished  = "FINISHED"
	PhaseCancelled = "CANCELLED"
	PhaseExpired   = "EXPIRED"
)

// Phases lists every phase.
var Phases = []string{PhaseScheduled, PhaseRunning, PhasePaused, PhaseFinished, PhaseCancelled, PhaseExpired}

// Phase is the campaign's phase at now, from what its item records alone
// (no recipient is read): CANCELLED once cancelled; FINISHED once every
// recipient was found final (CompletedAt); EXPIRED once its end time
// passed; PAUSED while paused; SCHEDULED before its first allowed send;
// RUNNING otherwise. A campaign whose recipients all became final is
// RUNNING until something counts them (see Completes).
func (c Campaign) Phase(now time.Time) string {
	switch {
	case c.State == StateCancelled:
		return PhaseCancelled
	case !c.CompletedAt.IsZero():
		return PhaseFinished
	case !c.Schedule.EndAt.IsZero() && !now.Before(c.Schedule.EndAt):
		return PhaseExpired
	case c.State == StatePaused:
		return PhasePaused
	case now.Before(c.LaunchAt):
		return PhaseScheduled
	}
	return PhaseRunning
}

// Completes reports whether counts (a campaign's recipients per status)
// show every recipient final: the moment to record CompletedAt. A
// recipient never leaves a final status for one that sends again, so the
// mark, once set, stays true.
func Completes(counts map[RecipientStatus]int) bool {
	return CampaignStatus(counts) == CampaignCompleted
}

// ValidPhase reports whether s names a phase.
func ValidPhase(s string) bool { return slices.Contains(Phases, s) }

// ChunkSize is how many consecutive recipients of a campaign go together:
// the recipients with Seqs (n−1)·ChunkSize+1 … n·ChunkSize make up chunk
// n−1, which a store may keep as one item and a dispatcher send as one job.
const ChunkSize = 25

// ChunkOf returns the chunk of the recipient at position seq (≥ 1).
func ChunkOf(seq int) int { return (seq - 1) / ChunkSize }

// RecipientID names the recipient at 1-based position seq of its campaign.
// Fixed width keeps lexical and numeric order the same.
func RecipientID(seq int) string { return fmt.Sprintf("%06d", seq) }
