package httpapi_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/parleyhq/parley/internal/awstest"
	"github.com/parleyhq/parley/internal/campaign"
	"github.com/parleyhq/parley/internal/exportbucket"
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

// downloadHandler is the router over an embedded store holding campaign
// "big" of account acct1, of n recipients, its downloads kept in exports
// (nil streams them).
func downloadHandler(b *testing.B, n int, exports httpapi.Exports) http.Handler {
	s, q := testworld.Open(b)
	c, rs := storetest.Fixture("acct1", "big", n)
	if err := s.CreateCampaign(context.Background(), c, rs); err != nil {
		b.Fatal(err)
	}
	clock := parley.ClockFunc(time.Now)
	srv := &httpapi.Server{Campaigns: &campaign.Service{Store: s, Queue: q, Log: obs.Discard(), Clock: clock}, Clock: clock, Log: obs.Discard(), Exports: exports}
	return srv.Handler()
}

const bigRecipientsPath = "/api/v2/account/acct1/campaign/big/recipients.csv"

func benchmarkRecipientsCSV(b *testing.B, n int) {
	h := downloadHandler(b, n, nil)
	req := httptest.NewRequest("GET", bigRecipientsPath, nil)
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

// BenchmarkRecipientsCSVToBucket downloads the same campaigns as the api
// function does on AWS: written to an exports bucket (moto_server's S3) a
// part at a time, and answered with a redirect to it. It reports rows/s,
// the file's size and parts, and the peak live heap during the download
// above the live heap before it: one part (exportbucket.MinPartSize) and
// one page of recipients whatever the campaign's size.
func BenchmarkRecipientsCSVToBucket(b *testing.B) {
	client := s3.NewFromConfig(awstest.Config(b), func(o *s3.Options) { o.UsePathStyle = true })
	name := "bench-" + strings.ToLower(rand.Text())
	if err := exportbucket.EnsureBucket(context.Background(), client, name); err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{10_000, 100_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) { benchmarkToBucket(b, n, exportbucket.New(client, name)) })
	}
}

func benchmarkToBucket(b *testing.B, n int, bucket *exportbucket.Bucket) {
	h := downloadHandler(b, n, bucket)
	req := httptest.NewRequest("GET", bigRecipientsPath, nil)
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
		resp, err := http.Get(w.Header().Get("Location"))
		if err != nil {
			b.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if lines := bytes.Count(body, []byte("\n")); err != nil || resp.StatusCode != http.StatusOK || lines != n+1 {
			b.Fatalf("the file: %d, %d lines (want %d), %v", resp.StatusCode, lines, n+1, err)
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
