package dynamo

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

var _ store.Clients = (*Table)(nil)

// API clients are kept whole as JSON, twice: under pk CLIENT#<id>, sk
// CLIENT, where a token request finds it by id alone, and under pk
// ACCOUNT#<account>, sk CLIENT#<id>, where the account's list is one query.
// The item by id is the one that authenticates; both are written in one
// BatchWriteItem.
const (
	clientPKPrefix = "CLIENT#"
	clientSK       = "CLIENT"
	clientSKPrefix = "CLIENT#"
)

// clientItem is an API client kept as JSON.
type clientItem struct {
	PK   string `dynamodbav:"pk"`
	SK   string `dynamodbav:"sk"`
	Data string `dynamodbav:"data"`
}

func clientKey(id string) item { return itemKey(clientPKPrefix+id, clientSK) }

func accountClientKey(accountID, id string) item {
	return itemKey("ACCOUNT#"+accountID, clientSKPrefix+id)
}

func (it clientItem) domain() parley.APIClient {
	var c parley.APIClient
	_ = json.Unmarshal([]byte(it.Data), &c) // written by PutClient from a client
	return c
}

// PutClient implements store.Clients.
func (t *Table) PutClient(ctx context.Context, c parley.APIClient) error {
	data, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("encode client %s: %w", c.ID, err)
	}
	var reqs []types.WriteRequest
	for _, key := range []item{clientKey(c.ID), accountClientKey(c.AccountID, c.ID)} {
		av, err := encode(clientItem{PK: itemString(key, AttrPK), SK: itemString(key, AttrSK), Data: string(data)})
		if err != nil {
			return err
		}
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: av}})
	}
	return t.batchWrite(ctx, reqs)
}

// Client implements store.Clients.
func (t *Table) Client(ctx context.Context, id string) (parley.APIClient, error) {
	av, err := t.mustGet(ctx, clientKey(id), "client", id)
	if err != nil {
		return parley.APIClient{}, err
	}
	return decode[clientItem](av)
}

// ClientsOf implements store.Clients.
func (t *Table) ClientsOf(ctx context.Context, accountID string) ([]parley.APIClient, error) {
	avs, err := t.query(ctx, &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String(recipientsQuery),
		ExpressionAttributeValues: item{":pk": str("ACCOUNT#" + accountID), ":prefix": str(clientSKPrefix)},
		ConsistentRead:            aws.Bool(true),
	}, 0)
	if err != nil {
		return nil, err
	}
	out, err := decodeAll[clientItem](avs)
	if out == nil {
		out = []parley.APIClient{}
	}
	return out, err
}

// DeleteClient implements store.Clients.
func (t *Table) DeleteClient(ctx context.Context, accountID, id string) error {
	c, err := t.Client(ctx, id)
	if err != nil {
		return err
	}
	if c.AccountID != accountID {
		return notFound("client", id)
	}
	return t.batchWrite(ctx, []types.WriteRequest{
		{DeleteRequest: &types.DeleteRequest{Key: clientKey(id)}},
		{DeleteRequest: &types.DeleteRequest{Key: accountClientKey(accountID, id)}},
	})
}
