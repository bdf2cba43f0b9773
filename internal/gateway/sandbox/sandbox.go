// Package sandbox is the channel gateway for local runs and tests: it sends
// nothing and records every message it accepts, so a developer can see what
// would have gone out. It can be told to refuse messages the way real
// providers do (permanent failures, transient errors, throttling, consumers
// not reachable on a channel) to exercise dispatch locally.
package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

var _ gateway.Sender = (*Gateway)(nil)

// Gateway records messages instead of sending them.
type Gateway struct {
	Recorder store.Outbox
	Clock    parley.Clock
	// Devices, when set, holds the push tokens brands registered: an
	// in-app message to a consumer with none fails as the push gateway
	// fails it (gateway.NoDevice), so a local run shows what production
	// would. Unset, every in-app message is recorded.
	Devices store.Devices

	mu     sync.Mutex
	faults []Fault
}

// Send records m and returns its sandbox message id, unless a fault applies
// or m is an in-app message to a consumer without a device (see Devices).
func (g *Gateway) Send(ctx context.Context, m parley.Message) (string, error) {
	if err := g.fault(m); err != nil {
		return "", err
	}
	if err := g.device(ctx, m); err != nil {
		return "", err
	}
	sent := parley.SentMessage{
		ID: NewMessageID(), Channel: m.Channel, To: m.To, From: m.From, Body: m.Body, Template: m.Template,
		CampaignID: m.CampaignID, AccountID: m.AccountID, RecipientID: m.RecipientID, SentAt: g.Clock.Now(),
	}
	if err := g.Recorder.RecordSandbox(ctx, sent); err != nil {
		return "", &parley.SendError{Provider: string(Name), Code: "RECORD_FAILED", Reason: fmt.Sprint(err), Kind: parley.FailTransient, Err: err}
	}
	return sent.ID, nil
}

// device fails an in-app message to a consumer who has no registered
// device, as the push gateway does.
func (g *Gateway) device(ctx context.Context, m parley.Message) error {
	if g.Devices == nil || m.Channel != parley.ChannelInApp {
		return nil
	}
	tokens, err := g.Devices.DeviceTokens(ctx, m.AccountID, m.To, m.Apps)
	if err != nil {
		return &parley.SendError{Provider: string(Name), Code: "TOKEN_STORE", Reason: fmt.Sprint(err), Kind: parley.FailTransient, Err: err}
	}
	if len(tokens) == 0 {
		return gateway.NoDevice(Name, m)
	}
	return nil
}

// NewMessageID returns a fresh sandbox message id, as a provider names a
// message: Send's ids, and those of replies injected as if a consumer had
// sent them.
func NewMessageID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return "SB" + hex.EncodeToString(b)
}

// Message returns the account's message recorded under the id Send
// returned, and whether there is one. The recorded message names its
// recipient, which an injected status is applied to. It looks among the
// account's newest messages (MaxMessages).
func (g *Gateway) Message(ctx context.Context, accountID, id string) (parley.SentMessage, bool, error) {
	ms, err := g.Recorder.SandboxMessages(ctx, accountID)
	if err != nil {
		return parley.SentMessage{}, false, err
	}
	for _, m := range ms {
		if m.ID == id {
			return m, true, nil
		}
	}
	return parley.SentMessage{}, false, nil
}

// Messages lists the account's newest messages the sandbox recorded,
// oldest first.
func (g *Gateway) Messages(ctx context.Context, accountID string) ([]parley.SentMessage, error) {
	return g.Recorder.SandboxMessages(ctx, accountID)
}

// Find tells whether the sandbox recorded a message for r: its id and true
// if so. The dispatcher reconciles interrupted sends with it.
func (g *Gateway) Find(ctx context.Context, r parley.Recipient, from string, since time.Time) (string, bool, error) {
	m, found, err := g.Recorder.SandboxMessage(ctx, r.Ref())
	return m.ID, found, err
}
