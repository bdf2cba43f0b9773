package embedded_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/parleyhq/parley/internal/store/storetest"
)

// BenchmarkCreateCampaign100k persists one campaign of 100,000 recipients
// (one fsynced transaction) into a fresh store and reports recipients per
// second. Run it with -benchtime 1x: each iteration leaves a large file whose
// write-back slows the next one's fsync on a small VM.
func BenchmarkCreateCampaign100k(b *testing.B) {
	const n = 100_000
	c, rs := storetest.Fixture("acct1", "camp1", n)
	for b.Loop() {
		b.StopTimer()
		s := open(b, filepath.Join(b.TempDir(), "store.db"))
		b.StartTimer()
		if err := s.CreateCampaign(context.Background(), c, rs); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "recipients/s")
}
