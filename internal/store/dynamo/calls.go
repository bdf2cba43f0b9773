package dynamo

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

var _ store.Calls = (*Table)(nil)

// A call lives in its account's partition under CALL#<callId>, kept whole
// as JSON, with the TTL attribute set to its ExpiresAt: DynamoDB deletes
// it (late, and free) once the invite and its lookback are over.
const callSKPrefix = "CALL#"

// callItem is one call context.
type callItem struct {
	PK        string `dynamodbav:"pk"`
	SK        string `dynamodbav:"sk"`
	Data      string `dynamodbav:"data"`
	ExpiresAt int64  `dynamodbav:"expiresAt"`
}

// PutCall implements store.Calls.
func (t *Table) PutCall(ctx context.Context, c parley.Call) error {
	data, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("encode call %s: %w", c.ID, err)
	}
	return t.put(ctx, callItem{PK: accountPK(c.AccountID), SK: callSKPrefix + c.ID, Data: string(data), ExpiresAt: ttlSeconds(c.ExpiresAt)}, nil)
}

// Call implements store.Calls.
func (t *Table) Call(ctx context.Context, accountID, id string) (parley.Call, error) {
	av, err := t.mustGet(ctx, itemKey(accountPK(accountID), callSKPrefix+id), "call", id)
	if err != nil {
		return parley.Call{}, err
	}
	var it callItem
	if err := attributevalue.UnmarshalMap(av, &it); err != nil {
		return parley.Call{}, fmt.Errorf("decode call %s: %w", id, err)
	}
	var c parley.Call
	if err := json.Unmarshal([]byte(it.Data), &c); err != nil {
		return parley.Call{}, fmt.Errorf("decode call %s: %w", id, err)
	}
	return c, nil
}
