package dynamo

import (
	"context"
	"sync"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/parleyhq/parley/internal/parley"
)

// StreamReader reads a table's stream as a Lambda event source mapping
// would and hands its records on as the lifecycle function receives them:
// for parley serve on an emulator, which runs no Lambda, and for tests.
type StreamReader struct {
	db      *dynamodb.Client
	streams *dynamodbstreams.Client
	table   string
	from    types.ShardIteratorType

	mu        sync.Mutex
	iterators map[string]*string // shard id → next iterator
	// pending is the batch Fold read and could not fold yet: it is folded
	// again, whole, so its mark makes it count once.
	pending []events.DynamoDBEventRecord
}

// NewStreamReader reads the stream of table with cfg. The first call to
// Records starts at the stream's oldest record when fromStart is set, else
// at its newest (changes made before are not read).
func NewStreamReader(cfg aws.Config, table string, fromStart bool) *StreamReader {
	from := types.ShardIteratorTypeLatest
	if fromStart {
		from = types.ShardIteratorTypeTrimHorizon
	}
	return &StreamReader{db: dynamodb.NewFromConfig(cfg), streams: dynamodbstreams.NewFromConfig(cfg), table: table, from: from, iterators: map[string]*string{}}
}

// Records returns the records written since the last call, in stream
// order per shard.
func (s *StreamReader) Records(ctx context.Context) ([]events.DynamoDBEventRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	desc, err := s.db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &s.table})
	if err != nil {
		return nil, s.unavailable(err, "DescribeTable")
	}
	arn := desc.Table.LatestStreamArn
	if arn == nil {
		return nil, parley.Errorf(parley.EUNAVAILABLE, "table %s has no stream", s.table)
	}
	sd, err := s.streams.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: arn})
	if err != nil {
		return nil, s.unavailable(err, "DescribeStream")
	}
	var out []events.DynamoDBEventRecord
	for _, sh := range sd.StreamDescription.Shards {
		id := aws.ToString(sh.ShardId)
		it, ok := s.iterators[id]
		if !ok {
			got, err := s.streams.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{
				StreamArn: arn, ShardId: sh.ShardId, ShardIteratorType: s.from})
			if err != nil {
				return nil, s.unavailable(err, "GetShardIterator")
			}
			it = got.ShardIterator
		}
		for it != nil {
			page, err := s.streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: it})
			if err != nil {
				return nil, s.unavailable(err, "GetRecords")
			}
			for _, r := range page.Records {
				out = append(out, eventRecord(r))
			}
			it = page.NextShardIterator
			s.iterators[id] = it
			if len(page.Records) == 0 {
				break
			}
		}
	}
	return out, nil
}

func (s *StreamReader) unavailable(err error, op string) error {
	return parley.Wrap(parley.EUNAVAILABLE, err, "dynamodb streams %s of %s", op, s.table)
}

// Fold hands the records written since the last call to fold, as Lambda
// hands a batch to the lifecycle function: a batch that fold fails is
// handed again, whole, by the next call, as Lambda retries a batch. Fold
// is for one caller at a time.
func (s *StreamReader) Fold(ctx context.Context, fold func(context.Context, []events.DynamoDBEventRecord) error) error {
	if len(s.pending) == 0 {
		recs, err := s.Records(ctx)
		if err != nil {
			return err
		}
		s.pending = recs
	}
	if len(s.pending) == 0 {
		return nil
	}
	if err := fold(ctx, s.pending); err != nil {
		return err
	}
	s.pending = nil
	return nil
}

// eventRecord is r as a Lambda event carries it.
func eventRecord(r types.Record) events.DynamoDBEventRecord {
	return events.DynamoDBEventRecord{
		EventID: aws.ToString(r.EventID), EventName: string(r.EventName), EventSource: "aws:dynamodb",
		Change: events.DynamoDBStreamRecord{
			Keys: image(r.Dynamodb.Keys), NewImage: image(r.Dynamodb.NewImage), OldImage: image(r.Dynamodb.OldImage),
			SequenceNumber: aws.ToString(r.Dynamodb.SequenceNumber), StreamViewType: string(r.Dynamodb.StreamViewType),
		},
	}
}

func image(m map[string]types.AttributeValue) map[string]events.DynamoDBAttributeValue {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]events.DynamoDBAttributeValue, len(m))
	for k, v := range m {
		out[k] = value(v)
	}
	return out
}

func value(v types.AttributeValue) events.DynamoDBAttributeValue {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return events.NewStringAttribute(v.Value)
	case *types.AttributeValueMemberN:
		return events.NewNumberAttribute(v.Value)
	case *types.AttributeValueMemberBOOL:
		return events.NewBooleanAttribute(v.Value)
	case *types.AttributeValueMemberB:
		return events.NewBinaryAttribute(v.Value)
	case *types.AttributeValueMemberSS:
		return events.NewStringSetAttribute(v.Value)
	case *types.AttributeValueMemberNS:
		return events.NewNumberSetAttribute(v.Value)
	case *types.AttributeValueMemberBS:
		return events.NewBinarySetAttribute(v.Value)
	case *types.AttributeValueMemberL:
		l := make([]events.DynamoDBAttributeValue, len(v.Value))
		for i, e := range v.Value {
			l[i] = value(e)
		}
		return events.NewListAttribute(l)
	case *types.AttributeValueMemberM:
		return events.NewMapAttribute(image(v.Value))
	}
	return events.NewNullAttribute()
}
