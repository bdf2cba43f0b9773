package store

import (
	"context"
	"time"

	"github.com/parleyhq/parley/internal/dialer"
	"github.com/parleyhq/parley/internal/parley"
)

// PhoneCampaigns keeps telephone campaigns and their entries (the
// campaign's contacts, each with its attempts and next call).
type PhoneCampaigns interface {
	// CreatePhoneCampaign stores a new campaign; ECONFLICT when its id is
	// taken.
	CreatePhoneCampaign(ctx context.Context, c dialer.Campaign) error
	// PhoneCampaign returns one campaign; ENOTFOUND when there is none.
	PhoneCampaign(ctx context.Context, accountID, id string) (dialer.Campaign, error)
	// PhoneCampaigns lists an account's campaigns in id order (never nil).
	PhoneCampaigns(ctx context.Context, accountID string) ([]dialer.Campaign, error)
	// ActivePhoneCampaigns lists the active campaigns of every account
	// (never nil), in no particular order: what the window check re-arms.
	// The list may lag a state change by a moment.
	ActivePhoneCampaigns(ctx context.Context) ([]dialer.Campaign, error)
	// SetPhoneCampaignState moves a campaign from state from to to and
	// returns it; ECONFLICT (with the campaign as stored) when it is not
	// in from, ENOTFOUND when there is none.
	SetPhoneCampaignState(ctx context.Context, accountID, id string, from, to dialer.CampaignState) (dialer.Campaign, error)
	// AddEntries adds the entries the campaign has none for (by contact
	// id) and says how many it added: adding the same contacts again adds
	// nothing.
	AddEntries(ctx context.Context, accountID, campaignID string, es []dialer.Entry) (added int, err error)
	// Entries lists at most limit (capped at MaxPage) of a campaign's
	// entries in contact id order, after afterContactID ("" starts at the
	// first). The list is never nil.
	Entries(ctx context.Context, accountID, campaignID, afterContactID string, limit int) ([]dialer.Entry, error)
	// InProgressEntries lists every entry of a campaign in progress
	// (claimed, offered or on a call), in contact id order (never nil).
	InProgressEntries(ctx context.Context, accountID, campaignID string) ([]dialer.Entry, error)
	// DueEntries lists at most limit (capped at MaxPage) of a campaign's
	// waiting entries whose next attempt is at or before by, soonest first
	// (never nil). Like OpenPhoneCalls and InProgressEntries, it reads only
	// what it lists, and may lag a change by a moment: an entry is claimed
	// on its revision.
	DueEntries(ctx context.Context, accountID, campaignID string, by time.Time, limit int) ([]dialer.Entry, error)
	// PacerState returns what a campaign's pacer has learned and counted,
	// with its version; version 0 (and the zero State) when none was saved.
	PacerState(ctx context.Context, accountID, campaignID string) (s dialer.State, version int, err error)
	// PutPacerState saves a campaign's pacer state as version, which must
	// follow the stored one (1 when none was saved): ECONFLICT otherwise,
	// so that two processes never both apply their updates to one state.
	PutPacerState(ctx context.Context, accountID, campaignID string, s dialer.State, version int) error
	// Entry returns one entry; ENOTFOUND when there is none.
	Entry(ctx context.Context, accountID, campaignID, contactID string) (dialer.Entry, error)
	// ReplaceEntry writes e over the stored entry of its contact when the
	// stored one's Rev is e.Rev, and returns e as written (Rev one more);
	// ECONFLICT when another change came first, ENOTFOUND when there is
	// none.
	ReplaceEntry(ctx context.Context, accountID, campaignID string, e dialer.Entry) (dialer.Entry, error)
	// CreatePhoneCall stores a call just placed (Rev 1); ECONFLICT when the
	// campaign has a call of that provider id.
	CreatePhoneCall(ctx context.Context, c dialer.Call) (dialer.Call, error)
	// PhoneCall returns a campaign's call by its provider id; ENOTFOUND when
	// there is none.
	PhoneCall(ctx context.Context, accountID, campaignID, providerID string) (dialer.Call, error)
	// ReplacePhoneCall writes c over the stored call when the stored one's
	// Rev is c.Rev and returns c as written; ECONFLICT otherwise.
	ReplacePhoneCall(ctx context.Context, c dialer.Call) (dialer.Call, error)
	// PhoneSessions lists at most limit (capped at MaxPage) of an account's
	// sessions (calls with an operator) that f selects, newest first by
	// PlacedAt, after cursor ("" starts at the newest). One call examines
	// at most MaxPage sessions, so a page of a narrow filter may end early;
	// next continues the listing, "" when it ended.
	PhoneSessions(ctx context.Context, accountID string, f dialer.SessionFilter, cursor string, limit int) (calls []dialer.Call, next string, err error)
	// OpenPhoneCalls lists a campaign's calls that have not ended, in
	// provider id order (never nil).
	OpenPhoneCalls(ctx context.Context, accountID, campaignID string) ([]dialer.Call, error)
	// ContactPhoneCalls lists at most limit (capped at MaxPage) of the
	// calls placed to a directory contact in every campaign of the account,
	// newest first (by PlacedAt), after cursor ("" starts at the newest).
	// next continues the listing; "" when it ended.
	ContactPhoneCalls(ctx context.Context, accountID, contactID, cursor string, limit int) (calls []dialer.Call, next string, err error)
	// PhoneCalls lists every call of a campaign, in provider id order
	// (never nil).
	PhoneCalls(ctx context.Context, accountID, campaignID string) ([]dialer.Call, error)
	// PhoneAgents lists an account's operators in id order (never nil).
	PhoneAgents(ctx context.Context, accountID string) ([]dialer.Agent, error)
	// CreatePhoneGroup stores a new operator group; created is false (and
	// nothing changes) when the account has one of its name.
	CreatePhoneGroup(ctx context.Context, g dialer.OperatorGroup) (created bool, err error)
	// PhoneGroups lists an account's operator groups in name order (never
	// nil).
	PhoneGroups(ctx context.Context, accountID string) ([]dialer.OperatorGroup, error)
	// DeletePhoneGroup removes an operator group; removed says whether there
	// was one.
	DeletePhoneGroup(ctx context.Context, accountID, name string) (removed bool, err error)
	// PutPhoneAgent writes an operator when the stored one's Rev is a.Rev
	// (0 for one not stored yet) and returns it as written; ECONFLICT
	// otherwise.
	PutPhoneAgent(ctx context.Context, a dialer.Agent) (dialer.Agent, error)
}

// NextCallCursor is the cursor after a page of a contact's calls read with
// limit (see PhoneCampaigns.ContactPhoneCalls); "" when the page is the
// last.
func NextCallCursor(page []dialer.Call, limit int) string {
	if len(page) < limit || len(page) == 0 {
		return ""
	}
	last := page[len(page)-1]
	return parley.EncodeCursor(last.PlacedAt, last.CampaignID, last.ProviderID)
}
