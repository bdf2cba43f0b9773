package parley

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// ConversationStatus is whether a conversation takes further replies.
type ConversationStatus string

// Conversation statuses. A closed conversation never reopens: the
// consumer's next reply starts a new one.
const (
	ConversationOpen   ConversationStatus = "OPEN"
	ConversationClosed ConversationStatus = "CLOSED"
)

// ParseConversationStatus reads a status filter, in any case; "" is any.
func ParseConversationStatus(s, field string) (ConversationStatus, error) {
	switch st := ConversationStatus(strings.ToUpper(strings.TrimSpace(s))); st {
	case "", ConversationOpen, ConversationClosed:
		return st, nil
	}
	return "", FieldErrorf(field, "%s %q is not one of OPEN, CLOSED", field, s)
}

// Direction says who wrote a transcript line.
type Direction string

// Directions: the brand's message to the consumer, the consumer's reply.
const (
	Outbound Direction = "OUTBOUND"
	Inbound  Direction = "INBOUND"
)

// Line is one message of a conversation's transcript.
type Line struct {
	Direction         Direction `json:"direction"`
	Body              string    `json:"body"`
	At                time.Time `json:"at"`
	ProviderMessageID string    `json:"providerMessageId,omitempty"`
}

// ConversationSource says how a conversation was routed.
type ConversationSource string

// Conversation sources.
const (
	// SourceProactive: a reply inside the lookback of a message Parley
	// sent; routed to that campaign's skill.
	SourceProactive ConversationSource = "PROACTIVE"
	// SourceBroadcast: a reply inside the timeframe of a provider broadcast
	// campaign, linked to the engagement of its entry point.
	SourceBroadcast ConversationSource = "BROADCAST"
	// SourceInbound: any other message; routed to the account's default
	// skill, with no campaign or engagement.
	SourceInbound ConversationSource = "INBOUND"
)

// ConversationContext is what an agent is told about where a conversation
// came from.
type ConversationContext struct {
	Source       ConversationSource `json:"source"`
	CampaignID   string             `json:"campaignId,omitempty"`
	CampaignName string             `json:"campaignName,omitempty"`
	RecipientID  string             `json:"recipientId,omitempty"`
	// CustomerInfo is the context the brand passed with the consumer when
	// it created the campaign (customer name, shopper id, ...).
	CustomerInfo map[string]string `json:"customerInfo,omitempty"`
	// SDEs are the engagement attributes the brand gave with the consumer
	// in the campaign (LivePerson's sdes, flat: see FlattenSDEs).
	SDEs map[string]string `json:"sdes,omitempty"`
	// OutboundAt is when the message the consumer answered was sent.
	OutboundAt time.Time `json:"outboundAt,omitzero"`
	// For a broadcast: the campaign, its goal, the engagement and what it
	// tells the agent, and the entry point that linked them.
	BroadcastID  string `json:"broadcastId,omitempty"`
	Goal         string `json:"goal,omitempty"`
	EngagementID string `json:"engagementId,omitempty"`
	EntryPoint   string `json:"entryPoint,omitempty"`
	Language     string `json:"language,omitempty"`
	NotesToAgent string `json:"notesToAgent,omitempty"`
}

// Conversation is a consumer's exchange with a brand's agents: it opens
// with the consumer's first reply (after the outbound message it answers,
// when there is one), takes further replies while open, and is closed by
// the brand.
type Conversation struct {
	ID        string `json:"id"`
	AccountID string `json:"accountId"`
	// Consumer is an E.164 number, or a brand's consumer id for in-app.
	Consumer   string              `json:"consumer"`
	Channel    Channel             `json:"channel"`
	Skill      string              `json:"skill"`
	Status     ConversationStatus  `json:"status"`
	Transcript []Line              `json:"transcript"`
	Omitted    int                 `json:"omittedLines,omitempty"` // lines dropped to bound the transcript
	Context    ConversationContext `json:"context"`
	OpenedAt   time.Time           `json:"openedAt"`
	ClosedAt   time.Time           `json:"closedAt,omitzero"`
	UpdatedAt  time.Time           `json:"updatedAt"`
	// Version counts the stored changes; a store saves a change only over
	// the version it was made from.
	Version int `json:"version"`
}

// Transcript bounds: a stored conversation must stay well inside a
// DynamoDB item (400 KB). The first line, the outbound message, is kept;
// older replies give way to newer ones.
const (
	MaxLineBytes       = 4096
	MaxTranscriptLines = 200
	MaxTranscriptBytes = 200 << 10
)

// Open reports whether the conversation takes further replies.
func (c Conversation) Open() bool { return c.Status == ConversationOpen }

// HasMessage reports whether a line of the transcript carries the provider
// message id (a redelivered webhook).
func (c Conversation) HasMessage(providerMessageID string) bool {
	return providerMessageID != "" && slices.ContainsFunc(c.Transcript, func(l Line) bool {
		return l.ProviderMessageID == providerMessageID
	})
}

// Append adds a line to the transcript, cutting its body to MaxLineBytes
// and dropping the oldest lines after the first while the transcript
// exceeds MaxTranscriptLines or MaxTranscriptBytes.
func (c *Conversation) Append(l Line) {
	l.Body = TruncateUTF8(l.Body, MaxLineBytes)
	c.Transcript = append(c.Transcript, l)
	size := 0
	for _, x := range c.Transcript {
		size += len(x.Body)
	}
	for len(c.Transcript) > 2 && (len(c.Transcript) > MaxTranscriptLines || size > MaxTranscriptBytes) {
		size -= len(c.Transcript[1].Body)
		c.Transcript = slices.Delete(c.Transcript, 1, 2)
		c.Omitted++
	}
}

// TruncateUTF8 cuts s to at most n bytes without splitting a character.
func TruncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// ConversationFilter selects conversations of an account, newest first.
// Empty fields match anything.
type ConversationFilter struct {
	Skill    string
	Status   ConversationStatus
	Consumer string
	// Cursor continues a listing: the NextCursor of the previous page.
	Cursor string
	// Limit bounds the page (MaxConversationPage when 0 or more).
	Limit int
}

// MaxConversationPage bounds one page of a conversation listing.
const MaxConversationPage = 100

// PageLimit is f's limit, bounded to 1..MaxConversationPage.
func (f ConversationFilter) PageLimit() int {
	if f.Limit <= 0 || f.Limit > MaxConversationPage {
		return MaxConversationPage
	}
	return f.Limit
}

// Matches reports whether c passes the filter's skill, status and consumer.
func (f ConversationFilter) Matches(c Conversation) bool {
	return (f.Skill == "" || c.Skill == f.Skill) && (f.Status == "" || c.Status == f.Status) &&
		(f.Consumer == "" || c.Consumer == f.Consumer)
}

// ConversationPage is one page of a listing. NextCursor is empty on the last
// page; a page may hold fewer than the limit even when more follow.
type ConversationPage struct {
	Conversations []Conversation `json:"conversations"`
	NextCursor    string         `json:"nextCursor,omitempty"`
}

// ConversationEvent is what the connector pushes to a brand's agent
// platform: the conversation as it stands after a change.
type ConversationEvent struct {
	// ID is unique per change (conversation id and version), so that the
	// receiver can drop a retried delivery.
	ID           string       `json:"id"`
	Type         string       `json:"type"`
	At           time.Time    `json:"at"`
	Conversation Conversation `json:"conversation"`
}

// Conversation event types.
const (
	EventStarted = "conversation.started"
	EventMessage = "conversation.message"
	EventClosed  = "conversation.closed"
)

// NewConversationEvent describes c after a change of type typ.
func NewConversationEvent(typ string, c Conversation, at time.Time) ConversationEvent {
	return ConversationEvent{ID: fmt.Sprintf("%s.%d", c.ID, c.Version), Type: typ, At: at, Conversation: c}
}

// CodeOpenConversation is why a recipient is SKIPPED: the consumer has an
// open conversation, and a proactive message would land in its middle.
const CodeOpenConversation = "OPEN_CONVERSATION"
