package run_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/run"
)

func TestSleep(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		d    time.Duration
		want error
	}{
		{"no wait", context.Background(), 0, nil},
		{"negative", context.Background(), -time.Second, nil},
		{"short wait", context.Background(), time.Millisecond, nil},
		{"cancelled, long wait", cancelled, time.Hour, context.Canceled},
		{"cancelled, no wait", cancelled, 0, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := run.Sleep(tt.ctx, tt.d); !errors.Is(err, tt.want) {
				t.Errorf("Sleep = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestSleepEndsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- run.Sleep(ctx, time.Hour) }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep = %v, want context.Canceled", err)
	}
}

func TestEachCallsEveryItemAtMostNAtOnce(t *testing.T) {
	const n = 3
	items := make([]int, 40)
	for i := range items {
		items[i] = i
	}
	var (
		mu            sync.Mutex
		seen          = map[int]bool{}
		running, most int
	)
	err := run.Each(context.Background(), n, items, func(_ context.Context, i int) error {
		mu.Lock()
		seen[i] = true
		running++
		most = max(most, running)
		mu.Unlock()
		time.Sleep(time.Millisecond) // lets calls overlap
		mu.Lock()
		running--
		mu.Unlock()
		return nil
	})
	if err != nil {
		t.Fatalf("Each = %v", err)
	}
	if len(seen) != len(items) {
		t.Errorf("called for %d items, want %d", len(seen), len(items))
	}
	if most > n {
		t.Errorf("%d calls ran at once, want at most %d", most, n)
	}
}

func TestEachStopsAtTheFirstError(t *testing.T) {
	boom := errors.New("boom")
	var calls atomic.Int32
	err := run.Each(context.Background(), 1, []int{1, 2, 3, 4}, func(_ context.Context, i int) error {
		calls.Add(1)
		if i == 2 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) {
		t.Errorf("Each = %v, want %v", err, boom)
	}
	if got := calls.Load(); got != 2 {
		t.Errorf("%d calls, want 2 (none after the failure)", got)
	}
}

func TestEachCancelsTheRunningCalls(t *testing.T) {
	boom := errors.New("boom")
	started := make(chan struct{})
	err := run.Each(context.Background(), 2, []int{1, 2}, func(ctx context.Context, i int) error {
		if i == 1 {
			close(started)
			<-ctx.Done() // ends only when the other call's failure cancels it
			return ctx.Err()
		}
		<-started
		return boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("Each = %v, want %v", err, boom)
	}
}

func TestEachHonoursItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var calls atomic.Int32
	err := run.Each(ctx, 2, []int{1, 2, 3}, func(context.Context, int) error { calls.Add(1); return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Each = %v, want context.Canceled", err)
	}
	if got := calls.Load(); got != 0 {
		t.Errorf("%d calls after the context ended, want 0", got)
	}
}
