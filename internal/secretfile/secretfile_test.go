package secretfile_test

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/parleyhq/parley/internal/secretfile"
)

func TestReadOrCreate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "key")
	var made atomic.Int32
	generate := func() ([]byte, error) { return []byte{byte('a' + made.Add(1))}, nil }
	got := make([]string, 8)
	var wg sync.WaitGroup
	for i := range got {
		wg.Go(func() {
			data, err := secretfile.ReadOrCreate(path, generate)
			if err != nil {
				t.Error(err)
			}
			got[i] = string(data)
		})
	}
	wg.Wait()
	for _, g := range got {
		if g != got[0] || g == "" {
			t.Fatalf("concurrent first reads = %q; want one content for all", got)
		}
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("file %v, %v; want mode 0600", info, err)
	}
	before := made.Load()
	if data, err := secretfile.ReadOrCreate(path, generate); err != nil || string(data) != got[0] || made.Load() != before {
		t.Errorf("reading the file again = %q, %v; want %q without generating", data, err, got[0])
	}
	if left, _ := filepath.Glob(path + ".*"); len(left) != 0 {
		t.Errorf("temporary files left: %q", left)
	}
}

func TestReadOrCreateGenerateFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key")
	boom := errors.New("no entropy")
	if _, err := secretfile.ReadOrCreate(path, func() ([]byte, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("ReadOrCreate = %v; want the generator's error", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a file was left after a failed generation: %v", err)
	}
}
