// Package gateway is the channel-gateway port: what every provider adapter
// (twilio, whatsapp, cm, push, sandbox) offers the dispatcher. The adapters
// live in the sub-packages, each asserting at compile time that it is a
// Sender.
package gateway

import (
	"context"

	"github.com/parleyhq/parley/internal/parley"
)

// Sender hands one message to a provider and returns the provider's message
// id. A refusal is a *parley.SendError whose Kind says what it means for the
// recipient (permanent, transient, throttled, ineligible, config).
type Sender interface {
	Send(ctx context.Context, m parley.Message) (string, error)
}
