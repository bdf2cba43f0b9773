// Package sandbox is the channel gateway for local runs and tests: it sends
// nothing and records every message it accepts, so a developer can see what
// would have gone out.
package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"github.com/parleyhq/parley/internal/parley"
)

// Recorder persists what the sandbox "sends".
type Recorder interface {
	RecordSandbox(ctx context.Context, m parley.SentMessage) error
}

// Gateway records messages instead of sending them.
type Gateway struct {
	Recorder Recorder
	Clock    parley.Clock
}

// Send records m and returns its sandbox message id.
func (g *Gateway) Send(ctx context.Context, m parley.Message) (string, error) {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	sent := parley.SentMessage{
		ID: "SB" + hex.EncodeToString(b), Channel: m.Channel, To: m.To, From: m.From, Body: m.Body,
		CampaignID: m.CampaignID, AccountID: m.AccountID, RecipientID: m.RecipientID, SentAt: g.Clock.Now(),
	}
	if err := g.Recorder.RecordSandbox(ctx, sent); err != nil {
		return "", &parley.SendError{Provider: "sandbox", Code: "RECORD_FAILED", Reason: fmt.Sprint(err)}
	}
	return sent.ID, nil
}
