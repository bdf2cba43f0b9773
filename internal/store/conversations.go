package store

import (
	"context"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// MaxContexts bounds how many outbound contexts one OutboundContexts call
// returns.
const MaxContexts = 50

// OutboundContexts keeps the contexts of sent messages that consumers'
// replies are routed by.
type OutboundContexts interface {
	// PutOutboundContext records a sent message's context. Contexts of one
	// consumer with the same SentAt and CampaignID replace each other.
	PutOutboundContext(ctx context.Context, c parley.OutboundContext) error
	// OutboundContexts lists a consumer's contexts sent at or after since,
	// newest first, at most limit (capped at MaxContexts). A context may be
	// left out once parley.OutboundContext.Retained has passed: it is kept
	// for its lookback, and at least the 30 days of the agent context.
	OutboundContexts(ctx context.Context, accountID, consumer string, since time.Time, limit int) ([]parley.OutboundContext, error)
}

// MessageHistory is every message Parley sent a consumer or received from
// one, kept for parley.HistoryRetention. A sent message is its outbound
// context (PutOutboundContext writes it); a received one is written here.
type MessageHistory interface {
	// PutReceivedMessage records a consumer's message. Messages of one
	// consumer with the same At and ProviderMessageID replace each other.
	PutReceivedMessage(ctx context.Context, m parley.ReceivedMessage) error
	// MessageHistory lists at most limit (capped at MaxPage) of a
	// consumer's messages, sent and received, newest first, after cursor
	// ("" starts at the newest; a page's Next continues it).
	MessageHistory(ctx context.Context, accountID, consumer, cursor string, limit int) (parley.HistoryPage, error)
}

// Conversations keeps the conversations replies open.
//
// A consumer (account and consumer number or id) has at most one open
// conversation, and it is the consumer's latest: CreateConversation and
// SaveConversation keep that true under concurrency.
type Conversations interface {
	// CreateConversation stores c, an open conversation, as its consumer's
	// latest. prevID is the id of the consumer's latest conversation, which
	// must be closed, or "" when there is none; otherwise (a conversation
	// opened or closed meanwhile) it is ECONFLICT and nothing is written.
	CreateConversation(ctx context.Context, c parley.Conversation, prevID string) error
	// SaveConversation replaces an open conversation stored at c.Version
	// with c, and returns it at the next version. It is ECONFLICT when the
	// stored version differs or the stored conversation is closed,
	// ENOTFOUND when there is none. Saving it closed takes it off the
	// consumer's open conversation.
	SaveConversation(ctx context.Context, c parley.Conversation) (parley.Conversation, error)
	// Conversation returns one conversation of one account.
	Conversation(ctx context.Context, accountID, id string) (parley.Conversation, error)
	// LatestConversation returns the consumer's latest conversation, open
	// or closed, and whether there is one.
	LatestConversation(ctx context.Context, accountID, consumer string) (parley.Conversation, bool, error)
	// HasOpenConversation reports whether the consumer has an open
	// conversation. It is cheap: the dispatcher asks before every send.
	HasOpenConversation(ctx context.Context, accountID, consumer string) (bool, error)
	// ListConversations lists an account's conversations that match f,
	// newest first, a page at a time (see parley.ConversationPage).
	ListConversations(ctx context.Context, accountID string, f parley.ConversationFilter) (parley.ConversationPage, error)
}

// Broadcasts keeps provider broadcast campaigns and the notifications
// providers report broadcasting to consumers.
type Broadcasts interface {
	// CreateBroadcast stores a broadcast campaign; ECONFLICT if one with
	// its account and id exists.
	CreateBroadcast(ctx context.Context, b parley.BroadcastCampaign) error
	// Broadcast returns one broadcast campaign.
	Broadcast(ctx context.Context, accountID, id string) (parley.BroadcastCampaign, error)
	// Broadcasts lists an account's broadcast campaigns by id.
	Broadcasts(ctx context.Context, accountID string) ([]parley.BroadcastCampaign, error)
	// BroadcastsByEntryPoint lists, by id, the account's broadcast
	// campaigns with an engagement at the entry point, each with that
	// engagement only.
	BroadcastsByEntryPoint(ctx context.Context, accountID, entryPoint string) ([]parley.BroadcastCampaign, error)
	// PutBroadcastNotification records that a provider broadcast to a
	// consumer.
	PutBroadcastNotification(ctx context.Context, n parley.BroadcastNotification) error
	// LatestBroadcastNotification returns the consumer's latest
	// notification, and whether there is one.
	LatestBroadcastNotification(ctx context.Context, accountID, consumer string) (parley.BroadcastNotification, bool, error)
}

// ReportEvents keeps the reporting events of conversations.
type ReportEvents interface {
	// PutReportEvent records a reporting event; one with the same account,
	// At and ID replaces it.
	PutReportEvent(ctx context.Context, e parley.ReportEvent) error
	// ReportEvents lists an account's events at or after since, oldest
	// first, at most limit (capped at MaxPage).
	ReportEvents(ctx context.Context, accountID string, since time.Time, limit int) ([]parley.ReportEvent, error)
}
