package auth

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
)

// Signature algorithms, as JWS names them. Each key has exactly one.
const (
	AlgEdDSA = "EdDSA" // Ed25519 (RFC 8037)
	AlgRS256 = "RS256" // RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518)
)

// MinRSABits is the smallest RSA modulus accepted.
const MinRSABits = 2048

// Key is a signing key pair, or a public key that only verifies. Its ID is
// its RFC 7638 JWK thumbprint, so the same key always has the same kid.
type Key struct {
	id   string
	alg  string
	pub  crypto.PublicKey // ed25519.PublicKey or *rsa.PublicKey
	priv crypto.Signer    // nil for a verify-only key
}

// ID returns the key id (kid).
func (k *Key) ID() string { return k.id }

// Alg returns the one algorithm the key signs and verifies with.
func (k *Key) Alg() string { return k.alg }

// CanSign reports whether the key holds a private key.
func (k *Key) CanSign() bool { return k.priv != nil }

// Public returns the verify-only half of k.
func (k *Key) Public() *Key { return &Key{id: k.id, alg: k.alg, pub: k.pub} }

// NewKey wraps an Ed25519 or RSA private or public key (as crypto/ed25519,
// crypto/rsa and crypto/x509 return them).
func NewKey(key any) (*Key, error) {
	k := &Key{}
	switch key := key.(type) {
	case ed25519.PrivateKey:
		if len(key) != ed25519.PrivateKeySize {
			return nil, fmt.Errorf("ed25519 private key is %d bytes, want %d", len(key), ed25519.PrivateKeySize)
		}
		k.alg, k.pub, k.priv = AlgEdDSA, key.Public(), key
	case ed25519.PublicKey:
		if len(key) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("ed25519 public key is %d bytes, want %d", len(key), ed25519.PublicKeySize)
		}
		k.alg, k.pub = AlgEdDSA, key
	case *rsa.PrivateKey:
		if err := key.Validate(); err != nil {
			return nil, fmt.Errorf("rsa private key: %w", err)
		}
		k.alg, k.pub, k.priv = AlgRS256, &key.PublicKey, key
	case *rsa.PublicKey:
		k.alg, k.pub = AlgRS256, key
	default:
		return nil, fmt.Errorf("a %T key is not supported: use Ed25519 or RSA", key)
	}
	if pub, ok := k.pub.(*rsa.PublicKey); ok && pub.N.BitLen() < MinRSABits {
		return nil, fmt.Errorf("rsa key has %d bits, want at least %d", pub.N.BitLen(), MinRSABits)
	}
	k.id = thumbprint(k.pub)
	return k, nil
}

// GenerateEd25519 returns a new Ed25519 signing key.
func GenerateEd25519() (*Key, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate ed25519 key: %w", err)
	}
	return NewKey(priv)
}

// ParseKeysPEM reads every PEM block of data: PKCS#8 private keys ("PRIVATE
// KEY") and PKIX public keys ("PUBLIC KEY"), Ed25519 or RSA, in order.
func ParseKeysPEM(data []byte) ([]*Key, error) {
	var keys []*Key
	for n := 1; ; n++ {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		var raw any
		var err error
		switch block.Type {
		case "PRIVATE KEY":
			raw, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		case "PUBLIC KEY":
			raw, err = x509.ParsePKIXPublicKey(block.Bytes)
		default:
			return nil, fmt.Errorf("PEM block %d is %q: want PRIVATE KEY (PKCS#8; convert with openssl pkcs8 -topk8 -nocrypt) or PUBLIC KEY", n, block.Type)
		}
		if err != nil {
			return nil, fmt.Errorf("PEM block %d (%s): %w", n, block.Type, err)
		}
		k, err := NewKey(raw)
		if err != nil {
			return nil, fmt.Errorf("PEM block %d: %w", n, err)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("no PEM-encoded key found")
	}
	return keys, nil
}

// MarshalPEM encodes k: its private key as PKCS#8 when it has one, else
// its public key as PKIX.
func (k *Key) MarshalPEM() ([]byte, error) {
	if k.priv != nil {
		der, err := x509.MarshalPKCS8PrivateKey(k.priv)
		if err != nil {
			return nil, fmt.Errorf("encode private key %s: %w", k.id, err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
	}
	der, err := x509.MarshalPKIXPublicKey(k.pub)
	if err != nil {
		return nil, fmt.Errorf("encode public key %s: %w", k.id, err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

var b64 = base64.RawURLEncoding

// JWK is one key of a JWK Set (RFC 7517), public members only: an Ed25519
// key as OKP (RFC 8037) with x, an RSA key with n and e.
type JWK struct {
	Kty string `json:"kty"`
	Crv string `json:"crv,omitempty"`
	X   string `json:"x,omitempty"`
	N   string `json:"n,omitempty"`
	E   string `json:"e,omitempty"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
}

// JWKS is a JWK Set: the document a JWKS endpoint publishes.
type JWKS struct {
	Keys []JWK `json:"keys"`
}

// JWK returns k's public JWK.
func (k *Key) JWK() JWK {
	j := JWK{Kid: k.id, Alg: k.alg, Use: "sig"}
	switch pub := k.pub.(type) {
	case ed25519.PublicKey:
		j.Kty, j.Crv, j.X = "OKP", "Ed25519", b64.EncodeToString(pub)
	case *rsa.PublicKey:
		j.Kty, j.N, j.E = "RSA", b64.EncodeToString(pub.N.Bytes()), b64.EncodeToString(big.NewInt(int64(pub.E)).Bytes())
	}
	return j
}

// thumbprint is the RFC 7638 SHA-256 thumbprint of a public key: the hash
// of its required JWK members, in lexicographic order, without whitespace.
func thumbprint(pub crypto.PublicKey) string {
	var canonical string
	switch pub := pub.(type) {
	case ed25519.PublicKey:
		canonical = `{"crv":"Ed25519","kty":"OKP","x":"` + b64.EncodeToString(pub) + `"}`
	case *rsa.PublicKey:
		canonical = `{"e":"` + b64.EncodeToString(big.NewInt(int64(pub.E)).Bytes()) + `","kty":"RSA","n":"` + b64.EncodeToString(pub.N.Bytes()) + `"}`
	}
	sum := sha256.Sum256([]byte(canonical))
	return b64.EncodeToString(sum[:])
}

// Signer signs access tokens with one private key. A *Key holding its
// private key is one; a key that never leaves a key management service
// (internal/auth/kmssign) is another.
type Signer interface {
	// Public returns the verify-only key: the key id, the algorithm and
	// the public key tokens signed by Sign verify with.
	Public() *Key
	// Sign returns the JWS signature of input with Public's algorithm.
	Sign(ctx context.Context, input []byte) ([]byte, error)
}

// Sign implements Signer for a key that holds its private key.
func (k *Key) Sign(_ context.Context, input []byte) ([]byte, error) {
	switch priv := k.priv.(type) {
	case ed25519.PrivateKey:
		return ed25519.Sign(priv, input), nil
	case *rsa.PrivateKey:
		sum := sha256.Sum256(input)
		sig, err := rsa.SignPKCS1v15(rand.Reader, priv, crypto.SHA256, sum[:])
		if err != nil {
			return nil, fmt.Errorf("sign with %s: %w", k.id, err)
		}
		return sig, nil
	case nil:
		return nil, fmt.Errorf("key %s cannot sign: it has no private key", k.id)
	default:
		return nil, fmt.Errorf("key %s: unsupported private key %T", k.id, k.priv)
	}
}

// KeySet is the current signing key and the previous keys tokens may still
// be signed with. Rotating a key: make the new key current and keep the old
// one as previous until the tokens it signed have expired (an hour).
type KeySet struct {
	signing Signer
	keys    []*Key // the signer's public key first, then previous; public halves only
}

// NewKeySet returns a key set that signs with signing (nil for a set that
// only verifies) and also verifies with previous. A key given twice counts
// once; at least one key is required.
func NewKeySet(signing Signer, previous ...*Key) (*KeySet, error) {
	s := &KeySet{}
	if k, ok := signing.(*Key); ok {
		switch {
		case k == nil:
			signing = nil
		case !k.CanSign():
			return nil, fmt.Errorf("signing key %s has no private key", k.ID())
		}
	}
	if signing != nil {
		s.signing = signing
		s.keys = append(s.keys, signing.Public())
	}
	for _, k := range previous {
		if k == nil {
			continue
		}
		if _, dup := s.Key(k.ID()); !dup {
			s.keys = append(s.keys, k.Public())
		}
	}
	if len(s.keys) == 0 {
		return nil, fmt.Errorf("a key set needs at least one key")
	}
	return s, nil
}

// Signing returns the signer of new tokens; nil for a set that only
// verifies.
func (s *KeySet) Signing() Signer { return s.signing }

// Key returns the key with the given id.
func (s *KeySet) Key(kid string) (*Key, bool) {
	for _, k := range s.keys {
		if k.id == kid {
			return k, true
		}
	}
	return nil, false
}

// JWKS returns the public keys of the set, signing key first.
func (s *KeySet) JWKS() JWKS {
	out := JWKS{Keys: make([]JWK, len(s.keys))}
	for i, k := range s.keys {
		out.Keys[i] = k.JWK()
	}
	return out
}
