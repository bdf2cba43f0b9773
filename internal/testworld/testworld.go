// Package testworld opens real embedded backends for tests of the packages
// that use them: a store and a queue in a temporary directory, closed when
// the test ends.
package testworld

import (
	"path/filepath"
	"testing"

	"github.com/parleyhq/parley/internal/envelope/keyfile"
	queueembedded "github.com/parleyhq/parley/internal/queue/embedded"
	storeembedded "github.com/parleyhq/parley/internal/store/embedded"
)

// Open returns an empty embedded store and queue.
func Open(tb testing.TB) (*storeembedded.Store, *queueembedded.Queue) {
	tb.Helper()
	dir := tb.TempDir()
	sealer, err := keyfile.Load(dir)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := storeembedded.Open(filepath.Join(dir, "store.db"), storeembedded.WithSealer(sealer))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	q, err := queueembedded.Open(filepath.Join(dir, "queue.db"), queueembedded.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { q.Close() })
	return s, q
}
