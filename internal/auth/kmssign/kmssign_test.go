package kmssign_test

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/auth/kmssign"
	"github.com/parleyhq/parley/internal/awstest"
	"github.com/parleyhq/parley/internal/parley"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

var noon = parley.ClockFunc(func() time.Time { return time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC) })

func client(t *testing.T) *kms.Client { return kms.NewFromConfig(awstest.Config(t)) }

// signer makes a signing key on moto under a new alias and a signer of it.
func signer(t *testing.T) (*kms.Client, *kmssign.Signer, string) {
	t.Helper()
	ctx := context.Background()
	c := client(t)
	alias := "alias/" + awstest.Name(t)
	if _, err := kmssign.EnsureKey(ctx, c, alias); err != nil {
		t.Fatal(err)
	}
	s, err := kmssign.New(ctx, c, alias)
	if err != nil {
		t.Fatal(err)
	}
	return c, s, alias
}

func tokensOf(t *testing.T, s auth.Signer, previous ...*auth.Key) *auth.Tokens {
	t.Helper()
	keys, err := auth.NewKeySet(s, previous...)
	if err != nil {
		t.Fatal(err)
	}
	return &auth.Tokens{Keys: keys, Issuer: "parley", Audience: "parley-api", Clock: noon}
}

// TestSignWithKMS signs tokens with a KMS key and verifies them with its
// public key, as the api function and the authorizer do on AWS; a tampered
// token is refused, and the JWKS publishes the KMS key.
func TestSignWithKMS(t *testing.T) {
	ctx := context.Background()
	c, s, alias := signer(t)
	tokens := tokensOf(t, s)
	p := auth.Principal{AccountID: "demo", Role: auth.RoleSupport, Subject: "dev"}
	issued, err := tokens.Issue(ctx, p, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := auth.Parse(issued.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if h := parsed.Header; h.Alg != auth.AlgRS256 || h.Kid != s.Public().ID() {
		t.Errorf("header %+v, want RS256 and kid %s", h, s.Public().ID())
	}
	if got, err := tokens.Verify(ctx, issued.AccessToken); err != nil || got != p {
		t.Fatalf("Verify = %+v, %v", got, err)
	}

	// A verifier that only has the public key (from GetPublicKey, as PEM).
	out, err := c.GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: aws.String(alias)})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := x509.ParsePKIXPublicKey(out.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := auth.NewKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := tokensOf(t, nil, pub).Verify(ctx, issued.AccessToken); err != nil || got != p {
		t.Errorf("verify-only with the KMS public key: %+v, %v", got, err)
	}

	parts := strings.Split(issued.AccessToken, ".")
	claims, _ := base64.RawURLEncoding.DecodeString(parts[1])
	forged := base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(claims), `"support"`, `"admin"`, 1)))
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	sig[len(sig)-1] ^= 1
	for name, token := range map[string]string{
		"tampered claims":    parts[0] + "." + forged + "." + parts[2],
		"tampered signature": parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(sig),
	} {
		if _, err := tokens.Verify(ctx, token); parley.ErrorCode(err) != parley.EUNAUTHORIZED || !strings.Contains(err.Error(), "signature is invalid") {
			t.Errorf("%s: %v, want the signature refused", name, err)
		}
	}

	jwks := tokens.JWKS()
	want := raw.(*rsa.PublicKey)
	if len(jwks.Keys) != 1 {
		t.Fatalf("JWKS %+v, want the KMS key", jwks)
	}
	j := jwks.Keys[0]
	if j.Kid != s.Public().ID() || j.Kty != "RSA" || j.Alg != auth.AlgRS256 || j.Use != "sig" || j.N != base64.RawURLEncoding.EncodeToString(want.N.Bytes()) {
		t.Errorf("JWKS key %+v, want the KMS public key", j)
	}
}

// TestKMSKeyRotation: a new KMS key signs while the old key's public key
// (PARLEY_VERIFY_KEYS) still verifies its tokens.
func TestKMSKeyRotation(t *testing.T) {
	ctx := context.Background()
	_, old, _ := signer(t)
	_, current, _ := signer(t)
	p := auth.Principal{AccountID: "demo", Role: auth.RoleAdmin, Subject: "dev"}
	oldTok, err := tokensOf(t, old).Issue(ctx, p, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	rotated := tokensOf(t, current, old.Public())
	if _, err := rotated.Verify(ctx, oldTok.AccessToken); err != nil {
		t.Errorf("the old key's token after rotation: %v", err)
	}
	if jwks := rotated.JWKS(); len(jwks.Keys) != 2 || jwks.Keys[0].Kid != current.Public().ID() || jwks.Keys[1].Kid != old.Public().ID() {
		t.Errorf("JWKS %+v, want the current key, then the old", jwks)
	}
}

// TestNewRefusesUnsuitableKeys: only an RSA signing key offering
// RSASSA_PKCS1_V1_5_SHA_256 signs tokens.
func TestNewRefusesUnsuitableKeys(t *testing.T) {
	ctx := context.Background()
	c := client(t)
	create := func(spec types.KeySpec, usage types.KeyUsageType) string {
		t.Helper()
		out, err := c.CreateKey(ctx, &kms.CreateKeyInput{KeySpec: spec, KeyUsage: usage})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.KeyMetadata.Arn)
	}
	tests := []struct {
		name, keyID, want string
	}{
		{"ECDSA key", create(types.KeySpecEccNistP256, types.KeyUsageTypeSignVerify), "RSASSA_PKCS1_V1_5_SHA_256"},
		{"encryption key", create(types.KeySpecRsa2048, types.KeyUsageTypeEncryptDecrypt), "SIGN_VERIFY"},
		{"unknown alias", "alias/" + awstest.Name(t), "GetPublicKey"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := kmssign.New(ctx, c, tt.keyID); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New = %v, want an error naming %q", err, tt.want)
			}
		})
	}
}

// TestEnsureKey: the alias's key is created once and found after.
func TestEnsureKey(t *testing.T) {
	ctx := context.Background()
	c := client(t)
	alias := "alias/" + awstest.Name(t)
	first, err := kmssign.EnsureKey(ctx, c, alias)
	if err != nil {
		t.Fatal(err)
	}
	again, err := kmssign.EnsureKey(ctx, c, alias)
	if err != nil || again != first || first == "" {
		t.Errorf("EnsureKey again = %q, %v; want %q", again, err, first)
	}
	desc, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(first)})
	if err != nil {
		t.Fatal(err)
	}
	if m := desc.KeyMetadata; m.KeySpec != kmssign.KeySpec || m.KeyUsage != types.KeyUsageTypeSignVerify {
		t.Errorf("created key %s %s, want %s SIGN_VERIFY", m.KeySpec, m.KeyUsage, kmssign.KeySpec)
	}
}

// failingSign is a KMS whose Sign fails, as when throttled or denied.
type failingSign struct{ kmssign.API }

func (failingSign) Sign(context.Context, *kms.SignInput, ...func(*kms.Options)) (*kms.SignOutput, error) {
	return nil, errors.New("ThrottlingException: rate exceeded")
}

// TestSignFailureIsUnavailable: a failing kms:Sign makes Issue EUNAVAILABLE
// (a retry may succeed), and a signing input beyond what KMS signs raw is
// refused before calling it.
func TestSignFailureIsUnavailable(t *testing.T) {
	ctx := context.Background()
	alias := "alias/" + awstest.Name(t)
	if _, err := kmssign.EnsureKey(ctx, client(t), alias); err != nil {
		t.Fatal(err)
	}
	s, err := kmssign.New(ctx, failingSign{client(t)}, alias)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tokensOf(t, s).Issue(ctx, auth.Principal{AccountID: "demo", Role: auth.RoleAdmin, Subject: "dev"}, time.Hour); parley.ErrorCode(err) != parley.EUNAVAILABLE {
		t.Errorf("Issue with kms:Sign failing = %v, want EUNAVAILABLE", err)
	}
	if _, err := s.Sign(ctx, make([]byte, kmssign.MaxMessage+1)); err == nil {
		t.Error("signed a message beyond MaxMessage")
	}
}
