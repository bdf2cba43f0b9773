package ratelimit_test

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/ratelimit"
	"github.com/parleyhq/parley/internal/ratelimit/ratelimittest"
)

func TestFraction(t *testing.T) {
	cases := []struct {
		factor, want float64
	}{
		{0, 1}, {-1, 1}, {math.NaN(), 1}, {math.Inf(1), 1}, {2, 1}, {1, 1},
		{0.5, 0.5}, {0.1, 0.1}, {0.05, ratelimit.MinFactor}, {math.SmallestNonzeroFloat64, ratelimit.MinFactor},
	}
	for _, tc := range cases {
		s := ratelimit.Scale{Factor: tc.factor}
		if got := s.Fraction(); got != tc.want {
			t.Errorf("Scale{%g}.Fraction() = %g, want %g", tc.factor, got, tc.want)
		}
		if got := s.Clamped(); got.Factor != tc.want || !got.Equal(s) {
			t.Errorf("Scale{%g}.Clamped() = %+v, want factor %g and Equal", tc.factor, got, tc.want)
		}
	}
	t0 := ratelimittest.T0
	if (ratelimit.Scale{Factor: 0.5, CutAt: t0}).Equal(ratelimit.Scale{Factor: 0.5}) {
		t.Error("scales cut at different times are Equal")
	}
}

func TestInterval(t *testing.T) {
	cases := []struct {
		rate float64
		want time.Duration
	}{
		{10, 100 * time.Millisecond},
		{3, 333333333},
		{0.5, 2 * time.Second},
		{ratelimit.MinRate, time.Hour},
		{ratelimit.MaxRate, time.Microsecond},
		{1e12, 1}, // never zero
	}
	for _, tc := range cases {
		if got := ratelimit.Interval(tc.rate); got != tc.want {
			t.Errorf("Interval(%g) = %s, want %s", tc.rate, got, tc.want)
		}
	}
}

func TestBook(t *testing.T) {
	now := ratelimittest.T0
	ms := func(n int) time.Time { return now.Add(time.Duration(n) * time.Millisecond) }
	half := ratelimit.Scale{Factor: 0.5}
	cases := []struct {
		name        string
		limit       ratelimit.Limit
		scale       ratelimit.Scale
		tat         time.Time
		n           int
		wantTAT, at time.Time
	}{
		{"new key", ratelimit.Limit{Rate: 10, Burst: 1}, ratelimit.Scale{}, time.Time{}, 1, ms(100), now},
		{"idle key", ratelimit.Limit{Rate: 10, Burst: 1}, ratelimit.Scale{}, now.Add(-time.Hour), 1, ms(100), now},
		{"backlogged", ratelimit.Limit{Rate: 10, Burst: 1}, ratelimit.Scale{}, ms(500), 1, ms(600), ms(500)},
		{"within the burst", ratelimit.Limit{Rate: 10, Burst: 3}, ratelimit.Scale{}, ms(200), 1, ms(300), now},
		{"past the burst", ratelimit.Limit{Rate: 10, Burst: 3}, ratelimit.Scale{}, ms(300), 1, ms(400), ms(100)},
		{"whole burst at once", ratelimit.Limit{Rate: 10, Burst: 5}, ratelimit.Scale{}, now, 5, ms(500), now},
		{"tokens past the burst", ratelimit.Limit{Rate: 10, Burst: 5}, ratelimit.Scale{}, ms(100), 5, ms(600), ms(100)},
		{"halved", ratelimit.Limit{Rate: 10, Burst: 1}, half, ms(500), 1, ms(700), ms(500)},
		// The tolerance stays in configured slots: a cut never widens the burst.
		{"halved within the burst", ratelimit.Limit{Rate: 10, Burst: 3}, half, ms(200), 1, ms(400), now},
		{"halved past the burst", ratelimit.Limit{Rate: 10, Burst: 3}, half, ms(400), 1, ms(600), ms(200)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tat, at := ratelimit.NewSchedule(tc.limit, tc.scale).Book(tc.tat, now, tc.n)
			if !tat.Equal(tc.wantTAT) || !at.Equal(tc.at) {
				t.Errorf("Book = TAT %s, at %s; want %s, %s", tat.Sub(now), at.Sub(now), tc.wantTAT.Sub(now), tc.at.Sub(now))
			}
		})
	}
}

// TestBookWithin checks the bounded booking against worked cases at 10 per
// second, and on each that it is the largest that fits: k slots go by
// until, k+1 would not, and the start lies within Latest of k slots but not
// of k+1.
func TestBookWithin(t *testing.T) {
	now := ratelimittest.T0
	ms := func(n int) time.Time { return now.Add(time.Duration(n) * time.Millisecond) }
	half := ratelimit.Scale{Factor: 0.5}
	even, burst := ratelimit.Limit{Rate: 10, Burst: 1}, ratelimit.Limit{Rate: 10, Burst: 3}
	cases := []struct {
		name        string
		limit       ratelimit.Limit
		scale       ratelimit.Scale
		tat, until  time.Time
		n, k        int
		wantTAT, at time.Time
	}{
		{"new key, more than fit", even, ratelimit.Scale{}, time.Time{}, ms(250), 5, 3, ms(300), ms(200)},
		{"idle key, bound at now", even, ratelimit.Scale{}, now.Add(-time.Hour), now, 5, 1, ms(100), now},
		{"all fit", even, ratelimit.Scale{}, time.Time{}, ms(10000), 5, 5, ms(500), ms(400)},
		{"backlog exactly at the bound", even, ratelimit.Scale{}, ms(500), ms(500), 3, 1, ms(600), ms(500)},
		{"backlog past the bound", even, ratelimit.Scale{}, ms(501), ms(500), 3, 0, ms(501), ms(501)},
		{"burst first", burst, ratelimit.Scale{}, time.Time{}, ms(150), 10, 4, ms(400), ms(100)},
		{"burst, backlogged", burst, ratelimit.Scale{}, ms(300), ms(150), 10, 1, ms(400), ms(100)},
		{"burst, backlogged past the bound", burst, ratelimit.Scale{}, ms(351), ms(150), 10, 0, ms(351), ms(151)},
		{"halved", even, half, time.Time{}, ms(500), 5, 3, ms(600), ms(400)},
		// The tolerance stays in configured slots under a cut.
		{"halved with a burst", burst, half, time.Time{}, now, 5, 2, ms(400), now},
		{"until before now", even, ratelimit.Scale{}, time.Time{}, now.Add(-1), 5, 0, time.Time{}, now},
		{"until before now, backlogged", even, ratelimit.Scale{}, ms(300), ms(-1), 5, 0, ms(300), ms(300)},
		{"unbounded", ratelimit.Limit{Rate: ratelimit.MinRate, Burst: 1}, ratelimit.Scale{Factor: ratelimit.MinFactor}, now.Add(time.Hour), ratelimit.Unbounded,
			ratelimit.MaxSlots, ratelimit.MaxSlots, now.Add(time.Hour + 10*ratelimit.MaxSlots*time.Hour), now.Add(time.Hour + 10*(ratelimit.MaxSlots-1)*time.Hour)},
		{"unbounded, widest burst", ratelimit.Limit{Rate: ratelimit.MinRate, Burst: ratelimit.MaxBurst}, ratelimit.Scale{}, time.Time{}, ratelimit.Unbounded,
			ratelimit.MaxSlots, ratelimit.MaxSlots, now.Add(ratelimit.MaxSlots * time.Hour), now},
		{"past Unbounded", even, ratelimit.Scale{}, time.Time{}, ratelimit.Unbounded.Add(time.Hour), 2, 2, ms(200), ms(100)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sch := ratelimit.NewSchedule(tc.limit, tc.scale)
			tat, at, k := sch.BookWithin(tc.tat, now, tc.until, tc.n)
			if k != tc.k || !tat.Equal(tc.wantTAT) || !at.Equal(tc.at) {
				t.Fatalf("BookWithin = %d slots, TAT %s, at %s; want %d, %s, %s", k, tat.Sub(now), at.Sub(now), tc.k, tc.wantTAT.Sub(now), tc.at.Sub(now))
			}
			checkWithin(t, sch, tc.tat, now, tc.until, tc.n)
		})
	}
}

// checkWithin checks that BookWithin booked the most slots that fit: k
// slots go by until and agree with Book, k+1 would not go by it, the start
// lies within Latest of k slots and not of k+1, and a refusal books
// nothing.
func checkWithin(t *testing.T, sch ratelimit.Schedule, tat, now, until time.Time, n int) {
	t.Helper()
	newTAT, at, k := sch.BookWithin(tat, now, until, n)
	if got := sch.Fit(tat, now, until, n); got != k || k < 0 || k > n {
		t.Errorf("Fit = %d, BookWithin booked %d of %d", got, k, n)
	}
	start := later(tat, now)
	if k == 0 {
		if !newTAT.Equal(tat) {
			t.Errorf("a refusal moved the TAT from %s to %s", tat, newTAT)
		}
		if _, first := sch.Book(tat, now, 1); !at.Equal(first) {
			t.Errorf("refused until %s, the first slot goes at %s", at, first)
		}
	} else {
		if at.After(until) {
			t.Errorf("the last slot goes at %s, after until %s", at, until)
		}
		if wantTAT, want := sch.Book(tat, now, k); !at.Equal(want) || !newTAT.Equal(wantTAT) {
			t.Errorf("TAT %s, at %s; Book of %d slots says %s, %s", newTAT, at, k, wantTAT, want)
		}
		if start.After(sch.Latest(until, k)) {
			t.Errorf("start %s after Latest(until, %d) = %s", start, k, sch.Latest(until, k))
		}
	}
	if k < n && !until.Before(now) {
		if _, next := sch.Book(tat, now, k+1); !next.After(until) {
			t.Errorf("%d slots fit (the last at %s, until %s), only %d booked", k+1, next, until, k)
		}
		if !start.After(sch.Latest(until, k+1)) {
			t.Errorf("start %s within Latest(until, %d) = %s", start, k+1, sch.Latest(until, k+1))
		}
	}
}

// FuzzBookWithin checks checkWithin's promises on any valid limit, scale,
// backlog, bound and number of slots.
func FuzzBookWithin(f *testing.F) {
	f.Add(10.0, uint16(1), 0.0, int64(0), int64(250e6), uint16(5))
	f.Add(10.0, uint16(3), 0.5, int64(300e6), int64(150e6), uint16(10))
	f.Add(ratelimit.MinRate, uint16(ratelimit.MaxBurst), ratelimit.MinFactor, int64(-1), int64(-1), uint16(ratelimit.MaxSlots))
	f.Add(ratelimit.MaxRate, uint16(2), 0.73, int64(1e9), int64(1e9+1), uint16(999))
	f.Fuzz(func(t *testing.T, rate float64, burst uint16, factor float64, backlog, bound int64, n uint16) {
		limit := ratelimit.Limit{Rate: rate, Burst: int(burst)}
		if ratelimit.CheckSlots(ratelimit.Key{AccountID: "a", Channel: parley.ChannelSMS}, limit, int(n)) != nil {
			return
		}
		now := ratelimittest.T0
		tat := now.Add(time.Duration(backlog)) // before now: an idle key
		until := now.Add(time.Duration(bound))
		if bound == -1 {
			until = ratelimit.Unbounded
		}
		checkWithin(t, ratelimit.NewSchedule(limit, ratelimit.Scale{Factor: factor}), tat, now, until, int(n))
	})
}

func TestCheck(t *testing.T) {
	good := ratelimit.Limit{Rate: 10, Burst: 2}
	key := ratelimit.Key{AccountID: "acct1", Channel: parley.ChannelSMS, Sender: "+15550001"}
	cases := []struct {
		name  string
		key   ratelimit.Key
		limit ratelimit.Limit
		n     int
		field string
	}{
		{"valid", key, good, 2, ""},
		{"any sender", ratelimit.Key{AccountID: "a", Channel: "c", Sender: "#x#"}, good, 1, ""},
		{"bounds", key, ratelimit.Limit{Rate: ratelimit.MinRate, Burst: ratelimit.MaxBurst}, ratelimit.MaxBurst, ""},
		{"top rate", key, ratelimit.Limit{Rate: ratelimit.MaxRate, Burst: 1}, 1, ""},
		{"no account", ratelimit.Key{Channel: "sms"}, good, 1, "key.accountId"},
		{"channel with #", ratelimit.Key{AccountID: "a", Channel: "s#s"}, good, 1, "key.channel"},
		{"below the lowest rate", key, ratelimit.Limit{Rate: ratelimit.MinRate / 2, Burst: 1}, 1, "limit.rate"},
		{"above the top rate", key, ratelimit.Limit{Rate: ratelimit.MaxRate * 2, Burst: 1}, 1, "limit.rate"},
		{"negative burst", key, ratelimit.Limit{Rate: 1, Burst: -1}, 1, "limit.burst"},
		{"negative tokens", key, good, -1, "n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := ratelimit.Check(tc.key, tc.limit, tc.n)
			switch {
			case tc.field == "" && err != nil:
				t.Errorf("Check = %v, want nil", err)
			case tc.field != "" && (parley.ErrorCode(err) != parley.EINVALID || parley.ErrorField(err) != tc.field):
				t.Errorf("Check = %v, want %s on %s", err, parley.EINVALID, tc.field)
			}
		})
	}
}

// FuzzSchedule books a sequence of reservations, each op moving the clock,
// choosing how many tokens and sometimes changing the scale, and checks the
// limiter's promises: no reservation goes before now or before the one
// booked ahead of it, the TAT advances by exactly the tokens' cost, and no
// interval carries more tokens than ⌊w/T⌋ + Burst at the configured T.
func FuzzSchedule(f *testing.F) {
	f.Add(10.0, uint8(1), []byte{0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add(3.0, uint8(3), []byte{0, 2, 0, 9, 1, 3, 0, 0, 1, 200, 4, 0, 1, 1, 2})
	f.Add(0.5, uint8(5), []byte{255, 4, 1, 0, 4, 2, 3, 4, 3, 0, 0, 0})
	f.Add(250.0, uint8(16), []byte{1, 15, 0, 1, 15, 4, 2, 15, 1, 0, 7, 3})
	f.Fuzz(func(t *testing.T, rate float64, burst uint8, ops []byte) {
		limit := ratelimit.Limit{Rate: rate, Burst: int(burst%16) + 1}
		key := ratelimit.Key{AccountID: "a", Channel: parley.ChannelSMS}
		if ratelimit.Check(key, limit, 1) != nil || len(ops) > 3*64 {
			return
		}
		factors := []float64{1, 0.5, 0.25, ratelimit.MinFactor, 0.73, 0}
		T := ratelimit.Interval(rate)
		now, tat, prev := ratelimittest.T0, time.Time{}, time.Time{}
		scale := ratelimit.Scale{}
		var tokens []time.Time
		for chunk := range slices.Chunk(ops, 3) {
			var op [3]byte
			copy(op[:], chunk)
			now = now.Add(time.Duration(op[0]) * T / 8)
			n := int(op[1])%limit.Burst + 1
			if op[2] < byte(len(factors)) {
				scale.Factor = factors[op[2]]
			}
			sch := ratelimit.NewSchedule(limit, scale)
			newTAT, at := sch.Book(tat, now, n)
			if start := later(tat, now); newTAT.Sub(start) != sch.Cost(n) {
				t.Fatalf("TAT moved from %s by %s, want %s", start, newTAT.Sub(start), sch.Cost(n))
			}
			if at.Before(now) || at.Before(prev) {
				t.Fatalf("reservation at %s, before now %s or the one before %s", at, now, prev)
			}
			tat, prev = newTAT, at
			for range n {
				tokens = append(tokens, at)
			}
		}
		ratelimittest.CheckBound(t, tokens, limit)
	})
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
