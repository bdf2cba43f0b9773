package dynamo

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Opt-outs and seen marks.
//
// An account's opt-out list is one item collection: pk
// ACCOUNT#<account>#OPTOUT, sk <phone>#<channel>, so one Query with
// begins_with(sk, "<phone>#") answers whether a number is opted out of any
// channel, and the whole list pages in phone order. The list stays apart
// from the account's settings and templates (pk ACCOUNT#<account>) so that
// send-time checks at the account's full rate read their own partition.
//
// A seen mark is pk SEEN#<scope>#<id>, sk SEEN, with the TTL attribute: a
// conditional PutItem that succeeds only when the mark is absent or expired.
//
// Nothing maps a provider's message id to its recipient: that would cost a
// write per message sent. Status callbacks carry the recipient's reference,
// which the provider echoes back (parley.Message.CallbackRef), and read the
// recipient directly.

var (
	_ store.OptOuts = (*Table)(nil)
	_ store.Seen    = (*Table)(nil)
)

const (
	optOutPKSuffix = "#OPTOUT"
	seenSK         = "SEEN"
)

func optOutPK(accountID string) string { return "ACCOUNT#" + accountID + optOutPKSuffix }

func optOutSK(phone string, channel parley.Channel) string { return phone + "#" + string(channel) }

// optOutItem is one opt-out entry.
type optOutItem struct {
	PK        string    `dynamodbav:"pk"`
	SK        string    `dynamodbav:"sk"`
	AccountID string    `dynamodbav:"accountId"`
	Channel   string    `dynamodbav:"channel"`
	Phone     string    `dynamodbav:"phone"`
	Source    string    `dynamodbav:"source,omitempty"`
	CreatedAt time.Time `dynamodbav:"createdAt"`
}

func (it optOutItem) domain() parley.OptOut {
	return parley.OptOut{AccountID: it.AccountID, Channel: parley.Channel(it.Channel), Phone: it.Phone, Source: it.Source, CreatedAt: it.CreatedAt}
}

// PutOptOut implements store.OptOuts.
func (t *Table) PutOptOut(ctx context.Context, e parley.OptOut) (bool, error) {
	it := optOutItem{
		PK: optOutPK(e.AccountID), SK: optOutSK(e.Phone, e.Channel),
		AccountID: e.AccountID, Channel: string(e.Channel), Phone: e.Phone, Source: e.Source, CreatedAt: e.CreatedAt,
	}
	err := t.put(ctx, it, aws.String(condNotExists))
	if errors.Is(err, errCondition) {
		return false, nil
	}
	return err == nil, err
}

// DeleteOptOut implements store.OptOuts.
func (t *Table) DeleteOptOut(ctx context.Context, accountID string, channel parley.Channel, phone string) (bool, error) {
	out, err := t.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: &t.name, Key: itemKey(optOutPK(accountID), optOutSK(phone, channel)),
		ReturnValues: types.ReturnValueAllOld,
	})
	if err != nil {
		return false, t.unavailable(err, "DeleteItem")
	}
	return len(out.Attributes) > 0, nil
}

// PhoneOptOuts implements store.OptOuts.
func (t *Table) PhoneOptOuts(ctx context.Context, accountID, phone string) ([]parley.OptOut, error) {
	avs, err := t.query(ctx, &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String(recipientsQuery),
		ExpressionAttributeValues: item{":pk": str(optOutPK(accountID)), ":prefix": str(phone + "#")},
		ConsistentRead:            aws.Bool(true),
	}, 0)
	if err != nil {
		return nil, err
	}
	return decodeAll[optOutItem](avs)
}

// OptOuts implements store.OptOuts.
func (t *Table) OptOuts(ctx context.Context, accountID, afterPhone string, afterChannel parley.Channel, limit int) ([]parley.OptOut, error) {
	pk := optOutPK(accountID)
	in := &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String(keyIsPartition),
		ExpressionAttributeValues: item{":pk": str(pk)},
		ConsistentRead:            aws.Bool(true),
	}
	if afterPhone != "" {
		in.ExclusiveStartKey = itemKey(pk, optOutSK(afterPhone, afterChannel))
	}
	avs, err := t.query(ctx, in, min(max(limit, 1), store.MaxPage))
	if err != nil {
		return nil, err
	}
	return decodeAll[optOutItem](avs)
}

// MarkSeen implements store.Seen. The mark carries its expiry in the TTL
// attribute (epoch seconds), so it is also valid to within a second.
func (t *Table) MarkSeen(ctx context.Context, scope, id string, now time.Time, ttl time.Duration) (bool, error) {
	_, err := t.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &t.name,
		Item: item{
			AttrPK: str(seenPK(scope, id)), AttrSK: str(seenSK),
			AttrExpiresAt: epoch(now.Add(ttl)),
		},
		ConditionExpression:       aws.String(condNotExists + " OR " + AttrExpiresAt + " < :now"),
		ExpressionAttributeValues: item{":now": epoch(now)},
	})
	var failed *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &failed):
		return false, nil
	case err != nil:
		return false, t.unavailable(err, "PutItem")
	}
	return true, nil
}

func seenPK(scope, id string) string { return "SEEN#" + scope + "#" + id }

// ForgetSeen implements store.Seen.
func (t *Table) ForgetSeen(ctx context.Context, scope, id string) error {
	_, err := t.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &t.name, Key: itemKey(seenPK(scope, id), seenSK)})
	if err != nil {
		return t.unavailable(err, "DeleteItem")
	}
	return nil
}

func epoch(t time.Time) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(t.Unix(), 10)}
}
