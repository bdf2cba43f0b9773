package keyfile_test

import (
	"bytes"
	"crypto/rand"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/parleyhq/parley/internal/envelope"
	"github.com/parleyhq/parley/internal/envelope/envelopetest"
	"github.com/parleyhq/parley/internal/envelope/keyfile"
	"github.com/parleyhq/parley/internal/parley"
)

func TestContract(t *testing.T) {
	envelopetest.Run(t, func(t *testing.T) parley.Sealer {
		k, err := keyfile.Load(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return k
	})
}

// TestLoadCreatesKeyOnce checks that concurrent first loads make one key,
// readable by its owner only, and that what was sealed before a restart
// opens after it.
func TestLoadCreatesKeyOnce(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	aad := parley.SecretAAD("acct1", "connector")
	rings := make([]*keyfile.Keyring, 4)
	var wg sync.WaitGroup
	for i := range rings {
		wg.Go(func() {
			k, err := keyfile.Load(dir)
			if err != nil {
				t.Error(err)
			}
			rings[i] = k
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	sealed, err := rings[0].Seal(t.Context(), []byte("connector-secret"), aad)
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range rings {
		if got, err := k.Open(t.Context(), sealed, aad); err != nil || string(got) != "connector-secret" {
			t.Errorf("keyring %d of the concurrent loads: %q, %v; want one key for all", i, got, err)
		}
	}
	info, err := os.Stat(filepath.Join(dir, keyfile.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", info.Mode().Perm())
	}
	restarted, err := keyfile.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := restarted.Open(t.Context(), sealed, aad); err != nil || string(got) != "connector-secret" {
		t.Errorf("after a restart: %q, %v", got, err)
	}
}

func TestLoadRefusesBadKeyFile(t *testing.T) {
	tests := []struct{ name, content string }{
		{"not base64", "not a key!\n"},
		{"short key", "c2hvcnQ=\n"},
		{"empty", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, keyfile.FileName), []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := keyfile.Load(dir); err == nil {
				t.Errorf("loaded a key from %q", tt.content)
			}
		})
	}
}

func TestNewChecksKeySize(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33} {
		if _, err := keyfile.New(make([]byte, n)); err == nil {
			t.Errorf("a key of %d bytes was taken", n)
		}
	}
	key := make([]byte, envelope.KeySize)
	rand.Read(key)
	k, err := keyfile.New(key)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := k.Seal(t.Context(), []byte("x"), nil)
	if err != nil || bytes.Contains(sealed, key) {
		t.Errorf("Seal = %x, %v", sealed, err)
	}
}
