package store

import (
	"context"

	"github.com/parleyhq/parley/internal/parley"
)

// Calls keeps Connect to Messaging call contexts under their callId until
// their ExpiresAt (a DynamoDB TTL: an expired call may still be read for a
// while, so callers check parley.Call.Expired).
type Calls interface {
	// PutCall stores c, replacing the call of its account and id.
	PutCall(ctx context.Context, c parley.Call) error
	// Call returns one call of one account; ENOTFOUND when there is none.
	Call(ctx context.Context, accountID, id string) (parley.Call, error)
}
