package embedded_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestEventOutbox: each committed change puts its lifecycle events in the
// outbox once; a publish that fails leaves them to be handed again, one
// that succeeds empties it.
func TestEventOutbox(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	c, rs := storetest.Fixture("acct1", "camp1", 3)
	if err := s.CreateCampaign(ctx, c, rs); err != nil {
		t.Fatal(err)
	}
	at := c.CreatedAt.Add(time.Minute)
	for _, r := range rs {
		for range 2 { // a redelivered job: its second change does not apply
			if _, err := s.UpdateRecipient(ctx, r.Ref(), parley.RecipientChange{From: []parley.RecipientStatus{parley.StatusQueued}, Status: parley.StatusSent, At: at}); err != nil && parley.ErrorCode(err) != parley.ECONFLICT {
				t.Fatal(err)
			}
		}
	}
	if _, _, err := s.StampRecipient(ctx, rs[0].Ref(), parley.StepResponded, at.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	down := errors.New("the events queue is down")
	var handed []parley.Event
	publish := func(_ context.Context, evs []parley.Event) error { handed = append(handed, evs...); return down }
	if n, err := s.PublishEvents(ctx, 100, publish); !errors.Is(err, down) || n != 0 {
		t.Fatalf("a failed publish: %d, %v", n, err)
	}
	handed = nil
	publish = func(_ context.Context, evs []parley.Event) error { handed = append(handed, evs...); return nil }
	if n, err := s.PublishEvents(ctx, 2, publish); err != nil || n != 2 {
		t.Fatalf("first page: %d, %v", n, err)
	}
	if n, err := s.PublishEvents(ctx, 100, publish); err != nil || n != 2 {
		t.Fatalf("second page: %d, %v", n, err)
	}
	if n, err := s.PublishEvents(ctx, 100, publish); err != nil || n != 0 {
		t.Fatalf("an emptied outbox: %d, %v", n, err)
	}
	var types []parley.EventType
	for _, ev := range handed {
		types = append(types, ev.Type)
	}
	if want := []parley.EventType{parley.EventSent, parley.EventSent, parley.EventSent, parley.EventReplied}; !slices.Equal(types, want) {
		t.Fatalf("published %v, want %v", types, want)
	}
}
