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
	// AttrDueShard is the due index's partition key (S). Only SCHEDULED
	// recipients carry it, set to "DUE#<n>" with n in [0, DueShards) a
	// stable hash of the item's key.
	AttrDueShard = "dueShard"
	// AttrDueAt is the due index's sort key (S): a recipient's DueAt in UTC
	// at fixed width ("2006-01-02T15:04:05.000000000Z"), so that string order
	// is time order. Every recipient carries it; the index holds only the
	// recipients that also carry AttrDueShard.
	AttrDueAt = "dueAt"
	// DueShards is how many partitions of the due index share the SCHEDULED
	// recipients, so that one large campaign does not load a single
	// partition.
	DueShards = 8
	// IndexDue is the sparse global secondary index of SCHEDULED recipients
	// (and, in partitions PHONEQ#…, of telephone campaigns' open entries
	// and calls: see the dynamo package's phonecampaigns.go)
	// by due time: partition key AttrDueShard, sort key AttrDueAt,
	// projection ALL.
	IndexDue = "due"
	// AttrCampaignsOf is the campaigns index's partition key (S): every
	// campaign item carries it, set to "ACCOUNT#<account>".
	AttrCampaignsOf = "campaignsOf"
	// AttrCreatedKey is the campaigns index's sort key (S): the campaign's
	// CreatedAt in sortableLayout, "#", its id; string order is creation
	// order, ties broken by id.
	AttrCreatedKey = "createdKey"
	// IndexCampaigns is the global secondary index of each account's
	// campaigns by creation: partition key AttrCampaignsOf, sort key
	// AttrCreatedKey, projection ALL. A listing queries it newest first
	// (ScanIndexForward false), reading one index entry per campaign it
	// examines: about 0.5 read units per 4 KB of campaigns, eventually
	// consistent, never a scan.
	IndexCampaigns = "campaigns"
)

// tableActiveTimeout bounds how long EnsureTable waits for a new table.
const tableActiveTimeout = 2 * time.Minute

// EnsureTable creates the table with Parley's schema unless it exists, waits
// until it is ACTIVE and enables its TTL. It is for emulators and tests; in
// AWS the SAM template creates the table.
func EnsureTable(ctx context.Context, client *dynamodb.Client, table string) error {
	_, err := client.CreateTable(ctx, CreateTableInput(table))
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

// CreateTableInput is the CreateTable request for the named table with
// Parley's schema: the request EnsureTable sends, and the table the SAM
// template must declare.
func CreateTableInput(table string) *dynamodb.CreateTableInput {
	return &dynamodb.CreateTableInput{
		TableName:            &table,
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: stringAttributes(AttrPK, AttrSK, AttrFanoutPending, AttrDueShard, AttrDueAt, AttrCampaignsOf, AttrCreatedKey),
		KeySchema:            keySchema(AttrPK, AttrSK),
		// The lifecycle function folds the stream into the counters.
		StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewAndOldImages},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{
			allIndex(IndexFanout, AttrFanoutPending, AttrPK),
			allIndex(IndexDue, AttrDueShard, AttrDueAt),
			allIndex(IndexCampaigns, AttrCampaignsOf, AttrCreatedKey),
		},
	}
}

// stringAttributes defines the named key attributes as strings.
func stringAttributes(names ...string) []types.AttributeDefinition {
	defs := make([]types.AttributeDefinition, len(names))
	for i, name := range names {
		defs[i] = types.AttributeDefinition{AttributeName: aws.String(name), AttributeType: types.ScalarAttributeTypeS}
	}
	return defs
}

// allIndex is a global secondary index that projects every attribute.
func allIndex(name, hash, rng string) types.GlobalSecondaryIndex {
	return types.GlobalSecondaryIndex{
		IndexName:  aws.String(name),
		KeySchema:  keySchema(hash, rng),
		Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
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
