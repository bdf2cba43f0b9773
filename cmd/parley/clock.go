package main

import (
	"fmt"
	"io"
	"time"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/parley"
)

// offsetClock is the wall clock moved by offset: it runs at the wall
// clock's pace from wherever offset puts it.
func offsetClock(offset time.Duration) parley.Clock {
	return parley.ClockFunc(func() time.Time { return time.Now().UTC().Add(offset) })
}

// clockOffset reads serve's --clock value: the RFC 3339 instant the server's
// clock starts at, as an offset from the wall clock at now. Only the
// embedded backend may run on a clock of its own: on AWS the functions,
// the queue and the store's expiry all read the system clock.
func clockOffset(value, backend string, now time.Time) (time.Duration, error) {
	if value == "" {
		return 0, nil
	}
	if backend != config.BackendEmbedded {
		return 0, fmt.Errorf("--clock is for the embedded backend only (--backend %s runs on the system clock)", backend)
	}
	at, err := time.Parse(time.RFC3339, value)
	if err != nil {
		return 0, fmt.Errorf("--clock %q is not an RFC 3339 instant such as 2027-03-14T06:00:00Z", value)
	}
	return at.Sub(now), nil
}

// serverClock returns the clock the running parley serve tells time by,
// as its record gives it, when clock is the wall clock and the server runs
// on a clock of its own (serve --clock): the tokens a command mints must
// be valid at the server's now, not the wall clock's.
func serverClock(clock parley.Clock, stderr io.Writer) parley.Clock {
	rec, ok := readRecord()
	if _, wall := clock.(parley.SystemClock); !wall || !ok || rec.ClockOffset == 0 {
		return clock
	}
	c := offsetClock(rec.ClockOffset)
	fmt.Fprintf(stderr, "parley: note: the parley serve running (pid %d) tells time by --clock; it is %s there\n",
		rec.PID, c.Now().Format(time.RFC3339))
	return c
}
