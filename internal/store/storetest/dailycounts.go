package storetest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// DailyCounts checks store.DailyCounts: takes stop at the limit, partly
// when there is some room, counts of other accounts, channels and days are
// apart, returns give back, and concurrent takes never pass the limit.
func DailyCounts(t *testing.T, newStore func(t *testing.T) store.Store, opt Options) {
	ctx := context.Background()
	s := newStore(t)
	day := t0.Format("2006-01-02")
	key := store.DailyKey{AccountID: "acct1", Channel: parley.ChannelSMS, Day: day}
	expires := t0.AddDate(0, 0, 2)
	take := func(k store.DailyKey, n, limit, want int) {
		t.Helper()
		if got, err := s.TakeDaily(ctx, k, n, limit, expires); err != nil || got != want {
			t.Fatalf("TakeDaily(%+v, %d, %d) = %d, %v; want %d", k, n, limit, got, err, want)
		}
	}
	count := func(k store.DailyKey, want int) {
		t.Helper()
		if got, err := s.DailyCount(ctx, k); err != nil || got != want {
			t.Fatalf("DailyCount(%+v) = %d, %v; want %d", k, got, err, want)
		}
	}
	count(key, 0)
	take(key, 3, 10, 3)
	take(key, 5, 10, 5)
	take(key, 5, 10, 2) // the room left
	take(key, 1, 10, 0)
	count(key, 10)
	take(key, 4, 12, 2) // a raised limit gives the difference
	for _, other := range []store.DailyKey{
		{AccountID: "acct2", Channel: parley.ChannelSMS, Day: day},
		{AccountID: "acct1", Channel: parley.ChannelWhatsApp, Day: day},
		{AccountID: "acct1", Channel: parley.ChannelSMS, Day: t0.AddDate(0, 0, 1).Format("2006-01-02")},
	} {
		count(other, 0)
		take(other, 1, 10, 1)
	}
	if err := s.ReturnDaily(ctx, key, 4); err != nil {
		t.Fatal(err)
	}
	count(key, 8)
	if err := s.ReturnDaily(ctx, key, 100); err != nil {
		t.Fatal(err)
	}
	count(key, 0)
	if err := s.ReturnDaily(ctx, store.DailyKey{AccountID: "acct3", Channel: parley.ChannelSMS, Day: day}, 1); err != nil {
		t.Fatalf("returning to a count never taken: %v", err)
	}

	// Concurrent takes share the count.
	race := store.DailyKey{AccountID: "acct4", Channel: parley.ChannelSMS, Day: day}
	var wg sync.WaitGroup
	var total atomic.Int64
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := s.TakeDaily(ctx, race, 3, 20, expires)
			if err != nil {
				t.Errorf("concurrent TakeDaily: %v", err)
			}
			total.Add(int64(n))
		}()
	}
	wg.Wait()
	got, err := s.DailyCount(ctx, race)
	switch {
	case err != nil:
		t.Fatal(err)
	case opt.Racy && got <= 20:
	case total.Load() != 20 || got != 20:
		t.Errorf("8 takes of 3 within 20: %d taken, count %d; want 20 and 20", total.Load(), got)
	}
}
