// Package ratelimittest is the contract suite every ratelimit.Limiter
// adapter passes, on a fake clock, and the dispatch benchmark the adapters
// share.
package ratelimittest

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/ratelimit"
)

// T0 is where the suite's clock starts.
var T0 = time.Date(2030, 3, 1, 9, 0, 0, 0, time.UTC)

// Run runs the contract suite. newLimiter returns an empty limiter on
// clock, which starts at T0 and moves only as the suite says. The cases on
// scales and the closed loop run when the limiter is a ratelimit.Scaler.
func Run(t *testing.T, newLimiter func(t *testing.T, clock parley.Clock) ratelimit.Limiter) {
	run(t, func(t *testing.T, clock parley.Clock) subject {
		l := newLimiter(t, clock)
		s, _ := l.(ratelimit.Scaler)
		return subject{limiter: l, scaler: s}
	})
}

// RunAdaptive runs the contract suite on ratelimit.Adaptive, the limiter
// the dispatcher uses, over the empty Scaler newScaler returns on clock.
//
// Adaptive is a Limiter like any other, and every case of Run holds for it
// as written but one: Adaptive is not a Scaler, its documented way of
// changing a scale being the closed loop (Throttled and OK), so the Scale
// case, which sets scales directly, is skipped (Run covers it on the
// Scaler). The closed-loop cases run on the Adaptive under test itself.
func RunAdaptive(t *testing.T, newScaler func(t *testing.T, clock parley.Clock) ratelimit.Scaler) {
	run(t, func(t *testing.T, clock parley.Clock) subject {
		s := newScaler(t, clock)
		a := ratelimit.NewAdaptive(s, clock)
		return subject{limiter: a, scaler: s, adaptive: a}
	})
}

// subject is what one case runs on: the limiter under test, the Scaler it
// is or stands on (nil when neither), and the limiter as an Adaptive when
// it is one.
type subject struct {
	limiter  ratelimit.Limiter
	scaler   ratelimit.Scaler
	adaptive *ratelimit.Adaptive
}

// run runs every case on a fresh subject.
func run(t *testing.T, newSubject func(t *testing.T, clock parley.Clock) subject) {
	cases := []struct {
		name string
		test func(*testing.T, subject, *Clock)
	}{
		{"Spacing", limiting(testSpacing)},
		{"Refill", limiting(testRefill)},
		{"KeysIndependent", limiting(testKeys)},
		{"Tokens", limiting(testTokens)},
		{"Invalid", limiting(testInvalid)},
		{"Concurrent", limiting(testConcurrent)},
		{"ConcurrentMovingClock", limiting(testConcurrentMovingClock)},
		{"Scale", scaled(testScale)},
		{"Adaptive", closedLoop(testAdaptive)},
		{"AdaptiveShared", closedLoop(testAdaptiveShared)},
		{"Within", closedLoop(testWithin)},
		{"WithinScaled", closedLoop(testWithinScaled)},
		{"WithinConcurrent", closedLoop(testWithinConcurrent)},
		{"WithinInvalid", closedLoop(testWithinInvalid)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clock := NewClock(T0)
			c.test(t, newSubject(t, clock), clock)
		})
	}
}

// limiting adapts a case on any Limiter.
func limiting(test func(*testing.T, ratelimit.Limiter, *Clock)) func(*testing.T, subject, *Clock) {
	return func(t *testing.T, sub subject, clock *Clock) { test(t, sub.limiter, clock) }
}

// scaled adapts a case on a Scaler, which it skips for other limiters.
func scaled(test func(*testing.T, ratelimit.Scaler, *Clock)) func(*testing.T, subject, *Clock) {
	return func(t *testing.T, sub subject, clock *Clock) {
		switch {
		case sub.adaptive != nil:
			t.Skip("ratelimit.Adaptive is not a Scaler: it changes scales through Throttled and OK only")
		case sub.scaler == nil:
			t.Skipf("%T is not a ratelimit.Scaler", sub.limiter)
		}
		test(t, sub.scaler, clock)
	}
}

// closedLoop adapts a case on an Adaptive and the Scaler under it: the
// subject itself when it is an Adaptive, else one made over the subject
// when it is a Scaler; other limiters skip it.
func closedLoop(test func(*testing.T, *ratelimit.Adaptive, ratelimit.Scaler, *Clock)) func(*testing.T, subject, *Clock) {
	return func(t *testing.T, sub subject, clock *Clock) {
		if sub.scaler == nil {
			t.Skipf("%T is not a ratelimit.Scaler", sub.limiter)
		}
		a := sub.adaptive
		if a == nil {
			a = ratelimit.NewAdaptive(sub.scaler, clock)
		}
		test(t, a, sub.scaler, clock)
	}
}

// Key returns a key of account acct1 on SMS for sender.
func Key(sender string) ratelimit.Key {
	return ratelimit.Key{AccountID: "acct1", Channel: parley.ChannelSMS, Sender: sender}
}

// slot is 1/rate, worked out here rather than by the package under test.
func slot(rate float64) time.Duration {
	return time.Duration(math.Round(float64(time.Second) / rate))
}

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

func reserve(t *testing.T, l ratelimit.Limiter, key ratelimit.Key, limit ratelimit.Limit, n int) time.Time {
	t.Helper()
	at, err := l.Reserve(context.Background(), key, limit, n)
	if err != nil {
		t.Fatalf("Reserve(%s, %+v, %d): %v", key, limit, n, err)
	}
	return at
}

func testSpacing(t *testing.T, l ratelimit.Limiter, _ *Clock) {
	cases := []struct {
		name  string
		limit ratelimit.Limit
	}{
		{"default", ratelimit.Limit{Rate: ratelimit.DefaultRate, Burst: ratelimit.DefaultBurst}},
		{"burst", ratelimit.Limit{Rate: 10, Burst: 3}},
		{"third of a second", ratelimit.Limit{Rate: 3, Burst: 1}},
		{"slow", ratelimit.Limit{Rate: 0.5, Burst: 2}},
		{"fast", ratelimit.Limit{Rate: 250, Burst: 4}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			key := Key(fmt.Sprintf("+1555000%04d", i))
			for j := range tc.limit.Burst + 6 {
				want := T0.Add(time.Duration(max(0, j-tc.limit.Burst+1)) * slot(tc.limit.Rate))
				if at := reserve(t, l, key, tc.limit, 1); !at.Equal(want) {
					t.Fatalf("reservation %d at %s, want %s", j, at.Sub(T0), want.Sub(T0))
				}
			}
		})
	}
}

// steps runs reservations at given clock offsets and checks when each may
// go; offsets are from T0.
type step struct {
	now, want time.Duration
	n         int
}

func runSteps(t *testing.T, l ratelimit.Limiter, clock *Clock, key ratelimit.Key, limit ratelimit.Limit, steps []step) {
	t.Helper()
	for i, s := range steps {
		clock.Set(T0.Add(s.now))
		if at := reserve(t, l, key, limit, max(s.n, 1)); !at.Equal(T0.Add(s.want)) {
			t.Fatalf("step %d (%d tokens at %s): at %s, want %s", i, max(s.n, 1), s.now, at.Sub(T0), s.want)
		}
	}
}

func testRefill(t *testing.T, l ratelimit.Limiter, clock *Clock) {
	runSteps(t, l, clock, Key("+15550001"), ratelimit.Limit{Rate: 10, Burst: 3}, []step{
		{now: 0, want: 0},
		{now: 0, want: 0},
		{now: 0, want: 0},
		{now: 0, want: ms(100)},
		{now: ms(250), want: ms(250)}, // its slot opened at 200
		{now: ms(250), want: ms(300)},
		{now: ms(10000), want: ms(10000)}, // idle: the burst again, no more
		{now: ms(10000), want: ms(10000)},
		{now: ms(10000), want: ms(10000)},
		{now: ms(10000), want: ms(10100)},
		{now: ms(10150), want: ms(10200)},
	})
}

func testKeys(t *testing.T, l ratelimit.Limiter, _ *Clock) {
	base := Key("+15550001")
	other := func(change func(*ratelimit.Key)) ratelimit.Key {
		k := base
		change(&k)
		return k
	}
	keys := []ratelimit.Key{
		base,
		other(func(k *ratelimit.Key) { k.AccountID = "acct2" }),
		other(func(k *ratelimit.Key) { k.Channel = parley.ChannelWhatsApp }),
		other(func(k *ratelimit.Key) { k.Sender = "+15550002" }),
		other(func(k *ratelimit.Key) { k.Sender = "+15550001#2" }),
		other(func(k *ratelimit.Key) { k.Sender = "" }),
	}
	limit := ratelimit.Limit{Rate: 10, Burst: 1}
	for round := range 3 {
		for _, key := range keys {
			want := T0.Add(time.Duration(round) * slot(limit.Rate))
			if at := reserve(t, l, key, limit, 1); !at.Equal(want) {
				t.Fatalf("round %d, key %s: at %s, want %s", round, key, at.Sub(T0), want.Sub(T0))
			}
		}
	}
}

func testTokens(t *testing.T, l ratelimit.Limiter, clock *Clock) {
	runSteps(t, l, clock, Key("+15550001"), ratelimit.Limit{Rate: 10, Burst: 5}, []step{
		{n: 3, now: 0, want: 0},
		{n: 3, now: 0, want: ms(100)}, // its last slot, the 6th, starts at 500
		{n: 1, now: 0, want: ms(200)},
		{n: 5, now: 0, want: ms(700)},
		{n: 1, now: 0, want: ms(800)},
		{n: 5, now: ms(5000), want: ms(5000)},
		{n: 2, now: ms(5000), want: ms(5200)}, // its slots start at 5500 and 5600
	})
}

func testInvalid(t *testing.T, l ratelimit.Limiter, _ *Clock) {
	good := ratelimit.Limit{Rate: 10, Burst: 2}
	cases := []struct {
		name  string
		key   ratelimit.Key
		limit ratelimit.Limit
		n     int
		field string
	}{
		{"no account", ratelimit.Key{Channel: parley.ChannelSMS, Sender: "s"}, good, 1, "key.accountId"},
		{"account with #", ratelimit.Key{AccountID: "a#b", Channel: parley.ChannelSMS}, good, 1, "key.accountId"},
		{"no channel", ratelimit.Key{AccountID: "a", Sender: "s"}, good, 1, "key.channel"},
		{"zero rate", Key("s"), ratelimit.Limit{Burst: 1}, 1, "limit.rate"},
		{"negative rate", Key("s"), ratelimit.Limit{Rate: -1, Burst: 1}, 1, "limit.rate"},
		{"NaN rate", Key("s"), ratelimit.Limit{Rate: math.NaN(), Burst: 1}, 1, "limit.rate"},
		{"infinite rate", Key("s"), ratelimit.Limit{Rate: math.Inf(1), Burst: 1}, 1, "limit.rate"},
		{"zero burst", Key("s"), ratelimit.Limit{Rate: 10}, 1, "limit.burst"},
		{"huge burst", Key("s"), ratelimit.Limit{Rate: 10, Burst: ratelimit.MaxBurst + 1}, 1, "limit.burst"},
		{"no tokens", Key("s"), good, 0, "n"},
		{"more than the burst", Key("s"), good, 3, "n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := l.Reserve(context.Background(), tc.key, tc.limit, tc.n)
			if parley.ErrorCode(err) != parley.EINVALID || parley.ErrorField(err) != tc.field {
				t.Errorf("Reserve = %v, want %s on %s", err, parley.EINVALID, tc.field)
			}
		})
	}
}

// concurrently has 8 goroutines take each reservations of one token and
// returns the instants, sorted.
func concurrently(t *testing.T, l ratelimit.Limiter, key ratelimit.Key, limit ratelimit.Limit, each int) []time.Time {
	t.Helper()
	return gather(t, 8, each, func() ([]time.Time, error) {
		at, err := l.Reserve(context.Background(), key, limit, 1)
		if err != nil {
			return nil, fmt.Errorf("Reserve: %w", err)
		}
		return []time.Time{at}, nil
	})
}

// gather runs reserve each times on each of goroutines goroutines at once
// and returns every instant they answered, sorted; a failure is the
// test's.
func gather(t *testing.T, goroutines, each int, reserve func() ([]time.Time, error)) []time.Time {
	t.Helper()
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		ats []time.Time
	)
	for range goroutines {
		wg.Go(func() {
			for range each {
				got, err := reserve()
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				ats = append(ats, got...)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	slices.SortFunc(ats, time.Time.Compare)
	return ats
}

func testConcurrent(t *testing.T, l ratelimit.Limiter, _ *Clock) {
	limit := ratelimit.Limit{Rate: 20, Burst: 3}
	ats := concurrently(t, l, Key("+15550001"), limit, 5)
	for j, at := range ats {
		if want := T0.Add(time.Duration(max(0, j-limit.Burst+1)) * slot(limit.Rate)); !at.Equal(want) {
			t.Fatalf("reservation %d of %d at %s, want %s: slots double-booked or skipped", j, len(ats), at.Sub(T0), want.Sub(T0))
		}
	}
	CheckBound(t, ats, limit)
}

func testConcurrentMovingClock(t *testing.T, l ratelimit.Limiter, clock *Clock) {
	clock.Step(7 * time.Millisecond)
	limit := ratelimit.Limit{Rate: 20, Burst: 3}
	ats := concurrently(t, l, Key("+15550001"), limit, 5)
	if len(ats) > 0 && ats[0].Before(T0) {
		t.Errorf("first reservation at %s, before the clock started", ats[0].Sub(T0))
	}
	CheckBound(t, ats, limit)
}

// CheckBound checks the limiter's promise on sorted send instants, one per
// token (a reservation of n tokens appears n times): any closed interval of
// length w holds at most ⌊w/T⌋ + Burst of them, so any one-second window at
// most Rate + Burst.
func CheckBound(t testing.TB, ats []time.Time, limit ratelimit.Limit) {
	t.Helper()
	T := slot(limit.Rate)
	for i := range ats {
		for j := i; j < len(ats); j++ {
			if allowed := int(ats[j].Sub(ats[i])/T) + limit.Burst; j-i+1 > allowed {
				t.Fatalf("%d sends from %s to %s, where %d are allowed", j-i+1, ats[i].Format(time.RFC3339Nano), ats[j].Format(time.RFC3339Nano), allowed)
			}
		}
	}
}
