package parley

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/parleyhq/parley/internal/egress"
)

// EventTypeAll subscribes to every event type, present and future.
const EventTypeAll EventType = "*"

// Limits of an event subscription.
const (
	// MaxEventSubscriptions is how many subscriptions an account may have.
	MaxEventSubscriptions = 20
	// MinEventSecret and MaxEventSecret bound a subscription's signing
	// secret: 32 bytes resist guessing (HMAC-SHA256's key size).
	MinEventSecret = 32
	MaxEventSecret = 256
	// MaxEventSubscriptionURL bounds the endpoint's URL.
	MaxEventSubscriptionURL = 2048
	// MaxEventDescription bounds a subscription's description.
	MaxEventDescription = 200
)

// EventSubscription is a brand's webhook endpoint: each lifecycle event of
// one of its Types is POSTed to URL, signed with Secret (a Parley-Signature
// header, as the agent-platform connector signs).
type EventSubscription struct {
	ID          string
	AccountID   string
	URL         string
	Types       []EventType
	Secret      Secret
	Description string
	// Disabled subscriptions receive nothing, and keep their settings.
	Disabled  bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Wants reports whether the subscription receives events of type t.
func (s EventSubscription) Wants(t EventType) bool {
	return !s.Disabled && (slices.Contains(s.Types, EventTypeAll) || slices.Contains(s.Types, t))
}

// Validate checks what a brand sets; p is the egress policy the URL will be
// reached with (https to a public host; http only to loopback where p
// allows loopback). Types are event types of EventTypes, or EventTypeAll,
// each once. Messages name the URL's host only, and never the secret.
func (s EventSubscription) Validate(p egress.Policy) error {
	if len(s.URL) > MaxEventSubscriptionURL {
		return FieldErrorf("url", "url is longer than %d characters", MaxEventSubscriptionURL)
	}
	u, err := url.Parse(s.URL)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" {
		return FieldErrorf("url", "url must be an absolute URL without credentials or fragment")
	}
	if err := reachableURL("url", u, p); err != nil {
		return err
	}
	if err := checkEventTypes(s.Types); err != nil {
		return err
	}
	if err := CheckSecret("secret", s.Secret, true, MaxEventSecret); err != nil {
		return err
	}
	if len(s.Secret) < MinEventSecret {
		return FieldErrorf("secret", "secret must be at least %d bytes", MinEventSecret)
	}
	if len(s.Description) > MaxEventDescription || strings.ContainsFunc(s.Description, unicode.IsControl) {
		return FieldErrorf("description", "description must be at most %d bytes without control characters", MaxEventDescription)
	}
	return nil
}

// checkEventTypes accepts a non-empty list of known event types, each once.
func checkEventTypes(ts []EventType) error {
	if len(ts) == 0 {
		return FieldErrorf("eventTypes", "eventTypes is required: list event types, or \"*\" for all")
	}
	for i, t := range ts {
		field := fmt.Sprintf("eventTypes[%d]", i)
		if t != EventTypeAll && !slices.Contains(EventTypes, t) {
			return FieldErrorf(field, "unknown event type %q; want \"*\" or one of %s", t, JoinNames(EventTypes))
		}
		if slices.Contains(ts[:i], t) {
			return FieldErrorf(field, "event type %q is listed twice", t)
		}
	}
	return nil
}

// Outcomes of one delivery attempt of an event to a subscription.
const (
	// DeliveryDelivered: the endpoint answered 2xx.
	DeliveryDelivered = "delivered"
	// DeliveryRetrying: it failed in a way that may pass (5xx, 408, 429,
	// a timeout, no connection); another attempt is queued.
	DeliveryRetrying = "retrying"
	// DeliveryRefused: the endpoint answered a 4xx other than 408 and 429
	// (or a redirect), or its address is not public: no more attempts.
	DeliveryRefused = "refused"
	// DeliveryAbandoned: it kept failing past the retry period.
	DeliveryAbandoned = "abandoned"
)

// EventDelivery records one attempt to deliver an event to a subscription.
type EventDelivery struct {
	AccountID      string    `json:"accountId"`
	SubscriptionID string    `json:"subscriptionId"`
	EventID        string    `json:"eventId"`
	EventType      EventType `json:"eventType"`
	Attempt        int       `json:"attempt"`
	At             time.Time `json:"at"`
	Outcome        string    `json:"outcome"`
	// Status is the endpoint's HTTP status; 0 when none came back.
	Status int `json:"status,omitempty"`
	// Error says why an attempt failed: a transport error, or the status.
	Error string `json:"error,omitempty"`
	// NextAttemptAt is when a retrying delivery is tried again.
	NextAttemptAt time.Time `json:"nextAttemptAt,omitzero"`
}
