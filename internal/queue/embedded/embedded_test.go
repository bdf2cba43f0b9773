package embedded_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/queue"
	"github.com/parleyhq/parley/internal/queue/embedded"
	"github.com/parleyhq/parley/internal/queue/queuetest"
)

func open(t *testing.T, path string, opt embedded.Options) *embedded.Queue {
	t.Helper()
	q, err := embedded.Open(path, opt)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func TestContract(t *testing.T) {
	queuetest.Run(t, func(t *testing.T) queue.Queue {
		q := open(t, filepath.Join(t.TempDir(), "queue.db"), embedded.Options{MaxReceiveCount: queuetest.MaxReceive})
		t.Cleanup(func() { q.Close() })
		return q
	})
}

func TestSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "queue.db")
	q := open(t, path, embedded.Options{})
	if err := q.Send(ctx, queue.Entry{Body: []byte("kept")}); err != nil {
		t.Fatal(err)
	}
	q.Close()
	q = open(t, path, embedded.Options{})
	defer q.Close()
	ms, err := q.Receive(ctx, 10, time.Second, time.Minute)
	if err != nil || len(ms) != 1 || string(ms[0].Body) != "kept" {
		t.Fatalf("after reopen: %v, %v", ms, err)
	}
}
