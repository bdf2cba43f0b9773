// Command webhooks is the Lambda function behind its own function URL that
// providers post their webhooks to: delivery receipts, consumers' messages
// and call events, each authenticated by its provider's signature. It
// serves those routes alone (httpapi.Server.WebhooksHandler), outside the
// HTTP API, so that a receipt per message costs no API Gateway request.
package main

import (
	"context"
	"log"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/parleyhq/parley/internal/app"
	"github.com/parleyhq/parley/internal/httpapi"
)

func main() {
	a, err := app.Load(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	lambda.Start(httpapi.LambdaHandler(a.API.WebhooksHandler()))
}
