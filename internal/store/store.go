// Package store defines Parley's persistence port: campaigns, their
// recipients with conditional status transitions, and the sandbox outbox.
// Adapters live in sub-packages (embedded, dynamo) and all pass the contract
// suite in storetest.
package store

import (
	"context"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// MaxSandboxMessages bounds what SandboxMessages returns of an account's
// sandbox outbox.
const MaxSandboxMessages = 1000

// SandboxTTL is how long the sandbox keeps a recorded message.
const SandboxTTL = 7 * 24 * time.Hour

// MaxPage bounds how many recipients one Recipients call returns.
const MaxPage = 1000

// Store is the persistence port. Every method is safe for concurrent use.
//
// Errors carry parley codes: ENOTFOUND for a missing campaign or recipient
// (including one that belongs to another account), ECONFLICT for a failed
// condition, EUNAVAILABLE when the backing service fails.
type Store interface {
	Conversations
	PushTokens
	Channels
	Clients
	Replies
	// Account returns an account's settings; an account that never saved
	// any has the zero settings (with its id), not ENOTFOUND.
	Account(ctx context.Context, accountID string) (parley.Account, error)
	// PutAccount saves an account's settings, the connector secret sealed
	// (parley.EncodeConnectorSecret), as Channels keeps credentials.
	PutAccount(ctx context.Context, a parley.Account) error
	// PutTemplate saves a WhatsApp template definition, replacing one with
	// the same account and id.
	PutTemplate(ctx context.Context, t parley.WhatsAppTemplate) error
	// Template returns one of an account's templates.
	Template(ctx context.Context, accountID, id string) (parley.WhatsAppTemplate, error)
	// Templates lists an account's templates by id.
	Templates(ctx context.Context, accountID string) ([]parley.WhatsAppTemplate, error)
	// CreateCampaign persists c and its recipients. It is ECONFLICT if a
	// campaign with c's account and id exists; then nothing is written.
	CreateCampaign(ctx context.Context, c parley.Campaign, rs []parley.Recipient) error
	// Campaign returns one campaign of one account.
	Campaign(ctx context.Context, accountID, campaignID string) (parley.Campaign, error)
	// SetFannedOut records that the first n recipients are queued. The
	// counter never moves backwards; a smaller n is ignored.
	SetFannedOut(ctx context.Context, accountID, campaignID string, n int) error
	// SetCampaignState moves a campaign to state to if its state is one of
	// from, and returns it. It is ECONFLICT (with the stored campaign) when
	// the state is not, ENOTFOUND when there is no such campaign.
	SetCampaignState(ctx context.Context, accountID, campaignID string, from []parley.CampaignState, to parley.CampaignState) (parley.Campaign, error)
	// PendingFanout lists campaigns whose recipients are not all queued yet.
	PendingFanout(ctx context.Context) ([]parley.Campaign, error)
	// Recipients lists a campaign's recipients with Seq > afterSeq in Seq
	// order, at most limit (capped at MaxPage).
	Recipients(ctx context.Context, accountID, campaignID string, afterSeq, limit int) ([]parley.Recipient, error)
	// Recipient returns one recipient.
	Recipient(ctx context.Context, ref parley.Ref) (parley.Recipient, error)
	// UpdateRecipient applies change atomically if the stored status is in
	// change.From and returns the updated recipient. Otherwise it returns the
	// stored recipient unchanged and an ECONFLICT error.
	UpdateRecipient(ctx context.Context, ref parley.Ref, change parley.RecipientChange) (parley.Recipient, error)
	// DueRecipients lists the recipients in status (SCHEDULED or SENDING)
	// whose DueAt is before before, earliest first, at most limit (capped
	// at MaxPage), across all accounts. A recipient is in this index exactly
	// while its status is Indexed: SCHEDULED ones by when they are due,
	// SENDING ones by when their claim's lease runs out.
	DueRecipients(ctx context.Context, status parley.RecipientStatus, before time.Time, limit int) ([]parley.Recipient, error)
	// RecordSandbox appends a message to the sandbox outbox.
	RecordSandbox(ctx context.Context, m parley.SentMessage) error
	// SandboxMessage returns the sandbox message recorded for a recipient,
	// and whether there is one.
	SandboxMessage(ctx context.Context, ref parley.Ref) (parley.SentMessage, bool, error)
	// SandboxMessages lists the newest messages (at most
	// MaxSandboxMessages) the sandbox recorded for the account, in the order
	// recorded. On DynamoDB recorded messages expire (TTL) SandboxTTL after
	// they were sent.
	SandboxMessages(ctx context.Context, accountID string) ([]parley.SentMessage, error)
}
