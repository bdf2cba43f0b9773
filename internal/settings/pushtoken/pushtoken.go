// Package pushtoken keeps the devices a brand's app registers for its
// consumers: the Firebase Cloud Messaging registration tokens the in-app
// channel pushes a campaign's message to. The app registers a token when
// the consumer signs in or FCM refreshes it, and unregisters it when the
// consumer signs out; tokens FCM reports gone are forgotten at send time.
package pushtoken

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// MaxDevices is how many devices a consumer keeps: registering one more
// forgets the one registered longest ago, so a consumer whose app was
// reinstalled many times is not pushed to on every old install.
const MaxDevices = 10

// Service registers, lists and unregisters consumers' device tokens.
type Service struct {
	Store store.PushTokens
	Clock parley.Clock
}

// Register saves a device token for a consumer of the account, or renews it
// (new platform, new registration time) when it is registered already, and
// returns it as saved. It is EINVALID, naming the field, when the consumer
// id, token or platform is not valid; then nothing is saved. Beyond
// MaxDevices the oldest registrations are forgotten.
func (s *Service) Register(ctx context.Context, t parley.PushToken) (parley.PushToken, error) {
	if err := t.Validate(); err != nil {
		return parley.PushToken{}, err
	}
	t.RegisteredAt = s.Clock.Now()
	if err := s.Store.PutPushToken(ctx, t); err != nil {
		return parley.PushToken{}, fmt.Errorf("save push token of %s: %w", t.ConsumerID, err)
	}
	all, err := s.Store.PushTokens(ctx, t.AccountID, t.ConsumerID)
	if err != nil {
		return parley.PushToken{}, fmt.Errorf("list push tokens of %s: %w", t.ConsumerID, err)
	}
	for _, old := range oldest(all, t.Token, len(all)-MaxDevices) {
		if err := s.Store.RemoveDeviceToken(ctx, t.AccountID, t.ConsumerID, old.Token); err != nil {
			return parley.PushToken{}, fmt.Errorf("forget an old push token of %s: %w", t.ConsumerID, err)
		}
	}
	return t, nil
}

// oldest returns the n registrations of ts registered longest ago, never
// the one of keep.
func oldest(ts []parley.PushToken, keep string, n int) []parley.PushToken {
	if n <= 0 {
		return nil
	}
	ts = slices.DeleteFunc(slices.Clone(ts), func(t parley.PushToken) bool { return t.Token == keep })
	slices.SortStableFunc(ts, func(a, b parley.PushToken) int {
		return cmp.Or(a.RegisteredAt.Compare(b.RegisteredAt), cmp.Compare(a.Token, b.Token))
	})
	return ts[:min(n, len(ts))]
}

// List returns a consumer's registered devices in token order. The consumer
// id must be valid (EINVALID naming consumerId); a consumer with no device
// has an empty list.
func (s *Service) List(ctx context.Context, accountID, consumerID string) ([]parley.PushToken, error) {
	if why := parley.ConsumerIDProblem(consumerID); why != "" {
		return nil, parley.FieldErrorf("consumerId", "%s", why)
	}
	return s.Store.PushTokens(ctx, accountID, consumerID)
}

// Unregister forgets one of a consumer's device tokens. It is ENOTFOUND when
// the consumer has no such token, EINVALID (naming the field) when the
// consumer id or token is not valid.
func (s *Service) Unregister(ctx context.Context, accountID, consumerID, token string) error {
	if why := parley.ConsumerIDProblem(consumerID); why != "" {
		return parley.FieldErrorf("consumerId", "%s", why)
	}
	if err := parley.CheckPushToken(token); err != nil {
		return err
	}
	all, err := s.Store.PushTokens(ctx, accountID, consumerID)
	if err != nil {
		return fmt.Errorf("list push tokens of %s: %w", consumerID, err)
	}
	if !slices.ContainsFunc(all, func(t parley.PushToken) bool { return t.Token == token }) {
		return &parley.Error{Code: parley.ENOTFOUND, Field: "token", Message: "the consumer has no such device token registered"}
	}
	return s.Store.RemoveDeviceToken(ctx, accountID, consumerID, token)
}
