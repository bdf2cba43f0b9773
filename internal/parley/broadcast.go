package parley

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

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
