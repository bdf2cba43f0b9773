package campaign_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/ratelimit"
	"github.com/parleyhq/parley/internal/ratelimit/local"
	"github.com/parleyhq/parley/internal/ratelimit/ratelimittest"
)

// TestCreationBudget: creations are held to the account's rate; refused
// calls do not lengthen the wait, which Retry-After states, and honouring
// it succeeds; invalid drafts use up none of the budget.
func TestCreationBudget(t *testing.T) {
	w := newWorld(t)
	clock := ratelimittest.NewClock(now)
	w.svc.Gate = &ratelimit.Gate{Limiter: local.New(clock), Clock: clock, Name: "campaign-create", Limit: ratelimit.Limit{Rate: 0.5, Burst: 2}}
	ctx := context.Background()
	create := func() error {
		_, err := w.svc.Create(ctx, "acct1", draft("+12025550101"))
		return err
	}
	invalid := draft()
	for i := range 5 {
		if _, err := w.svc.Create(ctx, "acct1", invalid); parley.ErrorCode(err) != parley.EINVALID {
			t.Fatalf("invalid draft %d: %v, want EINVALID", i, err)
		}
	}
	for i := range 2 {
		if err := create(); err != nil {
			t.Fatalf("creation %d within the burst: %v", i+1, err)
		}
	}
	const step = 10 * time.Millisecond
	first := 2 * time.Second // one creation per 2 s, the burst used up at now
	for i := range 40 {
		err := create()
		var pe *parley.Error
		if !errors.As(err, &pe) || pe.Code != parley.ETOOMANY {
			t.Fatalf("creation beyond the budget: %v, want ETOOMANY", err)
		}
		if want := first - time.Duration(i)*step; pe.RetryAfter != want {
			t.Fatalf("refusal %d, %s after the first, asks to wait %s, want %s: refusals must not push the slot back",
				i+1, time.Duration(i)*step, pe.RetryAfter, want)
		}
		clock.Advance(step)
	}
	clock.Set(now.Add(first))
	if err := create(); err != nil {
		t.Errorf("a creation that honoured Retry-After: %v", err)
	}
}
