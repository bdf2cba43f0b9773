package dynamo

import (
	"fmt"
	"github.com/parleyhq/parley/internal/parley"
	"strings"
	"testing"
	"time"
)

// TestDueShardSpread checks that the SCHEDULED recipients of one large
// campaign spread evenly over the due index's partitions.
func TestDueShardSpread(t *testing.T) {
	const n = 100_000
	counts := map[string]int{}
	pk := campaignPK("acct1", "camp1")
	for seq := 1; seq <= n; seq++ {
		counts[dueShard(parley.StatusScheduled, pk, recipientSK(fmt.Sprintf("%06d", seq)))]++
	}
	if len(counts) != DueShards {
		t.Fatalf("recipients fall in %d shards, want %d: %v", len(counts), DueShards, counts)
	}
	for shard, c := range counts {
		if share := float64(c) / n; share < 0.8/DueShards || share > 1.2/DueShards {
			t.Errorf("shard %s holds %.3f of the recipients, want about %.3f", shard, share, 1.0/DueShards)
		}
	}
	if a, b := dueShard(parley.StatusScheduled, pk, recipientSK("000001")), dueShard(parley.StatusScheduled, pk, recipientSK("000001")); a != b {
		t.Errorf("dueShard is not stable: %s then %s", a, b)
	}
}

// FuzzDueString checks that due strings sort as their instants do and parse
// back to the same instant, across zones and out-of-range years.
func FuzzDueString(f *testing.F) {
	f.Add(int64(0), int64(0), int64(1), 0)
	f.Add(int64(1795356000), int64(999999999), int64(1795356001), 3600)
	f.Add(int64(-62135596800), int64(0), int64(253402300799), -18000) // years 1 and 9999
	f.Add(int64(253402300800), int64(0), int64(-62167219201), 0)      // years 10000 and -1
	f.Fuzz(func(t *testing.T, secA, nanoB, secB int64, offset int) {
		zone := time.FixedZone("fuzz", offset%(24*3600))
		a := time.Unix(secA, 0).In(zone)
		b := time.Unix(secB, nanoB).In(zone)
		sa, errA := dueString(a)
		sb, errB := dueString(b)
		for _, c := range []struct {
			at  time.Time
			s   string
			err error
		}{{a, sa, errA}, {b, sb, errB}} {
			y := c.at.UTC().Year()
			inRange := y >= minSortableYear && y <= maxSortableYear
			if (c.err == nil) != inRange {
				t.Fatalf("dueString(%v) error = %v for year %d", c.at, c.err, y)
			}
			if c.err != nil {
				continue
			}
			var back dueTime
			if err := back.UnmarshalDynamoDBAttributeValue(str(c.s)); err != nil || !time.Time(back).Equal(c.at) {
				t.Fatalf("%q parses back to %v, %v; want %v", c.s, time.Time(back), err, c.at)
			}
		}
		if errA == nil && errB == nil && strings.Compare(sa, sb) != a.Compare(b) {
			t.Fatalf("%q vs %q orders unlike %v vs %v", sa, sb, a, b)
		}
	})
}
