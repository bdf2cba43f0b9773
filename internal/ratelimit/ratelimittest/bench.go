package ratelimittest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/ratelimit"
)

// Dispatchers is how many concurrent dispatchers Dispatch runs.
const Dispatchers = 8

// BenchDurationEnv names the environment variable, a Go duration, that sets
// how long Dispatch runs; unset, it runs DefaultBenchDuration.
const BenchDurationEnv = "PARLEY_RATELIMIT_BENCH_DURATION"

// DefaultBenchDuration is how long Dispatch runs by default.
const DefaultBenchDuration = 30 * time.Second

// BenchDuration returns how long Dispatch is to run, from BenchDurationEnv.
func BenchDuration(b *testing.B) time.Duration {
	v := os.Getenv(BenchDurationEnv)
	if v == "" {
		return DefaultBenchDuration
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		b.Fatalf("%s=%q: want a positive Go duration such as 30s", BenchDurationEnv, v)
	}
	return d
}

// Dispatch has Dispatchers goroutines send on one key for d of wall time,
// each waiting for its token through ratelimit.Wait on limiter(i), the
// limiter of dispatcher i; then it reports:
//
//	sends/s          the steady rate: sends after the initial burst over the time from the first to the last
//	err%             that rate's error against limit.Rate, in percent
//	max/1s           the most sends in any one-second window, timed when the dispatchers woke
//	reserved-max/1s  the same over the instants the limiter reserved
//	bound/1s         limit.Rate + limit.Burst, what the limiter promises for a window
//	lag-p99-ms       how late after its reserved instant a dispatcher woke, 99th percentile
//	lag-max-ms       the same at most
//
// It returns the reservations made, slots left unused at the end included.
func Dispatch(b *testing.B, limiter func(i int) ratelimit.Limiter, limit ratelimit.Limit, d time.Duration) int {
	var (
		run   *dispatchRun
		total int
		iter  int
	)
	for b.Loop() {
		iter++
		run = dispatch(b, limiter, Key(fmt.Sprintf("bench-%d", iter)), limit, d)
		total += run.reservations
	}
	run.report(b, limit)
	return total
}

// dispatchRun is what one run recorded.
type dispatchRun struct {
	mu           sync.Mutex
	sent         []time.Time     // when each dispatcher woke to send
	reserved     []time.Time     // the instant reserved for each send
	lags         []time.Duration // how late each dispatcher woke
	reservations int
}

func dispatch(b *testing.B, limiter func(i int) ratelimit.Limiter, key ratelimit.Key, limit ratelimit.Limit, d time.Duration) *dispatchRun {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var (
		run          = &dispatchRun{}
		wg           sync.WaitGroup
		reservations atomic.Int64
	)
	for i := range Dispatchers {
		r := &recorder{Limiter: limiter(i), count: &reservations}
		wg.Go(func() {
			for {
				err := ratelimit.Wait(ctx, r, key, limit, 1)
				switch {
				case errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil:
					return
				case err != nil:
					b.Error(err)
					return
				}
				run.record(r.at, time.Now())
			}
		})
	}
	wg.Wait()
	run.reservations = int(reservations.Load())
	return run
}

// recorder is a dispatcher's limiter that remembers its last reservation.
type recorder struct {
	ratelimit.Limiter
	count *atomic.Int64
	at    time.Time
}

func (r *recorder) Reserve(ctx context.Context, key ratelimit.Key, limit ratelimit.Limit, n int) (time.Time, error) {
	at, err := r.Limiter.Reserve(ctx, key, limit, n)
	if err == nil {
		r.count.Add(1)
		r.at = at
	}
	return at, err
}

func (run *dispatchRun) record(reserved, sent time.Time) {
	run.mu.Lock()
	defer run.mu.Unlock()
	run.reserved = append(run.reserved, reserved)
	run.sent = append(run.sent, sent)
	run.lags = append(run.lags, sent.Sub(reserved))
}

func (run *dispatchRun) report(b *testing.B, limit ratelimit.Limit) {
	slices.SortFunc(run.sent, time.Time.Compare)
	slices.SortFunc(run.reserved, time.Time.Compare)
	slices.Sort(run.lags)
	rate := 0.0
	if n := len(run.sent); n > limit.Burst {
		rate = float64(n-limit.Burst) / run.sent[n-1].Sub(run.sent[0]).Seconds()
	}
	b.ReportMetric(rate, "sends/s")
	b.ReportMetric(100*(rate-limit.Rate)/limit.Rate, "err%")
	b.ReportMetric(float64(maxInWindow(run.sent, time.Second)), "max/1s")
	b.ReportMetric(float64(maxInWindow(run.reserved, time.Second)), "reserved-max/1s")
	b.ReportMetric(limit.Rate+float64(limit.Burst), "bound/1s")
	if n := len(run.lags); n > 0 {
		b.ReportMetric(millis(run.lags[n*99/100]), "lag-p99-ms")
		b.ReportMetric(millis(run.lags[n-1]), "lag-max-ms")
	}
}

func millis(d time.Duration) float64 {
	return float64(d) / float64(time.Millisecond)
}

// maxInWindow returns the most of the sorted instants ts that fall in any
// window [t, t+w).
func maxInWindow(ts []time.Time, w time.Duration) int {
	best, j := 0, 0
	for i := range ts {
		for j < len(ts) && ts[j].Before(ts[i].Add(w)) {
			j++
		}
		best = max(best, j-i)
	}
	return best
}
