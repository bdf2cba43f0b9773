package httpapi

import (
	"context"

	"github.com/parleyhq/parley/internal/parley"
)

// lpStatus is a recipient's status in LivePerson's vocabulary: DELIVERED
// once the message was handed downstream (Parley's SENT, DELIVERED and
// READ), NOT_SENT while it waits its turn or is being sent, SCHEDULED when
// it waits for a later window, FAILED when it did not go out or did not
// arrive, SKIPPED when it was left out (opted out, cancelled).
func lpStatus(s parley.RecipientStatus) string {
	switch s {
	case parley.StatusSent, parley.StatusDelivered, parley.StatusRead:
		return "DELIVERED"
	case parley.StatusQueued, parley.StatusSending:
		return "NOT_SENT"
	case parley.StatusScheduled:
		return "SCHEDULED"
	case parley.StatusSkipped, parley.StatusCancelled:
		return "SKIPPED"
	default: // FAILED, UNDELIVERED, EXPIRED, UNKNOWN
		return "FAILED"
	}
}

// lpCampaignStatus is a campaign's status in LivePerson's vocabulary:
// FINISHED for Parley's COMPLETED; the others (SCHEDULED, IN_PROGRESS,
// PAUSED, CANCELLED) are Parley's own.
func lpCampaignStatus(s string) string {
	if s == parley.CampaignCompleted {
		return "FINISHED"
	}
	return s
}

// maxOpenedPages bounds the conversation pages read to find those a
// campaign's messages opened.
const maxOpenedPages = 50

// openedBy maps the recipients of c whose message a reply answered to the
// conversation it opened (see openedByEach).
func (s *Server) openedBy(ctx context.Context, c parley.Campaign) (map[string]string, error) {
	each, err := s.openedByEach(ctx, c.AccountID, []parley.Campaign{c})
	return each[c.ID], err
}

// openedByEach maps, for each of the account's campaigns cs, the
// recipients whose message a reply answered to the conversation it
// opened: the account's conversations, newest first, back to the oldest
// campaign's creation (at most maxOpenedPages pages), read once for all.
func (s *Server) openedByEach(ctx context.Context, accountID string, cs []parley.Campaign) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	if len(cs) == 0 {
		return out, nil
	}
	oldest := cs[0].CreatedAt
	for _, c := range cs {
		out[c.ID] = map[string]string{}
		if c.CreatedAt.Before(oldest) {
			oldest = c.CreatedAt
		}
	}
	if s.Conversations == nil {
		return out, nil
	}
	f := parley.ConversationFilter{}
	for range maxOpenedPages {
		page, err := s.Conversations.List(ctx, accountID, f)
		if err != nil {
			return nil, err
		}
		for _, conv := range page.Conversations {
			if conv.OpenedAt.Before(oldest) {
				return out, nil
			}
			if m := out[conv.Context.CampaignID]; m != nil && conv.Context.RecipientID != "" {
				m[conv.Context.RecipientID] = conv.ID // older pages overwrite: the first one opened wins
			}
		}
		if page.NextCursor == "" {
			return out, nil
		}
		f.Cursor = page.NextCursor
	}
	return out, nil
}
