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

// TestReleaseHeld reopens a queue whose messages were received by a
// process that is gone: the ones it held are visible at once, the one it
// delayed stays delayed.
func TestReleaseHeld(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "queue.db")
	q := open(t, path, embedded.Options{})
	for _, body := range []string{"held", "delayed", "waiting"} {
		if err := q.Send(ctx, queue.Entry{Body: []byte(body)}); err != nil {
			t.Fatal(err)
		}
	}
	ms, err := q.Receive(ctx, 2, time.Second, time.Hour)
	if err != nil || len(ms) != 2 {
		t.Fatalf("receive = %v, %v", ms, err)
	}
	delayed := ms[0]
	if string(ms[1].Body) == "delayed" {
		delayed = ms[1]
	}
	if err := q.ChangeVisibility(ctx, delayed.Receipt, time.Hour); err != nil {
		t.Fatal(err)
	}
	q.Close()

	q = open(t, path, embedded.Options{})
	defer q.Close()
	n, err := q.ReleaseHeld(ctx)
	if err != nil || n != 1 {
		t.Fatalf("ReleaseHeld = %d, %v; want 1", n, err)
	}
	ms, err = q.Receive(ctx, 10, 0, time.Minute)
	if err != nil || len(ms) != 2 || string(ms[0].Body) != "held" || string(ms[1].Body) != "waiting" {
		t.Fatalf("after release: %v, %v; want the held message, then the waiting one", ms, err)
	}
}
