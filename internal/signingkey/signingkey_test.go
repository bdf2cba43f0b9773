package signingkey_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/signingkey"
)

var clock = parley.ClockFunc(func() time.Time { return time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC) })

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
			ks, err := signingkey.Load(cfg)
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = ks.Signing().ID()
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
	before, err := signingkey.Tokens(cfg, clock)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := before.Issue(context.Background(), auth.Principal{AccountID: "A", Role: auth.RoleAdmin, Subject: "dev"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	after, err := signingkey.Tokens(cfg, clock)
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
	ks, err := signingkey.Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if ks.Signing().ID() != current.ID() {
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
	if ks, err := signingkey.Load(oneLine); err != nil || ks.Signing().ID() != current.ID() {
		t.Errorf("a PEM with \\n escapes: %v", err)
	}

	verifyOnly := config.Config{Backend: config.BackendAWS, VerifyKeys: pemOf(t, current.Public()) + pemOf(t, previous.Public())}
	ks, err = signingkey.Load(verifyOnly)
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
		{"aws without keys", config.Config{Backend: config.BackendAWS}, "PARLEY_SIGNING_KEY"},
		{"garbage key", config.Config{Backend: config.BackendEmbedded, SigningKey: "nope"}, "PARLEY_SIGNING_KEY"},
		{"public signing key", config.Config{Backend: config.BackendAWS, SigningKey: pemOf(t, pub.Public())}, "private key"},
		{"garbage verify keys", config.Config{Backend: config.BackendAWS, VerifyKeys: "nope"}, "PARLEY_VERIFY_KEYS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := signingkey.Load(tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load = %v, want an error naming %q", err, tt.want)
			}
		})
	}
}
