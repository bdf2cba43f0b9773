package dynamo

import (
	"context"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/parleyhq/parley/internal/parley"
)

// ChunkSize is how many recipients intake writes to one item.
const ChunkSize = chunkSize

// FoldRows adds rows to the counters as a stream batch named batch would.
func (t *Table) FoldRows(ctx context.Context, batch string, rows []parley.CountRow, now time.Time) error {
	return t.foldRows(ctx, batch, rows, now)
}

// SeedCounters writes rows into counter items that hold none yet, as a
// fold would lay them out, with BatchWriteItem instead of the fold's
// transactions: for benchmarks of the reads, which need many hours that
// the emulator's transactions (each copying the table) would take long to
// write.
func (t *Table) SeedCounters(ctx context.Context, rows []parley.CountRow) error {
	byHour, order := rowsByHour(rows)
	var reqs []types.WriteRequest
	for _, k := range order {
		puts, err := t.foldedCounters(ctx, k, byHour[k])
		if err != nil {
			return err
		}
		for _, p := range puts {
			reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: p.Item}})
		}
	}
	return t.batchWriteAll(ctx, slices.Collect(slices.Chunk(reqs, batchSize)))
}
