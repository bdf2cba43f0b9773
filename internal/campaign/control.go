package campaign

import (
	"context"
	"time"

	"github.com/parleyhq/parley/internal/obs"
	"github.com/parleyhq/parley/internal/parley"
)

// CancelBudget bounds how long Cancel spends marking unsent recipients
// CANCELLED; the dispatcher cancels any it leaves when their jobs come up.
const CancelBudget = 10 * time.Second

// Pause stops a campaign's sends until Resume: jobs that come up meanwhile
// wait. Pausing a paused campaign changes nothing.
func (s *Service) Pause(ctx context.Context, accountID, campaignID string) (parley.Campaign, error) {
	return s.setState(ctx, accountID, campaignID, parley.StateActive, parley.StatePaused)
}

// Resume lets a paused campaign send again.
func (s *Service) Resume(ctx context.Context, accountID, campaignID string) (parley.Campaign, error) {
	return s.setState(ctx, accountID, campaignID, parley.StatePaused, parley.StateActive)
}

// Cancel stops a campaign for good and marks its unsent recipients
// CANCELLED (within CancelBudget; the dispatcher cancels the rest as their
// jobs come up).
func (s *Service) Cancel(ctx context.Context, accountID, campaignID string) (parley.Campaign, error) {
	c, err := s.setState(ctx, accountID, campaignID, parley.StateActive, parley.StateCancelled, parley.StatePaused)
	if err != nil {
		return c, err
	}
	n, err := s.cancelUnsent(ctx, c, s.Clock.Now().Add(CancelBudget))
	s.Log.InfoContext(ctx, "campaign cancelled", obs.IDs(accountID, campaignID, ""), "recipients", n, "err", err)
	return c, err
}

// setState moves a campaign from one of from to to; a campaign already in
// to is left as it is.
func (s *Service) setState(ctx context.Context, accountID, campaignID string, from, to parley.CampaignState, alsoFrom ...parley.CampaignState) (parley.Campaign, error) {
	c, err := s.Store.SetCampaignState(ctx, accountID, campaignID, append([]parley.CampaignState{from}, alsoFrom...), to, s.Clock.Now())
	if parley.ErrorCode(err) == parley.ECONFLICT && c.State == to {
		return c, nil
	}
	return c, err
}

func (s *Service) cancelUnsent(ctx context.Context, c parley.Campaign, deadline time.Time) (int, error) {
	n := 0
	for after := 0; s.Clock.Now().Before(deadline); {
		rs, err := s.Store.Recipients(ctx, c.AccountID, c.ID, after, FanoutChunk)
		if err != nil || len(rs) == 0 {
			return n, err
		}
		for _, r := range rs {
			if r.Status.Final() || r.Status == parley.StatusSending {
				continue
			}
			_, err := s.Store.UpdateRecipient(ctx, r.Ref(), parley.Cancellation(s.Clock.Now()))
			if err == nil {
				n++
			} else if parley.ErrorCode(err) != parley.ECONFLICT {
				return n, err
			}
		}
		after = rs[len(rs)-1].Seq
	}
	return n, nil
}
