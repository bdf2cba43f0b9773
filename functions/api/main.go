// Command api is the Lambda function behind the HTTP API: every route of the
// router in internal/httpapi.
package main

import (
	"context"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/parleyhq/parley/internal/app"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/httpapi"
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
	lambda.Start(httpapi.LambdaHandler(a.API.Handler()))
}
