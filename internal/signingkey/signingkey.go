// Package signingkey resolves the keys access tokens are signed and
// verified with from the configuration, the same way for parley serve,
// parley token and the functions: PARLEY_SIGNING_KEY (and
// PARLEY_VERIFY_KEYS) when set; otherwise, on the embedded backend, an
// Ed25519 key generated once and kept under the data directory, so tokens
// survive restarts.
package signingkey

import (
	"cmp"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/secretfile"
)

// FileName is the generated key's file in the data directory.
const FileName = "signing-key.pem"

// Load returns the key set cfg configures. The first PEM block of
// PARLEY_SIGNING_KEY is the signing key and later blocks, like those of
// PARLEY_VERIFY_KEYS, are previous keys that only verify. With only
// PARLEY_VERIFY_KEYS the set verifies and cannot sign. With neither, the
// embedded backend uses (and first creates) <data dir>/signing-key.pem; the
// aws backend is an error.
func Load(cfg config.Config) (*auth.KeySet, error) {
	var signing *auth.Key
	var previous []*auth.Key
	if cfg.SigningKey != "" {
		keys, err := auth.ParseKeysPEM(pemText(cfg.SigningKey))
		if err != nil {
			return nil, fmt.Errorf("PARLEY_SIGNING_KEY: %w", err)
		}
		if !keys[0].CanSign() {
			return nil, fmt.Errorf("PARLEY_SIGNING_KEY: the first PEM block must be a private key")
		}
		signing, previous = keys[0], keys[1:]
	}
	if cfg.VerifyKeys != "" {
		keys, err := auth.ParseKeysPEM(pemText(cfg.VerifyKeys))
		if err != nil {
			return nil, fmt.Errorf("PARLEY_VERIFY_KEYS: %w", err)
		}
		previous = append(previous, keys...)
	}
	if signing == nil && len(previous) == 0 {
		if cfg.Backend != config.BackendEmbedded {
			return nil, fmt.Errorf("PARLEY_BACKEND=%s needs PARLEY_SIGNING_KEY (or PARLEY_VERIFY_KEYS to only verify tokens)", cfg.Backend)
		}
		keys, err := fromDataDir(cfg.DataDir)
		if err != nil {
			return nil, err
		}
		signing, previous = keys[0], keys[1:]
	}
	return auth.NewKeySet(signing, previous...)
}

// Tokens returns the token issuer and verifier cfg configures.
func Tokens(cfg config.Config, clock parley.Clock) (*auth.Tokens, error) {
	keys, err := Load(cfg)
	if err != nil {
		return nil, err
	}
	return &auth.Tokens{
		Keys: keys, Clock: clock,
		Issuer:   cmp.Or(cfg.Issuer, config.DefaultIssuer),
		Audience: cmp.Or(cfg.Audience, config.DefaultAudience),
	}, nil
}

// pemText accepts a PEM pasted into one line with literal \n escapes.
func pemText(s string) []byte {
	if !strings.Contains(s, "\n") {
		s = strings.ReplaceAll(s, `\n`, "\n")
	}
	return []byte(s)
}

// fromDataDir reads the key file in dir, creating it with a new Ed25519 key
// if there is none (see secretfile.ReadOrCreate).
func fromDataDir(dir string) ([]*auth.Key, error) {
	path := filepath.Join(dir, FileName)
	data, err := secretfile.ReadOrCreate(path, func() ([]byte, error) {
		k, err := auth.GenerateEd25519()
		if err != nil {
			return nil, err
		}
		return k.MarshalPEM()
	})
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	keys, err := auth.ParseKeysPEM(data)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", path, err)
	}
	if !keys[0].CanSign() {
		return nil, fmt.Errorf("signing key %s: the first PEM block must be a private key", path)
	}
	return keys, nil
}
