package dynamo_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/parleyhq/parley/internal/awstest"
	"github.com/parleyhq/parley/internal/awstest/awscost"
	"github.com/parleyhq/parley/internal/store/dynamo"
)

// readCounting is a DynamoDB client that adds up the items its queries
// and gets read, and the requests, on the table name.
type readCounting struct {
	*dynamodb.Client
	name            string
	items, requests atomic.Int64
}

func (c *readCounting) Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	out, err := c.Client.Query(ctx, in, optFns...)
	if err == nil {
		c.items.Add(int64(out.ScannedCount))
		c.requests.Add(1)
	}
	return out, err
}

func (c *readCounting) GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	out, err := c.Client.GetItem(ctx, in, optFns...)
	if err == nil {
		c.requests.Add(1)
		if out.Item != nil {
			c.items.Add(1)
		}
	}
	return out, err
}

// newCounted is a new table whose reads are counted: the items and
// requests by the client, the read units by the cost counter.
func newCounted(tb testing.TB) (*dynamo.Table, *readCounting, *awscost.Counter) {
	tb.Helper()
	name := awstest.Name(tb)
	counter := &awscost.Counter{Indexes: awscost.IndexesOf(dynamo.CreateTableInput(name))}
	cfg := awstest.Config(tb)
	counter.Attach(&cfg)
	db := &readCounting{Client: dynamodb.NewFromConfig(cfg), name: name}
	if err := dynamo.EnsureTable(context.Background(), db.Client, name); err != nil {
		tb.Fatal(err)
	}
	return dynamo.New(db, name), db, counter
}
