package ratelimit

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// Scaler is a Limiter that keeps each key's Scale beside its TAT and spaces
// the key's reservations at the configured rate times the scale's Fraction.
// Whoever shares the TAT shares the scale, so a cut made by one dispatcher
// slows every dispatcher of the key.
type Scaler interface {
	Limiter
	// ReserveScaled takes n consecutive slots (see CheckSlots) and returns
	// when the last of them may go and the scale it applied; for n up to
	// the burst that is Reserve.
	ReserveScaled(ctx context.Context, key Key, limit Limit, n int) (time.Time, Scale, error)
	// ReserveScaledWithin is ReserveScaled bounded by until. In one
	// atomic step it books the first k of the n consecutive slots: the
	// most, up to n, whose last may go no later than until
	// (Schedule.BookWithin), and returns when that last one may go, k and
	// the scale applied. When none fits, k is 0 and nothing is booked —
	// the TAT is untouched, so that a refusal never pushes a later caller
	// back — and last is the earliest instant a first slot could go, as
	// far as the backend knows: a caller that comes back at last less its
	// bound is booked or told a later instant. n is as for ReserveScaled
	// (CheckSlots); until may be any instant, and one after Unbounded
	// reads as Unbounded, with which ReserveScaledWithin is ReserveScaled.
	ReserveScaledWithin(ctx context.Context, key Key, limit Limit, n int, until time.Time) (last time.Time, k int, scale Scale, err error)
	// Rescale atomically replaces key's scale s with change(s).Clamped()
	// and returns the result. change may run more than once and must not
	// have side effects; when its result is Equal to s nothing is written.
	Rescale(ctx context.Context, key Key, change func(Scale) Scale) (Scale, error)
}

// The closed loop's constants.
const (
	// Decrease is what a cut multiplies the rate in effect by.
	Decrease = 0.5
	// Cooldown is how long after a cut further pushback is ignored: the
	// sends already reserved at the old rate report it too, and one cut
	// per round of them is enough.
	Cooldown = time.Second
	// Climb is how long successful sending at the rate in effect takes to
	// raise the factor by 1: a single cut is regained in Climb/2 (15 s),
	// the floor MinFactor in 0.9·Climb (27 s).
	Climb = 30 * time.Second
)

// flushStep is the smallest raise Adaptive writes: one second of climbing,
// so that a key's climb costs about one write per second in total.
var flushStep = 1 / Climb.Seconds()

// Adaptive is a Limiter that lowers a key's rate when its provider pushes
// back and regains it as sends succeed: additive increase, multiplicative
// decrease. The rate in effect is the configured one times the key's shared
// Scale, so it never exceeds the configured rate, never falls below
// MinFactor of it, and, being stored with the key's TAT, is one for every
// process that shares the Scaler's backend: one dispatcher's 429 slows all.
type Adaptive struct {
	scaler Scaler
	clock  parley.Clock
	mu     sync.Mutex
	keys   map[Key]*climb
}

var _ Limiter = (*Adaptive)(nil)

// climb is what this process knows of a key between writes.
type climb struct {
	rate    float64 // configured rate of the key's last reservation
	factor  float64 // the scale's fraction as last seen
	pending float64 // raise earned by successful sends, not yet written
}

// NewAdaptive returns the closed loop over s; clock times the cuts.
func NewAdaptive(s Scaler, clock parley.Clock) *Adaptive {
	return &Adaptive{scaler: s, clock: clock, keys: map[Key]*climb{}}
}

// Reserve implements Limiter at the rate in effect: n is up to the burst,
// as for every Limiter (ReserveSlots takes more).
func (a *Adaptive) Reserve(ctx context.Context, key Key, limit Limit, n int) (time.Time, error) {
	if err := Check(key, limit, n); err != nil {
		return time.Time{}, err
	}
	at, scale, err := a.scaler.ReserveScaled(ctx, key, limit, n)
	if err != nil {
		return time.Time{}, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	c := a.climb(key)
	c.rate, c.factor = limit.Rate, scale.Fraction()
	return at, nil
}

// ReserveSlots takes n consecutive slots of key's budget in one
// reservation, spaced at the rate in effect: one request to a shared
// limiter for a batch of sends, which go out as n single reservations
// would. 1 ≤ n ≤ MaxSlots. It is ReserveSlotsWithin with no bound: every
// slot is booked however far off.
func (a *Adaptive) ReserveSlots(ctx context.Context, key Key, limit Limit, n int) (Slots, error) {
	return a.ReserveSlotsWithin(ctx, key, limit, n, noBound)
}

// noBound is the bound of a reservation that takes every slot it asks
// for: it reaches Unbounded from any instant.
const noBound = time.Duration(math.MaxInt64)

// ReserveSlotsWithin is ReserveSlots for a caller that will not wait
// longer than within for a slot: in one atomic step it books only the
// first k of the n slots, the most whose last may go within the bound
// (now + within), so that none is booked to go unused. The Slots hold k
// (Len), which may be fewer than n or 0. When they hold none, nothing was
// booked and Next says from when the same reservation would book at least
// one. 1 ≤ n ≤ MaxSlots; within must not be negative.
func (a *Adaptive) ReserveSlotsWithin(ctx context.Context, key Key, limit Limit, n int, within time.Duration) (Slots, error) {
	if within < 0 {
		return Slots{}, parley.FieldErrorf("within", "bound %s must not be negative", within)
	}
	last, k, scale, err := a.scaler.ReserveScaledWithin(ctx, key, limit, n, horizon(a.clock.Now(), within))
	if err != nil {
		return Slots{}, err
	}
	a.mu.Lock()
	c := a.climb(key)
	c.rate, c.factor = limit.Rate, scale.Fraction()
	a.mu.Unlock()
	s := Slots{last: last, step: NewSchedule(limit, scale).emission, n: k, now: a.clock.Now()}
	if k == 0 {
		s.next = later(last.Add(-within), s.now)
	}
	return s, nil
}

// horizon is now + within, or Unbounded when that lies past it.
func horizon(now time.Time, within time.Duration) time.Time {
	if within >= Unbounded.Sub(now) {
		return Unbounded
	}
	return now.Add(within)
}

// Throttled records that the provider asked key's sender to slow down: it
// halves the rate in effect, down to MinFactor of the configured one, unless
// the key was cut less than Cooldown ago.
func (a *Adaptive) Throttled(ctx context.Context, key Key) error {
	now := a.clock.Now()
	a.mu.Lock()
	a.climb(key).pending = 0 // earned at the rate that proved too high
	a.mu.Unlock()
	return a.rescale(ctx, key, func(s Scale) Scale {
		if now.Sub(s.CutAt) < Cooldown {
			return s
		}
		return Scale{Factor: s.Fraction() * Decrease, CutAt: now}
	})
}

// OK records one successful send for key. Each adds 1/(Climb·rate in
// effect) to the factor, so a key sending at the rate in effect climbs by 1
// per Climb; the raise is written once it reaches one second's worth. A
// failed write loses at most that second of climb.
func (a *Adaptive) OK(ctx context.Context, key Key) error {
	raise := a.earn(key)
	if raise == 0 {
		return nil
	}
	return a.rescale(ctx, key, func(s Scale) Scale {
		s.Factor = s.Fraction() + raise
		return s
	})
}

// earn adds one send's raise to key's pending one and returns the pending
// raise when it is due to be written, else 0.
func (a *Adaptive) earn(key Key) float64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	c := a.climb(key)
	if c.factor >= 1 || c.rate <= 0 {
		return 0
	}
	c.pending += 1 / (Climb.Seconds() * c.rate * c.factor)
	if c.pending < flushStep {
		return 0
	}
	raise := c.pending
	c.pending = 0
	return raise
}

func (a *Adaptive) rescale(ctx context.Context, key Key, change func(Scale) Scale) error {
	scale, err := a.scaler.Rescale(ctx, key, change)
	if err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.climb(key).factor = scale.Fraction()
	return nil
}

// climb returns key's record, creating it; a.mu must be held.
func (a *Adaptive) climb(key Key) *climb {
	c, ok := a.keys[key]
	if !ok {
		c = &climb{factor: 1}
		a.keys[key] = c
	}
	return c
}
