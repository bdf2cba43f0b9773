// Package testworld opens real embedded backends for tests of the packages
// that use them: a store and a queue in a temporary directory, closed when
// the test ends.
package testworld

import (
	"path/filepath"
	"testing"

	queueembedded "github.com/parleyhq/parley/internal/queue/embedded"
	storeembedded "github.com/parleyhq/parley/internal/store/embedded"
)

// Open returns an empty embedded store and queue.
func Open(tb testing.TB) (*storeembedded.Store, *queueembedded.Queue) {
	tb.Helper()
	dir := tb.TempDir()
	s, err := storeembedded.Open(filepath.Join(dir, "store.db"))
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
