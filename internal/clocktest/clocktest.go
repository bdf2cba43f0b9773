// Package clocktest is the clock tests move by hand: a parley.Clock that
// stands still at the instant it is given until the test advances it, safe
// for concurrent use.
package clocktest

import (
	"sync"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// Clock is a parley.Clock the test moves.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

var _ parley.Clock = (*Clock)(nil)

// New returns a clock standing at now.
func New(now time.Time) *Clock { return &Clock{now: now} }

// Now implements parley.Clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock d ahead.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
