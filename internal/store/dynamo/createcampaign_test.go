package dynamo_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/parleyhq/parley/internal/awstest"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/dynamo"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// watchedClient counts requests by operation and the BatchWriteItem calls
// in flight at once; it fails the BatchWriteItem calls numbered in fail
// (from 1) without sending them.
type watchedClient struct {
	*dynamodb.Client
	mu          sync.Mutex
	ops         map[string]int
	batches     int
	inFlight    int
	maxInFlight int
	maxItems    int
	fail        map[int]bool
	items       atomic.Int64
}

func (c *watchedClient) count(op string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ops == nil {
		c.ops = map[string]int{}
	}
	c.ops[op]++
}

func (c *watchedClient) GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	c.count("GetItem")
	return c.Client.GetItem(ctx, in, optFns...)
}

func (c *watchedClient) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	c.count("UpdateItem")
	return c.Client.UpdateItem(ctx, in, optFns...)
}

func (c *watchedClient) PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	c.count("PutItem")
	return c.Client.PutItem(ctx, in, optFns...)
}

func (c *watchedClient) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	c.count("BatchWriteItem")
	c.mu.Lock()
	c.batches++
	failing := c.fail[c.batches]
	c.inFlight++
	c.maxInFlight = max(c.maxInFlight, c.inFlight)
	for _, reqs := range in.RequestItems {
		c.maxItems = max(c.maxItems, len(reqs))
		c.items.Add(int64(len(reqs)))
	}
	c.mu.Unlock()
	defer func() { c.mu.Lock(); c.inFlight--; c.mu.Unlock() }()
	if failing {
		return nil, fmt.Errorf("injected: BatchWriteItem %d failed", c.batches)
	}
	return c.Client.BatchWriteItem(ctx, in, optFns...)
}

func TestCreateCampaignWritesInParallel(t *testing.T) {
	ctx := context.Background()
	client, name := newTable(t)
	w := &watchedClient{Client: client}
	s := dynamo.New(w, name)
	const n = 500 * dynamo.ChunkSize // 500 chunks, 20 batches
	c, rs := storetest.Fixture("acct1", "camp1", n)
	if err := s.CreateCampaign(ctx, c, rs); err != nil {
		t.Fatal(err)
	}
	if w.maxItems > 25 || w.batches < n/dynamo.ChunkSize/25 {
		t.Errorf("%d BatchWriteItem calls of up to %d items; want %d of at most 25", w.batches, w.maxItems, n/dynamo.ChunkSize/25)
	}
	if w.maxInFlight < 2 || w.maxInFlight > 16 {
		t.Errorf("%d BatchWriteItem calls in flight at most; want between 2 and 16", w.maxInFlight)
	}
	if got := allRecipients(t, s, "camp1"); len(got) != n || got[n-1].Seq != n {
		t.Fatalf("Recipients = %d; want %d", len(got), n)
	}
	// The campaign exists now: a second create writes nothing at all.
	before := w.batches
	if err := s.CreateCampaign(ctx, c, rs); parley.ErrorCode(err) != parley.ECONFLICT {
		t.Fatalf("second create = %v, want ECONFLICT", err)
	}
	if w.batches != before {
		t.Errorf("a conflicting create wrote %d batches", w.batches-before)
	}
}

func TestCreateCampaignFailedBatchHidesTheCampaign(t *testing.T) {
	ctx := context.Background()
	client, name := newTable(t)
	w := &watchedClient{Client: client, fail: map[int]bool{3: true}}
	s := dynamo.New(w, name)
	const n = 200 * dynamo.ChunkSize // 8 batches of chunks
	c, rs := storetest.Fixture("acct1", "camp1", n)
	if err := s.CreateCampaign(ctx, c, rs); parley.ErrorCode(err) != parley.EUNAVAILABLE {
		t.Fatalf("CreateCampaign with a failed batch = %v, want EUNAVAILABLE", err)
	}
	if _, err := s.Campaign(ctx, "acct1", "camp1"); parley.ErrorCode(err) != parley.ENOTFOUND {
		t.Errorf("a campaign whose recipients were not all written is visible: %v", err)
	}
	if w.ops["PutItem"] != 0 {
		t.Errorf("the campaign item was written after a failed batch")
	}
	// Retrying the create (same id) succeeds and writes everything.
	w.fail = nil
	if err := s.CreateCampaign(ctx, c, rs); err != nil {
		t.Fatal(err)
	}
	if got := allRecipients(t, s, "camp1"); len(got) != n {
		t.Errorf("after the retry: %d recipients", len(got))
	}
}

// allRecipients lists every recipient of campaign, a page at a time.
func allRecipients(t *testing.T, s *dynamo.Table, campaign string) []parley.Recipient {
	t.Helper()
	var all []parley.Recipient
	for {
		page, err := s.Recipients(context.Background(), "acct1", campaign, len(all), store.MaxPage)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			return all
		}
		all = append(all, page...)
	}
}

// BenchmarkCreateCampaign10k writes a 10,000-recipient campaign to a table
// on moto_server (run with -benchtime 1x: moto is slow) and reports the
// requests it took and recipients per second.
func BenchmarkCreateCampaign10k(b *testing.B) {
	const n = 10_000
	ctx := context.Background()
	client := dynamodb.NewFromConfig(awstest.Config(b))
	var total time.Duration
	var requests int
	for b.Loop() {
		b.StopTimer()
		name := awstest.Name(b)
		if err := dynamo.EnsureTable(ctx, client, name); err != nil {
			b.Fatal(err)
		}
		w := &watchedClient{Client: client}
		s := dynamo.New(w, name)
		c, rs := storetest.Fixture("acct1", "camp1", n)
		b.StartTimer()
		start := time.Now()
		if err := s.CreateCampaign(ctx, c, rs); err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
		b.StopTimer()
		for _, k := range w.ops {
			requests += k
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(requests)/float64(b.N), "requests/op")
	b.ReportMetric(float64(n*b.N)/total.Seconds(), "recipients/s")
}
