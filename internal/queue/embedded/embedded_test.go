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
		q := open(t, filepath.Join(t.TempDir(), "queue.db"), embedded.Options{})
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

func TestDeadLetter(t *testing.T) {
	ctx := context.Background()
	q := open(t, filepath.Join(t.TempDir(), "queue.db"), embedded.Options{MaxReceiveCount: 2})
	defer q.Close()
	if err := q.Send(ctx, queue.Entry{Body: []byte("poison")}); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		ms, err := q.Receive(ctx, 10, time.Second, time.Minute)
		if err != nil || len(ms) != 1 {
			t.Fatalf("receive %d: %v, %v", i+1, ms, err)
		}
		if err := q.ChangeVisibility(ctx, ms[0].Receipt, 0); err != nil {
			t.Fatal(err)
		}
	}
	if ms, _ := q.Receive(ctx, 10, 0, time.Minute); len(ms) != 0 {
		t.Fatalf("third receive delivered %d messages, want the message dead-lettered", len(ms))
	}
	dead, err := q.Dead(ctx)
	if err != nil || len(dead) != 1 || string(dead[0]) != "poison" {
		t.Fatalf("Dead = %q, %v", dead, err)
	}
}
