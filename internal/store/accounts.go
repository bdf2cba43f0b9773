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

// Templates keeps accounts' WhatsApp templates, and which campaigns send
// each.
type Templates interface {
	// PutTemplate saves t as version t.Version of its template if the
	// saved one has version t.Version-1 (no saved template counts as
	// version 0) and no other template of the account has its name in its
	// language (parley.WhatsAppTemplate.NameKey). Otherwise it is
	// ECONFLICT and nothing is written.
	PutTemplate(ctx context.Context, t parley.WhatsAppTemplate) error
	// Template returns one of an account's templates.
	Template(ctx context.Context, accountID, id string) (parley.WhatsAppTemplate, error)
	// Templates lists an account's templates by id; an empty list when
	// there are none.
	Templates(ctx context.Context, accountID string) ([]parley.WhatsAppTemplate, error)
	// DeleteTemplate removes a template with the record of the campaigns
	// that send it, and frees its name; it is ENOTFOUND when there is
	// none.
	DeleteTemplate(ctx context.Context, accountID, id string) error
	// UseTemplate records that campaign campaignID sends template
	// templateID; recording it again changes nothing.
	UseTemplate(ctx context.Context, accountID, templateID, campaignID string) error
	// TemplateCampaigns lists the ids of the campaigns recorded as sending
	// the template, in id order; an empty list when there are none.
	TemplateCampaigns(ctx context.Context, accountID, templateID string) ([]string, error)
}
