package dynamo_test

import (
	"context"
	"os"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/parleyhq/parley/internal/awstest"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/dynamo"
	"github.com/parleyhq/parley/internal/store/storetest"
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
	storetest.Run(t, func(t *testing.T) store.Store {
		return dynamo.New(newTable(t))
	}, storetest.Options{Racy: true})
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
	if len(tbl.GlobalSecondaryIndexes) != 1 || aws.ToString(tbl.GlobalSecondaryIndexes[0].IndexName) != dynamo.IndexFanout {
		t.Errorf("indexes = %+v, want only %s", tbl.GlobalSecondaryIndexes, dynamo.IndexFanout)
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
	const n = 60
	c, rs := storetest.Fixture("acct1", "camp1", n)
	if err := s.CreateCampaign(ctx, c, rs); err != nil {
		t.Fatal(err)
	}
	if stingy.maxBatch > 25 {
		t.Errorf("a BatchWriteItem carried %d items, DynamoDB allows 25", stingy.maxBatch)
	}
	// 60 = 25+25+10; each chunk of 25 needs a retry for its last 5.
	if stingy.calls != 5 {
		t.Errorf("%d BatchWriteItem calls, want 5 (3 chunks, 2 retries)", stingy.calls)
	}
	got, err := s.Recipients(ctx, "acct1", "camp1", 0, store.MaxPage)
	if err != nil {
		t.Fatal(err)
	}
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
