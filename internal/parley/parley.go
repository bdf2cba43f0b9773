// Package parley holds the domain types every other package speaks in:
// campaigns, recipients, dispatch jobs, outbound messages and the single error
// type whose code is mapped to an HTTP status in exactly one place.
//
// It imports no AWS package and does no I/O.
package parley

import (
	"strings"
	"time"
)

// Clock tells the time. Production code uses SystemClock; tests inject a fixed
// or stepping clock so windows and schedules are reproducible.
type Clock interface {
	Now() time.Time
}

// SystemClock is the wall clock, in UTC.
type SystemClock struct{}

// Now returns the current UTC time.
func (SystemClock) Now() time.Time { return time.Now().UTC() }

// ClockFunc adapts a function to Clock.
type ClockFunc func() time.Time

// Now calls f.
func (f ClockFunc) Now() time.Time { return f() }

// ReadAt is when a cached read was made, by an injected clock and by the
// machine's monotonic clock.
type ReadAt struct {
	clock, machine time.Time
}

// ReadNow is a read made now by c.
func ReadNow(c Clock) ReadAt { return ReadAt{clock: c.Now(), machine: time.Now()} }

// Fresh reports whether a read made at r may still be used at now (by the
// injected clock) within ttl: neither clock has moved ttl since the read,
// nor the injected one back. The machine's clock bounds the age where the
// injected one stands still (a test's, or one stepped by hand), so that no
// clock can keep a stale read for ever; the injected one bounds it where it
// runs ahead of real time.
func (r ReadAt) Fresh(now time.Time, ttl time.Duration) bool {
	age := now.Sub(r.clock)
	return age >= 0 && age < ttl && time.Since(r.machine) < ttl
}

// Time is when the read was made by the injected clock.
func (r ReadAt) Time() time.Time { return r.clock }

// JoinNames lists names, such as the values of an enumeration, comma
// separated: what an error says a value must be one of.
func JoinNames[T ~string](names []T) string {
	ss := make([]string, len(names))
	for i, n := range names {
		ss[i] = string(n)
	}
	return strings.Join(ss, ", ")
}
