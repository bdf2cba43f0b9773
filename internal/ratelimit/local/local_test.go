package local_test

import (
	"testing"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/ratelimit"
	"github.com/parleyhq/parley/internal/ratelimit/local"
	"github.com/parleyhq/parley/internal/ratelimit/ratelimittest"
)

func TestContract(t *testing.T) {
	ratelimittest.Run(t, func(_ *testing.T, clock parley.Clock) ratelimit.Limiter {
		return local.New(clock)
	})
}

// BenchmarkDispatch measures 8 dispatchers sharing one limiter in real time
// for ratelimittest.BenchDuration (PARLEY_RATELIMIT_BENCH_DURATION, 30 s by
// default).
func BenchmarkDispatch(b *testing.B) {
	cases := []struct {
		name  string
		limit ratelimit.Limit
	}{
		{"default", ratelimit.Limit{Rate: ratelimit.DefaultRate, Burst: ratelimit.DefaultBurst}},
		{"rate100-burst10", ratelimit.Limit{Rate: 100, Burst: 10}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			l := local.New(parley.SystemClock{})
			ratelimittest.Dispatch(b, func(int) ratelimit.Limiter { return l }, c.limit, ratelimittest.BenchDuration(b))
		})
	}
}

func TestContractAdaptive(t *testing.T) {
	ratelimittest.RunAdaptive(t, func(_ *testing.T, clock parley.Clock) ratelimit.Scaler {
		return local.New(clock)
	})
}

func TestContractAdmitter(t *testing.T) {
	ratelimittest.RunAdmitter(t, func(_ *testing.T, clock parley.Clock) ratelimit.Admitter {
		return local.New(clock)
	})
}
