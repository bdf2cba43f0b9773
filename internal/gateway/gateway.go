// Package gateway is the channel-gateway port: what every provider adapter
// (twilio, whatsapp, cm, push, sandbox) offers the dispatcher (Sender), and
// what each provider package offers the rest of Parley (Provider): its
// credentials, senders, client construction, status words and, for those
// that post them, its webhooks as a pure function from (configuration,
// request) to provider-neutral Events. The adapters live in the
// sub-packages, each asserting at compile time that it is a Sender and a
// Provider; package providers lists them.
package gateway

import (
	"context"
	"errors"
	"fmt"

	"github.com/parleyhq/parley/internal/egress"
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

// CodeEgressRefused is the code of a send whose provider address egress
// refused: the channel's baseUrl (or a token URI) resolves to an address
// that is not public (package egress).
const CodeEgressRefused = "EGRESS_REFUSED"

// TransportError is the *parley.SendError of a provider request that got
// no answer, wrapped together with its cause err: FailConfig with
// CodeEgressRefused, naming the refused address, when egress refused to
// connect (retrying cannot help until the configuration changes); else
// FailTransient with code and reason. The SendError keeps err as its cause
// too, so a caller that keeps only the SendError still reaches it.
func TransportError(provider, code, reason string, err error) error {
	se := &parley.SendError{Provider: provider, Code: code, Kind: parley.FailTransient, Reason: reason, Err: err}
	var re *egress.RefusedError
	if errors.As(err, &re) {
		se.Code, se.Kind = CodeEgressRefused, parley.FailConfig
		se.Reason = "refused to connect to the provider: " + re.Error()
	}
	return fmt.Errorf("%w: %w", se, err)
}
