package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storecodec"
)

var _ store.Channels = (*Table)(nil)

// channelSKPrefix starts the sort key of a channel configuration item: pk
// ACCOUNT#<account>, sk CHANNEL#<channel>, beside the account's settings
// and templates.
const channelSKPrefix = "CHANNEL#"

// channelItem is an account's configuration of one channel. Data holds
// storecodec.EncodeChannelConfig, credentials sealed; Version is repeated as a
// number for the conditional write.
type channelItem struct {
	PK      string `dynamodbav:"pk"`
	SK      string `dynamodbav:"sk"`
	Version int    `dynamodbav:"version"`
	Data    string `dynamodbav:"data"`
}

func channelKey(accountID string, channel parley.Channel) item {
	return itemKey("ACCOUNT#"+accountID, channelSKPrefix+string(channel))
}

// decodeChannel decodes a channel configuration item, sealing in place
// the credentials of an item written before they were sealed.
func (t *Table) decodeChannel(ctx context.Context, av item) (parley.ChannelConfig, error) {
	var it channelItem
	if err := attributevalue.UnmarshalMap(av, &it); err != nil {
		return parley.ChannelConfig{}, fmt.Errorf("decode %s %s: %w", itemString(av, AttrPK), itemString(av, AttrSK), err)
	}
	accountID, channel := strings.TrimPrefix(it.PK, "ACCOUNT#"), parley.Channel(strings.TrimPrefix(it.SK, channelSKPrefix))
	c, inClear, err := storecodec.DecodeChannelConfig(ctx, t.sealer, accountID, channel, []byte(it.Data))
	if err != nil {
		return parley.ChannelConfig{}, fmt.Errorf("%s %s: %w", it.PK, it.SK, err)
	}
	if inClear {
		data, err := storecodec.EncodeChannelConfig(ctx, t.sealer, c)
		if err != nil {
			return parley.ChannelConfig{}, err
		}
		err = t.sealInPlace(ctx, &dynamodb.UpdateItemInput{
			Key:                       channelKey(accountID, channel),
			UpdateExpression:          aws.String("SET #data = :sealed"),
			ConditionExpression:       aws.String("#data = :clear"),
			ExpressionAttributeNames:  map[string]string{"#data": "data"},
			ExpressionAttributeValues: item{":sealed": str(string(data)), ":clear": str(it.Data)},
		})
		if err != nil {
			return parley.ChannelConfig{}, err
		}
	}
	return c, nil
}

// PutChannelConfig implements store.Channels with a write conditional on
// the saved version.
func (t *Table) PutChannelConfig(ctx context.Context, c parley.ChannelConfig) error {
	data, err := storecodec.EncodeChannelConfig(ctx, t.sealer, c)
	if err != nil {
		return err
	}
	key := channelKey(c.AccountID, c.Channel)
	av, err := encode(channelItem{PK: itemString(key, AttrPK), SK: itemString(key, AttrSK), Version: c.Version, Data: string(data)})
	if err != nil {
		return err
	}
	in := &dynamodb.PutItemInput{TableName: &t.name, Item: av, ConditionExpression: aws.String(condNotExists)}
	if c.Version > 1 {
		in.ConditionExpression = aws.String("#version = :prev")
		in.ExpressionAttributeNames = map[string]string{"#version": "version"}
		in.ExpressionAttributeValues = item{":prev": &types.AttributeValueMemberN{Value: strconv.Itoa(c.Version - 1)}}
	}
	_, err = t.db.PutItem(ctx, in)
	var failed *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &failed):
		return parley.Errorf(parley.ECONFLICT, "channel %s of account %s is not at version %d", c.Channel, c.AccountID, c.Version-1)
	case err != nil:
		return t.unavailable(err, "PutItem")
	}
	return nil
}

// ChannelConfig implements store.Channels.
func (t *Table) ChannelConfig(ctx context.Context, accountID string, channel parley.Channel) (parley.ChannelConfig, error) {
	av, err := t.get(ctx, channelKey(accountID, channel))
	if err != nil {
		return parley.ChannelConfig{}, err
	}
	if av == nil {
		return parley.ChannelConfig{}, parley.Errorf(parley.ENOTFOUND, "channel %s of account %s is not configured", channel, accountID)
	}
	return t.decodeChannel(ctx, av)
}

// ChannelConfigs implements store.Channels.
func (t *Table) ChannelConfigs(ctx context.Context, accountID string) ([]parley.ChannelConfig, error) {
	avs, err := t.query(ctx, &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String(AttrPK + " = :pk AND begins_with(" + AttrSK + ", :prefix)"),
		ExpressionAttributeValues: item{":pk": str("ACCOUNT#" + accountID), ":prefix": str(channelSKPrefix)},
		ConsistentRead:            aws.Bool(true),
	}, 0)
	if err != nil {
		return nil, err
	}
	out := make([]parley.ChannelConfig, 0, len(avs))
	for _, av := range avs {
		c, err := t.decodeChannel(ctx, av)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}
