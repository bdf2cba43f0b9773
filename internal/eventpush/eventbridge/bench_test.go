package eventbridge_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	awsdynamodb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	awseb "github.com/aws/aws-sdk-go-v2/service/eventbridge"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/parleyhq/parley/internal/awstest"
	"github.com/parleyhq/parley/internal/awstest/awscost"
	"github.com/parleyhq/parley/internal/envelope/keyfile"
	"github.com/parleyhq/parley/internal/eventpush"
	"github.com/parleyhq/parley/internal/eventpush/eventbridge"
	"github.com/parleyhq/parley/internal/obs"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/queue/sqs"
	"github.com/parleyhq/parley/internal/store/dynamo"
)

// BenchmarkPublishAWS publishes batches of 100 events of one account with
// three subscriptions (every type, message.delivered only, and a disabled
// one) on moto_server, and reports the AWS requests one batch takes: the
// subscriptions read once, the deliveries queued 10 to a request, the
// events put on the bus 10 to a request. Time per batch is moto's, not
// AWS's.
func BenchmarkPublishAWS(b *testing.B) {
	ctx := context.Background()
	cfg := awstest.Config(b)
	counter := &awscost.Counter{}
	counter.Attach(&cfg)
	db, sq, eb := awsdynamodb.NewFromConfig(cfg), awssqs.NewFromConfig(cfg), awseb.NewFromConfig(cfg)
	name := awstest.Name(b)
	if err := dynamo.EnsureTable(ctx, db, name); err != nil {
		b.Fatal(err)
	}
	url, dlq, err := sqs.EnsureQueue(ctx, sq, name, time.Minute, 5)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := eventbridge.EnsureBus(ctx, eb, name); err != nil {
		b.Fatal(err)
	}
	sealer, err := keyfile.Load(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	table := dynamo.New(db, name, dynamo.WithSealer(sealer))
	for i, types := range [][]parley.EventType{{parley.EventTypeAll}, {parley.EventDelivered}, {parley.EventTypeAll}} {
		sub := parley.EventSubscription{ID: fmt.Sprintf("sub%d", i), AccountID: "acct1", URL: "https://hooks.example.com", Types: types,
			Secret: "whsec-bench-0123456789abcdef0123456789", Disabled: i == 2}
		if err := table.CreateEventSubscription(ctx, sub); err != nil {
			b.Fatal(err)
		}
	}
	sink := eventpush.NewSink(table, sqs.New(sq, url, dlq), eventbridge.New(eb, name), nil, obs.Discard())
	evs := events(100)
	for i := range evs {
		if i%2 == 0 {
			evs[i].Type = parley.EventDelivered
		} else {
			evs[i].Type = parley.EventSent
		}
	}
	counter.Reset()
	b.ResetTimer()
	for b.Loop() {
		if err := sink.Publish(ctx, evs); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	for op, u := range counter.Usage() {
		b.ReportMetric(float64(u.Requests)/float64(b.N), op.Operation+"/batch")
	}
}
