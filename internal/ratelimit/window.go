package ratelimit

import (
	"sync"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// Window admits at most Max calls per key in each period of Per, holding
// at most Keys keys in memory: an unauthenticated caller who makes up keys
// (source addresses, client ids) cannot grow it without bound. When it is
// full, keys whose period has ended are dropped first; if none has, every
// key is forgotten, which lets calls through rather than refusing callers
// never seen (whatever it guards must bound its own cost as well).
type Window struct {
	Max   int
	Per   time.Duration
	Keys  int
	Clock parley.Clock

	mu    sync.Mutex
	calls map[string]windowCount
}

type windowCount struct {
	start time.Time
	n     int
}

// Allow takes one of key's calls in the current period; when none is left
// it returns false and how long until the period ends.
func (w *Window) Allow(key string) (bool, time.Duration) {
	now := w.Clock.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.calls == nil {
		w.calls = map[string]windowCount{}
	}
	c, ok := w.calls[key]
	if !ok || now.Sub(c.start) >= w.Per {
		if !ok && len(w.calls) >= w.Keys {
			w.sweep(now)
		}
		c = windowCount{start: now}
	}
	if c.n >= w.Max {
		return false, c.start.Add(w.Per).Sub(now)
	}
	c.n++
	w.calls[key] = c
	return true, 0
}

// sweep drops the keys whose period has ended, or every key if none has.
func (w *Window) sweep(now time.Time) {
	for k, c := range w.calls {
		if now.Sub(c.start) >= w.Per {
			delete(w.calls, k)
		}
	}
	if len(w.calls) >= w.Keys {
		clear(w.calls)
	}
}

// Len is how many keys it holds.
func (w *Window) Len() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.calls)
}
