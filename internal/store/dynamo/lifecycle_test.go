package dynamo_test

import (
	"context"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/awstest"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/dynamo"
)

// streamed is a table whose counters are read once the lifecycle function
// has folded its stream: before each read, the stream's new records are
// folded as one batch, and (to check that a redelivered batch counts
// once) folded again.
type streamed struct {
	*dynamo.Table
	stream *dynamo.StreamReader
}

func (s streamed) CountRows(ctx context.Context, q parley.CountQuery) ([]parley.CountRow, error) {
	recs, err := s.stream.Records(ctx)
	if err != nil {
		return nil, err
	}
	for range 2 {
		if err := s.FoldStream(ctx, recs, time.Now()); err != nil {
			return nil, err
		}
	}
	return s.Table.CountRows(ctx, q)
}

// newStreamed is a store on a fresh table whose stream is folded.
func newStreamed(t *testing.T) streamed {
	s, _, name := newStore(t)
	return streamed{Table: s, stream: dynamo.NewStreamReader(awstest.Config(t), name, true)}
}
