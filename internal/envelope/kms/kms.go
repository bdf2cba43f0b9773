// Package kms is the parley.Sealer of the aws backend: envelope encryption
// under an AWS KMS key. Each Seal asks KMS for a fresh AES-256 data key
// (GenerateDataKey), encrypts the secret under it locally with AES-256-GCM
// and stores the data key, as KMS encrypted it, beside the ciphertext; Open
// has KMS decrypt the data key (Decrypt). The item's aad is the data key's
// encryption context, so KMS refuses the data key of one item to a request
// for another, and CloudTrail records which item each request was for.
//
// Decrypted data keys are kept in memory for a while (Options.CacheTTL), a
// bounded number of them (Options.CacheSize), so a dispatcher sending many
// messages through one configuration does not call KMS for each.
package kms

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"

	"github.com/parleyhq/parley/internal/envelope"
	"github.com/parleyhq/parley/internal/parley"
)

// API is the part of *kms.Client the keyring uses, so that a wrapper (a
// request counter) can stand in for the client.
type API interface {
	GenerateDataKey(ctx context.Context, in *awskms.GenerateDataKeyInput, optFns ...func(*awskms.Options)) (*awskms.GenerateDataKeyOutput, error)
	Decrypt(ctx context.Context, in *awskms.DecryptInput, optFns ...func(*awskms.Options)) (*awskms.DecryptOutput, error)
}

// ContextKey is the encryption context entry that holds the aad.
const ContextKey = "parley:secret"

// Defaults of Options.
const (
	DefaultCacheTTL  = 5 * time.Minute
	DefaultCacheSize = 1000
)

// Sealed values start with format and version, then the encrypted data
// key's length (2 bytes, big endian) and the encrypted data key.
const (
	format  = 'K'
	version = 1
	prefix  = 4
)

// Options tune a Keyring; the zero value takes the defaults.
type Options struct {
	CacheTTL  time.Duration // how long a decrypted data key is reused (DefaultCacheTTL)
	CacheSize int           // how many decrypted data keys are kept at most (DefaultCacheSize)
	Clock     parley.Clock  // the cache's clock (the system clock)
}

// Keyring seals under one KMS key.
type Keyring struct {
	api   API
	keyID string
	cache *cache
}

var _ parley.Sealer = (*Keyring)(nil)

// New returns the keyring of the KMS key keyID (a key id, key ARN, alias
// name or alias ARN), reached through api (usually a *kms.Client).
func New(api API, keyID string, opt Options) *Keyring {
	c := &cache{ttl: opt.CacheTTL, size: opt.CacheSize, clock: opt.Clock, keys: map[cacheKey]cached{}}
	if c.ttl <= 0 {
		c.ttl = DefaultCacheTTL
	}
	if c.size <= 0 {
		c.size = DefaultCacheSize
	}
	if c.clock == nil {
		c.clock = parley.SystemClock{}
	}
	return &Keyring{api: api, keyID: keyID, cache: c}
}

// encryptionContext carries aad, which must be UTF-8 text.
func encryptionContext(aad []byte) (map[string]string, error) {
	if !utf8.Valid(aad) {
		return nil, errors.New("kms: aad is not UTF-8 text")
	}
	return map[string]string{ContextKey: string(aad)}, nil
}

// Seal implements parley.Sealer with a new data key.
func (k *Keyring) Seal(ctx context.Context, plaintext, aad []byte) ([]byte, error) {
	ec, err := encryptionContext(aad)
	if err != nil {
		return nil, err
	}
	out, err := k.api.GenerateDataKey(ctx, &awskms.GenerateDataKeyInput{
		KeyId: aws.String(k.keyID), KeySpec: types.DataKeySpecAes256, EncryptionContext: ec,
	})
	if err != nil {
		return nil, parley.Wrap(parley.EUNAVAILABLE, err, "kms GenerateDataKey with key %s", k.keyID)
	}
	edk := out.CiphertextBlob
	if len(edk) == 0 || len(edk) > 0xffff {
		return nil, fmt.Errorf("kms GenerateDataKey with key %s: encrypted data key of %d bytes", k.keyID, len(edk))
	}
	header := binary.BigEndian.AppendUint16([]byte{format, version}, uint16(len(edk)))
	header = append(header, edk...)
	sealed, err := envelope.Seal(out.Plaintext, header, plaintext, aad)
	if err != nil {
		return nil, fmt.Errorf("kms GenerateDataKey with key %s: %w", k.keyID, err)
	}
	k.cache.put(edk, aad, out.Plaintext)
	return sealed, nil
}

// Open implements parley.Sealer: the data key comes from the cache, or
// from KMS Decrypt restricted to the keyring's key.
func (k *Keyring) Open(ctx context.Context, sealed, aad []byte) ([]byte, error) {
	if len(sealed) < prefix || sealed[0] != format || sealed[1] != version {
		return nil, fmt.Errorf("%w: not sealed by a KMS keyring", envelope.ErrOpen)
	}
	headerLen := prefix + int(binary.BigEndian.Uint16(sealed[2:prefix]))
	if len(sealed) < headerLen {
		return nil, fmt.Errorf("%w: truncated", envelope.ErrOpen)
	}
	edk := sealed[prefix:headerLen]
	key, ok := k.cache.get(edk, aad)
	if !ok {
		var err error
		if key, err = k.decrypt(ctx, edk, aad); err != nil {
			return nil, err
		}
	}
	plain, err := envelope.Open(key, sealed, headerLen, aad)
	if err != nil {
		return nil, err
	}
	if !ok {
		k.cache.put(edk, aad, key)
	}
	return plain, nil
}

// decrypt has KMS decrypt a data key. A data key KMS refuses to decrypt
// for this key and context (altered, of another key or context, or not
// for this caller: KMS answers a ciphertext of another key with
// IncorrectKeyException, emulators with AccessDeniedException) is
// envelope.ErrOpen, which retrying does not cure; any other failure is
// EUNAVAILABLE.
func (k *Keyring) decrypt(ctx context.Context, edk, aad []byte) ([]byte, error) {
	ec, err := encryptionContext(aad)
	if err != nil {
		return nil, err
	}
	out, err := k.api.Decrypt(ctx, &awskms.DecryptInput{
		CiphertextBlob: edk, EncryptionContext: ec, KeyId: aws.String(k.keyID),
		EncryptionAlgorithm: types.EncryptionAlgorithmSpecSymmetricDefault,
	})
	switch {
	case refused(err):
		return nil, fmt.Errorf("%w: kms Decrypt with key %s: %w", envelope.ErrOpen, k.keyID, err)
	case err != nil:
		return nil, parley.Wrap(parley.EUNAVAILABLE, err, "kms Decrypt with key %s", k.keyID)
	case len(out.Plaintext) != envelope.KeySize:
		return nil, fmt.Errorf("kms Decrypt with key %s: data key of %d bytes", k.keyID, len(out.Plaintext))
	}
	return out.Plaintext, nil
}

// refused reports whether KMS refused to decrypt a data key, as opposed
// to failing to answer.
func refused(err error) bool {
	var invalid *types.InvalidCiphertextException
	var incorrect *types.IncorrectKeyException
	var api smithy.APIError
	return errors.As(err, &invalid) || errors.As(err, &incorrect) ||
		errors.As(err, &api) && api.ErrorCode() == "AccessDeniedException"
}

// cache keeps decrypted data keys by encrypted data key and aad, each for
// ttl, at most size of them.
type cache struct {
	ttl   time.Duration
	size  int
	clock parley.Clock

	mu   sync.Mutex
	keys map[cacheKey]cached
}

type cacheKey struct{ edk, aad string }

type cached struct {
	key   []byte
	until time.Time
}

func (c *cache) get(edk, aad []byte) ([]byte, bool) {
	k := cacheKey{string(edk), string(aad)}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.keys[k]
	if ok && !c.clock.Now().Before(e.until) {
		delete(c.keys, k)
		return nil, false
	}
	return e.key, ok
}

// put keeps a data key; when the cache is full it first drops the entry
// that expires soonest (an expired one, if any).
func (c *cache) put(edk, aad, key []byte) {
	k := cacheKey{string(edk), string(aad)}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.keys[k]; !ok && len(c.keys) >= c.size {
		var oldest cacheKey
		var first time.Time
		for ck, e := range c.keys {
			if first.IsZero() || e.until.Before(first) {
				oldest, first = ck, e.until
			}
		}
		delete(c.keys, oldest)
	}
	c.keys[k] = cached{key: key, until: c.clock.Now().Add(c.ttl)}
}
