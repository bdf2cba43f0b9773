package store

import (
	"context"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// DailyKey names one daily count: an account's recipients of one channel
// on one day (YYYY-MM-DD).
type DailyKey struct {
	AccountID string
	Channel   parley.Channel
	Day       string
}

// DailyCounts counts the recipients each account's campaigns took, per
// channel and day, against the account's daily cap. Each count is one
// record, changed atomically, so that every process shares it.
type DailyCounts interface {
	// TakeDaily adds up to n to key's count without passing limit and
	// returns how many it added: n while there is room, fewer once the
	// count reaches limit, 0 past it. The count may be deleted after
	// expires.
	TakeDaily(ctx context.Context, key DailyKey, n, limit int, expires time.Time) (taken int, err error)
	// ReturnDaily takes n back from key's count (never below 0): what a
	// campaign took and did not keep, as when it could not be persisted.
	ReturnDaily(ctx context.Context, key DailyKey, n int) error
	// DailyCount returns key's count; 0 when nothing was taken.
	DailyCount(ctx context.Context, key DailyKey) (int, error)
}
