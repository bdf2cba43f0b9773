package ratelimit

import (
	"math"
	"time"
)

// MinFactor is the lowest fraction of the configured rate a key is ever
// slowed to.
const MinFactor = 0.1

// Scale is the adaptive part of a key's state, kept beside its TAT: the
// fraction of the configured rate in effect and when it was last cut. The
// zero Scale is the full rate.
type Scale struct {
	// Factor is the fraction of the configured rate in effect. Values
	// outside [MinFactor, 1] are clamped; 0 (unset) means 1.
	Factor float64
	// CutAt is when Factor was last lowered; zero if never.
	CutAt time.Time
}

// Fraction returns s.Factor clamped to [MinFactor, 1], with an unset or
// meaningless factor read as 1: a scale never raises the configured rate.
func (s Scale) Fraction() float64 {
	if !(s.Factor > 0) || s.Factor >= 1 {
		return 1
	}
	return max(s.Factor, MinFactor)
}

// Clamped returns s with its Factor replaced by Fraction.
func (s Scale) Clamped() Scale {
	return Scale{Factor: s.Fraction(), CutAt: s.CutAt}
}

// Equal reports whether s and o have the same effect.
func (s Scale) Equal(o Scale) bool {
	return s.Fraction() == o.Fraction() && s.CutAt.Equal(o.CutAt)
}

// Schedule is the GCRA arithmetic of one reservation for a valid limit
// (see Check) under a scale. The adapters keep the TAT; Schedule says how it
// advances and when the reserved tokens may go.
type Schedule struct {
	// emission is the slot length T at the scaled rate.
	emission time.Duration
	// tolerance is how far ahead of now a reservation's last slot may
	// start: (Burst−1) slots at the configured rate. Keeping it in
	// configured slots means a cut never widens the burst.
	tolerance time.Duration
}

// NewSchedule returns the schedule for limit under scale.
func NewSchedule(limit Limit, scale Scale) Schedule {
	return Schedule{
		emission:  Interval(limit.Rate * scale.Fraction()),
		tolerance: time.Duration(limit.Burst-1) * Interval(limit.Rate),
	}
}

// Interval returns the slot length 1/rate, rounded to the nanosecond.
func Interval(rate float64) time.Duration {
	return max(time.Duration(math.Round(float64(time.Second)/rate)), 1)
}

// Cost returns how far n tokens advance the TAT.
func (s Schedule) Cost(n int) time.Duration {
	return time.Duration(n) * s.emission
}

// At returns when a reservation that moved the TAT to newTAT may be sent:
// when its last slot, which starts at newTAT − T, is within the tolerance,
// and never before now.
func (s Schedule) At(newTAT, now time.Time) time.Time {
	at := newTAT.Add(-s.emission - s.tolerance)
	if at.Before(now) {
		return now
	}
	return at
}

// Book reserves n tokens against a key whose TAT is tat (zero if the key
// has none) and returns the new TAT and the instant the tokens may go.
func (s Schedule) Book(tat, now time.Time, n int) (newTAT, at time.Time) {
	newTAT = later(tat, now).Add(s.Cost(n))
	return newTAT, s.At(newTAT, now)
}

// Admit is Book for tokens that must go at once: ok says whether they may
// be sent at now, and only then is newTAT the key's next TAT. Otherwise at
// is the instant they could be sent, and the TAT must stay as it was, so
// that a refusal never pushes a later caller back.
func (s Schedule) Admit(tat, now time.Time, n int) (newTAT, at time.Time, ok bool) {
	newTAT, at = s.Book(tat, now, n)
	return newTAT, at, !at.After(now)
}

// Unbounded is the horizon of a reservation that takes every slot it asks
// for: later than any slot the limiter hands out, and within the unix
// nanoseconds an adapter stores (the year 2262). Later horizons read as
// Unbounded.
var Unbounded = time.Unix(0, math.MaxInt64).UTC()

// Latest returns the latest start (the TAT of a backlogged key) from which
// k ≥ 1 consecutive slots still have their last go (see At) no later than
// until: until + tolerance − (k−1)·T, never after Unbounded. A key
// backlogged further has room for fewer.
func (s Schedule) Latest(until time.Time, k int) time.Time {
	if until.After(Unbounded) {
		until = Unbounded
	}
	latest := until.Add(s.tolerance - s.Cost(k-1))
	if latest.After(Unbounded) {
		return Unbounded
	}
	return latest
}

// Fit returns how many of n consecutive slots booked at now against a key
// whose TAT is tat have their last go no later than until: the largest
// k ≤ n with max(tat, now) ≤ Latest(until, k), and 0 when even the first
// would go after until, as it always does when until is before now.
func (s Schedule) Fit(tat, now, until time.Time, n int) int {
	if until.Before(now) || n < 1 {
		return 0
	}
	room := s.Latest(until, 1).Sub(later(tat, now)) // saturates
	switch {
	case room < 0:
		return 0
	case room/s.emission >= time.Duration(n-1):
		return n
	}
	return int(room/s.emission) + 1
}

// BookWithin is Book bounded by until: it books k = Fit(tat, now, until, n)
// slots and returns the new TAT, when the last of them may go and k. When k
// is 0 it books nothing — newTAT is tat, so that a refusal never pushes a
// later caller back — and at is the earliest instant a first slot could go.
func (s Schedule) BookWithin(tat, now, until time.Time, n int) (newTAT, at time.Time, k int) {
	k = s.Fit(tat, now, until, n)
	if k == 0 {
		_, at = s.Book(tat, now, 1)
		return tat, at, 0
	}
	newTAT, at = s.Book(tat, now, k)
	return newTAT, at, k
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
