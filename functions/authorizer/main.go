// Command authorizer is the HTTP API's Lambda authorizer: it verifies each
// request's bearer token (signature, algorithm, expiry, lifetime, issuer,
// audience, and for an API client's token that the client is neither
// revoked nor rotated since) and passes the token's account, role and
// subject to the api function, which enforces the routes' access rules.
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
	"github.com/parleyhq/parley/internal/parley"
)

func main() {
	cfg, err := config.FromEnv(os.Getenv)
	if err != nil {
		log.Fatal(err)
	}
	tokens, err := app.Verifier(context.Background(), cfg, parley.SystemClock{})
	if err != nil {
		log.Fatal(err)
	}
	lambda.Start(lambdafn.Authorizer(tokens, obs.NewLogger(os.Stdout, cfg.LogLevel)))
}
