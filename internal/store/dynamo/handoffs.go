package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

var _ store.Handoffs = (*Table)(nil)

// An account's handoffs live in its partition ACCOUNT#<account>, each as
// JSON: the latest version under HANDOFF#<id> (with its version as an
// attribute, for the conditional write), every version under
// HANDOFFV#<id>#<version as 10 digits>, and the title claim under
// HANDOFFTITLE#<title key> holding the id. An edit writes the three (and
// frees the old title) in one transaction.
const (
	handoffSKPrefix        = "HANDOFF#"
	handoffVersionSKPrefix = "HANDOFFV#"
	handoffTitleSKPrefix   = "HANDOFFTITLE#"
)

func accountPK(accountID string) string { return "ACCOUNT#" + accountID }

func handoffVersionPrefix(id string) string { return handoffVersionSKPrefix + id + "#" }

// handoffItem is a handoff version, kept whole as JSON.
type handoffItem struct {
	PK      string `dynamodbav:"pk"`
	SK      string `dynamodbav:"sk"`
	Version int    `dynamodbav:"version"`
	Data    string `dynamodbav:"data"`
}

func (it handoffItem) domain() parley.Handoff {
	var h parley.Handoff
	_ = json.Unmarshal([]byte(it.Data), &h) // written by PutHandoff
	return h
}

// handoffTitleItem claims a title for a handoff.
type handoffTitleItem struct {
	PK        string `dynamodbav:"pk"`
	SK        string `dynamodbav:"sk"`
	HandoffID string `dynamodbav:"handoffId"`
}

// PutHandoff implements store.Handoffs.
func (t *Table) PutHandoff(ctx context.Context, h parley.Handoff) error {
	data, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("encode handoff %s: %w", h.ID, err)
	}
	pk := accountPK(h.AccountID)
	var old parley.Handoff
	if h.Version > 1 {
		if old, err = t.Handoff(ctx, h.AccountID, h.ID); err != nil && parley.ErrorCode(err) != parley.ENOTFOUND {
			return err
		}
	}
	current, err := encode(handoffItem{PK: pk, SK: handoffSKPrefix + h.ID, Version: h.Version, Data: string(data)})
	if err != nil {
		return err
	}
	version, err := encode(handoffItem{PK: pk, SK: fmt.Sprintf("%s%010d", handoffVersionPrefix(h.ID), h.Version), Version: h.Version, Data: string(data)})
	if err != nil {
		return err
	}
	title, err := encode(handoffTitleItem{PK: pk, SK: handoffTitleSKPrefix + parley.TitleKey(h.Title), HandoffID: h.ID})
	if err != nil {
		return err
	}
	items := versionedClaim(current, h.Version, title, "handoffId", h.ID)
	items = append(items, types.TransactWriteItem{Put: &types.Put{Item: version, ConditionExpression: aws.String(condNotExists)}})
	if old.Version > 0 && parley.TitleKey(old.Title) != parley.TitleKey(h.Title) {
		items = append(items, t.release(pk, handoffTitleSKPrefix+parley.TitleKey(old.Title)))
	}
	err = t.routingTransact(ctx, items)
	if errors.Is(err, errCondition) {
		return parley.Errorf(parley.ECONFLICT, "handoff %s changed meanwhile, or another handoff has the title %q", h.ID, h.Title)
	}
	return err
}

// versionedClaim is the transaction that saves current as version v of
// its item if the stored one has version v-1 (none stored, for v = 1),
// and claims the unique claim (another item) for holder, named in its
// attribute holderAttr, unless another holds it.
func versionedClaim(current item, v int, claim item, holderAttr, holder string) []types.TransactWriteItem {
	put := &types.Put{Item: current, ConditionExpression: aws.String(condNotExists)}
	if v > 1 {
		put.ConditionExpression = aws.String("version = :prev")
		put.ExpressionAttributeValues = item{":prev": num(v - 1)}
	}
	return []types.TransactWriteItem{
		{Put: put},
		{Put: &types.Put{Item: claim, ConditionExpression: aws.String(condNotExists + " OR " + holderAttr + " = :id"),
			ExpressionAttributeValues: item{":id": str(holder)}}},
	}
}

// release deletes the item pk, sk within a transaction: a freed claim.
func (t *Table) release(pk, sk string) types.TransactWriteItem {
	return types.TransactWriteItem{Delete: &types.Delete{TableName: &t.name, Key: itemKey(pk, sk)}}
}

// Handoff implements store.Handoffs.
func (t *Table) Handoff(ctx context.Context, accountID, id string) (parley.Handoff, error) {
	av, err := t.mustGet(ctx, itemKey(accountPK(accountID), handoffSKPrefix+id), "handoff", id)
	if err != nil {
		return parley.Handoff{}, err
	}
	return decode[handoffItem](av)
}

// HandoffVersions implements store.Handoffs.
func (t *Table) HandoffVersions(ctx context.Context, accountID, id string) ([]parley.Handoff, error) {
	out, err := t.handoffQuery(ctx, accountID, handoffVersionPrefix(id))
	if err == nil && len(out) == 0 {
		err = notFound("handoff", id)
	}
	return out, err
}

// Handoffs implements store.Handoffs.
func (t *Table) Handoffs(ctx context.Context, accountID string) ([]parley.Handoff, error) {
	return t.handoffQuery(ctx, accountID, handoffSKPrefix)
}

func (t *Table) handoffQuery(ctx context.Context, accountID, prefix string) ([]parley.Handoff, error) {
	avs, err := t.query(ctx, &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String(recipientsQuery),
		ExpressionAttributeValues: item{":pk": str(accountPK(accountID)), ":prefix": str(prefix)},
		ConsistentRead:            aws.Bool(true),
	}, 0)
	if err != nil {
		return nil, err
	}
	return decodeAll[handoffItem](avs)
}

// DeleteHandoff implements store.Handoffs: the latest version and the
// title claim in one transaction, then the earlier versions.
func (t *Table) DeleteHandoff(ctx context.Context, accountID, id string) error {
	h, err := t.Handoff(ctx, accountID, id)
	if err != nil {
		return err
	}
	pk := accountPK(accountID)
	err = t.routingTransact(ctx, []types.TransactWriteItem{
		{Delete: &types.Delete{TableName: &t.name, Key: itemKey(pk, handoffSKPrefix+id),
			ConditionExpression: aws.String("version = :v"), ExpressionAttributeValues: item{":v": num(h.Version)}}},
		{Delete: &types.Delete{TableName: &t.name, Key: itemKey(pk, handoffTitleSKPrefix+parley.TitleKey(h.Title)),
			ConditionExpression: aws.String("handoffId = :id"), ExpressionAttributeValues: item{":id": str(id)}}},
	})
	if errors.Is(err, errCondition) {
		return parley.Errorf(parley.ECONFLICT, "handoff %s changed meanwhile; read it again", id)
	}
	if err != nil {
		return err
	}
	for v := 1; v <= h.Version; v++ {
		key := itemKey(pk, fmt.Sprintf("%s%010d", handoffVersionPrefix(id), v))
		if _, err := t.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &t.name, Key: key}); err != nil {
			return t.unavailable(err, "DeleteItem")
		}
	}
	return nil
}
