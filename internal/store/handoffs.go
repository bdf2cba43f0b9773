package store

import (
	"context"

	"github.com/parleyhq/parley/internal/parley"
)

// Handoffs keeps accounts' API handoffs, every version of each: a
// campaign names the latest by id, and the earlier ones stay readable.
type Handoffs interface {
	// PutHandoff saves h as version h.Version of its handoff if the saved
	// one has version h.Version-1 (no saved handoff counts as version 0)
	// and no other handoff of the account has its title (compared as
	// parley.TitleKey). Otherwise it is ECONFLICT and nothing is written.
	PutHandoff(ctx context.Context, h parley.Handoff) error
	// Handoff returns the latest version of one of an account's handoffs.
	Handoff(ctx context.Context, accountID, id string) (parley.Handoff, error)
	// HandoffVersions lists every version of a handoff, oldest first; it
	// is ENOTFOUND when the handoff does not exist.
	HandoffVersions(ctx context.Context, accountID, id string) ([]parley.Handoff, error)
	// Handoffs lists the latest version of each of an account's handoffs,
	// by id; an empty list when there are none.
	Handoffs(ctx context.Context, accountID string) ([]parley.Handoff, error)
	// DeleteHandoff removes a handoff with its versions and frees its
	// title; it is ENOTFOUND when there is none.
	DeleteHandoff(ctx context.Context, accountID, id string) error
}
