package gateway

import (
	"fmt"

	"github.com/parleyhq/parley/internal/parley"
)

// WebhookRefusedMessage is the one answer to every webhook refused after
// its signature was looked at: it says nothing of the account's
// configuration, so webhooks cannot be used to learn which accounts exist
// or which provider each uses.
const WebhookRefusedMessage = "the webhook does not verify: check the URL registered with the provider and the account's channel credentials"

// Unsigned is the refusal of a webhook without its provider's signature
// (what names the missing signature or token): EUNAUTHORIZED.
func Unsigned(what string) error {
	return parley.Errorf(parley.EUNAUTHORIZED, "the request carries no %s", what)
}

// BadSignature is the refusal of a webhook whose signature does not verify
// with the account's secret.
func BadSignature(what, accountID string) error {
	return Refused("the %s does not verify with the secret of account %s", what, accountID)
}

// Refused is a webhook's refusal: EFORBIDDEN with the uniform message, the
// reason kept for the log alone.
func Refused(format string, args ...any) error {
	return parley.Wrap(parley.EFORBIDDEN, fmt.Errorf(format, args...), WebhookRefusedMessage)
}
