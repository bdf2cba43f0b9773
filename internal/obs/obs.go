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

// IDs returns the one shape every log line names what it concerns in: a
// group "ids" with the account, campaign and recipient ids that are not
// empty.
func IDs(accountID, campaignID, recipientID string) slog.Attr {
	return slog.Group("ids", ids(accountID, campaignID, recipientID)...)
}

func ids(accountID, campaignID, recipientID string) []any {
	var attrs []any
	for _, a := range [...]struct{ k, v string }{{"account", accountID}, {"campaign", campaignID}, {"recipient", recipientID}} {
		if a.v != "" {
			attrs = append(attrs, slog.String(a.k, a.v))
		}
	}
	return attrs
}

// Ref returns the ids of a recipient, as IDs.
func Ref(r parley.Ref) slog.Attr { return IDs(r.AccountID, r.CampaignID, r.RecipientID) }

// Recipient returns a recipient's ids, as IDs, and its masked number.
func Recipient(r parley.Recipient) slog.Attr {
	return slog.Group("ids", append(ids(r.AccountID, r.CampaignID, r.ID), slog.String("phone", phone.Mask(r.Phone)))...)
}

// InLambda reports whether the process runs as a Lambda function.
func InLambda() bool { return os.Getenv("AWS_LAMBDA_FUNCTION_NAME") != "" }
