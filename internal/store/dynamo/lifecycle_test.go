package dynamo_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/parleyhq/parley/internal/awstest"
	"github.com/parleyhq/parley/internal/campaign"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/dynamo"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// streamed is a table whose counters are read once the lifecycle function
// has folded its stream: before each read, the stream's new records are
// folded as one batch, and (to check that a redelivered batch counts
// once) folded again.
type streamed struct {
	*dynamo.Table
	stream *dynamo.StreamReader
}

func (s streamed) CountRows(ctx context.Context, q parley.CountQuery) ([]parley.CountRow, error) {
	recs, err := s.stream.Records(ctx)
	if err != nil {
		return nil, err
	}
	for range 2 {
		if err := s.FoldStream(ctx, recs, time.Now()); err != nil {
			return nil, err
		}
	}
	return s.Table.CountRows(ctx, q)
}

// newStreamed is a store on a fresh table whose stream is folded.
func newStreamed(t *testing.T) streamed {
	s, _, name := newStore(t)
	return streamed{Table: s, stream: dynamo.NewStreamReader(awstest.Config(t), name, true)}
}

// TestCountersOverflow folds 9,000 rows into one hour, more than one
// counter item holds (DynamoDB refuses an item over 400 KB), then adds to
// every row again: the hour's rows spread over several items, each under
// the limit, every row reads back once with its sum, and a batch folded
// twice counts once.
func TestCountersOverflow(t *testing.T) {
	ctx := context.Background()
	s, client, name := newStore(t)
	hour := time.Now().UTC().Truncate(time.Hour).Add(-2 * time.Hour)
	const n = 9000
	rows := make([]parley.CountRow, n)
	for i := range rows {
		rows[i] = parley.CountRow{CountKey: parley.CountKey{AccountID: "acct1", Hour: hour.Add(time.Duration(i%60) * time.Minute).Truncate(time.Hour),
			CampaignID: fmt.Sprintf("campaign-%06d", i), Skill: fmt.Sprintf("skill-%d", i%7), Channel: parley.ChannelSMS,
			HandoffID: fmt.Sprintf("H%015d", i%3), Source: parley.SourceAPI}}
		rows[i].Add(parley.StepAttempted, int64(i+1))
		rows[i].AddError("PROVIDER_30003", 1)
	}
	// Another hour's row, to see that the next hour's item is not read as
	// an overflow item.
	next := parley.CountRow{CountKey: parley.CountKey{AccountID: "acct1", Hour: hour.Add(time.Hour), CampaignID: "campaign-000000", Skill: "skill-0", Channel: parley.ChannelSMS}}
	next.Add(parley.StepSent, 5)
	for _, batch := range []string{"first", "first", "second"} {
		if err := s.FoldRows(ctx, batch, append(slices.Clone(rows), next), time.Now()); err != nil {
			t.Fatalf("fold %s: %v", batch, err)
		}
	}
	out, err := client.Query(ctx, &dynamodb.QueryInput{
		TableName:              aws.String(name),
		KeyConditionExpression: aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: "ACCOUNT#acct1#COUNTS"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.Count < 3 {
		t.Fatalf("%d counter items for %d rows in one hour and one in the next; want the hour split", out.Count, n)
	}
	for _, it := range out.Items {
		size := 0
		for k, v := range it {
			size += len(k)
			if s, ok := v.(*types.AttributeValueMemberS); ok {
				size += len(s.Value)
			}
		}
		if size > 400_000 {
			t.Errorf("item %v holds %d bytes, over DynamoDB's 400 KB", it["sk"], size)
		}
	}
	got, err := s.CountRows(ctx, parley.CountQuery{AccountID: "acct1", From: hour, To: hour.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("%d rows read back, want %d", len(got), n)
	}
	for _, r := range got {
		var i int
		if _, err := fmt.Sscanf(r.CampaignID, "campaign-%06d", &i); err != nil {
			t.Fatal(err)
		}
		if r.Counts[parley.StepAttempted] != 2*int64(i+1) || r.Errors["PROVIDER_30003"] != 2 || r.HandoffID != rows[i].HandoffID || r.Source != parley.SourceAPI {
			t.Fatalf("row %+v, want attempted %d twice (two batches, one of them folded twice) and its error twice", r, i+1)
		}
	}
	both, err := s.CountRows(ctx, parley.CountQuery{AccountID: "acct1", From: hour, To: hour.Add(2 * time.Hour), HandoffIDs: []string{"H000000000000001"}})
	if err != nil || len(both) != n/3 {
		t.Fatalf("one handoff over both hours: %d rows, %v; want %d", len(both), err, n/3)
	}
	later, err := s.CountRows(ctx, parley.CountQuery{AccountID: "acct1", From: hour.Add(time.Hour), To: hour.Add(2 * time.Hour)})
	if err != nil || len(later) != 1 || later[0].Counts[parley.StepSent] != 10 {
		t.Fatalf("the next hour: %+v, %v; want its one row, sent 10", later, err)
	}
}

// TestDetailReadsCounters checks what a campaign's detail reads on
// DynamoDB: before the stream is folded, every recipient (the counters do
// not count them yet); once it is, the campaign's item and the one counter
// item of the hour it was created in, and no recipient, with the same
// counts.
func TestDetailReadsCounters(t *testing.T) {
	ctx := context.Background()
	cfg := awstest.Config(t)
	name := awstest.Name(t)
	db := &readCounting{Client: dynamodb.NewFromConfig(cfg)}
	if err := dynamo.EnsureTable(ctx, db.Client, name); err != nil {
		t.Fatal(err)
	}
	table := dynamo.New(db, name)
	stream := dynamo.NewStreamReader(cfg, name, true)
	c, rs := storetest.Fixture("acct1", "camp1", 300)
	c.CreatedAt = time.Now().UTC().Add(-3 * time.Hour)
	for i := range rs {
		rs[i].DueAt, rs[i].UpdatedAt = c.CreatedAt, c.CreatedAt
	}
	if err := table.CreateCampaign(ctx, c, rs); err != nil {
		t.Fatal(err)
	}
	for seq := 1; seq <= 10; seq++ {
		ref := parley.Ref{AccountID: "acct1", CampaignID: c.ID, RecipientID: parley.RecipientID(seq)}
		if _, err := table.UpdateRecipient(ctx, ref, parley.RecipientChange{From: parley.Claimable, Status: parley.StatusSent, At: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	svc := &campaign.Service{Store: table, Counters: table, Clock: parley.ClockFunc(time.Now)}
	detail := func() (map[parley.RecipientStatus]int, int64) {
		t.Helper()
		db.items.Store(0)
		d, err := svc.Detail(ctx, "acct1", c.ID)
		if err != nil {
			t.Fatal(err)
		}
		return d.Counts, db.items.Load()
	}
	want := map[parley.RecipientStatus]int{parley.StatusQueued: 290, parley.StatusSent: 10}
	counts, scanned := detail()
	if !maps.Equal(counts, want) || scanned < 300/dynamo.ChunkSize {
		t.Fatalf("before the stream is folded: %v, %d items read; want %v from every recipient", counts, scanned, want)
	}
	recs, err := stream.Records(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := table.FoldStream(ctx, recs, time.Now()); err != nil {
		t.Fatal(err)
	}
	counts, scanned = detail()
	if !maps.Equal(counts, want) || scanned != 2 {
		t.Fatalf("once folded: %v, %d items read; want %v from the campaign's item and one counter item", counts, scanned, want)
	}
}

// TestCountersSpreadOverBuckets: an hour's rows of many campaigns are spread
// over the hour's bucket items, so that folding one campaign rewrites a
// fraction of the hour's counters, and they read back whole.
func TestCountersSpreadOverBuckets(t *testing.T) {
	ctx := context.Background()
	s, client, name := newStore(t)
	hour := time.Now().UTC().Truncate(time.Hour).Add(-3 * time.Hour)
	var rows []parley.CountRow
	for i := range 64 {
		r := parley.CountRow{CountKey: parley.CountKey{AccountID: "acct1", Hour: hour, CampaignID: fmt.Sprintf("campaign-%03d", i), Skill: "s", Channel: parley.ChannelSMS}}
		r.Add(parley.StepSent, 1)
		rows = append(rows, r)
	}
	if err := s.FoldRows(ctx, "spread", rows, time.Now()); err != nil {
		t.Fatal(err)
	}
	out, err := client.Query(ctx, &dynamodb.QueryInput{
		TableName: aws.String(name), KeyConditionExpression: aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "ACCOUNT#acct1#COUNTS"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.Count < 8 {
		t.Errorf("64 campaigns' rows in %d counter items; want them spread over the hour's buckets", out.Count)
	}
	got, err := s.CountRows(ctx, parley.CountQuery{AccountID: "acct1", From: hour, To: hour.Add(time.Hour)})
	if err != nil || len(got) != 64 {
		t.Fatalf("%d rows read back, %v; want 64", len(got), err)
	}
}
