package auth_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/auth"
)

// TestRFC8037Thumbprint checks the kid against RFC 8037's Ed25519 example
// (appendix A.1 key, A.3 thumbprint).
func TestRFC8037Thumbprint(t *testing.T) {
	seed, _ := base64.RawURLEncoding.DecodeString("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A")
	k, err := auth.NewKey(ed25519.NewKeyFromSeed(seed))
	if err != nil {
		t.Fatal(err)
	}
	j := k.JWK()
	if j.Kty != "OKP" || j.Crv != "Ed25519" || j.X != "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" || j.Alg != "EdDSA" || j.Use != "sig" {
		t.Errorf("JWK = %+v", j)
	}
	if k.ID() != "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k" || j.Kid != k.ID() {
		t.Errorf("kid = %s", k.ID())
	}
}

func TestPEMRoundTrip(t *testing.T) {
	k := testKeys()
	for _, key := range []*auth.Key{k.ed, k.rsa} {
		t.Run(key.Alg(), func(t *testing.T) {
			data, err := key.MarshalPEM()
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(data), "-----BEGIN PRIVATE KEY-----") {
				t.Errorf("private PEM starts %.30q", data)
			}
			pub, err := key.Public().MarshalPEM()
			if err != nil {
				t.Fatal(err)
			}
			keys, err := auth.ParseKeysPEM(append(data, pub...))
			if err != nil {
				t.Fatal(err)
			}
			if len(keys) != 2 || keys[0].ID() != key.ID() || !keys[0].CanSign() || keys[1].ID() != key.ID() || keys[1].CanSign() || keys[0].Alg() != key.Alg() {
				t.Errorf("parsed %d keys: %+v", len(keys), keys)
			}
		})
	}
	j := k.rsa.JWK()
	if j.Kty != "RSA" || j.E != "AQAB" || len(j.N) < 340 || j.X != "" || j.Alg != "RS256" {
		t.Errorf("RSA JWK = %+v", j)
	}
}

func TestParseKeysPEMRejects(t *testing.T) {
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	smallDER, _ := x509.MarshalPKCS8PrivateKey(small)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.MarshalPKCS8PrivateKey(ec)
	pkcs1 := x509.MarshalPKCS1PrivateKey(testKeys().rsaPriv)
	block := func(typ string, der []byte) string {
		return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
	}
	tests := []struct{ name, pem, want string }{
		{"empty", "", "no PEM"},
		{"not PEM", "hello", "no PEM"},
		{"PKCS#1", block("RSA PRIVATE KEY", pkcs1), "pkcs8"},
		{"certificate", block("CERTIFICATE", []byte{1}), "CERTIFICATE"},
		{"garbage DER", block("PRIVATE KEY", []byte{1, 2, 3}), "PEM block 1"},
		{"RSA 1024", block("PRIVATE KEY", smallDER), "at least 2048"},
		{"ECDSA", block("PRIVATE KEY", ecDER), "Ed25519 or RSA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := auth.ParseKeysPEM([]byte(tt.pem)); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseKeysPEM = %v, want an error naming %q", err, tt.want)
			}
		})
	}
}

func TestKeySet(t *testing.T) {
	k := testKeys()
	if _, err := auth.NewKeySet(nil); err == nil {
		t.Error("an empty key set was made")
	}
	if _, err := auth.NewKeySet(k.ed.Public()); err == nil {
		t.Error("a public key was made the signing key")
	}
	s, err := auth.NewKeySet(k.ed, k.ed, k.rsa, k.rsa.Public())
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(s.JWKS())
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Keys) != 2 || doc.Keys[0]["kid"] != k.ed.ID() || doc.Keys[1]["kty"] != "RSA" || doc.Keys[0]["d"] != "" {
		t.Errorf("JWKS = %s", data)
	}
	if prev, ok := s.Key(k.rsa.ID()); !ok || prev.CanSign() {
		t.Error("a previous key is kept with its private half")
	}
	if gen, err := auth.GenerateEd25519(); err != nil || !gen.CanSign() || gen.Alg() != auth.AlgEdDSA || gen.ID() == k.ed.ID() {
		t.Errorf("GenerateEd25519 = %+v, %v", gen, err)
	}
}
