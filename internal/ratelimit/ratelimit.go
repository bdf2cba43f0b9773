// Package ratelimit is the send-rate limiter port: every dispatcher, in any
// process, takes its tokens from one limiter per (account, channel, sender)
// so that together they hold the configured messages-per-second exactly.
//
// The algorithm is GCRA (the generic cell rate algorithm). A key's whole
// state is one instant, its theoretical arrival time (TAT): the end of the
// last slot handed out. A reservation of n tokens takes the n slots of
// length T = 1/rate that follow max(TAT, now), and may be sent once its last
// slot lies within the burst tolerance (Burst−1)·T ahead of now. Over any
// interval of length w, reservations that go out in it carry at most
// w/T + Burst tokens, and a backlogged key advances by exactly n·T per
// reservation, so the long-run rate is the configured one.
//
// Reservations are never refused: Reserve answers the instant at which the
// caller may send, and the caller sleeps until then (Wait does both). A
// caller that will not wait past a bound makes a bounded reservation
// instead (Adaptive.ReserveSlotsWithin, Scaler.ReserveScaledWithin): it
// takes only the slots that go within the bound, possibly none, and a
// refused one takes nothing, so no slot is booked to go unused. The
// adapters are local (in-process) and dynamo (shared by every process through
// one DynamoDB item per key). Adaptive adds a closed loop that slows a key
// down when its provider pushes back.
package ratelimit

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/run"
)

// The default limit: 10 messages per second, paced evenly. Providers count
// their MPS per second, so a burst above 1 trades smoothness for 429s.
const (
	DefaultRate  = 10.0 // messages per second
	DefaultBurst = 1    // no burst: even pacing
)

// Bounds of a valid limit. They keep every duration the algorithm computes
// well inside an int64 of nanoseconds.
const (
	MinRate  = 1.0 / 3600 // one message an hour
	MaxRate  = 1e6        // a slot of one microsecond
	MaxBurst = 10000      // tokens at one instant
)

// Key names the budget a send draws from: one per account, channel and
// sending identity (number, messaging service, phone-number id or app).
type Key struct {
	AccountID string
	Channel   parley.Channel
	Sender    string
}

// String returns the key as account/channel/sender.
func (k Key) String() string {
	return k.AccountID + "/" + string(k.Channel) + "/" + k.Sender
}

// Limit is a key's configured budget.
type Limit struct {
	// Rate is the sustained rate in tokens (messages) per second.
	Rate float64
	// Burst is how many tokens may go at one instant after the key was
	// idle; 1 paces sends evenly.
	Burst int
}

// Limiter hands out send slots.
type Limiter interface {
	// Reserve takes n tokens of key's budget and returns the instant at
	// which the caller may send them: now or later. A valid reservation is
	// never refused and never shares its slots with another; invalid
	// arguments are EINVALID (see Check).
	Reserve(ctx context.Context, key Key, limit Limit, n int) (time.Time, error)
}

// Admitter admits calls that must go at once or not at all, such as API
// calls held to a budget.
type Admitter interface {
	// Admit takes n tokens of key's budget and reports true when they may
	// be used now. Otherwise it takes nothing — a refused call never
	// pushes a later one back — and returns the instant from which the
	// tokens would be admitted. Invalid arguments are EINVALID (see
	// Check).
	Admit(ctx context.Context, key Key, limit Limit, n int) (ok bool, retryAt time.Time, err error)
}

// Backend is what each adapter (local, dynamo) offers: scaled
// reservations for sends (Scaler, which Adaptive drives) and admissions
// for API calls (Admitter, which Gate uses).
type Backend interface {
	Scaler
	Admitter
}

// Validate reports, as an EINVALID error naming the field, whether k is
// usable: AccountID and Channel are set and hold no '#', so that the three
// parts joined by '#' name one key only. Sender may be anything.
func (k Key) Validate() error {
	switch {
	case k.AccountID == "" || strings.Contains(k.AccountID, "#"):
		return parley.FieldErrorf("key.accountId", "account id %q must be set and must not contain '#'", k.AccountID)
	case k.Channel == "" || strings.Contains(string(k.Channel), "#"):
		return parley.FieldErrorf("key.channel", "channel %q must be set and must not contain '#'", k.Channel)
	}
	return nil
}

// Check reports, as an EINVALID error naming the field, whether a
// reservation of n tokens for key under limit is valid: the key validates,
// MinRate ≤ Rate ≤ MaxRate, 1 ≤ Burst ≤ MaxBurst and 1 ≤ n ≤ Burst. A
// reservation of more tokens than the burst could never go out at one
// instant within the limit.
func Check(key Key, limit Limit, n int) error {
	if err := key.Validate(); err != nil {
		return err
	}
	switch {
	case math.IsNaN(limit.Rate) || limit.Rate < MinRate || limit.Rate > MaxRate:
		return parley.FieldErrorf("limit.rate", "rate %g must be between %g and %g per second", limit.Rate, MinRate, MaxRate)
	case limit.Burst < 1 || limit.Burst > MaxBurst:
		return parley.FieldErrorf("limit.burst", "burst %d must be between 1 and %d", limit.Burst, MaxBurst)
	case n < 1 || n > limit.Burst:
		return parley.FieldErrorf("n", "%d tokens: a reservation takes between 1 and the burst (%d)", n, limit.Burst)
	}
	return nil
}

// MaxSlots bounds how many consecutive slots one reservation may take.
const MaxSlots = 1000

// CheckSlots is Check for a reservation of n consecutive slots sent one
// after another rather than at once: 1 ≤ n ≤ MaxSlots, whatever the burst.
func CheckSlots(key Key, limit Limit, n int) error {
	if n < 1 || n > MaxSlots {
		return parley.FieldErrorf("n", "%d slots: a reservation takes between 1 and %d", n, MaxSlots)
	}
	return Check(key, limit, min(n, limit.Burst))
}

// Slots are the consecutive slots of one reservation.
type Slots struct {
	last time.Time     // when the last slot may go
	step time.Duration // slot length at the rate in effect
	n    int
	now  time.Time // when they were reserved
	next time.Time // with no slots: when the same reservation would get one
}

// Len is how many slots were reserved: all that were asked for, or, for a
// bounded reservation (Adaptive.ReserveSlotsWithin), those that fit within
// its bound, possibly none.
func (s Slots) Len() int { return s.n }

// Next is, for Slots that hold none (Len 0, from a bounded reservation),
// the instant from which the same reservation would book at least one: its
// earliest first slot less its bound, and never before the reservation was
// made. For Slots that hold any it is the zero time.
func (s Slots) Next() time.Time { return s.next }

// Following is, for Slots that hold any, when the slot after the last of
// them may go at the earliest: one step after it. For Slots that hold none
// it is the zero time.
func (s Slots) Following() time.Time {
	if s.n == 0 {
		return time.Time{}
	}
	return s.At(s.n - 1).Add(s.step)
}

// At returns when the i-th slot (0 ≤ i < Len) may be used: each is one
// step after the one before, and none before the reservation was made.
func (s Slots) At(i int) time.Time {
	at := s.last.Add(-time.Duration(s.n-1-i) * s.step)
	if at.Before(s.now) {
		return s.now
	}
	return at
}

// Wait reserves n tokens and sleeps until they may be sent. l must run on
// the wall clock. When ctx has ended it reserves nothing; when ctx ends
// before the reserved instant, or its deadline falls before it, Wait returns
// at once with an error wrapping ctx's, and the reserved slots go unused,
// which lowers the rate and never raises it.
func Wait(ctx context.Context, l Limiter, key Key, limit Limit, n int) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("ratelimit %s: %w", key, err)
	}
	at, err := l.Reserve(ctx, key, limit, n)
	if err != nil {
		return err
	}
	d := time.Until(at)
	if d <= 0 {
		return nil
	}
	if deadline, ok := ctx.Deadline(); ok && deadline.Before(at) {
		return fmt.Errorf("ratelimit %s: slot at %s is past the deadline: %w", key, at.Format(time.RFC3339Nano), context.DeadlineExceeded)
	}
	if err := run.Sleep(ctx, d); err != nil {
		return fmt.Errorf("ratelimit %s: %w", key, err)
	}
	return nil
}
