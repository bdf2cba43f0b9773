// Package signingkey resolves the keys access tokens are signed and
// verified with from the configuration, the same way for parley serve,
// parley token and the functions: a KMS key (PARLEY_SIGNING_KMS_KEY_ID),
// as on AWS, or a PEM private key (PARLEY_SIGNING_KEY), with previous
// keys' public keys (PARLEY_VERIFY_KEYS); otherwise, on the embedded
// backend, an Ed25519 key generated once and kept under the data
// directory, so tokens survive restarts, and on an emulator of AWS a KMS
// key created there.
package signingkey

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/auth/kmssign"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/obs/xray"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/secretfile"
)

// FileName is the generated key's file in the data directory.
const FileName = "signing-key.pem"

// EmulatorKeyAlias names the KMS key the aws backend signs with on an
// emulator (AWS_ENDPOINT_URL) when no key is configured; it is created
// there if missing, as the table and queues are.
const EmulatorKeyAlias = "alias/parley-token-signing"

// Load returns the key set cfg configures. Tokens are signed by the KMS
// key PARLEY_SIGNING_KMS_KEY_ID names (its public key read here, once), or
// with the first PEM block of PARLEY_SIGNING_KEY, whose later blocks, like
// those of PARLEY_VERIFY_KEYS, are previous keys that only verify. With
// only PARLEY_VERIFY_KEYS the set verifies and cannot sign. With none, the
// embedded backend uses (and first creates) <data dir>/signing-key.pem,
// the aws backend on an emulator the KMS key EmulatorKeyAlias names
// (created if need be), and the aws backend on AWS is an error.
func Load(ctx context.Context, cfg config.Config) (*auth.KeySet, error) {
	return load(ctx, cfg, true)
}

// load is Load; create says whether the embedded backend's key file is
// created when missing.
func load(ctx context.Context, cfg config.Config, create bool) (*auth.KeySet, error) {
	var signing auth.Signer
	var previous []*auth.Key
	switch {
	case cfg.SigningKMSKeyID != "":
		s, err := kmsSigner(ctx, cfg.SigningKMSKeyID, false)
		if err != nil {
			return nil, fmt.Errorf("PARLEY_SIGNING_KMS_KEY_ID: %w", err)
		}
		signing = s
	case cfg.SigningKey != "":
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
		switch {
		case cfg.Backend == config.BackendEmbedded:
			keys, err := fromDataDir(cfg.DataDir, create)
			if err != nil {
				return nil, err
			}
			signing, previous = keys[0], keys[1:]
		case cfg.AWSEndpoint != "":
			s, err := kmsSigner(ctx, EmulatorKeyAlias, true)
			if err != nil {
				return nil, fmt.Errorf("signing key %s on %s: %w", EmulatorKeyAlias, cfg.AWSEndpoint, err)
			}
			signing = s
		default:
			return nil, fmt.Errorf("PARLEY_BACKEND=%s needs PARLEY_SIGNING_KMS_KEY_ID (or PARLEY_VERIFY_KEYS to only verify tokens)", cfg.Backend)
		}
	}
	return auth.NewKeySet(signing, previous...)
}

// kmsSigner returns the signer of the KMS key keyID, creating the key
// under that alias first when create is set (on an emulator).
func kmsSigner(ctx context.Context, keyID string, create bool) (*kmssign.Signer, error) {
	awsCfg, err := xray.LoadAWSConfig(ctx)
	if err != nil {
		return nil, err
	}
	client := kms.NewFromConfig(awsCfg)
	if create {
		if keyID, err = kmssign.EnsureKey(ctx, client, keyID); err != nil {
			return nil, err
		}
	}
	return kmssign.New(ctx, client, keyID)
}

// Tokens returns the token issuer and verifier cfg configures. Its
// Clients is not set: tokens of API clients verify only once the caller
// gives it the store to check them against.
func Tokens(ctx context.Context, cfg config.Config, clock parley.Clock) (*auth.Tokens, error) {
	return tokens(ctx, cfg, clock, true)
}

// ExistingTokens is Tokens for a command that talks to a running server:
// it never creates the embedded backend's key file, so a command pointed
// at the wrong data directory says so instead of signing with a new key
// the server does not know.
func ExistingTokens(ctx context.Context, cfg config.Config, clock parley.Clock) (*auth.Tokens, error) {
	return tokens(ctx, cfg, clock, false)
}

func tokens(ctx context.Context, cfg config.Config, clock parley.Clock, create bool) (*auth.Tokens, error) {
	keys, err := load(ctx, cfg, create)
	if err != nil {
		return nil, err
	}
	return &auth.Tokens{
		Keys: keys, Clock: clock,
		Issuer:   cmp.Or(cfg.Issuer, config.DefaultIssuer),
		Audience: cmp.Or(cfg.Audience, config.DefaultAudience),
		MaxTTL:   cmp.Or(cfg.MaxTokenTTL, config.DefaultMaxTokenTTL(cfg.Backend)),
	}, nil
}

// pemText accepts a PEM pasted into one line with literal \n escapes.
func pemText(s string) []byte {
	if !strings.Contains(s, "\n") {
		s = strings.ReplaceAll(s, `\n`, "\n")
	}
	return []byte(s)
}

// ErrNoKeyFile is returned (wrapped) by ExistingTokens when the data
// directory holds no key file.
var ErrNoKeyFile = errors.New("no signing key file")

// fromDataDir reads the key file in dir, creating it with a new Ed25519 key
// if there is none and create is set (see secretfile.ReadOrCreate).
func fromDataDir(dir string, create bool) ([]*auth.Key, error) {
	path := filepath.Join(dir, FileName)
	var data []byte
	var err error
	if create {
		data, err = secretfile.ReadOrCreate(path, func() ([]byte, error) {
			k, err := auth.GenerateEd25519()
			if err != nil {
				return nil, err
			}
			return k.MarshalPEM()
		})
	} else if data, err = os.ReadFile(path); errors.Is(err, fs.ErrNotExist) {
		abs, _ := filepath.Abs(path)
		return nil, fmt.Errorf("%w at %s: parley serve creates it when it first starts with that data directory (--data, PARLEY_DATA_DIR)", ErrNoKeyFile, abs)
	}
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
