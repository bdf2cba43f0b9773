package httpapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/campaign"
	"github.com/parleyhq/parley/internal/heapwatch"
	"github.com/parleyhq/parley/internal/httpapi"
	"github.com/parleyhq/parley/internal/obs"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/storetest"
	"github.com/parleyhq/parley/internal/testworld"
)

// discard is a ResponseWriter that counts what it is sent and keeps none.
type discard struct {
	header http.Header
	bytes  int
	lines  int
}

func (d *discard) Header() http.Header { return d.header }
func (d *discard) WriteHeader(int)     {}
func (d *discard) Write(p []byte) (int, error) {
	d.bytes += len(p)
	for _, b := range p {
		if b == '\n' {
			d.lines++
		}
	}
	return len(p), nil
}

// BenchmarkRecipientsCSV downloads the recipients of a 10,000- and a
// 100,000-recipient campaign from the embedded store and reports rows/s
// and the peak live heap during the download above the live heap before
// it (peak-live-heap-MiB, sampled from runtime/metrics while the download
// runs; the many collections a download causes keep the sample current).
// Streamed page by page, it stays near one page of recipients whatever
// the campaign's size: compare the two figures.
func BenchmarkRecipientsCSV(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) { benchmarkRecipientsCSV(b, n) })
	}
}

func benchmarkRecipientsCSV(b *testing.B, n int) {
	s, q := testworld.Open(b)
	c, rs := storetest.Fixture("acct1", "big", n)
	if err := s.CreateCampaign(context.Background(), c, rs); err != nil {
		b.Fatal(err)
	}
	rs = nil
	clock := parley.ClockFunc(time.Now)
	srv := &httpapi.Server{Campaigns: &campaign.Service{Store: s, Queue: q, Log: obs.Discard(), Clock: clock}, Clock: clock, Log: obs.Discard()}
	h := srv.Handler()
	req := httptest.NewRequest("GET", "/api/v2/account/acct1/campaign/big/recipients.csv", nil)
	var peak uint64
	var rows int
	b.ReportAllocs()
	start := time.Now()
	for b.Loop() {
		w := &discard{header: http.Header{}}
		peak = max(peak, heapwatch.Peak(func() { h.ServeHTTP(w, req) }))
		if w.lines != n+1 {
			b.Fatalf("%d lines, want %d", w.lines, n+1)
		}
		rows += n
	}
	b.ReportMetric(float64(rows)/time.Since(start).Seconds(), "rows/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-live-heap-MiB")
}
