// Package store names Parley's persistence ports, each small and named by
// what it holds: campaigns and their recipients with conditional status
// transitions, account settings, templates, channel configurations, API
// clients, push tokens, opt-outs, seen marks, reply routing (outbound
// contexts, the consumers' message history, conversations, broadcasts, report events), the answers of
// idempotent creates, the daily recipient counts, event subscriptions and
// Connect to Messaging call contexts. Consumers depend on the ports they
// use; Store composes them all for wiring. Adapters live in sub-packages (embedded,
// dynamo) and all pass the contract suite in storetest.
//
// Every method is safe for concurrent use. Errors carry parley codes:
// ENOTFOUND for a missing item (including one that belongs to another
// account), ECONFLICT for a failed condition, EUNAVAILABLE when the backing
// service fails.
package store

// MaxPage bounds how many items one listing call returns.
const MaxPage = 1000

// Store is every persistence port, for wiring an application; consumers
// take the ports they use. (The sandbox outbox is no part of it: see
// package gateway/sandbox.)
type Store interface {
	Campaigns
	Recipients
	Accounts
	Templates
	Handoffs
	Channels
	Clients
	PushTokens
	OptOuts
	Seen
	OutboundContexts
	MessageHistory
	Conversations
	Broadcasts
	ReportEvents
	Idempotency
	DailyCounts
	Calls
	Contacts
	PhoneCampaigns
	EventSubscriptions
	Counters
	Stamps
}
