package store

import (
	"context"

	"github.com/parleyhq/parley/internal/parley"
)

// Clients persists accounts' API clients (OAuth 2.0 client credentials).
// A client id is unique across all accounts, so a client is found by its
// id alone when it exchanges its secret for a token.
type Clients interface {
	// PutClient saves a client, replacing the one with the same id (a
	// client never moves to another account).
	PutClient(ctx context.Context, c parley.APIClient) error
	// Client returns the client with the given id, whatever its account.
	Client(ctx context.Context, id string) (parley.APIClient, error)
	// ClientsOf lists an account's clients by id; an empty list, not nil,
	// when it has none.
	ClientsOf(ctx context.Context, accountID string) ([]parley.APIClient, error)
	// DeleteClient deletes one of an account's clients. It is ENOTFOUND
	// when there is no such client or it belongs to another account; then
	// nothing is deleted.
	DeleteClient(ctx context.Context, accountID, id string) error
}
