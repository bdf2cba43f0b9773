// Package xray traces AWS SDK clients and outbound HTTP with AWS X-Ray when
// the process runs as a Lambda function, and does nothing elsewhere. It is
// the one place outside the adapters that imports the AWS SDK: wiring
// (app, functions, cmd) calls it, domain packages never do.
//
// It speaks X-Ray's documented protocol itself rather than through the
// X-Ray SDK for Go, whose dependencies (gRPC, protobuf, fasthttp and the
// end-of-support AWS SDK for Go v1) made up a quarter of every function's
// binary. In a sampled invocation (Lambda's trace header, which
// aws-lambda-go puts in the handler's context, says Sampled=1) each AWS
// SDK operation and each outbound HTTP request becomes a subsegment of
// the function's segment, sent as a JSON document over UDP to the X-Ray
// daemon at AWS_XRAY_DAEMON_ADDRESS. Downstream calls carry
// X-Amzn-Trace-Id so that traced services join the trace.
package xray

import (
	"context"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"

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
		cfg.APIOptions = append(cfg.APIOptions, addMiddleware)
	}
}

// HTTPClient returns c traced by X-Ray in Lambda, c itself elsewhere. The
// traced client is a copy of c (timeout, redirect policy, cookie jar)
// whose transport records each request; a nil c stands for
// http.DefaultClient.
func HTTPClient(c *http.Client) *http.Client {
	if !obs.InLambda() {
		return c
	}
	if c == nil {
		c = http.DefaultClient
	}
	traced := *c
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	traced.Transport = &transport{base: base}
	return &traced
}
