package ratelimit_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/ratelimit"
	"github.com/parleyhq/parley/internal/ratelimit/local"
)

// TestReserveSlots checks that a reservation of n slots hands them out as n
// single reservations would: the burst at once, then one step apart, and a
// following reservation after the last.
func TestReserveSlots(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	step := 100 * time.Millisecond
	key := ratelimit.Key{AccountID: "a", Channel: parley.ChannelSMS, Sender: "+12025550100"}
	for _, tc := range []struct {
		name  string
		burst int
		sizes []int
		want  [][]time.Duration // offsets from t0 per reservation
	}{
		{"even pacing", 1, []int{5, 3}, [][]time.Duration{{0, step, 2 * step, 3 * step, 4 * step}, {5 * step, 6 * step, 7 * step}}},
		{"burst first", 3, []int{5}, [][]time.Duration{{0, 0, 0, step, 2 * step}}},
		{"single", 1, []int{1, 1}, [][]time.Duration{{0}, {step}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := parley.ClockFunc(func() time.Time { return t0 })
			l := ratelimit.NewAdaptive(local.New(clock), clock)
			for i, n := range tc.sizes {
				slots, err := l.ReserveSlots(t.Context(), key, ratelimit.Limit{Rate: 10, Burst: tc.burst}, n)
				if err != nil {
					t.Fatal(err)
				}
				if slots.Len() != n {
					t.Fatalf("Len = %d, want %d", slots.Len(), n)
				}
				for j, off := range tc.want[i] {
					if got := slots.At(j); !got.Equal(t0.Add(off)) {
						t.Errorf("reservation %d slot %d at +%s, want +%s", i, j, got.Sub(t0), off)
					}
				}
			}
		})
	}
}

func TestCheckSlots(t *testing.T) {
	key := ratelimit.Key{AccountID: "a", Channel: parley.ChannelSMS}
	limit := ratelimit.Limit{Rate: 10, Burst: 1}
	for _, tc := range []struct {
		n    int
		want string
	}{{1, ""}, {10, ""}, {ratelimit.MaxSlots, ""}, {0, parley.EINVALID}, {ratelimit.MaxSlots + 1, parley.EINVALID}} {
		err := ratelimit.CheckSlots(key, limit, tc.n)
		if got := code(err); got != tc.want {
			t.Errorf("CheckSlots(n=%d) = %v, want code %q", tc.n, err, tc.want)
		}
	}
	if err := ratelimit.Check(key, limit, 2); parley.ErrorCode(err) != parley.EINVALID {
		t.Errorf("Check(n=2, burst 1) = %v: a reservation sent at once may not exceed the burst", err)
	}
}

func code(err error) string {
	if err == nil {
		return ""
	}
	return parley.ErrorCode(err)
}

// TestGate checks that a gate admits the burst, then one call per slot,
// and names the wait of a refused call.
func TestGate(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	now := t0
	clock := parley.ClockFunc(func() time.Time { return now })
	g := &ratelimit.Gate{Limiter: local.New(clock), Limit: ratelimit.Limit{Rate: 10, Burst: 10}, Clock: clock, Name: "campaign-create"}
	for i := range 10 {
		if err := g.Admit(t.Context(), "acct1"); err != nil {
			t.Fatalf("call %d of the burst refused: %v", i+1, err)
		}
	}
	err := g.Admit(t.Context(), "acct1")
	var pe *parley.Error
	if !errors.As(err, &pe) || pe.Code != parley.ETOOMANY || pe.RetryAfter != 100*time.Millisecond {
		t.Fatalf("11th call at once = %v; want ETOOMANY with a 100ms wait", err)
	}
	if err := g.Admit(t.Context(), "acct2"); err != nil {
		t.Fatalf("another account shares the budget: %v", err)
	}
	now = now.Add(time.Second)
	if err := g.Admit(t.Context(), "acct1"); err != nil {
		t.Fatalf("after a second's wait: %v", err)
	}
}

func TestSlotsFollowing(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	clock := parley.ClockFunc(func() time.Time { return now })
	a := ratelimit.NewAdaptive(local.New(clock), clock)
	key, limit := ratelimit.Key{AccountID: "a", Channel: parley.ChannelSMS}, ratelimit.Limit{Rate: 1, Burst: 1}
	s, err := a.ReserveSlotsWithin(context.Background(), key, limit, 3, time.Hour)
	if err != nil || s.Len() != 3 {
		t.Fatalf("ReserveSlotsWithin = %d slots, %v", s.Len(), err)
	}
	if got := s.Following(); !got.Equal(now.Add(3 * time.Second)) {
		t.Errorf("Following() = %s after now, want 3s", got.Sub(now))
	}
	none, err := a.ReserveSlotsWithin(context.Background(), key, limit, 1, time.Second)
	if err != nil || none.Len() != 0 || !none.Following().IsZero() {
		t.Errorf("a refused reservation: %d slots, following %s, %v; want none and the zero time", none.Len(), none.Following(), err)
	}
}
