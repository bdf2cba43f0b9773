// Package envelope seals the secrets stores keep (parley.Sealer) with
// AES-256-GCM under a data key. Its adapters hold the key that protects
// the data keys: package kms asks AWS KMS for a data key per sealed value
// and stores it encrypted beside the ciphertext; package keyfile uses one
// key kept in a file, for the embedded backend. Package envelopetest is the
// contract both pass.
package envelope

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
)

// KeySize is the size of an AES-256 key in bytes.
const KeySize = 32

// ErrOpen is the error of a sealed value that does not open: altered,
// truncated, sealed for another item (aad) or under another key.
var ErrOpen = errors.New("sealed secret does not open: altered, or sealed for another item or under another key")

// Seal returns header, a random nonce and plaintext encrypted under key
// with AES-256-GCM, authenticating header and aad with it. header must be
// self-delimiting (of fixed size, or length-prefixed) for the
// authenticated data header‖aad to be unambiguous.
func Seal(key, header, plaintext, aad []byte) ([]byte, error) {
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	out := make([]byte, len(header), len(header)+aead.NonceSize()+len(plaintext)+aead.Overhead())
	copy(out, header)
	nonce := out[len(header) : len(header)+aead.NonceSize()]
	out = out[:len(header)+aead.NonceSize()]
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("nonce: %w", err)
	}
	return aead.Seal(out, nonce, plaintext, additional(header, aad)), nil
}

// Open returns the plaintext of what Seal returned with a header of
// headerLen bytes, or ErrOpen.
func Open(key, sealed []byte, headerLen int, aad []byte) ([]byte, error) {
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	if headerLen < 0 || len(sealed) < headerLen+aead.NonceSize()+aead.Overhead() {
		return nil, ErrOpen
	}
	header, rest := sealed[:headerLen], sealed[headerLen:]
	nonce, ciphertext := rest[:aead.NonceSize()], rest[aead.NonceSize():]
	plain, err := aead.Open(nil, nonce, ciphertext, additional(header, aad))
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("data key of %d bytes; want %d (AES-256)", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func additional(header, aad []byte) []byte {
	return append(append(make([]byte, 0, len(header)+len(aad)), header...), aad...)
}
