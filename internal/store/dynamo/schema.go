package dynamo

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/parleyhq/parley/internal/parley"
)

// The table schema. The SAM template declares the same table; keep the two
// in step.
const (
	// AttrPK is the table's partition key (S).
	AttrPK = "pk"
	// AttrSK is the table's sort key (S).
	AttrSK = "sk"
	// AttrExpiresAt is the TTL attribute (N, epoch seconds).
	AttrExpiresAt = "expiresAt"
	// AttrFanoutPending is the fanout index's partition key (S). Only
	// campaigns whose fan-out is incomplete carry it, set to
	// FanoutPendingValue.
	AttrFanoutPending = "fanoutPending"
	// FanoutPendingValue is the value of AttrFanoutPending on a campaign
	// whose fan-out is incomplete.
	FanoutPendingValue = "1"
	// IndexFanout is the sparse global secondary index of campaigns with
	// fan-out pending: partition key AttrFanoutPending, sort key AttrPK,
	// projection ALL.
	IndexFanout = "fanout"
)

// tableActiveTimeout bounds how long EnsureTable waits for a new table.
const tableActiveTimeout = 2 * time.Minute

// EnsureTable creates the table with Parley's schema unless it exists, waits
// until it is ACTIVE and enables its TTL. It is for emulators and tests; in
// AWS the SAM template creates the table.
func EnsureTable(ctx context.Context, client *dynamodb.Client, table string) error {
	_, err := client.CreateTable(ctx, createTableInput(table))
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return parley.Wrap(parley.EUNAVAILABLE, err, "dynamodb CreateTable %s", table)
	}
	waiter := dynamodb.NewTableExistsWaiter(client, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay = time.Second
		o.MaxDelay = 5 * time.Second
	})
	if err := waiter.Wait(ctx, &dynamodb.DescribeTableInput{TableName: &table}, tableActiveTimeout); err != nil {
		return parley.Wrap(parley.EUNAVAILABLE, err, "dynamodb table %s did not become active", table)
	}
	return enableTTL(ctx, client, table)
}

func createTableInput(table string) *dynamodb.CreateTableInput {
	return &dynamodb.CreateTableInput{
		TableName:   &table,
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(AttrPK), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(AttrSK), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(AttrFanoutPending), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: keySchema(AttrPK, AttrSK),
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
			IndexName:  aws.String(IndexFanout),
			KeySchema:  keySchema(AttrFanoutPending, AttrPK),
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		}},
	}
}

func keySchema(hash, rng string) []types.KeySchemaElement {
	return []types.KeySchemaElement{
		{AttributeName: aws.String(hash), KeyType: types.KeyTypeHash},
		{AttributeName: aws.String(rng), KeyType: types.KeyTypeRange},
	}
}

// enableTTL turns on TTL unless it is on already: DynamoDB rejects enabling
// it twice.
func enableTTL(ctx context.Context, client *dynamodb.Client, table string) error {
	desc, err := client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: &table})
	if err != nil {
		return parley.Wrap(parley.EUNAVAILABLE, err, "dynamodb DescribeTimeToLive %s", table)
	}
	if d := desc.TimeToLiveDescription; d != nil && aws.ToString(d.AttributeName) == AttrExpiresAt &&
		(d.TimeToLiveStatus == types.TimeToLiveStatusEnabled || d.TimeToLiveStatus == types.TimeToLiveStatusEnabling) {
		return nil
	}
	_, err = client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName: &table,
		TimeToLiveSpecification: &types.TimeToLiveSpecification{
			AttributeName: aws.String(AttrExpiresAt),
			Enabled:       aws.Bool(true),
		},
	})
	if err != nil {
		return parley.Wrap(parley.EUNAVAILABLE, err, "dynamodb UpdateTimeToLive %s", table)
	}
	return nil
}
