// Command lifecycle is the Lambda function fed by the table's stream: it
// folds each batch of recipient changes into the hourly lifecycle counters
// the analytics read, once per batch.
package main

import (
	"context"
	"log"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/obs/xray"
	"github.com/parleyhq/parley/internal/store/dynamo"
)

func main() {
	cfg, err := config.FromEnv(os.Getenv)
	if err != nil {
		log.Fatal(err)
	}
	awsCfg, err := xray.LoadAWSConfig(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	table := dynamo.New(dynamodb.NewFromConfig(awsCfg), cfg.Table)
	lambda.Start(func(ctx context.Context, ev events.DynamoDBEvent) error {
		return table.FoldStream(ctx, ev.Records, time.Now())
	})
}
