package ratelimittest

import (
	"context"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/ratelimit"
)

func rescale(t *testing.T, s ratelimit.Scaler, key ratelimit.Key, change func(ratelimit.Scale) ratelimit.Scale) ratelimit.Scale {
	t.Helper()
	got, err := s.Rescale(context.Background(), key, change)
	if err != nil {
		t.Fatalf("Rescale(%s): %v", key, err)
	}
	return got
}

func setFactor(f float64, cut time.Time) func(ratelimit.Scale) ratelimit.Scale {
	return func(ratelimit.Scale) ratelimit.Scale { return ratelimit.Scale{Factor: f, CutAt: cut} }
}

func testScale(t *testing.T, s ratelimit.Scaler, _ *Clock) {
	ctx := context.Background()
	key, other := Key("+15550001"), Key("+15550002")
	limit := ratelimit.Limit{Rate: 10, Burst: 1}
	same := func(sc ratelimit.Scale) ratelimit.Scale { return sc }
	if got := rescale(t, s, key, same); got.Fraction() != 1 || !got.CutAt.IsZero() {
		t.Fatalf("scale of a new key = %+v, want the full rate", got)
	}
	steps := []struct {
		name   string
		change func(ratelimit.Scale) ratelimit.Scale
		want   ratelimit.Scale
		ats    []time.Duration // the next reservations, from T0
	}{
		{"full", same, ratelimit.Scale{Factor: 1}, []time.Duration{0, ms(100)}},
		{"halved", setFactor(0.5, T0), ratelimit.Scale{Factor: 0.5, CutAt: T0}, []time.Duration{ms(200), ms(400), ms(600)}},
		{"above full", setFactor(7, T0), ratelimit.Scale{Factor: 1, CutAt: T0}, []time.Duration{ms(800), ms(900)}},
		{"below the floor", setFactor(0.001, T0), ratelimit.Scale{Factor: ratelimit.MinFactor, CutAt: T0}, []time.Duration{ms(1000), ms(2000)}},
		{"unset", setFactor(0, time.Time{}), ratelimit.Scale{Factor: 1}, []time.Duration{ms(3000), ms(3100)}},
	}
	for _, st := range steps {
		got := rescale(t, s, key, st.change)
		if !got.Equal(st.want) {
			t.Fatalf("%s: Rescale = %+v, want %+v", st.name, got, st.want)
		}
		for i, want := range st.ats {
			at, applied, err := s.ReserveScaled(ctx, key, limit, 1)
			if err != nil {
				t.Fatal(err)
			}
			if !at.Equal(T0.Add(want)) || !applied.Equal(st.want) {
				t.Fatalf("%s: reservation %d at %s under %+v, want %s under %+v", st.name, i, at.Sub(T0), applied, want, st.want)
			}
		}
	}
	if at, applied, err := s.ReserveScaled(ctx, other, limit, 1); err != nil || !at.Equal(T0) || applied.Fraction() != 1 {
		t.Errorf("another key: at %s under %+v (%v), want at once at the full rate", at.Sub(T0), applied, err)
	}
	if _, err := s.Rescale(ctx, ratelimit.Key{Channel: parley.ChannelSMS}, same); parley.ErrorCode(err) != parley.EINVALID {
		t.Errorf("Rescale without an account = %v, want %s", err, parley.EINVALID)
	}
}

// gaps reserves count single tokens for key through l, each once the clock
// has reached the one before, and returns the gaps between them.
func gaps(t *testing.T, l ratelimit.Limiter, clock *Clock, key ratelimit.Key, limit ratelimit.Limit, count int) []time.Duration {
	t.Helper()
	var out []time.Duration
	prev := reserve(t, l, key, limit, 1)
	for range count - 1 {
		clock.Set(prev)
		at := reserve(t, l, key, limit, 1)
		out = append(out, at.Sub(prev))
		prev = at
	}
	clock.Set(prev)
	return out
}

func wantGaps(t *testing.T, what string, got []time.Duration, want time.Duration) {
	t.Helper()
	for i, g := range got {
		if g != want {
			t.Fatalf("%s: gap %d is %s, want %s (all: %v)", what, i, g, want, got)
		}
	}
}

func throttled(t *testing.T, a *ratelimit.Adaptive, key ratelimit.Key) {
	t.Helper()
	if err := a.Throttled(context.Background(), key); err != nil {
		t.Fatalf("Throttled: %v", err)
	}
}

func testAdaptive(t *testing.T, a *ratelimit.Adaptive, _ ratelimit.Scaler, clock *Clock) {
	ctx := context.Background()
	key := Key("+15550001")
	limit := ratelimit.Limit{Rate: 10, Burst: 1}
	T := slot(limit.Rate)
	// After a change, the first gap checked may still have the old slot
	// length, as it has in a process that has not yet seen the change.
	wantGaps(t, "configured", gaps(t, a, clock, key, limit, 3), T)
	throttled(t, a, key)
	wantGaps(t, "one cut", gaps(t, a, clock, key, limit, 4)[1:], 2*T)
	throttled(t, a, key) // within Cooldown of the first: ignored
	wantGaps(t, "cut again at once", gaps(t, a, clock, key, limit, 3), 2*T)
	for range 5 {
		clock.Advance(ratelimit.Cooldown)
		throttled(t, a, key)
	}
	wantGaps(t, "at the floor", gaps(t, a, clock, key, limit, 4)[1:], time.Duration(float64(T)/ratelimit.MinFactor))

	// Regain the configured rate by sending successfully.
	start := clock.Now()
	prev := reserve(t, a, key, limit, 1)
	var regained time.Duration
	for i := 0; regained == 0; i++ {
		if i == 2000 {
			t.Fatalf("the rate was not regained after %d sends", i)
		}
		clock.Set(prev)
		if err := a.OK(ctx, key); err != nil {
			t.Fatal(err)
		}
		at := reserve(t, a, key, limit, 1)
		switch gap := at.Sub(prev); {
		case gap < T:
			t.Fatalf("gap %s after %s of climbing: above the configured rate", gap, prev.Sub(start))
		case gap == T:
			regained = prev.Sub(start)
		}
		prev = at
	}
	t.Logf("regained the configured rate from the floor after %s of sending", regained)
	if regained > ratelimit.Climb+2*time.Second {
		t.Errorf("regained the configured rate from the floor after %s of sending, want about %s", regained, 9*ratelimit.Climb/10)
	}
	clock.Set(prev)
	for range 20 {
		if err := a.OK(ctx, key); err != nil {
			t.Fatal(err)
		}
	}
	wantGaps(t, "regained", gaps(t, a, clock, key, limit, 5), T)
}

// testAdaptiveShared has a second Adaptive, as in another process, share
// a's Scaler.
func testAdaptiveShared(t *testing.T, a *ratelimit.Adaptive, s ratelimit.Scaler, clock *Clock) {
	one, two := a, ratelimit.NewAdaptive(s, clock)
	key := Key("+15550001")
	limit := ratelimit.Limit{Rate: 10, Burst: 1}
	T := slot(limit.Rate)
	wantGaps(t, "configured", gaps(t, two, clock, key, limit, 3), T)
	throttled(t, one, key)
	wantGaps(t, "cut by the other", gaps(t, two, clock, key, limit, 4)[1:], 2*T)
}
