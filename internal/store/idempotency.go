package store

import (
	"context"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// Idempotency keeps the Idempotency-Keys of accounts' creates: a
// reservation while a create runs, then its answer, each until its
// ExpiresAt. Records are keyed by account and key. Expired records may
// linger (DynamoDB's TTL deletes within days); they count as absent.
type Idempotency interface {
	// BeginIdempotent reserves rec's key for rec.Owner (rec.State pending,
	// with rec's Fingerprint, LeaseUntil and ExpiresAt) unless the
	// account's record of the key is live at now (parley.IdempotencyRecord.Live):
	// a record that expired, or a reservation whose lease ran out, is
	// replaced. reserved says whether it did; when it did not, existing is
	// the live record, its answer opened, and nothing changed.
	BeginIdempotent(ctx context.Context, rec parley.IdempotencyRecord, now time.Time) (existing parley.IdempotencyRecord, reserved bool, err error)
	// FinishIdempotent stores rec's answer (Status, ContentType, Body) in
	// the reservation rec.Owner holds of rec's key, which is then done
	// until the reservation's ExpiresAt. It is ECONFLICT, and nothing is
	// stored, when rec.Owner no longer holds it (it was released, or taken
	// over after its lease ran out).
	FinishIdempotent(ctx context.Context, rec parley.IdempotencyRecord) error
	// ReleaseIdempotent removes the reservation owner holds of the
	// account's key, so that the next BeginIdempotent of it reserves it
	// again; nothing is removed when owner does not hold it.
	ReleaseIdempotent(ctx context.Context, accountID, key, owner string) error
}
