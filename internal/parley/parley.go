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

// JoinNames lists names, such as the values of an enumeration, comma
// separated: what an error says a value must be one of.
func JoinNames[T ~string](names []T) string {
	ss := make([]string, len(names))
	for i, n := range names {
		ss[i] = string(n)
	}
	return strings.Join(ss, ", ")
}
