package dynamo

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

var (
	_ store.PushTokens = (*Table)(nil)
	_ store.Devices    = (*Table)(nil)
)

// A consumer's device tokens share the partition
// ACCOUNT#<account>#CONSUMER#<consumer id>, one item per token under the
// sort key PUSHTOKEN#<token>, so listing them is one Query.
const pushTokenSKPrefix = "PUSHTOKEN#"

func consumerPK(accountID, consumerID string) string {
	return "ACCOUNT#" + accountID + "#CONSUMER#" + consumerID
}

func pushTokenKey(accountID, consumerID, token string) item {
	return itemKey(consumerPK(accountID, consumerID), pushTokenSKPrefix+token)
}

// pushTokenItem is one registered device.
type pushTokenItem struct {
	PK           string    `dynamodbav:"pk"`
	SK           string    `dynamodbav:"sk"`
	AccountID    string    `dynamodbav:"accountId"`
	ConsumerID   string    `dynamodbav:"consumerId"`
	Token        string    `dynamodbav:"token"`
	Platform     string    `dynamodbav:"platform,omitempty"`
	App          string    `dynamodbav:"app,omitempty"`
	RegisteredAt time.Time `dynamodbav:"registeredAt"`
}

func (it pushTokenItem) domain() parley.PushToken {
	return parley.PushToken{AccountID: it.AccountID, ConsumerID: it.ConsumerID, Token: it.Token, Platform: it.Platform, App: it.App, RegisteredAt: it.RegisteredAt}
}

// PutPushToken implements store.PushTokens.
func (t *Table) PutPushToken(ctx context.Context, p parley.PushToken) error {
	return t.put(ctx, pushTokenItem{
		PK: consumerPK(p.AccountID, p.ConsumerID), SK: pushTokenSKPrefix + p.Token,
		AccountID: p.AccountID, ConsumerID: p.ConsumerID, Token: p.Token, Platform: p.Platform, App: p.App, RegisteredAt: p.RegisteredAt,
	}, nil)
}

// PushTokens implements store.PushTokens.
func (t *Table) PushTokens(ctx context.Context, accountID, consumerID string) ([]parley.PushToken, error) {
	avs, err := t.query(ctx, &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String(recipientsQuery),
		ExpressionAttributeValues: item{":pk": str(consumerPK(accountID, consumerID)), ":prefix": str(pushTokenSKPrefix)},
		ConsistentRead:            aws.Bool(true),
	}, 0)
	if err != nil {
		return nil, err
	}
	return decodeAll[pushTokenItem](avs)
}

// DeviceTokens implements store.Devices.
func (t *Table) DeviceTokens(ctx context.Context, accountID, consumerID string, apps []string) ([]string, error) {
	ts, err := t.PushTokens(ctx, accountID, consumerID)
	if err != nil {
		return nil, err
	}
	return parley.TokensFor(ts, apps), nil
}

// RemoveDeviceToken implements store.Devices. It
// deletes through BatchWriteItem, which the table's API already has; a
// delete of an absent item succeeds.
func (t *Table) RemoveDeviceToken(ctx context.Context, accountID, consumerID, token string) error {
	return t.batchWrite(ctx, []types.WriteRequest{{
		DeleteRequest: &types.DeleteRequest{Key: pushTokenKey(accountID, consumerID, token)},
	}})
}
