package ratelimit

import (
	"fmt"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

func TestWindow(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	w := &Window{Max: 2, Per: time.Minute, Keys: 3, Clock: parley.ClockFunc(func() time.Time { return now })}
	steps := []struct {
		advance time.Duration
		key     string
		ok      bool
		wait    time.Duration
	}{
		{0, "a", true, 0},
		{10 * time.Second, "a", true, 0},
		{10 * time.Second, "a", false, 40 * time.Second},
		{0, "b", true, 0},
		{40 * time.Second, "a", true, 0}, // a's period ended
		{0, "a", true, 0},
		{0, "a", false, time.Minute},
	}
	for i, s := range steps {
		now = now.Add(s.advance)
		if ok, wait := w.Allow(s.key); ok != s.ok || wait != s.wait {
			t.Errorf("step %d (%s): %v %s, want %v %s", i, s.key, ok, wait, s.ok, s.wait)
		}
	}
}

func TestWindowHoldsAtMostKeys(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	w := &Window{Max: 1, Per: time.Hour, Keys: 100, Clock: parley.ClockFunc(func() time.Time { return now })}
	for i := range 10_000 {
		w.Allow(fmt.Sprint("source-", i))
		if w.Len() > 100 {
			t.Fatalf("after %d keys it holds %d, more than 100", i+1, w.Len())
		}
	}
}
