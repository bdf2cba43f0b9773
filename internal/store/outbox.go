package store

import (
	"context"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// MaxSandboxMessages bounds what Outbox.SandboxMessages returns of an account's
// outbox.
const MaxSandboxMessages = 1000

// SandboxTTL is how long an outbox that expires messages (DynamoDB's) keeps a
// recorded message after it was sent.
const SandboxTTL = 7 * 24 * time.Hour

// Outbox is the sandbox gateway's outbox: it persists what the sandbox
// "sends". It is no part of the production port (Store): the adapters
// implement it beside it, and pass the contract suite storetest.Outbox.
// Every method is safe for concurrent use.
type Outbox interface {
	// RecordSandbox appends a message to the outbox.
	RecordSandbox(ctx context.Context, m parley.SentMessage) error
	// SandboxMessage returns the message recorded for a recipient, and
	// whether there is one.
	SandboxMessage(ctx context.Context, ref parley.Ref) (parley.SentMessage, bool, error)
	// SandboxMessages lists the newest messages (at most MaxSandboxMessages)
	// recorded for the account, in the order recorded. An outbox may expire
	// messages SandboxTTL after they were sent.
	SandboxMessages(ctx context.Context, accountID string) ([]parley.SentMessage, error)
}
