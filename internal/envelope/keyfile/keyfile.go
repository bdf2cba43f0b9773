// Package keyfile is the parley.Sealer of the embedded backend: each
// secret sealed with AES-256-GCM under one key kept in the data directory
// (<data dir>/secrets-key, 0600, created once). Whoever reads that file
// can open the secrets of the store beside it; it is what the KMS key is on
// AWS, and is backed up, or lost, with the data directory.
package keyfile

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"path/filepath"

	"github.com/parleyhq/parley/internal/envelope"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/secretfile"
)

// FileName is the key file in the data directory.
const FileName = "secrets-key"

// Sealed values start with format, then version, then the key id.
const (
	format    = 'F'
	version   = 1
	idSize    = 4
	headerLen = 2 + idSize
)

// Keyring seals under one AES-256 key.
type Keyring struct {
	key    []byte
	header []byte // format, version, key id
}

var _ parley.Sealer = (*Keyring)(nil)

// New returns the keyring of a key of envelope.KeySize bytes.
func New(key []byte) (*Keyring, error) {
	if len(key) != envelope.KeySize {
		return nil, fmt.Errorf("secrets key of %d bytes; want %d", len(key), envelope.KeySize)
	}
	id := sha256.Sum256(append([]byte("parley secrets key id\x00"), key...))
	return &Keyring{key: bytes.Clone(key), header: append([]byte{format, version}, id[:idSize]...)}, nil
}

// Load returns the keyring of the key file in dir, creating the file with
// a new random key the first time.
func Load(dir string) (*Keyring, error) {
	path := filepath.Join(dir, FileName)
	data, err := secretfile.ReadOrCreate(path, func() ([]byte, error) {
		key := make([]byte, envelope.KeySize)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
		return []byte(base64.StdEncoding.EncodeToString(key) + "\n"), nil
	})
	if err != nil {
		return nil, fmt.Errorf("secrets key: %w", err)
	}
	key, err := base64.StdEncoding.DecodeString(string(bytes.TrimSpace(data)))
	if err != nil {
		return nil, fmt.Errorf("secrets key %s: not base64: %w", path, err)
	}
	k, err := New(key)
	if err != nil {
		return nil, fmt.Errorf("secrets key %s: %w", path, err)
	}
	return k, nil
}

// Seal implements parley.Sealer.
func (k *Keyring) Seal(_ context.Context, plaintext, aad []byte) ([]byte, error) {
	return envelope.Seal(k.key, k.header, plaintext, aad)
}

// Open implements parley.Sealer.
func (k *Keyring) Open(_ context.Context, sealed, aad []byte) ([]byte, error) {
	if len(sealed) < headerLen || sealed[0] != format || sealed[1] != version {
		return nil, fmt.Errorf("%w: not sealed by a key file", envelope.ErrOpen)
	}
	if !bytes.Equal(sealed[:headerLen], k.header) {
		return nil, fmt.Errorf("%w: sealed under key %x, not this key file's %x", envelope.ErrOpen, sealed[2:headerLen], k.header[2:])
	}
	return envelope.Open(k.key, sealed, headerLen, aad)
}
