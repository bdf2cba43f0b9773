package awstest

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// Stream reads a table's DynamoDB stream on moto_server from its start,
// as a Lambda event source mapping would, and hands its records on as the
// lifecycle function receives them.
type Stream struct {
	db      *dynamodb.Client
	streams *dynamodbstreams.Client
	table   string

	mu        sync.Mutex
	iterators map[string]*string // shard id → next iterator
}

// NewStream reads the stream of table with cfg (see Config).
func NewStream(cfg aws.Config, table string) *Stream {
	return &Stream{db: dynamodb.NewFromConfig(cfg), streams: dynamodbstreams.NewFromConfig(cfg), table: table, iterators: map[string]*string{}}
}

// Records returns the records written since the last call (since the
// table was created, the first time), in stream order per shard.
func (s *Stream) Records(ctx context.Context) ([]events.DynamoDBEventRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	desc, err := s.db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &s.table})
	if err != nil {
		return nil, err
	}
	arn := desc.Table.LatestStreamArn
	if arn == nil {
		return nil, fmt.Errorf("table %s has no stream", s.table)
	}
	sd, err := s.streams.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: arn})
	if err != nil {
		return nil, err
	}
	var out []events.DynamoDBEventRecord
	for _, sh := range sd.StreamDescription.Shards {
		id := aws.ToString(sh.ShardId)
		it, ok := s.iterators[id]
		if !ok {
			got, err := s.streams.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{
				StreamArn: arn, ShardId: sh.ShardId, ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
			if err != nil {
				return nil, err
			}
			it = got.ShardIterator
		}
		for it != nil {
			page, err := s.streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: it})
			if err != nil {
				return nil, err
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
