// Package heapwatch measures the peak live heap of a piece of work, for
// benchmarks that report how much memory a streamed operation holds.
package heapwatch

import (
	"runtime"
	"runtime/metrics"
	"sync"
	"time"
)

const liveHeap = "/gc/heap/live:bytes"

// Live is the live heap as of the latest collection: what the program
// retains, not the garbage the collector's pacing lets accumulate between
// collections.
func Live() uint64 {
	s := []metrics.Sample{{Name: liveHeap}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// Peak runs fn and returns the largest live heap seen while it ran above
// the live heap before it, sampling Live every 200 µs. The many
// collections a large operation causes keep the sample current.
func Peak(fn func()) uint64 {
	runtime.GC()
	base := Live()
	var (
		stop = make(chan struct{})
		done sync.WaitGroup
		peak uint64
	)
	done.Add(1)
	go func() {
		defer done.Done()
		t := time.NewTicker(200 * time.Microsecond)
		defer t.Stop()
		for {
			peak = max(peak, Live())
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	fn()
	close(stop)
	done.Wait()
	peak = max(peak, Live())
	return peak - min(base, peak)
}
