package store

import (
	"context"

	"github.com/parleyhq/parley/internal/directory"
)

// Contacts is each account's contact directory and its saved filters. A
// phone number belongs to at most one contact of an account.
type Contacts interface {
	// PutContact writes c: version 1 creates it, any later version replaces
	// the stored version c.Version−1. It is ECONFLICT when the stored
	// version is another, or when another contact of the account has
	// c.Phone.
	PutContact(ctx context.Context, c directory.Contact) error
	// Contact returns one contact; ENOTFOUND when there is none.
	Contact(ctx context.Context, accountID, id string) (directory.Contact, error)
	// ContactByPhone returns the contact with the number (E.164);
	// ENOTFOUND when there is none.
	ContactByPhone(ctx context.Context, accountID, phone string) (directory.Contact, error)
	// DeleteContact removes a contact and frees its number; removed says
	// whether there was one.
	DeleteContact(ctx context.Context, accountID, id string) (removed bool, err error)
	// Contacts lists at most limit (capped at MaxPage) of an account's
	// contacts in id order, after afterID ("" starts at the first). The
	// list is never nil.
	Contacts(ctx context.Context, accountID, afterID string, limit int) ([]directory.Contact, error)
	// PutFilter creates or replaces a saved filter.
	PutFilter(ctx context.Context, f directory.Filter) error
	// Filter returns one saved filter; ENOTFOUND when there is none.
	Filter(ctx context.Context, accountID, id string) (directory.Filter, error)
	// Filters lists an account's saved filters in id order (never nil).
	Filters(ctx context.Context, accountID string) ([]directory.Filter, error)
	// DeleteFilter removes a saved filter; removed says whether there was one.
	DeleteFilter(ctx context.Context, accountID, id string) (removed bool, err error)
}
