package parley

import "time"

// Bounds of idempotent creates.
const (
	// IdempotencyTTL is how long the answer to a create made with an
	// Idempotency-Key is kept and replayed.
	IdempotencyTTL = 24 * time.Hour
	// IdempotencyLease is how long a reservation of a key holds while its
	// create runs: longer than any create takes, so that a retry during
	// the create waits, and short enough that a process that died
	// mid-create does not block the key for long.
	IdempotencyLease = 60 * time.Second
)

// IdempotencyState is the state of an idempotency record.
type IdempotencyState string

// Idempotency states.
const (
	// IdempotencyPending is a reservation: the create is running.
	IdempotencyPending IdempotencyState = "PENDING"
	// IdempotencyDone holds the create's answer.
	IdempotencyDone IdempotencyState = "DONE"
)

// IdempotencyRecord is what a store keeps of one Idempotency-Key of an
// account: the fingerprint of the request that first used it, and once
// that request was answered, its answer.
type IdempotencyRecord struct {
	AccountID string
	Key       string
	// Fingerprint identifies the request (its route, account, media type
	// and body); a retry must have the same.
	Fingerprint string
	State       IdempotencyState
	// Owner is the random token of the reservation: only its holder
	// finishes or releases it.
	Owner string
	// LeaseUntil is when a pending reservation may be taken over.
	LeaseUntil time.Time
	// ExpiresAt is when the record counts as absent.
	ExpiresAt time.Time
	// Status, ContentType and Body are the answer of a done record.
	Status      int
	ContentType string
	Body        []byte
}

// Live reports whether r still holds its key at now: it has not expired,
// and it is done or its lease has not run out.
func (r IdempotencyRecord) Live(now time.Time) bool {
	if !now.Before(r.ExpiresAt) {
		return false
	}
	return r.State == IdempotencyDone || now.Before(r.LeaseUntil)
}
