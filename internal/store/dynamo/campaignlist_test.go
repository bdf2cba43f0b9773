package dynamo_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/dynamo"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// queryCounter counts the Query requests a table sends and the items they
// examine (ScannedCount: what DynamoDB reads and bills, filter or not).
type queryCounter struct {
	*dynamodb.Client
	mu               sync.Mutex
	queries, scanned int
	indexes          []string
}

func (c *queryCounter) Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	out, err := c.Client.Query(ctx, in, opts...)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.queries++
	c.indexes = append(c.indexes, aws.ToString(in.IndexName))
	if out != nil {
		c.scanned += int(out.ScannedCount)
	}
	return out, err
}

func (c *queryCounter) reset() (queries, scanned int, indexes []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	queries, scanned, indexes = c.queries, c.scanned, c.indexes
	c.queries, c.scanned, c.indexes = 0, 0, nil
	return queries, scanned, indexes
}

// TestListCampaignsReadsOnePage checks the cost of a listing on DynamoDB:
// one Query of the campaigns index (never a scan of the table) that reads
// the page's campaigns and no more when nothing is filtered, and at most
// twice the page per request when a filter drops some.
func TestListCampaignsReadsOnePage(t *testing.T) {
	client, name := newTable(t)
	counter := &queryCounter{Client: client}
	s := dynamo.New(counter, name)
	ctx := context.Background()
	base := time.Now().UTC().Truncate(time.Second)
	for i := range 30 {
		c, rs := storetest.Fixture("acct1", fmt.Sprintf("c%02d", i), 1)
		c.CreatedAt = base.Add(time.Duration(i) * time.Second)
		if i%3 != 0 {
			c.Skill = "service"
		}
		if err := s.CreateCampaign(ctx, c, rs); err != nil {
			t.Fatal(err)
		}
	}
	counter.reset()
	page, err := s.ListCampaigns(ctx, "acct1", store.CampaignFilter{}, store.CampaignPosition{}, 10)
	if err != nil || len(page.Campaigns) != 10 || page.Campaigns[0].ID != "c29" {
		t.Fatalf("page = %d campaigns from %v, %v", len(page.Campaigns), page.Campaigns, err)
	}
	if q, scanned, idx := counter.reset(); q != 1 || scanned != 10 || idx[0] != dynamo.IndexCampaigns {
		t.Errorf("an unfiltered page of 10: %d queries of %v reading %d items; want 1 query of %s reading 10", q, idx, scanned, dynamo.IndexCampaigns)
	}
	page, err = s.ListCampaigns(ctx, "acct1", store.CampaignFilter{Skill: "sales"}, store.CampaignPosition{}, 5)
	if err != nil || len(page.Campaigns) != 5 || page.Campaigns[0].ID != "c27" || page.Campaigns[4].ID != "c15" {
		t.Fatalf("filtered page = %v, %v", page.Campaigns, err)
	}
	if q, scanned, _ := counter.reset(); scanned > 2*5*q || scanned < 15 {
		t.Errorf("a filtered page of 5 (1 in 3 matching): %d queries reading %d items; want at most 10 a query", q, scanned)
	}
}
