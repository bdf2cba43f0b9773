package campaign

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// The daily cap: each account's campaigns take at most its daily recipient
// limit (parley.Account.DailyLimit) per channel and UTC day, counted in
// Service.Daily and shared by every process. Only recipients that will be
// sent count (not those SKIPPED at intake); a consumer past the limit is
// refused as DAILY_LIMIT_REACHED, the later consumers of the call first.
//
// The count is taken just before the campaign is persisted and given back
// when persisting fails, so a failed create costs nothing; a process that
// stops between the two leaves its take counted until the day ends (the
// cap errs towards refusing, never towards passing the limit). A create
// replayed by its Idempotency-Key answers from its record and takes
// nothing again. A parse (Parse) refuses the consumers a create would
// refuse now, and takes nothing.

// dailyDay is the count's day of t: UTC, since accounts have no time zone
// of their own.
func dailyDay(t time.Time) (day string, resets time.Time) {
	t = t.UTC()
	start := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return start.Format(time.DateOnly), start.AddDate(0, 0, 1)
}

// dailyKeep is how long a day's count is kept past the day's end.
const dailyKeep = 24 * time.Hour

// takeDaily takes a's recipients from the account's daily budget, channel
// by channel, and refuses those past it: they leave a.Recipients for
// a.Failed, and the recipients left are numbered again. It returns what it
// took, for giveBackDaily. Without Service.Daily it takes nothing.
func (s *Service) takeDaily(ctx context.Context, a *Accepted) (map[store.DailyKey]int, error) {
	taken := map[store.DailyKey]int{}
	err := s.holdToDaily(ctx, a, func(ctx context.Context, key store.DailyKey, n int, expires time.Time) (int, error) {
		got, err := s.Daily.TakeDaily(ctx, key, n, a.dailyLimit, expires)
		if err != nil {
			s.giveBackDaily(ctx, taken)
			return 0, fmt.Errorf("take the daily recipient count: %w", err)
		}
		if got > 0 {
			taken[key] = got
		}
		return got, nil
	})
	if err != nil {
		return nil, err
	}
	return taken, nil
}

// peekDaily refuses a's recipients as takeDaily would, from the day's
// counts as they stand, taking nothing: what a parse answers.
func (s *Service) peekDaily(ctx context.Context, a *Accepted) error {
	return s.holdToDaily(ctx, a, func(ctx context.Context, key store.DailyKey, n int, _ time.Time) (int, error) {
		count, err := s.Daily.DailyCount(ctx, key)
		if err != nil {
			return 0, fmt.Errorf("read the daily recipient count: %w", err)
		}
		return min(n, max(0, a.dailyLimit-count)), nil
	})
}

// holdToDaily asks room, per channel, for the recipients of a that will be
// sent (n of the channel's, the count expiring at expires), and refuses
// those past the room it gets. Without Service.Daily it asks nothing.
func (s *Service) holdToDaily(ctx context.Context, a *Accepted, room func(ctx context.Context, key store.DailyKey, n int, expires time.Time) (int, error)) error {
	if s.Daily == nil || len(a.Recipients) == 0 {
		return nil
	}
	day, resets := dailyDay(a.Campaign.CreatedAt)
	want := map[parley.Channel][]int{} // channel → indexes in a.Recipients, in order
	var channels []parley.Channel
	for i, r := range a.Recipients {
		if r.Status == parley.StatusSkipped {
			continue
		}
		if _, seen := want[r.Channel]; !seen {
			channels = append(channels, r.Channel)
		}
		want[r.Channel] = append(want[r.Channel], i)
	}
	refused := map[int]bool{}
	for _, ch := range channels {
		key := store.DailyKey{AccountID: a.Campaign.AccountID, Channel: ch, Day: day}
		n, err := room(ctx, key, len(want[ch]), resets.Add(dailyKeep))
		if err != nil {
			return err
		}
		for _, i := range want[ch][n:] {
			refused[i] = true
		}
	}
	if len(refused) > 0 {
		a.refuse(refused, func(r parley.Recipient) string {
			return fmt.Sprintf("account %s's campaigns took its %d recipients on %s today (UTC %s); the limit resets at %s",
				r.AccountID, a.dailyLimit, r.Channel, day, resets.Format(time.RFC3339))
		})
	}
	return nil
}

// giveBackDaily returns what takeDaily took. A failure is logged: the
// count then errs towards refusing until the day ends.
func (s *Service) giveBackDaily(ctx context.Context, taken map[store.DailyKey]int) {
	for key, n := range taken {
		if err := s.Daily.ReturnDaily(ctx, key, n); err != nil {
			s.Log.WarnContext(ctx, "daily recipient count not given back", "account", key.AccountID, "channel", key.Channel, "count", n, "err", err)
		}
	}
}

// refuse moves the recipients at the indexes refused from a's recipients
// to its failed outcomes (DAILY_LIMIT_REACHED, detail(r) saying why), and
// numbers the recipients left again, their outcomes with them.
func (a *Accepted) refuse(refused map[int]bool, detail func(parley.Recipient) string) {
	outcome := make(map[string]int, len(a.Accepted)) // recipient id → index in a.Accepted
	for i, o := range a.Accepted {
		outcome[o.RecipientID] = i
	}
	var kept []parley.Recipient
	var accepted []Outcome
	for i, r := range a.Recipients {
		o := a.Accepted[outcome[r.ID]]
		if refused[i] {
			a.Failed = append(a.Failed, Outcome{Index: o.Index, Line: o.Line, Phone: o.Phone, ConsumerID: o.ConsumerID,
				Error: parley.CodeDailyLimit, Detail: fmt.Sprintf("%s: %s", where(o), detail(r))})
			continue
		}
		r.Seq = len(kept) + 1
		r.ID = parley.RecipientID(r.Seq)
		o.RecipientID = r.ID
		kept = append(kept, r)
		accepted = append(accepted, o)
	}
	slices.SortStableFunc(a.Failed, func(x, y Outcome) int { return x.Index - y.Index })
	a.Recipients, a.Accepted = kept, accepted
	a.Campaign.Recipients = len(kept)
}
