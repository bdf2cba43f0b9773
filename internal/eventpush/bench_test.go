package eventpush_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/parleyhq/parley/internal/clocktest"
	"github.com/parleyhq/parley/internal/eventpush"
	"github.com/parleyhq/parley/internal/obs"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/testworld"
)

// BenchmarkPublishEmbedded publishes batches of 100 events of one account
// with two subscriptions that want them all (200 jobs a batch) onto the
// embedded store and queue, as parley serve's feed does.
func BenchmarkPublishEmbedded(b *testing.B) {
	ctx := context.Background()
	s, q := testworld.Open(b)
	for i := range 2 {
		sub := parley.EventSubscription{ID: fmt.Sprintf("sub%d", i), AccountID: "acct1", URL: "https://hooks.example.com",
			Types: []parley.EventType{parley.EventTypeAll}, Secret: secret}
		if err := s.CreateEventSubscription(ctx, sub); err != nil {
			b.Fatal(err)
		}
	}
	sink := eventpush.NewSink(s, q, nil, clocktest.New(start), obs.Discard())
	evs := make([]parley.Event, 100)
	for i := range evs {
		evs[i] = event(fmt.Sprintf("ev%d", i), parley.EventDelivered)
	}
	for b.Loop() {
		if err := sink.Publish(ctx, evs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(evs))/b.Elapsed().Seconds(), "events/s")
}
