package dynamo

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// dueQuery lists the recipients of due index shard n whose due time sorts
// before bound, earliest first.
func dueQuery(status parley.RecipientStatus, n int, bound string) *dynamodb.QueryInput {
	return &dynamodb.QueryInput{
		IndexName:              aws.String(IndexDue),
		KeyConditionExpression: aws.String(AttrDueShard + " = :shard AND " + AttrDueAt + " < :before"),
		ExpressionAttributeValues: item{
			":shard":  str(dueShardName(status, n)),
			":before": str(bound),
		},
	}
}

// DueRecipients implements store.Recipients. It queries the DueShards partitions
// of the due index concurrently, up to limit recipients each, and merges
// them by due time. The index is eventually consistent, so a recipient
// changed a moment ago may still be listed or not yet be: callers claim what
// they get with a conditional UpdateRecipient. A before outside the years
// 0000 to 9999 is EINVALID.
func (t *Table) DueRecipients(ctx context.Context, status parley.RecipientStatus, before time.Time, limit int) ([]parley.Recipient, error) {
	limit = min(max(limit, 1), store.MaxPage)
	bound, err := dueString(before)
	if err != nil {
		return nil, err
	}
	shards := make([][]item, DueShards)
	errs := make([]error, DueShards)
	var wg sync.WaitGroup
	for n := range DueShards {
		wg.Go(func() { shards[n], errs[n] = t.query(ctx, dueQuery(status, n, bound), limit) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	due := slices.Concat(shards...)
	slices.SortFunc(due, compareDue)
	return decodeAll[recipientItem](due[:min(len(due), limit)])
}

// compareDue orders index items by due time, then by key, so that equal
// due times come out in a stable order.
func compareDue(a, b item) int {
	return cmp.Or(
		cmp.Compare(itemString(a, AttrDueAt), itemString(b, AttrDueAt)),
		cmp.Compare(itemString(a, AttrPK), itemString(b, AttrPK)),
		cmp.Compare(itemString(a, AttrSK), itemString(b, AttrSK)),
	)
}

// RecipientStatusCounts implements store.Recipients. The table keeps no
// counts by status (keeping them on each change would add a write to
// every send): ok is always false, and callers count by listing.
func (t *Table) RecipientStatusCounts(ctx context.Context, accountID, campaignID string) (map[parley.RecipientStatus]int, bool, error) {
	return nil, false, nil
}
