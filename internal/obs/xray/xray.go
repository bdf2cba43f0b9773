// Package xray traces AWS SDK clients and outbound HTTP with AWS X-Ray when
// the process runs as a Lambda function, and does nothing elsewhere. It is
// the one place outside the adapters that imports the AWS SDK: wiring
// (app, functions, cmd) calls it, domain packages never do.
package xray

import (
	"context"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-xray-sdk-go/instrumentation/awsv2"
	awsxray "github.com/aws/aws-xray-sdk-go/xray"

	"github.com/parleyhq/parley/internal/obs"
)

// LoadAWSConfig loads the AWS SDK's default configuration (environment,
// shared files, the Lambda role), traced as TraceAWS does.
func LoadAWSConfig(ctx context.Context) (aws.Config, error) {
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS config: %w", err)
	}
	TraceAWS(&cfg)
	return cfg, nil
}

// TraceAWS adds X-Ray subsegments to every AWS SDK call made with cfg, in
// Lambda only.
func TraceAWS(cfg *aws.Config) {
	if obs.InLambda() {
		awsv2.AWSV2Instrumentor(&cfg.APIOptions)
	}
}

// HTTPClient returns c traced by X-Ray in Lambda, c itself elsewhere.
func HTTPClient(c *http.Client) *http.Client {
	if obs.InLambda() {
		return awsxray.Client(c)
	}
	return c
}
