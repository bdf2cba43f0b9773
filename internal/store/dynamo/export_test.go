package dynamo

import (
	"context"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// ChunkSize is how many recipients intake writes to one item.
const ChunkSize = chunkSize

// FoldRows adds rows to the counters as a stream batch named batch would.
func (t *Table) FoldRows(ctx context.Context, batch string, rows []parley.CountRow, now time.Time) error {
	return t.foldRows(ctx, batch, rows, now)
}
