package store

import (
	"context"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// Counters reads the lifecycle counters: per account, UTC hour, campaign,
// skill and channel, how many recipients reached each parley.Step. They
// are kept as recipients change (every adapter folds the steps a change
// newly stamps on a recipient's Timeline into them), never by scanning
// recipients, so a step reached twice counts once.
type Counters interface {
	// CountRows returns the rows q selects that count anything q asks for
	// (parley.CountQuery.Keeps), in hour order (then campaign, skill,
	// channel, handoff, source).
	CountRows(ctx context.Context, q parley.CountQuery) ([]parley.CountRow, error)
}

// Stamps records the lifecycle steps that happen to a recipient without
// a status change: an opt-out attributed to its message, a reply, the
// conversation a reply opened and its close.
type Stamps interface {
	// StampRecipient stamps step on the recipient's Timeline at at, unless
	// it is stamped already, and counts it; it returns the recipient and
	// whether it stamped. ENOTFOUND when there is no such recipient.
	StampRecipient(ctx context.Context, ref parley.Ref, step parley.Step, at time.Time) (parley.Recipient, bool, error)
}
