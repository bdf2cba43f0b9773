// Package obs sets up logging: JSON logs through log/slog with account,
// campaign and recipient ids and masked phone numbers. Tracing with AWS
// X-Ray is in obs/xray, so that what logs need not import the AWS SDK.
package obs

import (
	"io"
	"log/slog"
	"os"
	"strings"

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
