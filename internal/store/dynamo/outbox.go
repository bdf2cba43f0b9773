package dynamo

import (
	"context"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// A Table is also the sandbox outbox, beside the store port (store.Store)
// rather than in it.
var _ store.Outbox = (*Table)(nil)

// RecordSandbox implements store.Outbox.
func (t *Table) RecordSandbox(ctx context.Context, m parley.SentMessage) error {
	if err := t.put(ctx, newSandboxItem(m), nil); err != nil {
		return err
	}
	byRef := newSandboxItem(m)
	byRef.PK, byRef.SK = sandboxRefPK(m.AccountID, m.CampaignID, m.RecipientID), sandboxRefSK
	return t.put(ctx, byRef, nil)
}

// SandboxMessage implements store.Outbox: each message is also stored under
// its recipient's key.
func (t *Table) SandboxMessage(ctx context.Context, ref parley.Ref) (parley.SentMessage, bool, error) {
	av, err := t.get(ctx, itemKey(sandboxRefPK(ref.AccountID, ref.CampaignID, ref.RecipientID), sandboxRefSK))
	if err != nil || av == nil {
		return parley.SentMessage{}, false, err
	}
	m, err := decode[sandboxItem](av)
	return m, err == nil, err
}

// SandboxMessages implements store.Outbox.
func (t *Table) SandboxMessages(ctx context.Context, accountID string) ([]parley.SentMessage, error) {
	avs, err := t.query(ctx, &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String(keyIsPartition),
		ExpressionAttributeValues: item{":pk": str(sandboxPKPrefix + accountID)},
		ConsistentRead:            aws.Bool(true),
		ScanIndexForward:          aws.Bool(false),
	}, store.MaxSandboxMessages)
	if err != nil {
		return nil, err
	}
	ms, err := decodeAll[sandboxItem](avs)
	slices.Reverse(ms)
	return ms, err
}
