// Package secret is the store adapters' codec of what they keep sealed: an
// account's connector secret, and the answers of idempotent creates, each
// sealed by the adapter's parley.Sealer and bound to its account (and key)
// with parley.SecretAAD, so that a sealed value copied into another
// account's item does not open.
package secret

import (
	"context"
	"fmt"

	"github.com/parleyhq/parley/internal/parley"
)

// connectorItem names the connector secret's item for parley.SecretAAD.
const connectorItem = "connector"

// EncodeConnector seals an account's connector secret for a store; it is
// nil when the account has none. It fails without a Sealer: a store never
// keeps the secret in clear instead.
func EncodeConnector(ctx context.Context, s parley.Sealer, a parley.Account) ([]byte, error) {
	if a.ConnectorSecret == "" {
		return nil, nil
	}
	sealed, err := parley.Seal(ctx, s, []byte(a.ConnectorSecret.Reveal()), parley.SecretAAD(a.ID, connectorItem))
	if err != nil {
		return nil, fmt.Errorf("seal the connector secret of account %s: %w", a.ID, err)
	}
	return sealed, nil
}

// DecodeConnector opens the connector secret EncodeConnector sealed for
// account accountID: the id the store keyed the item by, not one read from
// the item. An item written before secrets were sealed has no sealed form
// and may hold the secret in clear (legacy): it is returned as it is, and
// inClear asks the store to write it again sealed.
func DecodeConnector(ctx context.Context, s parley.Sealer, accountID string, sealed []byte, legacy string) (secret parley.Secret, inClear bool, err error) {
	if len(sealed) == 0 {
		return parley.Secret(legacy), legacy != "", nil
	}
	plain, err := parley.Open(ctx, s, sealed, parley.SecretAAD(accountID, connectorItem))
	if err != nil {
		return "", false, fmt.Errorf("open the connector secret of account %s: %w", accountID, err)
	}
	return parley.Secret(plain), false, nil
}
