// Command api is the Lambda function behind the HTTP API: every route of the
// router in internal/httpapi.
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
	lambda.Start(httpapi.LambdaAuthorizedHandler(a.API.Handler()))
}
