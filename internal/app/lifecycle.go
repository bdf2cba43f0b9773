package app

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/dynamo"
)

// eventBatch is how many lifecycle events one publish hands the sink.
const eventBatch = 100

// FoldStream is the lifecycle feed on DynamoDB (the lifecycle function,
// and parley serve on an emulator): it publishes the lifecycle events a
// batch of the table's stream shows, then folds the batch into the
// analytics counters. A batch that fails is handed again whole: its
// events are published again with the same ids, which subscribers
// deduplicate, and its counts are added once.
func (a *App) FoldStream(ctx context.Context, records []events.DynamoDBEventRecord) error {
	table, ok := a.Store.(*dynamo.Table)
	if !ok {
		return errors.New("the table's stream is folded on the DynamoDB backend only")
	}
	evs, err := table.StreamEvents(ctx, records)
	if err != nil {
		return err
	}
	for i := 0; i < len(evs); i += eventBatch {
		if err := a.publishEvents(ctx, evs[i:min(i+eventBatch, len(evs))]); err != nil {
			return err
		}
	}
	return table.FoldStream(ctx, records, time.Now())
}

// publishEvents hands evs to the event sink. A deployment without an
// events queue pushes no events: they are dropped.
func (a *App) publishEvents(ctx context.Context, evs []parley.Event) error {
	if a.EventSink == nil {
		return nil
	}
	return a.EventSink.Publish(ctx, evs)
}
