package auth

import (
	"context"
	"crypto/ed25519"
	"crypto/rsa"
	"fmt"
	"math/big"
	"strings"
)

// SplitJWS decodes a compact JWS's header and returns its payload, not yet
// verified, for tokens whose claims are not Parley's (an identity
// provider's ID token). Every malformed token is EUNAUTHORIZED.
func SplitJWS(token string) (Header, []byte, error) {
	if len(token) > MaxTokenBytes {
		return Header{}, nil, unauthorized("token is %d bytes; at most %d", len(token), MaxTokenBytes)
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return Header{}, nil, unauthorized("token has %d segments; a signed JWT has 3", len(parts))
	}
	var h Header
	if err := decodeSegment(parts[0], &h); err != nil {
		return Header{}, nil, unauthorized("token header: %v", err)
	}
	payload, err := b64.Strict().DecodeString(parts[1])
	if err != nil {
		return Header{}, nil, unauthorized("token payload is not base64url")
	}
	return h, payload, nil
}

// VerifyJWS checks a compact JWS's signature with keys, by the rules of
// Parley's own tokens (verifySignature): the key its kid names, that key's
// algorithm exactly, never none or HMAC.
func VerifyJWS(keys *KeySet, token string) error {
	h, _, err := SplitJWS(token)
	if err != nil {
		return err
	}
	i := strings.LastIndexByte(token, '.')
	sig, err := b64.Strict().DecodeString(token[i+1:])
	if err != nil {
		return unauthorized("token signature is not base64url")
	}
	return verifySignature(keys, Token{Header: h, SigningInput: token[:i], Signature: sig})
}

// ParseJWK reads a public signing key of a JWK Set: RSA (RS256) or OKP
// Ed25519 (EdDSA). Its kid is the JWK's, else its thumbprint.
func ParseJWK(j JWK) (*Key, error) {
	var k *Key
	var err error
	switch {
	case j.Kty == "RSA" && (j.Alg == "" || j.Alg == AlgRS256):
		n, nerr := b64.Strict().DecodeString(j.N)
		e, eerr := b64.Strict().DecodeString(j.E)
		if nerr != nil || eerr != nil || len(e) == 0 || len(e) > 4 {
			return nil, fmt.Errorf("jwk %s: n or e is not base64url", j.Kid)
		}
		k, err = NewKey(&rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())})
	case j.Kty == "OKP" && j.Crv == "Ed25519" && (j.Alg == "" || j.Alg == AlgEdDSA):
		x, xerr := b64.Strict().DecodeString(j.X)
		if xerr != nil {
			return nil, fmt.Errorf("jwk %s: x is not base64url", j.Kid)
		}
		k, err = NewKey(ed25519.PublicKey(x))
	default:
		return nil, fmt.Errorf("jwk %s: kty %s alg %s is not a key Parley verifies with", j.Kid, j.Kty, j.Alg)
	}
	if err != nil {
		return nil, fmt.Errorf("jwk %s: %w", j.Kid, err)
	}
	if j.Kid != "" {
		k.id = j.Kid
	}
	return k, nil
}

// SignJWS returns the compact JWS of any claims signed by s: for test
// identity providers, whose ID tokens are not Parley's tokens.
func SignJWS(ctx context.Context, s Signer, claims any) (string, error) {
	return signAny(ctx, s, claims)
}
