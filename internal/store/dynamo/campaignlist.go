package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// ListCampaigns implements store.Campaigns: one Query of IndexCampaigns,
// newest first, that examines at most MaxCampaignScan entries. The
// creation range is the key condition; channel and skill are a filter,
// so entries that do not match are read (and paid for) but not returned.
// A page therefore reads between len(Campaigns) and MaxCampaignScan
// index entries: with no filter, exactly the campaigns it returns (one
// Query); with one, up to twice the page per Query.
func (t *Table) ListCampaigns(ctx context.Context, accountID string, f store.CampaignFilter, after store.CampaignPosition, limit int) (store.CampaignPage, error) {
	limit = min(max(limit, 1), store.MaxCampaignPage)
	values := item{":of": str(campaignsOf(accountID))}
	cond := AttrCampaignsOf + " = :of"
	switch lo, hi := !f.CreatedFrom.IsZero(), !f.CreatedTo.IsZero(); {
	case lo && hi:
		cond += " AND " + AttrCreatedKey + " BETWEEN :lo AND :hi"
		values[":lo"], values[":hi"] = str(sortable(f.CreatedFrom)), str(sortable(f.CreatedTo))
	case lo:
		cond += " AND " + AttrCreatedKey + " >= :lo"
		values[":lo"] = str(sortable(f.CreatedFrom))
	case hi:
		cond += " AND " + AttrCreatedKey + " < :hi"
		values[":hi"] = str(sortable(f.CreatedTo))
	}
	in := &dynamodb.QueryInput{
		TableName:                 &t.name,
		IndexName:                 aws.String(IndexCampaigns),
		KeyConditionExpression:    aws.String(cond),
		ExpressionAttributeValues: values,
		ScanIndexForward:          aws.Bool(false),
	}
	var filters []string
	names := map[string]string{}
	if f.Channel != "" {
		filters = append(filters, "#channel = :channel")
		names["#channel"], values[":channel"] = "channel", str(string(f.Channel))
	}
	if f.Skill != "" {
		filters = append(filters, "#skill = :skill")
		names["#skill"], values[":skill"] = "skill", str(f.Skill)
	}
	if len(filters) > 0 {
		expr := filters[0]
		for _, more := range filters[1:] {
			expr += " AND " + more
		}
		in.FilterExpression, in.ExpressionAttributeNames = aws.String(expr), names
	}
	switch {
	case after.IsZero():
	case !f.CreatedFrom.IsZero() && after.CreatedAt.Before(f.CreatedFrom):
		// Everything older than after is older than the range.
		return store.CampaignPage{Campaigns: []parley.Campaign{}}, nil
	case !f.CreatedTo.IsZero() && !after.CreatedAt.Before(f.CreatedTo):
		// The whole range is older than after: list it from its newest
		// (a start key outside the key condition is refused).
	default:
		in.ExclusiveStartKey = item{
			AttrPK: str(campaignPK(accountID, after.ID)), AttrSK: str(campaignSK),
			AttrCampaignsOf: str(campaignsOf(accountID)), AttrCreatedKey: str(createdKey(after)),
		}
	}
	page := store.CampaignPage{Campaigns: []parley.Campaign{}}
	for scanned := 0; ; {
		// Each request examines what the page still needs, within what
		// is left of the scan budget; with a filter, which may drop some,
		// up to one page more.
		want := limit - len(page.Campaigns)
		if in.FilterExpression != nil {
			want += limit
		}
		in.Limit = aws.Int32(int32(min(store.MaxCampaignScan-scanned, want)))
		out, err := t.db.Query(ctx, in)
		if err != nil {
			return store.CampaignPage{}, t.unavailable(err, "Query")
		}
		scanned += int(out.ScannedCount)
		for _, av := range out.Items {
			c, err := decode[campaignItem](av)
			if err != nil {
				return store.CampaignPage{}, err
			}
			if len(page.Campaigns) == limit {
				// More matched than the page holds: continue after the
				// last one it does hold.
				return page, nil
			}
			page.Campaigns = append(page.Campaigns, c)
			page.Next = store.PositionOf(c)
		}
		if len(out.LastEvaluatedKey) == 0 {
			page.Next = store.CampaignPosition{}
			return page, nil
		}
		next, err := positionOf(itemString(out.LastEvaluatedKey, AttrCreatedKey))
		if err != nil {
			return store.CampaignPage{}, err
		}
		page.Next = next
		if len(page.Campaigns) == limit || scanned >= store.MaxCampaignScan {
			return page, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// positionOf reads the position an IndexCampaigns sort key names.
func positionOf(key string) (store.CampaignPosition, error) {
	at, id, ok := strings.Cut(key, "#")
	created, err := time.Parse(time.RFC3339Nano, at)
	if !ok || err != nil || id == "" {
		return store.CampaignPosition{}, fmt.Errorf("campaigns index key %q is not <time>#<id>", key)
	}
	return store.CampaignPosition{CreatedAt: created, ID: id}, nil
}

// CompleteCampaign implements store.Campaigns: one conditional update that
// sets completedAt unless it is set.
func (t *Table) CompleteCampaign(ctx context.Context, accountID, campaignID string, at time.Time) (parley.Campaign, error) {
	av, err := t.update(ctx, &dynamodb.UpdateItemInput{
		Key:                       campaignKey(accountID, campaignID),
		UpdateExpression:          aws.String("SET completedAt = :at"),
		ConditionExpression:       aws.String(condExists + " AND (attribute_not_exists(completedAt) OR completedAt = :zero)"),
		ExpressionAttributeValues: item{":at": timeValue(at.UTC()), ":zero": timeValue(time.Time{})},
	})
	switch {
	case errors.Is(err, errCondition) && av == nil:
		return parley.Campaign{}, notFound("campaign", campaignID)
	case err != nil && !errors.Is(err, errCondition):
		return parley.Campaign{}, err
	}
	return decode[campaignItem](av)
}
