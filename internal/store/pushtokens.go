package store

import (
	"context"

	"github.com/parleyhq/parley/internal/parley"
)

// PushTokens keeps the device tokens a brand's app registered for each of
// its consumers: what the in-app channel pushes to.
type PushTokens interface {
	Devices
	// PutPushToken saves a consumer's device token, replacing the one with
	// the same account, consumer and token.
	PutPushToken(ctx context.Context, t parley.PushToken) error
	// PushTokens lists a consumer's device tokens in token order; an empty
	// list (not ENOTFOUND) when there are none.
	PushTokens(ctx context.Context, accountID, consumerID string) ([]parley.PushToken, error)
}

// Devices is what a push sender needs of PushTokens: the tokens to push to,
// and forgetting those the push service no longer knows.
type Devices interface {
	// DeviceTokens lists the tokens of PushTokens a message for apps goes
	// to (parley.TokensFor): those registered from one of apps, every one
	// when apps is empty.
	DeviceTokens(ctx context.Context, accountID, consumerID string, apps []string) ([]string, error)
	// RemoveDeviceToken forgets one of a consumer's tokens. Forgetting a
	// token that is not there succeeds: two senders may both learn that a
	// token is gone.
	RemoveDeviceToken(ctx context.Context, accountID, consumerID, token string) error
}
