// Command dispatcher is the Lambda function fed by the jobs queue: it sends
// each queued recipient once and reports unfinished jobs as batch item
// failures.
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
	lambda.Start(lambdafn.SQS(a.Dispatcher))
}
