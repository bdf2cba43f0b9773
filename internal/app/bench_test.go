package app_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/campaign"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/parley"
)

// countingSender passes messages to the real gateway and closes done once
// want of them went through.
type countingSender struct {
	gateway.Sender
	n, want int64
	done    chan struct{}
}

func (c *countingSender) Send(ctx context.Context, m parley.Message) (string, error) {
	id, err := c.Sender.Send(ctx, m)
	if err == nil && atomic.AddInt64(&c.n, 1) == c.want {
		close(c.done)
	}
	return id, err
}

// BenchmarkEndToEnd10k sends a 10,000-recipient campaign (100 API calls of
// 100 consumers) through the embedded store and queue, the dispatcher (16
// pollers) and the sandbox gateway, and reports recipients per second from
// the first create to the last recorded send.
// pollers is how many dispatcher pollers the end-to-end run starts (each
// handles a batch of ten jobs at once). Every send waits for four fsynced
// store transactions (claim, outbound context, outcome, sandbox outbox),
// which bbolt batches across concurrent writers: throughput grows with the
// writers in flight until the CPU is busy.
const pollers = 32

func BenchmarkEndToEnd10k(b *testing.B) {
	const calls, per = 100, 100
	ctx := context.Background()
	drafts := make([]campaign.Draft, calls)
	for i := range drafts {
		drafts[i] = campaign.Draft{Name: "bench", Skill: "s", TemplateID: parley.PlainSMSTemplateID,
			OutboundNumber: "+12025550100", Consent: true, Message: "Hi {{1}}"}
		for j := range per {
			drafts[i].Consumers = append(drafts[i].Consumers, campaign.Consumer{
				SMS: fmt.Sprintf("+1202%07d", 5550000+i*per+j), Variables: map[string]string{"1": "x"}})
		}
	}
	var total time.Duration
	for b.Loop() {
		b.StopTimer()
		// The clock stands still: the create gate must let every call in
		// at once.
		a := embeddedApp(b, func(c *config.Config) { c.CreateRate = calls })
		sender := &countingSender{Sender: a.Dispatcher.Sender, want: calls * per, done: make(chan struct{})}
		a.Dispatcher.Sender = sender
		runCtx, cancel := context.WithCancel(ctx)
		stopped := make(chan struct{})
		b.StartTimer()
		start := time.Now()
		go func() { a.Dispatcher.Run(runCtx, a.Queue, pollers); close(stopped) }()
		for _, d := range drafts {
			if _, err := a.Campaigns.Create(ctx, "bench", d); err != nil {
				b.Fatal(err)
			}
		}
		<-sender.done
		total += time.Since(start)
		b.StopTimer()
		cancel()
		<-stopped
		if got := sender.n; got != calls*per {
			b.Fatalf("sent %d messages, want %d", got, calls*per)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(b.N*calls*per)/total.Seconds(), "recipients/s")
}

// BenchmarkUpload100k posts a 100,000-row CSV campaign to the API on the
// embedded backend — parse, validate, place in windows, persist and queue —
// and reports the time to the 202 answer with its per-line report.
func BenchmarkUpload100k(b *testing.B) {
	const rows = 100_000
	var csv strings.Builder
	csv.WriteString("Phone,B1\n")
	for i := range rows {
		fmt.Fprintf(&csv, "+1202%07d,name%d\n", 5_000_000+i, i)
	}
	meta := `{"campaignName":"big","skill":"s","templateId":"1234567890","outboundNumber":"+12025550100","consent":true,"message":"Hi {{1}}"}`
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("campaign", meta)
	fw, _ := mw.CreateFormFile("recipients", "big.csv")
	_, _ = io.WriteString(fw, csv.String())
	_ = mw.Close()
	for b.Loop() {
		b.StopTimer()
		a := embeddedApp(b)
		h := asAdmin(b, a)
		req := httptest.NewRequest("POST", "/api/v2/account/bench/campaign", bytes.NewReader(body.Bytes()))
		req.Header.Set("Content-Type", mw.FormDataContentType())
		rec := httptest.NewRecorder()
		b.StartTimer()
		h.ServeHTTP(rec, req)
		b.StopTimer()
		if rec.Code != 202 || !strings.Contains(rec.Body.String(), `"failedConsumers":[]`) {
			b.Fatalf("%d %.300s", rec.Code, rec.Body.String())
		}
		b.StartTimer()
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/upload")
	b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "recipients/s")
}
