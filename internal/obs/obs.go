// Package obs sets up observability: JSON logs through log/slog with
// account, campaign and recipient ids and masked phone numbers, and AWS X-Ray
// tracing of SDK clients and outbound HTTP when running in Lambda (a no-op
// elsewhere).
package obs

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-xray-sdk-go/instrumentation/awsv2"
	"github.com/aws/aws-xray-sdk-go/xray"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/phone"
)

// NewLogger returns a JSON logger writing to w at the named level (DEBUG,
// INFO, WARN or ERROR; INFO when empty or unknown).
func NewLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(strings.TrimSpace(level)))); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

// Discard returns a logger that writes nothing, for tests and benchmarks.
func Discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// Ref returns the log attributes that identify a recipient.
func Ref(r parley.Ref) slog.Attr {
	return slog.Group("ids", "account", r.AccountID, "campaign", r.CampaignID, "recipient", r.RecipientID)
}

// Recipient returns a recipient's ids and its masked number.
func Recipient(r parley.Recipient) slog.Attr {
	return slog.Group("ids", "account", r.AccountID, "campaign", r.CampaignID, "recipient", r.ID, "phone", phone.Mask(r.Phone))
}

// InLambda reports whether the process runs as a Lambda function.
func InLambda() bool { return os.Getenv("AWS_LAMBDA_FUNCTION_NAME") != "" }

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
	if InLambda() {
		awsv2.AWSV2Instrumentor(&cfg.APIOptions)
	}
}

// HTTPClient returns c traced by X-Ray in Lambda, c itself elsewhere.
func HTTPClient(c *http.Client) *http.Client {
	if InLambda() {
		return xray.Client(c)
	}
	return c
}
