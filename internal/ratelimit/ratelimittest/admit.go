package ratelimittest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/ratelimit"
)

// RunAdmitter runs the contract suite of ratelimit.Admitter. newAdmitter
// returns an empty admitter on clock, which starts at T0 and moves only as
// the suite says.
func RunAdmitter(t *testing.T, newAdmitter func(t *testing.T, clock parley.Clock) ratelimit.Admitter) {
	cases := []struct {
		name string
		test func(*testing.T, ratelimit.Admitter, *Clock)
	}{
		{"RefusalsTakeNothing", testRefusalsTakeNothing},
		{"KeysIndependent", testAdmitKeys},
		{"Invalid", testAdmitInvalid},
		{"Concurrent", testAdmitConcurrent},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clock := NewClock(T0)
			c.test(t, newAdmitter(t, clock), clock)
		})
	}
}

func admit(t *testing.T, a ratelimit.Admitter, key ratelimit.Key, limit ratelimit.Limit) (bool, time.Time) {
	t.Helper()
	ok, at, err := a.Admit(context.Background(), key, limit, 1)
	if err != nil {
		t.Fatalf("Admit(%s, %+v): %v", key, limit, err)
	}
	return ok, at
}

// testRefusalsTakeNothing: a burst is admitted at once, the next call is
// refused with the instant its slot comes, however often it asks, and is
// admitted from that instant.
func testRefusalsTakeNothing(t *testing.T, a ratelimit.Admitter, clock *Clock) {
	limit := ratelimit.Limit{Rate: 10, Burst: 3}
	key := Key("api")
	for i := range limit.Burst {
		if ok, _ := admit(t, a, key, limit); !ok {
			t.Fatalf("call %d of a burst of %d refused", i+1, limit.Burst)
		}
	}
	ok, first := admit(t, a, key, limit)
	if ok || !first.Equal(T0.Add(slot(limit.Rate))) {
		t.Fatalf("the call after the burst: admitted %v, retry at %s; want refused until %s", ok, first, T0.Add(slot(limit.Rate)))
	}
	for i := range 20 {
		clock.Advance(ms(1))
		if ok, at := admit(t, a, key, limit); ok || !at.Equal(first) {
			t.Fatalf("refusal %d: admitted %v, retry at %s; want refused until %s, as the first", i+2, ok, at, first)
		}
	}
	clock.Set(first)
	if ok, _ := admit(t, a, key, limit); !ok {
		t.Fatalf("a call at its retry instant %s was refused", first)
	}
	if ok, at := admit(t, a, key, limit); ok || !at.Equal(first.Add(slot(limit.Rate))) {
		t.Errorf("the next call: admitted %v, retry at %s; want refused until %s", ok, at, first.Add(slot(limit.Rate)))
	}
}

func testAdmitKeys(t *testing.T, a ratelimit.Admitter, _ *Clock) {
	limit := ratelimit.Limit{Rate: 1, Burst: 1}
	for _, sender := range []string{"a", "b", "c"} {
		if ok, _ := admit(t, a, Key(sender), limit); !ok {
			t.Errorf("the first call of key %s was refused", sender)
		}
	}
	if ok, _ := admit(t, a, Key("a"), limit); ok {
		t.Error("the second call of key a was admitted within its slot")
	}
}

func testAdmitInvalid(t *testing.T, a ratelimit.Admitter, _ *Clock) {
	for _, tt := range []struct {
		key   ratelimit.Key
		limit ratelimit.Limit
		n     int
	}{
		{ratelimit.Key{Channel: "api"}, ratelimit.Limit{Rate: 1, Burst: 1}, 1},
		{Key("x"), ratelimit.Limit{Rate: 0, Burst: 1}, 1},
		{Key("x"), ratelimit.Limit{Rate: 1, Burst: 1}, 2},
	} {
		if _, _, err := a.Admit(context.Background(), tt.key, tt.limit, tt.n); parley.ErrorCode(err) != parley.EINVALID {
			t.Errorf("Admit(%s, %+v, %d) = %v, want EINVALID", tt.key, tt.limit, tt.n, err)
		}
	}
}

// testAdmitConcurrent: callers racing at one instant get exactly a burst.
func testAdmitConcurrent(t *testing.T, a ratelimit.Admitter, _ *Clock) {
	limit := ratelimit.Limit{Rate: 5, Burst: 4}
	var admitted atomic.Int32
	var wg sync.WaitGroup
	for range 24 {
		wg.Go(func() {
			ok, _, err := a.Admit(context.Background(), Key("race"), limit, 1)
			if err != nil {
				t.Error(err)
			}
			if ok {
				admitted.Add(1)
			}
		})
	}
	wg.Wait()
	if n := int(admitted.Load()); n != limit.Burst {
		t.Errorf("%d of 24 racing calls admitted, want the burst of %d", n, limit.Burst)
	}
}
