package store

import (
	"context"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// MaxEventDeliveries is how many delivery attempts of one subscription a
// store keeps: the newest; older ones are dropped (or expire) as new ones
// are recorded.
const MaxEventDeliveries = 100

// DeliveryRetention is how long a store may keep a delivery attempt.
const DeliveryRetention = 7 * 24 * time.Hour

// EventSubscriptions keeps accounts' webhook endpoints for lifecycle
// events, their signing secrets sealed, and the recent delivery attempts of
// each.
type EventSubscriptions interface {
	// CreateEventSubscription saves a new subscription; ECONFLICT when the
	// account already has one with its id.
	CreateEventSubscription(ctx context.Context, s parley.EventSubscription) error
	// UpdateEventSubscription replaces a saved subscription; ENOTFOUND
	// when there is none with its account and id.
	UpdateEventSubscription(ctx context.Context, s parley.EventSubscription) error
	// EventSubscription returns one subscription with its secret.
	EventSubscription(ctx context.Context, accountID, id string) (parley.EventSubscription, error)
	// EventSubscriptions lists an account's subscriptions by id, without
	// their secrets (Secret is empty): listing opens none. An empty list
	// when there are none.
	EventSubscriptions(ctx context.Context, accountID string) ([]parley.EventSubscription, error)
	// DeleteEventSubscription removes a subscription; ENOTFOUND when there
	// is none. Its recorded deliveries may stay listed until they expire
	// (DeliveryRetention): callers read the subscription first.
	DeleteEventSubscription(ctx context.Context, accountID, id string) error
	// RecordEventDelivery keeps one delivery attempt, for at most
	// DeliveryRetention.
	RecordEventDelivery(ctx context.Context, d parley.EventDelivery) error
	// EventDeliveries lists a subscription's newest delivery attempts,
	// newest first, at most limit (capped at MaxEventDeliveries).
	EventDeliveries(ctx context.Context, accountID, subscriptionID string, limit int) ([]parley.EventDelivery, error)
}
