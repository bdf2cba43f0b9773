package store

import (
	"context"

	"github.com/parleyhq/parley/internal/parley"
)

// Accounts keeps each account's settings. The connector secret is stored
// sealed by the adapter's parley.Sealer, as Channels keeps credentials
// (see package store/secret); reads return it in clear.
type Accounts interface {
	// Account returns an account's settings; an account that never saved
	// any has the zero settings (with its id), not ENOTFOUND.
	Account(ctx context.Context, accountID string) (parley.Account, error)
	// PutAccount saves an account's settings.
	PutAccount(ctx context.Context, a parley.Account) error
}

// Templates keeps accounts' WhatsApp template definitions.
type Templates interface {
	// PutTemplate saves a WhatsApp template definition, replacing one with
	// the same account and id.
	PutTemplate(ctx context.Context, t parley.WhatsAppTemplate) error
	// Template returns one of an account's templates.
	Template(ctx context.Context, accountID, id string) (parley.WhatsAppTemplate, error)
	// Templates lists an account's templates by id; an empty list when
	// there are none.
	Templates(ctx context.Context, accountID string) ([]parley.WhatsAppTemplate, error)
}
