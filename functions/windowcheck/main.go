// Command windowcheck is the Lambda function an EventBridge schedule runs
// every minute: it queues scheduled recipients that fall due within the
// next 15 minutes, with the exact delay left, finishes interrupted
// fan-outs, and re-arms the pace chain of every active telephone campaign.
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
	lambda.Start(lambdafn.Scheduled(func(ctx context.Context) error { return a.WindowCheck(ctx, false) }))
}
