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
	SetCampaignState(ctx context.Context, accountID, campaignID string, from []parley.CampaignState, to parley.CampaignState, at time.Time) (parley.Campaign, error)
	// PendingFanout lists campaigns whose recipients are not all queued yet.
	PendingFanout(ctx context.Context) ([]parley.Campaign, error)
	// ListCampaigns lists an account's campaigns newest first (by
	// CreatedAt, then ID, both descending) that match f, starting after
	// position after (the zero position starts at the newest). It returns
	// at most limit campaigns (1..MaxCampaignPage) and examines at most
	// MaxCampaignScan: a page may hold fewer than limit campaigns and
	// still have a Next, which continues where this one stopped.
	ListCampaigns(ctx context.Context, accountID string, f CampaignFilter, after CampaignPosition, limit int) (CampaignPage, error)
	// CompleteCampaign records that every recipient of the campaign is
	// final, at at, unless it is recorded already (the first time stays),
	// and returns the campaign. ENOTFOUND when there is no such campaign.
	CompleteCampaign(ctx context.Context, accountID, campaignID string, at time.Time) (parley.Campaign, error)
}

// Bounds of a campaign listing.
const (
	MaxCampaignPage = 100
	// MaxCampaignScan bounds the campaigns one listing call examines, so
	// that a filter that matches few costs a bounded read per call.
	MaxCampaignScan = 10 * MaxCampaignPage
)

// CampaignFilter selects campaigns by what their item records: channel
// and skill (exact; empty for any) and creation time (From inclusive, To
// exclusive; zero for unbounded).
type CampaignFilter struct {
	Channel     parley.Channel
	Skill       string
	CreatedFrom time.Time
	CreatedTo   time.Time
}

// Matches reports whether c passes f.
func (f CampaignFilter) Matches(c parley.Campaign) bool {
	return (f.Channel == "" || c.Channel == f.Channel) && (f.Skill == "" || c.Skill == f.Skill) &&
		(f.CreatedFrom.IsZero() || !c.CreatedAt.Before(f.CreatedFrom)) &&
		(f.CreatedTo.IsZero() || c.CreatedAt.Before(f.CreatedTo))
}

// CampaignPosition is a place in an account's campaigns, newest first:
// listing after it continues with the campaigns older than it. The zero
// position is before the newest.
type CampaignPosition struct {
	CreatedAt time.Time
	ID        string
}

// IsZero reports whether p is the start of the listing.
func (p CampaignPosition) IsZero() bool { return p.ID == "" && p.CreatedAt.IsZero() }

// PositionOf is the position of c in its account's listing.
func PositionOf(c parley.Campaign) CampaignPosition {
	return CampaignPosition{CreatedAt: c.CreatedAt, ID: c.ID}
}

// CampaignPage is one page of a campaign listing. Next is the position to
// list after for the next page; zero on the last.
type CampaignPage struct {
	Campaigns []parley.Campaign
	Next      CampaignPosition
}

// RangeClaim is what ClaimRange (or RecordRange) did to one recipient.
type RangeClaim struct {
	// Recipient is the recipient after the change: as changed when
	// Claimed, otherwise as it is. Its ID is "" when the store has no
	// such recipient.
	Recipient parley.Recipient
	// Claimed says whether the change moved it.
	Claimed bool
	// Err, when not nil, is why the store could not say: the claim may or
	// may not have been made, as when UpdateRecipient fails.
	Err error
}

// RangeRecord is one recipient's change for RecordRange: the outcome of
// the claim that the dispatcher with epoch Claimant made.
type RangeRecord struct {
	Ref      parley.Ref
	Change   parley.RecipientChange
	Claimant string
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
	// ClaimRange applies claim, a change out of QUEUED such as a
	// dispatcher's claim, to each recipient of refs that it allows, as
	// UpdateRecipient would one by one, but in as few writes as the store
	// can: refs are recipients of one campaign with ids of their Seqs, all
	// in one chunk (parley.ChunkOf). The result has one RangeClaim per ref,
	// in order. A recipient the claim does not allow (no longer QUEUED,
	// claimed meanwhile) is left as it is; one the store does not have is
	// the zero RangeClaim. Concurrent claims, by ClaimRange or
	// UpdateRecipient, never both move a recipient.
	ClaimRange(ctx context.Context, refs []parley.Ref, claim parley.RecipientChange) []RangeClaim
	// RecordRange applies each record's change, the outcome of a claim
	// (out of SENDING, fenced to it), to its recipient, as UpdateRecipient
	// would one by one, but in as few writes as the store can: records are
	// of recipients of one campaign, each named once. The result has one
	// RangeClaim per record, in order; Claimed says whether the change
	// applied. A change that the recipient does not allow (its claim was
	// taken over) is left out.
	RecordRange(ctx context.Context, records []RangeRecord) []RangeClaim
	// DueRecipients lists the recipients in status whose DueAt is before
	// before, earliest first, at most limit (capped at MaxPage), across all
	// accounts. A recipient is in this index exactly while its status is
	// Indexed (SCHEDULED, by when it is due); a SENDING recipient is not:
	// its job stays on the queue until the claim is settled.
	DueRecipients(ctx context.Context, status parley.RecipientStatus, before time.Time, limit int) ([]parley.Recipient, error)
}
