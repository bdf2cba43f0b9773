package store

import (
	"context"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// OptOuts is the per-account opt-out list. Entries are keyed by account,
// phone (E.164) and channel (parley.ChannelSMS, parley.ChannelWhatsApp or
// parley.ChannelAll), and listed in phone order, then channel.
type OptOuts interface {
	// PutOptOut adds e unless the account already has an entry for its
	// phone and channel; created says whether it did. An existing entry is
	// left as it was, with its first CreatedAt and Source.
	PutOptOut(ctx context.Context, e parley.OptOut) (created bool, err error)
	// DeleteOptOut removes the entry for phone and channel (exactly that
	// channel: removing the SMS entry leaves an all-channels one);
	// removed says whether there was one.
	DeleteOptOut(ctx context.Context, accountID string, channel parley.Channel, phone string) (removed bool, err error)
	// PhoneOptOuts lists the entries of one phone, every channel.
	PhoneOptOuts(ctx context.Context, accountID, phone string) ([]parley.OptOut, error)
	// OptOuts lists at most limit (capped at MaxPage) of an account's
	// entries that sort after the entry (afterPhone, afterChannel); an empty
	// afterPhone starts at the first. The list is never nil.
	OptOuts(ctx context.Context, accountID, afterPhone string, afterChannel parley.Channel, limit int) ([]parley.OptOut, error)
}

// Seen records the ids of things that must take effect once, such as the
// provider message id of a webhook a provider may deliver twice.
type Seen interface {
	// MarkSeen records id in scope until now+ttl. first is true when id was
	// not recorded in scope, or its record had expired by now. Expired
	// records may linger (DynamoDB's TTL deletes within days); they count
	// as absent.
	MarkSeen(ctx context.Context, scope, id string, now time.Time, ttl time.Duration) (first bool, err error)
	// ForgetSeen removes the record of id in scope, if any, so that the
	// next MarkSeen of it is first again: a webhook whose processing
	// failed after it was marked is then processed when the provider
	// delivers it again.
	ForgetSeen(ctx context.Context, scope, id string) error
}
