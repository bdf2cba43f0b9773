// Package testworld opens real embedded backends for tests of the packages
// that use them: a store and a queue in a temporary directory, closed when
// the test ends, and saves the fixtures they start from.
package testworld

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/parleyhq/parley/internal/envelope/keyfile"
	"github.com/parleyhq/parley/internal/parley"
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

// TemplateSaver saves templates (store.Templates does).
type TemplateSaver interface {
	PutTemplate(ctx context.Context, t parley.WhatsAppTemplate) error
}

// PutApproved saves each template as a new one Meta approved: version 1,
// APPROVED.
func PutApproved(tb testing.TB, s TemplateSaver, ts ...parley.WhatsAppTemplate) {
	tb.Helper()
	for _, t := range ts {
		t.Version, t.Status = 1, parley.TemplateApproved
		if err := s.PutTemplate(context.Background(), t); err != nil {
			tb.Fatalf("save template %s: %v", t.ID, err)
		}
	}
}
