package parley

import (
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"time"
)

// HistoryRetention is how long a consumer's message history is kept: the
// messages Parley sent them (their outbound contexts) and those it received
// from them. The contact timeline shows it.
const HistoryRetention = 2 * 365 * 24 * time.Hour

// HistoryMessage is one message of a consumer's history: one Parley sent
// (Outbound) or one it received (Inbound).
type HistoryMessage struct {
	Direction Direction `json:"direction"`
	At        time.Time `json:"at"`
	Channel   Channel   `json:"channel"`
	Body      string    `json:"body"`
	// Number is the number (or app) the message went out from, or the one
	// the consumer wrote to.
	Number            string `json:"number,omitempty"`
	ProviderMessageID string `json:"providerMessageId,omitempty"`
	// CampaignID, CampaignName, Skill and CallID are those of a sent
	// message's campaign.
	CampaignID   string `json:"campaignId,omitempty"`
	CampaignName string `json:"campaignName,omitempty"`
	Skill        string `json:"skill,omitempty"`
	CallID       string `json:"callId,omitempty"`
	// Keyword is the opt-out, opt-in or help keyword a received message
	// was, and Answer what Parley answered to it.
	Keyword string `json:"keyword,omitempty"`
	Answer  string `json:"answer,omitempty"`
}

// History returns the sent message the context records.
func (o OutboundContext) History() HistoryMessage {
	return HistoryMessage{Direction: Outbound, At: o.SentAt, Channel: o.Channel, Body: o.Body, Number: o.Sender,
		ProviderMessageID: o.ProviderMessageID, CampaignID: o.CampaignID, CampaignName: o.CampaignName, Skill: o.Skill, CallID: o.CallID}
}

// ReceivedMessage is a consumer's message as the history keeps it.
type ReceivedMessage struct {
	AccountID string `json:"accountId"`
	// Consumer is as conversations name it: E.164, or an in-app id.
	Consumer          string    `json:"consumer"`
	Channel           Channel   `json:"channel"`
	To                string    `json:"to,omitempty"`
	Body              string    `json:"body"`
	ProviderMessageID string    `json:"providerMessageId,omitempty"`
	At                time.Time `json:"at"`
	Keyword           string    `json:"keyword,omitempty"`
	Answer            string    `json:"answer,omitempty"`
}

// Fit returns the message within the outbound context's size budgets, so
// that its stored item stays under 1 KB as a context's does.
func (m ReceivedMessage) Fit() ReceivedMessage {
	m.Body = TruncateUTF8(m.Body, MaxContextBody)
	m.Answer = TruncateUTF8(m.Answer, MaxContextInfo)
	if len(m.To) > MaxContextSender {
		m.To = ""
	}
	return m
}

// Validate checks what the history needs: account, consumer and time.
func (m ReceivedMessage) Validate() error {
	switch {
	case m.AccountID == "":
		return FieldErrorf("accountId", "a received message needs its account")
	case m.Consumer == "":
		return FieldErrorf("consumer", "a received message needs its consumer")
	case m.At.IsZero():
		return FieldErrorf("at", "a received message needs its time")
	}
	return nil
}

// History returns the message as the history lists it.
func (m ReceivedMessage) History() HistoryMessage {
	return HistoryMessage{Direction: Inbound, At: m.At, Channel: m.Channel, Body: m.Body, Number: m.To,
		ProviderMessageID: m.ProviderMessageID, Keyword: m.Keyword, Answer: m.Answer}
}

// HistoryPage is a page of a consumer's history, newest first; Next, when
// set, is the cursor of the following (older) page.
type HistoryPage struct {
	Messages []HistoryMessage
	Next     string
}

// HistoryCursor is a message's place in a consumer's history, which lists
// messages newest first: by time, a sent message before a received one of
// the same instant, then by Key (a sent message's campaign id, a received
// one's provider id), greatest first.
type HistoryCursor struct {
	At        time.Time
	Direction Direction
	Key       string
}

// Cursor returns the message's place in the history.
func (m HistoryMessage) Cursor() HistoryCursor {
	key := m.CampaignID
	if m.Direction == Inbound {
		key = m.ProviderMessageID
	}
	return HistoryCursor{At: m.At, Direction: m.Direction, Key: key}
}

// Compare orders two places as the history lists them: negative when c
// comes first (is newer).
func (c HistoryCursor) Compare(d HistoryCursor) int {
	if n := d.At.Compare(c.At); n != 0 {
		return n
	}
	if n := strings.Compare(string(d.Direction), string(c.Direction)); n != 0 {
		return n
	}
	return strings.Compare(d.Key, c.Key)
}

// String encodes the cursor for a page's Next.
func (c HistoryCursor) String() string { return EncodeCursor(c.At, string(c.Direction), c.Key) }

// ParseHistoryCursor decodes a page's Next; EINVALID (field cursor) when s
// is not one.
func ParseHistoryCursor(s string) (HistoryCursor, error) {
	at, parts, err := DecodeCursor(s, 2)
	if err != nil || (Direction(parts[0]) != Outbound && Direction(parts[0]) != Inbound) {
		return HistoryCursor{}, FieldErrorf("cursor", "cursor %q is not one a page of the history gave", s)
	}
	return HistoryCursor{At: at, Direction: Direction(parts[0]), Key: parts[1]}, nil
}

// EncodeCursor writes a listing's place, an instant and the parts of a
// key, as an opaque, URL-safe cursor; DecodeCursor reads it.
func EncodeCursor(at time.Time, parts ...string) string {
	raw := strings.Join(append([]string{strconv.FormatInt(at.UnixNano(), 10)}, parts...), "\x00")
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// DecodeCursor reads a cursor EncodeCursor wrote with n parts; EINVALID
// (field cursor) when s is not one.
func DecodeCursor(s string, n int) (time.Time, []string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	fields := strings.Split(string(raw), "\x00")
	if err != nil || len(fields) != n+1 {
		return time.Time{}, nil, FieldErrorf("cursor", "cursor %q is not one a page of this listing gave", s)
	}
	ns, err := strconv.ParseInt(fields[0], 10, 64)
	if err != nil {
		return time.Time{}, nil, FieldErrorf("cursor", "cursor %q is not one a page of this listing gave", s)
	}
	return time.Unix(0, ns).UTC(), fields[1:], nil
}

// MergeHistory returns the page of at most limit messages that the newest
// of sent and received make, each list newest first and read with limit
// below the same cursor. The page has a Next when either list may go on.
func MergeHistory(sent, received []HistoryMessage, limit int) HistoryPage {
	all := make([]HistoryMessage, 0, len(sent)+len(received))
	all = append(append(all, sent...), received...)
	slices.SortStableFunc(all, func(a, b HistoryMessage) int { return a.Cursor().Compare(b.Cursor()) })
	p := HistoryPage{Messages: all[:min(len(all), limit)]}
	if len(p.Messages) > 0 && (len(all) > limit || len(sent) >= limit || len(received) >= limit) {
		p.Next = p.Messages[len(p.Messages)-1].Cursor().String()
	}
	return p
}
