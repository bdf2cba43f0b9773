package app_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/campaign"
	"github.com/parleyhq/parley/internal/dispatch"
	"github.com/parleyhq/parley/internal/parley"
)

// countingSender passes messages to the real gateway and closes done once
// want of them went through.
type countingSender struct {
	dispatch.Sender
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
		a := embeddedApp(b)
		sender := &countingSender{Sender: a.Dispatcher.Sender, want: calls * per, done: make(chan struct{})}
		a.Dispatcher.Sender = sender
		runCtx, cancel := context.WithCancel(ctx)
		stopped := make(chan struct{})
		b.StartTimer()
		start := time.Now()
		go func() { a.Dispatcher.Run(runCtx, a.Queue, 16); close(stopped) }()
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
