// Command dispatcher is the Lambda function fed by the jobs queue: it sends
// each queued recipient once and reports unfinished jobs as batch item
// failures.
package main

import (
	"context"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/parleyhq/parley/internal/app"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/lambdafn"
	"github.com/parleyhq/parley/internal/obs"
)

func main() {
	cfg, err := config.FromEnv(os.Getenv)
	if err != nil {
		log.Fatal(err)
	}
	a, err := app.New(context.Background(), cfg, obs.NewLogger(os.Stdout, cfg.LogLevel))
	if err != nil {
		log.Fatal(err)
	}
	lambda.Start(lambdafn.SQS(a.Dispatcher))
}
