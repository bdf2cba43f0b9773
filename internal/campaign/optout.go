package campaign

import (
	"context"
	"fmt"

	"github.com/parleyhq/parley/internal/parley"
)

// OptOuts tells which consumers are on the account's opt-out list.
type OptOuts interface {
	// OptedOutAmong returns the numbers among phones (E.164) that may not
	// be messaged on channel; for a prioritized campaign, those barred from
	// both WhatsApp and SMS.
	OptedOutAmong(ctx context.Context, accountID string, channel parley.Channel, phones []string) (map[string]bool, error)
}

// skipOptedOut makes the recipients on the account's opt-out list for c's
// channel SKIPPED with CodeOptedOut, in rs and in their outcomes: they are
// kept, so the campaign reports them, but never queued. A prioritized
// campaign skips only the consumers barred from both of its channels; the
// send-time check decides between WhatsApp and the SMS fallback for the
// others. In-app campaigns have no phone list to check.
func (s *Service) skipOptedOut(ctx context.Context, c parley.Campaign, rs []parley.Recipient, accepted []Outcome) error {
	switch {
	case s.OptOuts == nil || len(rs) == 0:
		return nil
	case c.Channel != parley.ChannelSMS && c.Channel != parley.ChannelWhatsApp && c.Channel != parley.ChannelPrioritized:
		return nil
	}
	phones := make([]string, len(rs))
	for i, r := range rs {
		phones[i] = r.Phone
	}
	out, err := s.OptOuts.OptedOutAmong(ctx, c.AccountID, c.Channel, phones)
	if err != nil {
		return fmt.Errorf("check the opt-out list: %w", err)
	}
	if len(out) == 0 {
		return nil
	}
	byID := make(map[string]int, len(accepted))
	for i, o := range accepted {
		byID[o.RecipientID] = i
	}
	for i := range rs {
		r := &rs[i]
		if !out[r.Phone] {
			continue
		}
		r.Status, r.ErrorMessage = parley.StatusSkipped, parley.CodeOptedOut
		if j, ok := byID[r.ID]; ok {
			o := &accepted[j]
			o.Status, o.Error = parley.StatusSkipped, parley.CodeOptedOut
			o.Detail = fmt.Sprintf("%s: %s is on the account's opt-out list for %s; it will not be messaged", where(*o), r.Phone, c.Channel)
		}
	}
	return nil
}

// where names an outcome's consumer as Consumer.where does.
func where(o Outcome) string {
	return Consumer{Line: o.Line}.where(o.Index)
}
