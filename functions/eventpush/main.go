// Command eventpush is the Lambda function fed by the events queue: it
// delivers each lifecycle event to the webhook that subscribed to it,
// queueing failed deliveries again with backoff, and reports unfinished
// jobs as batch item failures.
package main

import (
	"context"
	"log"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/parleyhq/parley/internal/app"
	"github.com/parleyhq/parley/internal/lambdafn"
)

func main() {
	a, err := app.Load(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	if a.EventDelivery == nil {
		log.Fatal("PARLEY_EVENTS_QUEUE_URL is not set: there is no events queue to deliver from")
	}
	lambda.Start(lambdafn.SQS(a.EventDelivery))
}
