// Package local is the in-process ratelimit adapter: one mutex and a map of
// keys to their TAT and scale. Its state dies with the process, so it suits
// parley serve on the embedded backend, where this process is the only
// dispatcher.
package local

import (
	"context"
	"sync"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/ratelimit"
)

// Limiter is a ratelimit.Scaler held in memory.
type Limiter struct {
	clock parley.Clock
	mu    sync.Mutex
	keys  map[ratelimit.Key]state
}

var _ ratelimit.Backend = (*Limiter)(nil)

// state is one key's: its TAT (zero before the first reservation) and scale.
// The number of keys is bounded by the configured senders, so entries are
// kept for the life of the process.
type state struct {
	tat   time.Time
	scale ratelimit.Scale
}

// New returns an empty limiter on clock.
func New(clock parley.Clock) *Limiter {
	return &Limiter{clock: clock, keys: map[ratelimit.Key]state{}}
}

// Reserve implements ratelimit.Limiter.
func (l *Limiter) Reserve(ctx context.Context, key ratelimit.Key, limit ratelimit.Limit, n int) (time.Time, error) {
	if err := ratelimit.Check(key, limit, n); err != nil {
		return time.Time{}, err
	}
	at, _, err := l.ReserveScaled(ctx, key, limit, n)
	return at, err
}

// ReserveScaled implements ratelimit.Scaler: it is ReserveScaledWithin
// with no bound.
func (l *Limiter) ReserveScaled(ctx context.Context, key ratelimit.Key, limit ratelimit.Limit, n int) (time.Time, ratelimit.Scale, error) {
	at, _, scale, err := l.ReserveScaledWithin(ctx, key, limit, n, ratelimit.Unbounded)
	return at, scale, err
}

// ReserveScaledWithin implements ratelimit.Scaler under the limiter's
// mutex.
func (l *Limiter) ReserveScaledWithin(_ context.Context, key ratelimit.Key, limit ratelimit.Limit, n int, until time.Time) (time.Time, int, ratelimit.Scale, error) {
	if err := ratelimit.CheckSlots(key, limit, n); err != nil {
		return time.Time{}, 0, ratelimit.Scale{}, err
	}
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	st := l.keys[key]
	tat, at, k := ratelimit.NewSchedule(limit, st.scale).BookWithin(st.tat, now, until, n)
	if k > 0 {
		st.tat = tat
		l.keys[key] = st
	}
	return at, k, st.scale, nil
}

// Admit implements ratelimit.Admitter.
func (l *Limiter) Admit(_ context.Context, key ratelimit.Key, limit ratelimit.Limit, n int) (bool, time.Time, error) {
	if err := ratelimit.Check(key, limit, n); err != nil {
		return false, time.Time{}, err
	}
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	st := l.keys[key]
	tat, at, ok := ratelimit.NewSchedule(limit, st.scale).Admit(st.tat, now, n)
	if ok {
		st.tat = tat
		l.keys[key] = st
	}
	return ok, at, nil
}

// Rescale implements ratelimit.Scaler.
func (l *Limiter) Rescale(_ context.Context, key ratelimit.Key, change func(ratelimit.Scale) ratelimit.Scale) (ratelimit.Scale, error) {
	if err := key.Validate(); err != nil {
		return ratelimit.Scale{}, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	st := l.keys[key]
	next := change(st.scale).Clamped()
	if !next.Equal(st.scale) {
		st.scale = next
		l.keys[key] = st
	}
	return st.scale, nil
}
