package auth

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/parleyhq/parley/internal/parley"
)

// MaxTokenBytes bounds the size of a token the parser reads.
const MaxTokenBytes = 8 << 10

// Header is a JWS protected header.
type Header struct {
	Alg string `json:"alg"`
	Typ string `json:"typ,omitempty"`
	Kid string `json:"kid,omitempty"`
	// Crit names extensions the signer requires the verifier to
	// understand; Parley understands none, so a token with any is refused.
	Crit []string `json:"crit,omitempty"`
}

// NumericDate is a JWT time: seconds since the Unix epoch.
type NumericDate int64

// maxNumericDate is 9999-12-31T23:59:59Z.
const maxNumericDate = 253402300799

// UnmarshalJSON reads a JSON number, fractional or not, within the years
// 1970 to 9999.
func (d *NumericDate) UnmarshalJSON(b []byte) error {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(f) || f < 0 || f > maxNumericDate {
		return fmt.Errorf("not a time in seconds since 1970: %.20s", b)
	}
	*d = NumericDate(f)
	return nil
}

// Audience is the aud claim: one string or an array of them.
type Audience []string

// MarshalJSON writes a single audience as a string.
func (a Audience) MarshalJSON() ([]byte, error) {
	if len(a) == 1 {
		return json.Marshal(a[0])
	}
	return json.Marshal([]string(a))
}

// UnmarshalJSON reads a string or an array of strings.
func (a *Audience) UnmarshalJSON(b []byte) error {
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte(`"`)) {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*a = Audience{s}
		return nil
	}
	var ss []string
	if err := json.Unmarshal(b, &ss); err != nil {
		return errors.New("aud is neither a string nor an array of strings")
	}
	*a = ss
	return nil
}

// Claims are the claims of a Parley access token.
type Claims struct {
	Issuer    string      `json:"iss"`
	Subject   string      `json:"sub"`
	Audience  Audience    `json:"aud"`
	IssuedAt  NumericDate `json:"iat"`
	NotBefore NumericDate `json:"nbf,omitempty"`
	Expires   NumericDate `json:"exp"`
	ID        string      `json:"jti"`
	Account   string      `json:"account"`
	Role      Role        `json:"role"`
	// ClientID names the API client a token from the client credentials
	// grant was issued to (RFC 9068's client_id), and ClientVersion that
	// client's KeyVersion at the time. Both are empty in development
	// tokens.
	ClientID      string `json:"client_id,omitempty"`
	ClientVersion int    `json:"client_version,omitempty"`
}

// Token is a parsed, not yet verified, compact JWS.
type Token struct {
	Header Header
	Claims Claims
	// SigningInput is what the signature covers: the first two segments
	// and the dot between them.
	SigningInput string
	Signature    []byte
}

func unauthorized(format string, args ...any) error {
	return parley.Errorf(parley.EUNAUTHORIZED, format, args...)
}

// Parse splits and decodes a compact JWS without checking its signature or
// claims. Every malformed token is EUNAUTHORIZED.
func Parse(token string) (Token, error) {
	if len(token) > MaxTokenBytes {
		return Token{}, unauthorized("token is %d bytes; at most %d", len(token), MaxTokenBytes)
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return Token{}, unauthorized("token has %d segments; a signed JWT has 3", len(parts))
	}
	var t Token
	if err := decodeSegment(parts[0], &t.Header); err != nil {
		return Token{}, unauthorized("token header: %v", err)
	}
	if t.Header.Alg == "" {
		return Token{}, unauthorized("token header has no alg")
	}
	if err := decodeSegment(parts[1], &t.Claims); err != nil {
		return Token{}, unauthorized("token claims: %v", err)
	}
	sig, err := b64.Strict().DecodeString(parts[2])
	if err != nil {
		return Token{}, unauthorized("token signature is not base64url")
	}
	t.SigningInput, t.Signature = parts[0]+"."+parts[1], sig
	return t, nil
}

func decodeSegment(seg string, v any) error {
	data, err := b64.Strict().DecodeString(seg)
	if err != nil {
		return errors.New("not base64url without padding")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("not a JSON object: %w", err)
	}
	if dec.More() {
		return errors.New("trailing data after the JSON object")
	}
	return nil
}

// sign returns the compact JWS of claims signed by s.
func sign(ctx context.Context, s Signer, claims Claims) (string, error) {
	return signAny(ctx, s, claims)
}

// signAny is sign for claims of any shape.
func signAny(ctx context.Context, s Signer, claims any) (string, error) {
	k := s.Public()
	h, err := json.Marshal(Header{Alg: k.alg, Typ: "JWT", Kid: k.id})
	if err != nil {
		return "", err
	}
	c, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	input := b64.EncodeToString(h) + "." + b64.EncodeToString(c)
	sig, err := s.Sign(ctx, []byte(input))
	if err != nil {
		return "", err
	}
	return input + "." + b64.EncodeToString(sig), nil
}

// verifySignature checks t's signature with the key its kid names. The
// header's alg must be exactly the algorithm of that key: "none", HMAC
// algorithms and any algorithm the key was not made for are refused, so a
// public key can never be used as an HMAC secret.
func verifySignature(keys *KeySet, t Token) error {
	switch {
	case strings.EqualFold(t.Header.Alg, "none"):
		return unauthorized("unsigned tokens (alg none) are not accepted")
	case strings.HasPrefix(strings.ToUpper(t.Header.Alg), "HS"):
		return unauthorized("alg %s is not accepted: tokens are signed with EdDSA or RS256", t.Header.Alg)
	case len(t.Header.Crit) > 0:
		return unauthorized("token header names critical extensions %q that are not understood", t.Header.Crit)
	case t.Header.Kid == "":
		return unauthorized("token header has no kid")
	}
	k, ok := keys.Key(t.Header.Kid)
	if !ok {
		return unauthorized("token is signed with unknown key %q", t.Header.Kid)
	}
	if t.Header.Alg != k.alg {
		return unauthorized("token alg %s does not match key %s, which is %s", t.Header.Alg, k.id, k.alg)
	}
	switch pub := k.pub.(type) {
	case ed25519.PublicKey:
		if len(t.Signature) != ed25519.SignatureSize || !ed25519.Verify(pub, []byte(t.SigningInput), t.Signature) {
			return unauthorized("token signature is invalid")
		}
	case *rsa.PublicKey:
		sum := sha256.Sum256([]byte(t.SigningInput))
		if rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], t.Signature) != nil {
			return unauthorized("token signature is invalid")
		}
	default:
		return unauthorized("key %s cannot verify", k.id)
	}
	return nil
}
