// Package account keeps each account's messaging settings: the opt-out text
// appended to every SMS, the HELP answer, and the default skill replies
// outside any campaign's lookback go to.
package account

import (
	"context"

	"github.com/parleyhq/parley/internal/egress"
	"github.com/parleyhq/parley/internal/message"
	"github.com/parleyhq/parley/internal/parley"
)

// Store is what the service needs from persistence.
type Store interface {
	Account(ctx context.Context, accountID string) (parley.Account, error)
	PutAccount(ctx context.Context, a parley.Account) error
}

// Service reads and changes account settings.
type Service struct {
	Store Store
	Clock parley.Clock
	// Egress is the policy the connector URL is reached with; its zero
	// value admits public addresses only.
	Egress egress.Policy
}

// Settings returns an account's settings with the defaults filled in.
func (s *Service) Settings(ctx context.Context, accountID string) (parley.Account, error) {
	a, err := s.Store.Account(ctx, accountID)
	return withDefaults(a), err
}

// Update replaces an account's settings after checking them; nothing is
// saved when they are invalid. Empty texts mean the defaults.
func (s *Service) Update(ctx context.Context, a parley.Account) (parley.Account, error) {
	if err := s.keepConnectorSecret(ctx, &a); err != nil {
		return parley.Account{}, err
	}
	if err := a.Validate(s.Egress); err != nil {
		return parley.Account{}, err
	}
	a.UpdatedAt = s.Clock.Now()
	if err := s.Store.PutAccount(ctx, a); err != nil {
		return parley.Account{}, err
	}
	return withDefaults(a), nil
}

// Defaults for settings an account has not set.
const (
	DefaultOptOut = message.DefaultOptOut
	DefaultHelp   = "Reply STOP to stop messages, START to resume."
	// DefaultOptOutConfirm answers a consumer's opt-out keyword, once.
	DefaultOptOutConfirm = "You are unsubscribed and will get no more messages. Reply START to resubscribe."
	// DefaultOptInConfirm answers an opt-in keyword that resubscribes.
	DefaultOptInConfirm = "You are resubscribed. Reply STOP to opt out, HELP for help."
)

func withDefaults(a parley.Account) parley.Account {
	if a.OptOutText == "" {
		a.OptOutText = DefaultOptOut
	}
	if a.HelpText == "" {
		a.HelpText = DefaultHelp
	}
	if a.OptOutConfirmText == "" {
		a.OptOutConfirmText = DefaultOptOutConfirm
	}
	if a.OptInConfirmText == "" {
		a.OptInConfirmText = DefaultOptInConfirm
	}
	return a
}

// keepConnectorSecret gives a with a connector URL but no secret (or the
// redacted form the settings read back) the secret already stored: the
// settings never return it, so a client that sends back what it read keeps
// it.
func (s *Service) keepConnectorSecret(ctx context.Context, a *parley.Account) error {
	if a.ConnectorURL == "" || (a.ConnectorSecret != "" && !a.ConnectorSecret.IsRedacted()) {
		return nil
	}
	cur, err := s.Store.Account(ctx, a.ID)
	if err != nil {
		return err
	}
	if cur.ConnectorSecret != "" {
		a.ConnectorSecret = cur.ConnectorSecret
	}
	return nil
}
