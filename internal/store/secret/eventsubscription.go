package secret

import (
	"context"
	"fmt"

	"github.com/parleyhq/parley/internal/parley"
)

// eventSubscriptionItemPrefix and the subscription's id name its signing
// secret for parley.SecretAAD.
const eventSubscriptionItemPrefix = "event-subscription:"

func eventSubscriptionAAD(accountID, id string) []byte {
	return parley.SecretAAD(accountID, eventSubscriptionItemPrefix+id)
}

// EncodeEventSecret seals an event subscription's signing secret for a
// store, bound to its account and id. It fails without a Sealer, or for a
// subscription without a secret: a store never keeps one in clear.
func EncodeEventSecret(ctx context.Context, s parley.Sealer, sub parley.EventSubscription) ([]byte, error) {
	if sub.Secret == "" {
		return nil, fmt.Errorf("event subscription %s of account %s has no secret", sub.ID, sub.AccountID)
	}
	sealed, err := parley.Seal(ctx, s, []byte(sub.Secret.Reveal()), eventSubscriptionAAD(sub.AccountID, sub.ID))
	if err != nil {
		return nil, fmt.Errorf("seal the secret of event subscription %s of account %s: %w", sub.ID, sub.AccountID, err)
	}
	return sealed, nil
}

// DecodeEventSecret opens what EncodeEventSecret sealed for the account
// and id the store keyed the subscription by.
func DecodeEventSecret(ctx context.Context, s parley.Sealer, accountID, id string, sealed []byte) (parley.Secret, error) {
	plain, err := parley.Open(ctx, s, sealed, eventSubscriptionAAD(accountID, id))
	if err != nil {
		return "", fmt.Errorf("open the secret of event subscription %s of account %s: %w", id, accountID, err)
	}
	return parley.Secret(plain), nil
}
