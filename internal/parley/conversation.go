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

// OutboundContext is what a reply to a sent message is routed by: the
// campaign's skill while its lookback lasts, and what the agent sees. The
// dispatcher records one per message sent, so it is kept small (see Fit).
type OutboundContext struct {
	AccountID         string            `json:"accountId"`
	Consumer          string            `json:"consumer"`
	CampaignID        string            `json:"campaignId"`
	CampaignName      string            `json:"campaignName,omitempty"`
	RecipientID       string            `json:"recipientId,omitempty"`
	Skill             string            `json:"skill"`
	Channel           Channel           `json:"channel"`
	Body              string            `json:"body,omitempty"`
	CustomerInfo      map[string]string `json:"customerInfo,omitempty"`
	ProviderMessageID string            `json:"providerMessageId,omitempty"`
	SentAt            time.Time         `json:"sentAt"`
	// Lookback is how long replies go to Skill; see ClampLookback.
	Lookback time.Duration `json:"lookback"`
}

// Size budgets of an outbound context, which keep its stored item under
// 1 KB: the body and campaign name are cut, customer info beyond the budget
// is left out.
const (
	MaxContextBody  = 360
	MaxContextName  = 96
	MaxContextSkill = 64
	MaxContextInfo  = 160 // bytes of keys and values
)

// ClampLookback bounds a lookback to MinLookback..MaxLookback; zero means
// DefaultLookback.
func ClampLookback(d time.Duration) time.Duration {
	switch {
	case d == 0:
		return DefaultLookback
	case d < MinLookback:
		return MinLookback
	case d > MaxLookback:
		return MaxLookback
	}
	return d
}

// Expires is the last instant a reply is routed by the context.
func (o OutboundContext) Expires() time.Time { return o.SentAt.Add(ClampLookback(o.Lookback)) }

// Routes reports whether a reply at at is inside the context's lookback.
func (o OutboundContext) Routes(at time.Time) bool { return !at.After(o.Expires()) }

// Fit returns the context within the size budgets, its lookback clamped.
func (o OutboundContext) Fit() OutboundContext {
	o.Body = TruncateUTF8(o.Body, MaxContextBody)
	o.CampaignName = TruncateUTF8(o.CampaignName, MaxContextName)
	o.Skill = TruncateUTF8(o.Skill, MaxContextSkill)
	o.Lookback = ClampLookback(o.Lookback)
	if len(o.CustomerInfo) > 0 {
		keys := make([]string, 0, len(o.CustomerInfo))
		for k := range o.CustomerInfo {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		info, used := map[string]string{}, 0
		for _, k := range keys {
			if n := len(k) + len(o.CustomerInfo[k]); used+n <= MaxContextInfo {
				info[k] = o.CustomerInfo[k]
				used += n
			}
		}
		o.CustomerInfo = info
	}
	return o
}

// Validate checks what routing needs: account, consumer and send time.
func (o OutboundContext) Validate() error {
	switch {
	case o.AccountID == "":
		return FieldErrorf("accountId", "an outbound context needs its account")
	case o.Consumer == "":
		return FieldErrorf("consumer", "an outbound context needs its consumer")
	case o.SentAt.IsZero():
		return FieldErrorf("sentAt", "an outbound context needs its send time")
	}
	return nil
}

// BroadcastCampaign is an outbound campaign a third-party provider (such as
// CM.com) broadcasts: replies inside its timeframe are linked to the
// engagement whose entry point they came through, and routed to its skill.
type BroadcastCampaign struct {
	AccountID string `json:"accountId"`
	ID        string `json:"id"`
	Name      string `json:"name"`
	Goal      string `json:"goal"`
	// Start and End bound the timeframe, both included.
	Start       time.Time    `json:"start"`
	End         time.Time    `json:"end"`
	Engagements []Engagement `json:"engagements"`
	CreatedAt   time.Time    `json:"createdAt"`
}

// Engagement links a broadcast's replies to a skill.
type Engagement struct {
	ID string `json:"id"`
	// Source is the conversation source, the provider (e.g. "cm").
	Source       string `json:"source"`
	Skill        string `json:"skill"`
	Language     string `json:"language,omitempty"`
	NotesToAgent string `json:"notesToAgent,omitempty"`
	// EntryPoint is the provider's campaign id, or the number the
	// broadcast was sent from.
	EntryPoint string `json:"entryPoint"`
}

// Broadcast limits.
const (
	MaxEngagements  = 20
	MaxNotesToAgent = 1000
)

// Within reports whether at is inside the timeframe.
func (b BroadcastCampaign) Within(at time.Time) bool { return !at.Before(b.Start) && !at.After(b.End) }

// Engagement returns the engagement with the entry point.
func (b BroadcastCampaign) Engagement(entryPoint string) (Engagement, bool) {
	i := slices.IndexFunc(b.Engagements, func(e Engagement) bool { return e.EntryPoint == entryPoint })
	if i < 0 {
		return Engagement{}, false
	}
	return b.Engagements[i], true
}

// Validate checks a broadcast campaign as a brand defines it: name, goal,
// a timeframe that ends after it starts, and 1..MaxEngagements engagements,
// each with source, skill and an entry point no other engagement has.
func (b BroadcastCampaign) Validate() error {
	switch {
	case strings.TrimSpace(b.Name) == "":
		return FieldErrorf("name", "name is required")
	case strings.TrimSpace(b.Goal) == "":
		return FieldErrorf("goal", "goal is required")
	case b.Start.IsZero():
		return FieldErrorf("timeframe.start", "timeframe.start is required")
	case b.End.IsZero():
		return FieldErrorf("timeframe.end", "timeframe.end is required")
	case !b.End.After(b.Start):
		return FieldErrorf("timeframe.end", "timeframe.end must be after timeframe.start")
	case len(b.Engagements) == 0:
		return FieldErrorf("engagements", "at least one engagement is required")
	case len(b.Engagements) > MaxEngagements:
		return FieldErrorf("engagements", "%d engagements; at most %d", len(b.Engagements), MaxEngagements)
	}
	seen := map[string]int{}
	for i, e := range b.Engagements {
		field := fmt.Sprintf("engagements[%d]", i)
		switch {
		case strings.TrimSpace(e.Source) == "":
			return FieldErrorf(field+".source", "source (the provider, such as cm) is required")
		case strings.TrimSpace(e.Skill) == "":
			return FieldErrorf(field+".skill", "skill is required")
		case strings.TrimSpace(e.EntryPoint) == "":
			return FieldErrorf(field+".entryPoint", "entryPoint (the provider's campaign id or the sending number) is required")
		case utf8.RuneCountInString(e.NotesToAgent) > MaxNotesToAgent:
			return FieldErrorf(field+".notesToAgent", "notesToAgent is longer than %d characters", MaxNotesToAgent)
		}
		if j, dup := seen[e.EntryPoint]; dup {
			return FieldErrorf(field+".entryPoint", "entry point %q is also engagements[%d]'s", e.EntryPoint, j)
		}
		seen[e.EntryPoint] = i
	}
	return nil
}

// BroadcastNotification is a provider's notice that it broadcast a message
// to one consumer.
type BroadcastNotification struct {
	AccountID string `json:"accountId"`
	Consumer  string `json:"consumer"`
	// EntryPoint is the provider's campaign id; From the sending number.
	EntryPoint string    `json:"entryPoint,omitempty"`
	From       string    `json:"from,omitempty"`
	Body       string    `json:"body,omitempty"`
	Provider   string    `json:"provider,omitempty"`
	At         time.Time `json:"at"`
}

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

// CodeOpenConversation is why a recipient is SKIPPED: the consumer has an
// open conversation, and a proactive message would land in its middle.
const CodeOpenConversation = "OPEN_CONVERSATION"
