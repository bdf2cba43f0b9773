package signingkey_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/auth/kmssign"
	"github.com/parleyhq/parley/internal/auth/signingkey"
	"github.com/parleyhq/parley/internal/awstest"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/parley"
)

var clock = parley.ClockFunc(func() time.Time { return time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC) })

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

func pemOf(t *testing.T, k *auth.Key) string {
	t.Helper()
	data, err := k.MarshalPEM()
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestGeneratedKeyPersists checks that the embedded backend makes one key,
// private to its owner, and that tokens signed before a restart verify
// after it.
func TestGeneratedKeyPersists(t *testing.T) {
	cfg := config.Config{Backend: config.BackendEmbedded, DataDir: filepath.Join(t.TempDir(), "data")}
	var wg sync.WaitGroup
	ids := make([]string, 4)
	for i := range ids {
		wg.Go(func() {
			ks, err := signingkey.Load(context.Background(), cfg)
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = ks.Signing().Public().ID()
		})
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("concurrent first loads made different keys: %q", ids)
		}
	}
	info, err := os.Stat(filepath.Join(cfg.DataDir, signingkey.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", info.Mode().Perm())
	}
	before, err := signingkey.Tokens(context.Background(), cfg, clock)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := before.Issue(context.Background(), auth.Principal{AccountID: "A", Role: auth.RoleAdmin, Subject: "dev"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	after, err := signingkey.Tokens(context.Background(), cfg, clock)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := after.Verify(context.Background(), tok.AccessToken); err != nil {
		t.Errorf("a token from before the restart: %v", err)
	}
	if after.Issuer != "parley" || after.Audience != "parley-api" {
		t.Errorf("defaults %q %q", after.Issuer, after.Audience)
	}
}

func TestConfiguredKeys(t *testing.T) {
	current, _ := auth.GenerateEd25519()
	previous, _ := auth.GenerateEd25519()
	dir := t.TempDir()
	cfg := config.Config{Backend: config.BackendAWS, DataDir: dir,
		SigningKey: pemOf(t, current) + pemOf(t, previous.Public()), Issuer: "https://p.example", Audience: "api"}
	ks, err := signingkey.Load(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if ks.Signing().Public().ID() != current.ID() {
		t.Error("the first block is not the signing key")
	}
	if _, ok := ks.Key(previous.ID()); !ok {
		t.Error("the second block is not accepted")
	}
	if _, err := os.Stat(filepath.Join(dir, signingkey.FileName)); err == nil {
		t.Error("a key was generated although one is configured")
	}

	oneLine := cfg
	oneLine.SigningKey = strings.ReplaceAll(pemOf(t, current), "\n", `\n`)
	if ks, err := signingkey.Load(context.Background(), oneLine); err != nil || ks.Signing().Public().ID() != current.ID() {
		t.Errorf("a PEM with \\n escapes: %v", err)
	}

	verifyOnly := config.Config{Backend: config.BackendAWS, VerifyKeys: pemOf(t, current.Public()) + pemOf(t, previous.Public())}
	ks, err = signingkey.Load(context.Background(), verifyOnly)
	if err != nil {
		t.Fatal(err)
	}
	if ks.Signing() != nil || len(ks.JWKS().Keys) != 2 {
		t.Errorf("verify-only set: signing %v, %d keys", ks.Signing(), len(ks.JWKS().Keys))
	}
}

func TestLoadRejects(t *testing.T) {
	pub, _ := auth.GenerateEd25519()
	tests := []struct {
		name string
		cfg  config.Config
		want string
	}{
		{"aws without keys", config.Config{Backend: config.BackendAWS}, "PARLEY_SIGNING_KMS_KEY_ID"},
		{"garbage key", config.Config{Backend: config.BackendEmbedded, SigningKey: "nope"}, "PARLEY_SIGNING_KEY"},
		{"public signing key", config.Config{Backend: config.BackendAWS, SigningKey: pemOf(t, pub.Public())}, "private key"},
		{"garbage verify keys", config.Config{Backend: config.BackendAWS, VerifyKeys: "nope"}, "PARLEY_VERIFY_KEYS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := signingkey.Load(context.Background(), tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load = %v, want an error naming %q", err, tt.want)
			}
		})
	}
}

// TestKMSKey loads a KMS signing key as the functions do on AWS
// (PARLEY_SIGNING_KMS_KEY_ID), with a previous key still accepted, and on
// an emulator without configuration makes one key for every process.
func TestKMSKey(t *testing.T) {
	ctx := context.Background()
	awstest.SetEnv(t)
	alias := "alias/" + awstest.Name(t)
	if _, err := kmssign.EnsureKey(ctx, kms.NewFromConfig(awstest.Config(t)), alias); err != nil {
		t.Fatal(err)
	}
	previous, _ := auth.GenerateEd25519()
	cfg := config.Config{Backend: config.BackendAWS, SigningKMSKeyID: alias, VerifyKeys: pemOf(t, previous.Public())}
	tokens, err := signingkey.Tokens(ctx, cfg, clock)
	if err != nil {
		t.Fatal(err)
	}
	signer, ok := tokens.Keys.Signing().(*kmssign.Signer)
	if !ok {
		t.Fatalf("signing with %T, want the KMS key", tokens.Keys.Signing())
	}
	if jwks := tokens.JWKS(); len(jwks.Keys) != 2 || jwks.Keys[0].Kid != signer.Public().ID() || jwks.Keys[0].Alg != auth.AlgRS256 || jwks.Keys[1].Kid != previous.ID() {
		t.Errorf("JWKS %+v, want the KMS key, then the previous key", jwks)
	}
	issued, err := tokens.Issue(ctx, auth.Principal{AccountID: "A", Role: auth.RoleAdmin, Subject: "dev"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tokens.Verify(ctx, issued.AccessToken); err != nil {
		t.Errorf("a token the KMS key signed: %v", err)
	}

	missing := cfg
	missing.SigningKMSKeyID = "alias/" + awstest.Name(t)
	if _, err := signingkey.Load(ctx, missing); err == nil || !strings.Contains(err.Error(), "PARLEY_SIGNING_KMS_KEY_ID") {
		t.Errorf("Load of a missing KMS key = %v, want an error naming PARLEY_SIGNING_KMS_KEY_ID", err)
	}

	emulator := config.Config{Backend: config.BackendAWS, AWSEndpoint: awstest.Endpoint(t)}
	var kids []string
	for range 2 {
		ks, err := signingkey.Load(ctx, emulator)
		if err != nil {
			t.Fatal(err)
		}
		kids = append(kids, ks.Signing().Public().ID())
	}
	if kids[0] != kids[1] {
		t.Errorf("two processes on the emulator sign with keys %q", kids)
	}
}
