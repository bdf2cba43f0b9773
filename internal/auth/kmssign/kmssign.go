// Package kmssign signs Parley's access tokens with an asymmetric AWS KMS
// key, so that on AWS the private key never leaves KMS: tokens are signed
// through kms:Sign, and the public key, read once with kms:GetPublicKey
// when the process starts, verifies them and is published in the JWKS.
//
// Tokens are RS256 (RSASSA_PKCS1_V1_5_SHA_256), which KMS offers for its
// RSA keys; template.yaml creates an RSA_2048 key.
package kmssign

import (
	"cmp"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/parley"
)

// KeySpec is the spec of the keys EnsureKey creates, as template.yaml does.
const KeySpec = types.KeySpecRsa2048

// Algorithm is the KMS signing algorithm of JWS RS256.
const Algorithm = types.SigningAlgorithmSpecRsassaPkcs1V15Sha256

// MaxMessage is the most kms:Sign signs as it is (MessageType RAW); a
// token's signing input is a few hundred bytes.
const MaxMessage = 4096

// API is the part of the KMS client a Signer uses (*kms.Client is one).
type API interface {
	GetPublicKey(ctx context.Context, in *kms.GetPublicKeyInput, opts ...func(*kms.Options)) (*kms.GetPublicKeyOutput, error)
	Sign(ctx context.Context, in *kms.SignInput, opts ...func(*kms.Options)) (*kms.SignOutput, error)
}

// Signer is an auth.Signer whose private key is a KMS key.
type Signer struct {
	client API
	keyID  string // the key's ARN, as GetPublicKey named it
	public *auth.Key
}

var _ auth.Signer = (*Signer)(nil)

// New reads the public key of the KMS key keyID (a key id, key ARN, alias
// name such as alias/parley-signing, or alias ARN) and returns the signer
// that signs with that key. The key must be for SIGN_VERIFY and offer
// RSASSA_PKCS1_V1_5_SHA_256. Signing uses the key GetPublicKey named, so
// an alias moved later does not change the key a running process signs
// with.
func New(ctx context.Context, client API, keyID string) (*Signer, error) {
	out, err := client.GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: aws.String(keyID)})
	if err != nil {
		return nil, fmt.Errorf("kms GetPublicKey %s: %w", keyID, err)
	}
	if out.KeyUsage != types.KeyUsageTypeSignVerify {
		return nil, fmt.Errorf("kms key %s is for %s: want a SIGN_VERIFY key", keyID, out.KeyUsage)
	}
	if !slices.Contains(out.SigningAlgorithms, Algorithm) {
		return nil, fmt.Errorf("kms key %s does not sign with %s (RS256): want an RSA key such as %s", keyID, Algorithm, KeySpec)
	}
	raw, err := x509.ParsePKIXPublicKey(out.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("kms key %s: public key: %w", keyID, err)
	}
	public, err := auth.NewKey(raw)
	if err != nil {
		return nil, fmt.Errorf("kms key %s: %w", keyID, err)
	}
	if public.Alg() != auth.AlgRS256 {
		return nil, fmt.Errorf("kms key %s is %s: want an RSA key such as %s", keyID, public.Alg(), KeySpec)
	}
	return &Signer{client: client, keyID: cmp.Or(aws.ToString(out.KeyId), keyID), public: public}, nil
}

// KeyID returns the KMS key the signer signs with.
func (s *Signer) KeyID() string { return s.keyID }

// Public implements auth.Signer: the KMS key's public key.
func (s *Signer) Public() *auth.Key { return s.public }

// Sign implements auth.Signer with kms:Sign. A failing call is
// EUNAVAILABLE.
func (s *Signer) Sign(ctx context.Context, input []byte) ([]byte, error) {
	if len(input) > MaxMessage {
		return nil, fmt.Errorf("kms signs at most %d bytes as they are; the token's signing input is %d", MaxMessage, len(input))
	}
	out, err := s.client.Sign(ctx, &kms.SignInput{
		KeyId: aws.String(s.keyID), Message: input, MessageType: types.MessageTypeRaw, SigningAlgorithm: Algorithm,
	})
	if err != nil {
		return nil, parley.Wrap(parley.EUNAVAILABLE, err, "kms Sign with %s", s.keyID)
	}
	return out.Signature, nil
}

// KeyMaker is the part of the KMS client EnsureKey uses (*kms.Client is
// one).
type KeyMaker interface {
	DescribeKey(ctx context.Context, in *kms.DescribeKeyInput, opts ...func(*kms.Options)) (*kms.DescribeKeyOutput, error)
	CreateKey(ctx context.Context, in *kms.CreateKeyInput, opts ...func(*kms.Options)) (*kms.CreateKeyOutput, error)
	CreateAlias(ctx context.Context, in *kms.CreateAliasInput, opts ...func(*kms.Options)) (*kms.CreateAliasOutput, error)
}

// EnsureKey returns the ARN of the key alias (alias/<name>) names,
// creating a KeySpec SIGN_VERIFY key under that alias first if there is
// none: for emulators, as template.yaml creates the key on AWS. Of two
// processes creating it at once, both end up with the key the alias names.
func EnsureKey(ctx context.Context, client KeyMaker, alias string) (string, error) {
	describe := func() (string, error) {
		out, err := client.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(alias)})
		if err != nil {
			return "", err
		}
		return aws.ToString(out.KeyMetadata.Arn), nil
	}
	arn, err := describe()
	var notFound *types.NotFoundException
	if !errors.As(err, &notFound) {
		return arn, err
	}
	key, err := client.CreateKey(ctx, &kms.CreateKeyInput{
		KeySpec: KeySpec, KeyUsage: types.KeyUsageTypeSignVerify,
		Description: aws.String("Signs access tokens (RS256)"),
	})
	if err != nil {
		return "", fmt.Errorf("kms CreateKey: %w", err)
	}
	_, err = client.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(alias), TargetKeyId: key.KeyMetadata.KeyId})
	var exists *types.AlreadyExistsException
	switch {
	case errors.As(err, &exists):
		return describe() // another process made it first
	case err != nil:
		return "", fmt.Errorf("kms CreateAlias %s: %w", alias, err)
	}
	return aws.ToString(key.KeyMetadata.Arn), nil
}
