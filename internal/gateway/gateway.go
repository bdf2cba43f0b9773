// Package gateway is the channel-gateway port: what every provider adapter
// (twilio, whatsapp, cm, push, sandbox) offers the dispatcher. The adapters
// live in the sub-packages, each asserting at compile time that it is a
// Sender.
package gateway

import (
	"context"
	"errors"

	"github.com/parleyhq/parley/internal/parley"
)

// Sender hands one message to a provider and returns the provider's message
// id. A refusal is a *parley.SendError whose Kind says what it means for the
// recipient (permanent, transient, throttled, ineligible, config).
type Sender interface {
	Send(ctx context.Context, m parley.Message) (string, error)
}

// ErrNoLookup is returned (possibly wrapped) by a gateway's Find when its
// provider cannot be asked whether it took a message, or cannot answer for
// certain: the outcome is unknown, and the message must not be sent again
// blindly.
var ErrNoLookup = errors.New("gateway: the provider cannot tell whether it took the message")
