// Command lifecycle is the Lambda function fed by the table's stream: it
// publishes the lifecycle events of each batch of recipient changes to
// the subscribed webhooks and the event bus, and folds the batch into the
// hourly counters the analytics read, once per batch.
package main

import (
	"context"
	"log"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/parleyhq/parley/internal/app"
)

func main() {
	a, err := app.Load(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	lambda.Start(func(ctx context.Context, ev events.DynamoDBEvent) error {
		return a.FoldStream(ctx, ev.Records)
	})
}
