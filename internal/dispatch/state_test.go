package dispatch_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/dispatch"
	"github.com/parleyhq/parley/internal/parley"
)

// TestStateCacheExpiresOnAStoppedClock pauses a campaign whose state a
// dispatcher read and cached on a clock that stands still: once StateTTL
// of real time has passed, the next job sees the pause and is held back,
// rather than sent on the state the stopped clock would keep fresh for
// ever.
func TestStateCacheExpiresOnAStoppedClock(t *testing.T) {
	w := newWorld(t, 2, nil)
	ctx := context.Background()
	vis := &visibilityLog{}
	w.d.Queue, w.d.StateTTL = vis, 20*time.Millisecond
	if err := w.d.Handle(ctx, w.job(0)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.store.SetCampaignState(ctx, "acct1", "camp1", []parley.CampaignState{parley.StateActive}, parley.StatePaused, w.d.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * w.d.StateTTL) // real time passes; the world's clock does not
	if err := w.d.Handle(ctx, w.job(1)); !errors.Is(err, dispatch.ErrRetry) || len(vis.timeouts) != 1 || vis.timeouts[0] != dispatch.PausedRecheck {
		t.Fatalf("job of the paused campaign: %v, visibility %v", err, vis.timeouts)
	}
	if r := w.recipient(t, 1); r.Status != parley.StatusQueued {
		t.Errorf("the paused campaign's recipient is %s", r.Status)
	}
	if n := len(w.sent(t)); n != 1 {
		t.Errorf("%d sent, want the one before the pause", n)
	}
}
