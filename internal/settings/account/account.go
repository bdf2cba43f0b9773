// Package account keeps each account's messaging settings: the opt-out text
// appended to every SMS, the HELP answer, the default skill replies
// outside any campaign's lookback go to, the default country recipients'
// national numbers are read in, and the agent-platform connector
// conversations are pushed to, and the daily recipient limit per channel.
package account

import (
	"context"

	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/egress"
	"github.com/parleyhq/parley/internal/message"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Service reads and changes account settings.
type Service struct {
	Store store.Accounts
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
// saved when they are invalid. Empty texts mean the defaults. Setting,
// changing or removing the connector takes auth.ManageConnector (admins)
// of the principal ctx carries: EFORBIDDEN otherwise (EUNAUTHORIZED
// without one). The connector secret may be left out, or sent back
// redacted as read, to keep it, for the same connector URL only (see
// parley.Account.KeepConnectorSecret).
func (s *Service) Update(ctx context.Context, a parley.Account) (parley.Account, error) {
	saved, err := s.Store.Account(ctx, a.ID)
	if err != nil {
		return parley.Account{}, err
	}
	if a.ChangesConnector(saved) {
		if err := auth.Require(ctx, a.ID, auth.ManageConnector); err != nil {
			return parley.Account{}, &parley.Error{Code: parley.ErrorCode(err), Field: "connectorUrl",
				Message: "only admin may set, change or remove the connector (connectorUrl, connectorSecret): " + parley.ErrorMessage(err)}
		}
	}
	if a, err = a.KeepConnectorSecret(saved); err != nil {
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
	a.DailyRecipientLimit = a.DailyLimit()
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
