package dynamo_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/parleyhq/parley/internal/awstest"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/dynamo"
	"github.com/parleyhq/parley/internal/store/storetest"
	"github.com/parleyhq/parley/internal/window"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

// newTable creates a fresh table on moto_server and returns its client and
// name.
func newTable(t *testing.T) (*dynamodb.Client, string) {
	t.Helper()
	client := dynamodb.NewFromConfig(awstest.Config(t))
	name := awstest.Name(t)
	if err := dynamo.EnsureTable(context.Background(), client, name); err != nil {
		t.Fatal(err)
	}
	return client, name
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return newStreamed(t) }, storetest.Options{Racy: true})
}

func TestOutboxContract(t *testing.T) {
	storetest.Outbox(t, func(t *testing.T) store.Outbox {
		s, _, _ := newStore(t)
		return s
	})
}

func TestEnsureTableIdempotent(t *testing.T) {
	ctx := context.Background()
	client, name := newTable(t)
	if err := dynamo.EnsureTable(ctx, client, name); err != nil {
		t.Fatalf("second EnsureTable: %v", err)
	}
	desc, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &name})
	if err != nil {
		t.Fatal(err)
	}
	tbl := desc.Table
	want := dynamo.CreateTableInput(name)
	if got, want := indexes(tbl.GlobalSecondaryIndexes), wantIndexes(want.GlobalSecondaryIndexes); !slices.Equal(got, want) {
		t.Errorf("indexes = %q, want %q", got, want)
	}
	if tbl.BillingModeSummary == nil || tbl.BillingModeSummary.BillingMode != types.BillingModePayPerRequest {
		t.Errorf("billing = %+v, want PAY_PER_REQUEST", tbl.BillingModeSummary)
	}
	ttl, err := client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: &name})
	if err != nil {
		t.Fatal(err)
	}
	if d := ttl.TimeToLiveDescription; d == nil || aws.ToString(d.AttributeName) != dynamo.AttrExpiresAt ||
		d.TimeToLiveStatus != types.TimeToLiveStatusEnabled {
		t.Errorf("TTL = %+v, want %s enabled", d, dynamo.AttrExpiresAt)
	}
}

// indexString renders an index as "name hash-key range-key projection".
func indexString(name *string, keys []types.KeySchemaElement, p *types.Projection) string {
	out := aws.ToString(name)
	for _, k := range keys {
		out += " " + aws.ToString(k.AttributeName) + "=" + string(k.KeyType)
	}
	if p != nil {
		out += " " + string(p.ProjectionType)
	}
	return out
}

func indexes(ds []types.GlobalSecondaryIndexDescription) []string {
	var out []string
	for _, d := range ds {
		out = append(out, indexString(d.IndexName, d.KeySchema, d.Projection))
	}
	slices.Sort(out)
	return out
}

func wantIndexes(gs []types.GlobalSecondaryIndex) []string {
	var out []string
	for _, g := range gs {
		out = append(out, indexString(g.IndexName, g.KeySchema, g.Projection))
	}
	slices.Sort(out)
	return out
}

// stingyClient processes at most batchLimit items of each BatchWriteItem
// and returns the rest unprocessed, as DynamoDB may under load. It records
// the largest batch it was asked to write.
type stingyClient struct {
	*dynamodb.Client
	mu       sync.Mutex
	calls    int
	maxBatch int
}

const batchLimit = 20

func (c *stingyClient) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	c.mu.Lock()
	c.calls++
	for _, reqs := range in.RequestItems {
		c.maxBatch = max(c.maxBatch, len(reqs))
	}
	c.mu.Unlock()
	process := map[string][]types.WriteRequest{}
	unprocessed := map[string][]types.WriteRequest{}
	for table, reqs := range in.RequestItems {
		n := min(len(reqs), batchLimit)
		process[table] = reqs[:n]
		if n < len(reqs) {
			unprocessed[table] = reqs[n:]
		}
	}
	out, err := c.Client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: process}, optFns...)
	if err != nil {
		return nil, err
	}
	out.UnprocessedItems = unprocessed
	return out, nil
}

func TestCreateCampaignChunksAndRetries(t *testing.T) {
	ctx := context.Background()
	client, name := newTable(t)
	stingy := &stingyClient{Client: client}
	s := dynamo.New(stingy, name)
	const n = 60 * dynamo.ChunkSize // 60 chunks
	c, rs := storetest.Fixture("acct1", "camp1", n)
	if err := s.CreateCampaign(ctx, c, rs); err != nil {
		t.Fatal(err)
	}
	if stingy.maxBatch > 25 {
		t.Errorf("a BatchWriteItem carried %d items, DynamoDB allows 25", stingy.maxBatch)
	}
	// 60 chunks = 25+25+10; each batch of 25 needs a retry for its last 5.
	if stingy.calls != 5 {
		t.Errorf("%d BatchWriteItem calls, want 5 (3 chunks, 2 retries)", stingy.calls)
	}
	got := allRecipients(t, s, "camp1")
	if len(got) != n {
		t.Fatalf("Recipients = %d, want %d", len(got), n)
	}
	for i, r := range got {
		if r.Seq != i+1 || r.Phone != rs[i].Phone {
			t.Fatalf("recipient %d = %+v, want %+v", i, r, rs[i])
		}
	}
}

func TestUpdateRecipientFromNothing(t *testing.T) {
	ctx := context.Background()
	s := dynamo.New(newTable(t))
	c, rs := storetest.Fixture("acct1", "camp1", 1)
	if err := s.CreateCampaign(ctx, c, rs); err != nil {
		t.Fatal(err)
	}
	r, err := s.UpdateRecipient(ctx, rs[0].Ref(), parley.RecipientChange{Status: parley.StatusSending})
	if parley.ErrorCode(err) != parley.ECONFLICT || r.Status != parley.StatusQueued {
		t.Errorf("change from no status = %q, %v; want the stored QUEUED and ECONFLICT", r.Status, err)
	}
}

var t0 = time.Date(2026, 11, 21, 14, 0, 0, 0, time.UTC)

func TestCampaignScheduleRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := dynamo.New(newTable(t))
	tests := []struct {
		name     string
		schedule window.Schedule
		lookback time.Duration
	}{
		{"zero", window.Schedule{}, 0},
		{"default window, open-ended", window.Schedule{Window: window.Default}, parley.DefaultLookback},
		{"weekdays with a span", window.Schedule{
			Window:  window.Window{Start: 9*60 + 30, End: 24 * 60, Days: [7]bool{false, true, true, true, true, true, false}},
			StartAt: t0.Add(36 * time.Hour), EndAt: t0.Add(10*24*time.Hour + time.Nanosecond),
		}, parley.MinLookback + time.Second},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, rs := storetest.Fixture("acct1", fmt.Sprintf("camp%d", i), 1)
			c.Schedule, c.Lookback = tt.schedule, tt.lookback
			rs[0].Zones = []string{"America/New_York", "America/Chicago"}
			if err := s.CreateCampaign(ctx, c, rs); err != nil {
				t.Fatal(err)
			}
			got, err := s.Campaign(ctx, c.AccountID, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Schedule.Window != tt.schedule.Window || !got.Schedule.StartAt.Equal(tt.schedule.StartAt) ||
				!got.Schedule.EndAt.Equal(tt.schedule.EndAt) || got.Lookback != tt.lookback {
				t.Errorf("Schedule, Lookback = %+v, %v; want %+v, %v", got.Schedule, got.Lookback, tt.schedule, tt.lookback)
			}
			r, err := s.Recipient(ctx, rs[0].Ref())
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(r.Zones, rs[0].Zones) {
				t.Errorf("Zones = %q, want %q", r.Zones, rs[0].Zones)
			}
		})
	}
}

// dueSeqs lists the Seq of the recipients DueRecipients returns.
func dueSeqs(t *testing.T, s store.Store, before time.Time, limit int) []int {
	t.Helper()
	rs, err := s.DueRecipients(context.Background(), parley.StatusScheduled, before, limit)
	if err != nil {
		t.Fatal(err)
	}
	var seqs []int
	for _, r := range rs {
		seqs = append(seqs, r.Seq)
	}
	return seqs
}

func TestDueRecipientsMergesShards(t *testing.T) {
	s := dynamo.New(newTable(t))
	const n = 40
	c, rs := storetest.Fixture("acct1", "camp1", n)
	// Due times descend with Seq, so index order is the reverse of key order.
	for i := range rs {
		rs[i].Status, rs[i].DueAt = parley.StatusScheduled, t0.Add(time.Duration(n-i)*time.Second)
	}
	if err := s.CreateCampaign(context.Background(), c, rs); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		before time.Time
		limit  int
		want   int // recipients listed: Seq n, n-1, …
	}{
		{"all", t0.Add(time.Hour), 100, n},
		{"limit", t0.Add(time.Hour), 15, 15},
		{"limit below one lists one", t0.Add(time.Hour), 0, 1},
		{"before excludes its instant", t0.Add(10 * time.Second), 100, 9},
		{"none due", t0, 100, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want []int
			for seq := n; seq > n-tt.want; seq-- {
				want = append(want, seq)
			}
			if got := dueSeqs(t, s, tt.before, tt.limit); !slices.Equal(got, want) {
				t.Errorf("DueRecipients = %v, want %v", got, want)
			}
		})
	}
}

func TestRescheduleKeepsStoredDueAt(t *testing.T) {
	ctx := context.Background()
	s := dynamo.New(newTable(t))
	c, rs := storetest.Fixture("acct1", "camp1", 2)
	rs[0].DueAt = t0.Add(time.Hour)
	rs[1].DueAt = t0.Add(2 * time.Hour)
	if err := s.CreateCampaign(ctx, c, rs); err != nil {
		t.Fatal(err)
	}
	if got := dueSeqs(t, s, t0.Add(24*time.Hour), 10); len(got) != 0 {
		t.Fatalf("QUEUED recipients are due: %v", got)
	}
	for _, r := range []parley.Recipient{rs[1], rs[0]} {
		back := parley.RecipientChange{From: []parley.RecipientStatus{parley.StatusQueued}, Status: parley.StatusScheduled, At: t0}
		got, err := s.UpdateRecipient(ctx, r.Ref(), back)
		if err != nil || !got.DueAt.Equal(r.DueAt) {
			t.Fatalf("back to SCHEDULED without a DueAt: %v at %v, want %v", err, got.DueAt, r.DueAt)
		}
	}
	if got := dueSeqs(t, s, t0.Add(24*time.Hour), 10); !slices.Equal(got, []int{1, 2}) {
		t.Errorf("DueRecipients = %v, want [1 2] at their stored due times", got)
	}
	if got := dueSeqs(t, s, t0.Add(90*time.Minute), 10); !slices.Equal(got, []int{1}) {
		t.Errorf("DueRecipients before +90m = %v, want [1]", got)
	}
}

func TestDueTimeOutOfRange(t *testing.T) {
	ctx := context.Background()
	s := dynamo.New(newTable(t))
	c, rs := storetest.Fixture("acct1", "camp1", 1)
	if err := s.CreateCampaign(ctx, c, rs); err != nil {
		t.Fatal(err)
	}
	far := time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	early := time.Date(-1, 12, 31, 0, 0, 0, 0, time.UTC)
	bad, badRs := storetest.Fixture("acct1", "camp2", 1)
	badRs[0].DueAt = far
	tests := []struct {
		name string
		call func() error
	}{
		{"CreateCampaign", func() error { return s.CreateCampaign(ctx, bad, badRs) }},
		{"UpdateRecipient", func() error {
			_, err := s.UpdateRecipient(ctx, rs[0].Ref(), parley.RecipientChange{From: parley.Claimable, Status: parley.StatusScheduled, DueAt: far, At: t0})
			return err
		}},
		{"DueRecipients after 9999", func() error { _, err := s.DueRecipients(ctx, parley.StatusScheduled, far, 10); return err }},
		{"DueRecipients before 0000", func() error { _, err := s.DueRecipients(ctx, parley.StatusScheduled, early, 10); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); parley.ErrorCode(err) != parley.EINVALID {
				t.Errorf("error = %v, want EINVALID", err)
			}
		})
	}
	if r, err := s.Recipient(ctx, rs[0].Ref()); err != nil || r.Status != parley.StatusQueued {
		t.Errorf("recipient after a rejected update = %+v, %v; want it unchanged", r, err)
	}
	if _, err := s.Campaign(ctx, "acct1", "camp2"); parley.ErrorCode(err) != parley.ENOTFOUND {
		t.Errorf("rejected campaign: %v, want ENOTFOUND", err)
	}
}
