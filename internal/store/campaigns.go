package store

import (
	"context"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// Campaigns keeps campaigns and how far their fan-out got. A campaign is
// created together with its recipients (see Recipients).
type Campaigns interface {
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
}

// Recipients keeps campaigns' recipients (written by
// Campaigns.CreateCampaign) and their conditional status transitions.
type Recipients interface {
	// Recipients lists a campaign's recipients with Seq > afterSeq in Seq
	// order, at most limit (capped at MaxPage).
	Recipients(ctx context.Context, accountID, campaignID string, afterSeq, limit int) ([]parley.Recipient, error)
	// Recipient returns one recipient.
	Recipient(ctx context.Context, ref parley.Ref) (parley.Recipient, error)
	// UpdateRecipient applies change atomically if the stored status is in
	// change.From and returns the updated recipient. Otherwise it returns the
	// stored recipient unchanged and an ECONFLICT error.
	UpdateRecipient(ctx context.Context, ref parley.Ref, change parley.RecipientChange) (parley.Recipient, error)
	// DueRecipients lists the recipients in status whose DueAt is before
	// before, earliest first, at most limit (capped at MaxPage), across all
	// accounts. A recipient is in this index exactly while its status is
	// Indexed (SCHEDULED, by when it is due); a SENDING recipient is not:
	// its job stays on the queue until the claim is settled.
	DueRecipients(ctx context.Context, status parley.RecipientStatus, before time.Time, limit int) ([]parley.Recipient, error)
}
