package parley

import (
	"context"
	"errors"
	"fmt"
)

// Sealer encrypts the secrets a store keeps (envelope encryption: a data
// key per sealed value, itself encrypted by a key the store never sees).
// aad is UTF-8 text naming the item the secret belongs to; a sealed value
// opens only with the same aad, so a ciphertext copied into another
// account's item, or another item of the same account, fails to open.
//
// The adapters are in package envelope's subpackages: a KMS key on the aws
// backend, a key file under the data directory on the embedded one.
type Sealer interface {
	// Seal returns plaintext encrypted and authenticated together with aad.
	Seal(ctx context.Context, plaintext, aad []byte) ([]byte, error)
	// Open returns the plaintext of what Seal returned for the same aad, or
	// an error when sealed was altered, was sealed for another aad or under
	// another key.
	Open(ctx context.Context, sealed, aad []byte) ([]byte, error)
}

// sealedChannelPrefix and the channel name a channel configuration's item
// for SecretAAD.
const sealedChannelPrefix = "channel:"

// SecretAAD names an item's secrets for a Sealer: the account and the item
// within it ("connector", or "channel:" and the channel), quoted so that no
// account id can pass for another.
func SecretAAD(accountID, item string) []byte {
	return fmt.Appendf(nil, "parley account=%q item=%q", accountID, item)
}

// errNoSealer is the error of a store given no Sealer that is asked to
// seal or open a secret: it never keeps one in clear instead.
var errNoSealer = errors.New("no key to seal or open secrets with was configured")

// Seal seals plaintext with s for the item aad names (see SecretAAD); an
// error, never the plaintext, without a Sealer. Only store adapters call
// it.
func Seal(ctx context.Context, s Sealer, plaintext, aad []byte) ([]byte, error) {
	if s == nil {
		return nil, errNoSealer
	}
	return s.Seal(ctx, plaintext, aad)
}

// Open opens what Seal sealed for the same aad; an error without a Sealer.
// Only store adapters call it.
func Open(ctx context.Context, s Sealer, sealed, aad []byte) ([]byte, error) {
	if s == nil {
		return nil, errNoSealer
	}
	return s.Open(ctx, sealed, aad)
}

// ChannelAAD names a channel's credentials for the Sealer.
func ChannelAAD(accountID string, channel Channel) []byte {
	return SecretAAD(accountID, sealedChannelPrefix+string(channel))
}
