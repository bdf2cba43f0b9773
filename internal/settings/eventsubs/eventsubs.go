// Package eventsubs keeps the webhook endpoints brands subscribe to
// lifecycle events (parley.EventSubscription): created with a signing
// secret Parley generates (or the brand supplies), shown once; changed,
// tested, deleted; and the recent delivery attempts of each.
package eventsubs

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/parleyhq/parley/internal/egress"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// SecretPrefix starts every secret Parley generates.
const SecretPrefix = "whsec_"

// Pinger sends a subscription one test event and records the attempt
// (eventpush.Deliverer).
type Pinger interface {
	Ping(ctx context.Context, sub parley.EventSubscription) parley.EventDelivery
}

// Service manages event subscriptions.
type Service struct {
	Store store.EventSubscriptions
	Clock parley.Clock
	// Egress is the policy endpoints are reached with: URLs it would
	// refuse are refused when saved.
	Egress egress.Policy
	Pinger Pinger
}

// Change is what a brand sets on a subscription. An empty Secret keeps the
// saved one (on create: generates one), unless RotateSecret asks for a new
// generated one.
type Change struct {
	URL          string
	Types        []parley.EventType
	Secret       parley.Secret
	RotateSecret bool
	Description  string
	Disabled     bool
}

// Create saves a new subscription of the account and returns it with its
// secret, the one time it is shown. It is EINVALID, naming the field, when
// the change is not valid, and ECONFLICT when the account already has
// parley.MaxEventSubscriptions.
func (s *Service) Create(ctx context.Context, accountID string, c Change) (parley.EventSubscription, error) {
	existing, err := s.Store.EventSubscriptions(ctx, accountID)
	if err != nil {
		return parley.EventSubscription{}, err
	}
	if len(existing) >= parley.MaxEventSubscriptions {
		return parley.EventSubscription{}, parley.Errorf(parley.ECONFLICT, "account %s has %d event subscriptions, the most it may have; delete one first", accountID, len(existing))
	}
	now := s.Clock.Now()
	sub := parley.EventSubscription{ID: uuid.Must(uuid.NewV7()).String(), AccountID: accountID, CreatedAt: now}
	if c.Secret == "" {
		c.RotateSecret = true
	}
	sub = apply(sub, c, now)
	if err := sub.Validate(s.Egress); err != nil {
		return parley.EventSubscription{}, err
	}
	if err := s.Store.CreateEventSubscription(ctx, sub); err != nil {
		return parley.EventSubscription{}, fmt.Errorf("save event subscription: %w", err)
	}
	return sub, nil
}

// Update replaces what a brand sets on a saved subscription and returns
// it, with its secret only when the change set or rotated it. A new URL
// needs a new secret (Secret, or RotateSecret): a saved secret never signs
// for a URL it was not given for. ENOTFOUND when there is no such
// subscription.
func (s *Service) Update(ctx context.Context, accountID, id string, c Change) (parley.EventSubscription, error) {
	saved, err := s.Store.EventSubscription(ctx, accountID, id)
	if err != nil {
		return parley.EventSubscription{}, err
	}
	if c.URL != saved.URL && c.Secret == "" && !c.RotateSecret {
		return parley.EventSubscription{}, parley.FieldErrorf("secret", "url changed: send a new secret, or rotateSecret true for Parley to generate one")
	}
	sub := apply(saved, c, s.Clock.Now())
	if err := sub.Validate(s.Egress); err != nil {
		return parley.EventSubscription{}, err
	}
	if err := s.Store.UpdateEventSubscription(ctx, sub); err != nil {
		return parley.EventSubscription{}, fmt.Errorf("save event subscription %s: %w", id, err)
	}
	if sub.Secret == saved.Secret {
		sub.Secret = ""
	}
	return sub, nil
}

// apply returns sub changed by c at now.
func apply(sub parley.EventSubscription, c Change, now time.Time) parley.EventSubscription {
	sub.URL, sub.Types, sub.Description, sub.Disabled, sub.UpdatedAt = c.URL, c.Types, c.Description, c.Disabled, now
	switch {
	case c.RotateSecret:
		sub.Secret = generateSecret()
	case c.Secret != "":
		sub.Secret = c.Secret
	}
	return sub
}

// generateSecret returns a new signing secret: 32 random bytes.
func generateSecret() parley.Secret {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return parley.Secret(SecretPrefix + base64.RawURLEncoding.EncodeToString(b))
}

// Get returns a subscription, without its secret, and its latest delivery
// attempt (nil when none was made).
func (s *Service) Get(ctx context.Context, accountID, id string) (parley.EventSubscription, *parley.EventDelivery, error) {
	sub, err := s.Store.EventSubscription(ctx, accountID, id)
	if err != nil {
		return parley.EventSubscription{}, nil, err
	}
	sub.Secret = ""
	last, err := s.Store.EventDeliveries(ctx, accountID, id, 1)
	if err != nil || len(last) == 0 {
		return sub, nil, err
	}
	return sub, &last[0], nil
}

// List returns the account's subscriptions, without secrets.
func (s *Service) List(ctx context.Context, accountID string) ([]parley.EventSubscription, error) {
	return s.Store.EventSubscriptions(ctx, accountID)
}

// Delete removes a subscription: no event is delivered to it any more,
// including retries already queued. ENOTFOUND when there is none.
func (s *Service) Delete(ctx context.Context, accountID, id string) error {
	return s.Store.DeleteEventSubscription(ctx, accountID, id)
}

// Deliveries returns a subscription's newest delivery attempts, newest
// first, at most limit (1 to store.MaxEventDeliveries).
func (s *Service) Deliveries(ctx context.Context, accountID, id string, limit int) ([]parley.EventDelivery, error) {
	if limit < 1 || limit > store.MaxEventDeliveries {
		return nil, parley.FieldErrorf("limit", "limit is %d; it must be from 1 to %d", limit, store.MaxEventDeliveries)
	}
	if _, err := s.Store.EventSubscription(ctx, accountID, id); err != nil {
		return nil, err
	}
	return s.Store.EventDeliveries(ctx, accountID, id, limit)
}

// Test sends the subscription a ping event now, once, and returns the
// attempt; a disabled subscription is tested too.
func (s *Service) Test(ctx context.Context, accountID, id string) (parley.EventDelivery, error) {
	sub, err := s.Store.EventSubscription(ctx, accountID, id)
	if err != nil {
		return parley.EventDelivery{}, err
	}
	if s.Pinger == nil {
		return parley.EventDelivery{}, parley.Errorf(parley.EUNAVAILABLE, "event delivery is not configured")
	}
	return s.Pinger.Ping(ctx, sub), nil
}
