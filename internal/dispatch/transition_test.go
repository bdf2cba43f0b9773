package dispatch_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/parleyhq/parley/internal/dispatch"
	"github.com/parleyhq/parley/internal/parley"
)

// unrecordable is a store that cannot record that a message was sent: the
// first attempt cancels the dispatcher's context, as a shutdown would.
type unrecordable struct {
	dispatch.Store
	cancel context.CancelFunc

	mu       sync.Mutex
	attempts int
}

func (s *unrecordable) UpdateRecipient(ctx context.Context, ref parley.Ref, ch parley.RecipientChange) (parley.Recipient, error) {
	if ch.Status != parley.StatusSent {
		return s.Store.UpdateRecipient(ctx, ref, ch)
	}
	s.mu.Lock()
	s.attempts++
	s.mu.Unlock()
	s.cancel()
	return parley.Recipient{}, parley.Errorf(parley.EUNAVAILABLE, "table unavailable")
}

func TestRecordingStopsRetryingWhenTheContextEnds(t *testing.T) {
	w := newWorld(t, 1, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store := &unrecordable{Store: w.d.Store, cancel: cancel}
	w.d.Store = store
	err := w.d.Handle(ctx, w.job(0))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Handle = %v, want an error wrapping context.Canceled", err)
	}
	if store.attempts != 1 {
		t.Errorf("%d attempts to record the send, want 1 (no retry once the context ended)", store.attempts)
	}
}
