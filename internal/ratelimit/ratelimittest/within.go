package ratelimittest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/ratelimit"
)

// within is one bounded reservation of a sequence and what it should get;
// instants are offsets from T0.
type within struct {
	now, within time.Duration
	n           int
	ats         []time.Duration // the slots booked; none for a refusal
	next        time.Duration   // for a refusal: Slots.Next
}

func reserveWithin(t *testing.T, a *ratelimit.Adaptive, key ratelimit.Key, limit ratelimit.Limit, n int, d time.Duration) ratelimit.Slots {
	t.Helper()
	slots, err := a.ReserveSlotsWithin(context.Background(), key, limit, n, d)
	if err != nil {
		t.Fatalf("ReserveSlotsWithin(%s, %+v, %d, %s): %v", key, limit, n, d, err)
	}
	return slots
}

// offsets returns the instants of slots as offsets from T0.
func offsets(s ratelimit.Slots) []time.Duration {
	out := make([]time.Duration, s.Len())
	for i := range out {
		out[i] = s.At(i).Sub(T0)
	}
	return out
}

// testWithin checks that a bounded reservation books the slots that go
// within its bound and no more, and that one that fits none books nothing
// and says when to come back.
func testWithin(t *testing.T, a *ratelimit.Adaptive, s ratelimit.Scaler, clock *Clock) {
	cases := []struct {
		name  string
		limit ratelimit.Limit
		steps []within
	}{
		{"even pacing", ratelimit.Limit{Rate: 10, Burst: 1}, []within{
			{now: 0, within: ms(250), n: 5, ats: []time.Duration{0, ms(100), ms(200)}},
			{now: 0, within: ms(250), n: 5, next: ms(50)},                       // the next slot, at 300, is past the bound
			{now: ms(50), within: ms(250), n: 5, ats: []time.Duration{ms(300)}}, // exactly at the bound
			{now: ms(50), within: 0, n: 2, next: ms(400)},
			{now: ms(50), within: 10 * time.Second, n: 3, ats: []time.Duration{ms(400), ms(500), ms(600)}},
			{now: ms(50), within: ms(640), n: 1, next: ms(60)}, // refusals took nothing: the next slot is at 700
			{now: ms(60), within: ms(640), n: 4, ats: []time.Duration{ms(700)}},
		}},
		{"burst", ratelimit.Limit{Rate: 10, Burst: 3}, []within{
			{now: 0, within: ms(150), n: 10, ats: []time.Duration{0, 0, 0, ms(100)}},
			{now: 0, within: ms(150), n: 10, next: ms(50)}, // the next slot is at 200
			{now: ms(50), within: ms(150), n: 10, ats: []time.Duration{ms(200)}},
			{now: ms(5000), within: 0, n: 10, ats: []time.Duration{ms(5000), ms(5000), ms(5000)}}, // idle: the burst again
		}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			key := Key(fmt.Sprintf("+1555000%04d", i))
			for j, st := range tc.steps {
				clock.Set(T0.Add(st.now))
				slots := reserveWithin(t, a, key, tc.limit, st.n, st.within)
				if got := offsets(slots); !slices.Equal(got, st.ats) {
					t.Fatalf("step %d (%d slots within %s at %s): slots at %v, want %v", j, st.n, st.within, st.now, got, st.ats)
				}
				if got := slots.Next(); len(st.ats) == 0 && !got.Equal(T0.Add(st.next)) {
					t.Fatalf("step %d: refused until %s, want %s", j, got.Sub(T0), st.next)
				}
			}
		})
	}

	// The Scaler's refusal names the earliest first slot and books nothing.
	key, limit := Key("+15550100"), ratelimit.Limit{Rate: 10, Burst: 1}
	clock.Set(T0)
	reserveWithin(t, a, key, limit, 3, time.Minute) // slots at 0, 100 and 200
	for range 2 {
		last, k, _, err := s.ReserveScaledWithin(context.Background(), key, limit, 2, T0.Add(ms(250)))
		if err != nil || k != 0 || !last.Equal(T0.Add(ms(300))) {
			t.Fatalf("ReserveScaledWithin past the backlog = %d slots, first at %s (%v); want none, the first at 300ms", k, last.Sub(T0), err)
		}
	}
	if last, k, _, err := s.ReserveScaledWithin(context.Background(), key, limit, 2, T0.Add(ms(300))); err != nil || k != 1 || !last.Equal(T0.Add(ms(300))) {
		t.Fatalf("ReserveScaledWithin to the next slot = %d slots, the last at %s (%v); want 1 at 300ms", k, last.Sub(T0), err)
	}
}

// testWithinScaled checks that the bound counts slots at the rate in
// effect, and that the Scaler reports the scale it applied.
func testWithinScaled(t *testing.T, a *ratelimit.Adaptive, s ratelimit.Scaler, _ *Clock) {
	key, limit := Key("+15550001"), ratelimit.Limit{Rate: 10, Burst: 1}
	half := ratelimit.Scale{Factor: 0.5, CutAt: T0}
	rescale(t, s, key, setFactor(half.Factor, half.CutAt))
	slots := reserveWithin(t, a, key, limit, 5, ms(500))
	if got, want := offsets(slots), []time.Duration{0, ms(200), ms(400)}; !slices.Equal(got, want) {
		t.Fatalf("at half the rate: slots at %v, want %v", got, want)
	}
	last, k, applied, err := s.ReserveScaledWithin(context.Background(), key, limit, 5, T0.Add(ms(1000)))
	if err != nil || k != 3 || !last.Equal(T0.Add(ms(1000))) || !applied.Equal(half) {
		t.Fatalf("ReserveScaledWithin = %d slots, the last at %s, under %+v (%v); want 3, the last at 1s, under %+v", k, last.Sub(T0), applied, err, half)
	}
}

// testWithinConcurrent has 8 goroutines make bounded reservations of one
// key at once, on a frozen clock and on a moving one. Together they book
// the slots within the bound exactly once each and none past it.
func testWithinConcurrent(t *testing.T, a *ratelimit.Adaptive, _ ratelimit.Scaler, clock *Clock) {
	const goroutines, each, n = 8, 4, 5
	bound := time.Second
	limit := ratelimit.Limit{Rate: 20, Burst: 2}
	T := slot(limit.Rate)
	for i, moving := range []bool{false, true} {
		key := Key(fmt.Sprintf("+1555000%04d", i))
		if moving {
			clock.Set(T0)
			clock.Step(7 * time.Millisecond)
		}
		ats := gather(t, goroutines, each, func() ([]time.Time, error) {
			slots, err := a.ReserveSlotsWithin(context.Background(), key, limit, n, bound)
			if err != nil {
				return nil, fmt.Errorf("ReserveSlotsWithin: %w", err)
			}
			after := clock.Now()
			var got []time.Time
			for j := range slots.Len() {
				if at := slots.At(j); at.After(after.Add(bound)) {
					t.Errorf("slot at %s, past the bound %s of a reservation made by %s", at.Sub(T0), bound, after.Sub(T0))
				}
				got = append(got, slots.At(j))
			}
			return got, nil
		})
		if moving {
			// Slots.At puts a reservation's slots no earlier than the
			// clock read after it, which on a moving clock crowds them
			// by the clock's steps: only the bound is checked.
			if most := int(clock.Now().Add(bound).Sub(T0)/T) + limit.Burst; len(ats) > most {
				t.Errorf("%d slots booked, where at most %d go within the bounds", len(ats), most)
			}
			continue
		}
		CheckBound(t, ats, limit)
		// Slot j goes at max(0, j−1)·T: 22 of them within one second.
		fit := int(bound/T) + limit.Burst
		if len(ats) != fit {
			t.Errorf("%d slots booked within %s, want %d", len(ats), bound, fit)
		}
		for j, at := range ats {
			if want := T0.Add(time.Duration(max(0, j-limit.Burst+1)) * T); !at.Equal(want) {
				t.Fatalf("slot %d of %d at %s, want %s: slots double-booked or skipped", j, len(ats), at.Sub(T0), want.Sub(T0))
			}
		}
		next, err := a.ReserveSlots(context.Background(), key, limit, 1)
		if want := T0.Add(time.Duration(fit-limit.Burst+1) * T); err != nil || !next.At(0).Equal(want) {
			t.Errorf("the next reservation at %s (%v), want %s: refusals booked slots", next.At(0).Sub(T0), err, want.Sub(T0))
		}
	}
}

func testWithinInvalid(t *testing.T, a *ratelimit.Adaptive, _ ratelimit.Scaler, _ *Clock) {
	good := ratelimit.Limit{Rate: 10, Burst: 2}
	cases := []struct {
		name   string
		limit  ratelimit.Limit
		n      int
		within time.Duration
		field  string
	}{
		{"no slots", good, 0, time.Second, "n"},
		{"too many slots", good, ratelimit.MaxSlots + 1, time.Second, "n"},
		{"negative bound", good, 1, -time.Nanosecond, "within"},
		{"zero rate", ratelimit.Limit{Burst: 1}, 1, time.Second, "limit.rate"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := a.ReserveSlotsWithin(context.Background(), Key("s"), tc.limit, tc.n, tc.within)
			if parley.ErrorCode(err) != parley.EINVALID || parley.ErrorField(err) != tc.field {
				t.Errorf("ReserveSlotsWithin = %v, want %s on %s", err, parley.EINVALID, tc.field)
			}
		})
	}
}
