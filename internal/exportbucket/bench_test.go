package exportbucket_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/campaign"
	"github.com/parleyhq/parley/internal/exportbucket"
	"github.com/parleyhq/parley/internal/heapwatch"
	"github.com/parleyhq/parley/internal/httpapi"
	"github.com/parleyhq/parley/internal/obs"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/storetest"
	"github.com/parleyhq/parley/internal/testworld"
)

// BenchmarkRecipientsCSVToBucket downloads the recipients of a 10,000- and
// a 100,000-recipient campaign as the api function does on AWS: written
// to the bucket (moto_server's S3) a part at a time, and answered with a
// redirect to it. It reports rows/s, the file's size and parts, and the
// peak live heap during the download above the live heap before it
// (heapwatch.Peak): one part and one page of recipients whatever the
// campaign's size. Compare the two sizes, and BenchmarkRecipientsCSV in
// httpapi, which streams the same file in the answer.
func BenchmarkRecipientsCSVToBucket(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) { benchmarkToBucket(b, n) })
	}
}

func benchmarkToBucket(b *testing.B, n int) {
	bucket, _, _ := newBucket(b)
	s, q := testworld.Open(b)
	c, rs := storetest.Fixture("acct1", "big", n)
	if err := s.CreateCampaign(context.Background(), c, rs); err != nil {
		b.Fatal(err)
	}
	rs = nil
	clock := parley.ClockFunc(time.Now)
	srv := &httpapi.Server{Campaigns: &campaign.Service{Store: s, Queue: q, Log: obs.Discard(), Clock: clock}, Clock: clock, Log: obs.Discard(), Exports: bucket}
	h := srv.Handler()
	req := httptest.NewRequest(http.MethodGet, "/api/v2/account/acct1/campaign/big/recipients.csv", nil)
	var (
		peak      uint64
		rows      int
		elapsed   time.Duration
		fileBytes int
	)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		start := time.Now()
		peak = max(peak, heapwatch.Peak(func() { h.ServeHTTP(w, req) }))
		elapsed += time.Since(start)
		if w.Code != http.StatusSeeOther {
			b.Fatalf("%d %s; want 303", w.Code, w.Body)
		}
		b.StopTimer()
		_, body := fetch(b, w.Header().Get("Location"))
		if lines := bytes.Count(body, []byte("\n")); lines != n+1 {
			b.Fatalf("the file has %d lines, want %d", lines, n+1)
		}
		fileBytes = len(body)
		b.StartTimer()
		rows += n
	}
	b.ReportMetric(float64(rows)/elapsed.Seconds(), "rows/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-live-heap-MiB")
	b.ReportMetric(float64(fileBytes)/(1<<20), "file-MiB")
	b.ReportMetric(float64((fileBytes+exportbucket.MinPartSize-1)/exportbucket.MinPartSize), "parts")
}
