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

// SealSecret seals plaintext with s for the item aad names. It fails when
// s is nil: a store given no Sealer never keeps a secret in clear instead.
func SealSecret(ctx context.Context, s Sealer, plaintext, aad []byte) ([]byte, error) {
	if s == nil {
		return nil, errNoSealer
	}
	return s.Seal(ctx, plaintext, aad)
}

// OpenSecret opens with s what SealSecret sealed for the same aad. It
// fails when s is nil.
func OpenSecret(ctx context.Context, s Sealer, sealed, aad []byte) ([]byte, error) {
	if s == nil {
		return nil, errNoSealer
	}
	return s.Open(ctx, sealed, aad)
}

// seal and open are SealSecret and OpenSecret for the channel
// configuration codec.
func seal(ctx context.Context, s Sealer, plaintext, aad []byte) ([]byte, error) {
	return SealSecret(ctx, s, plaintext, aad)
}

func open(ctx context.Context, s Sealer, sealed, aad []byte) ([]byte, error) {
	return OpenSecret(ctx, s, sealed, aad)
}
