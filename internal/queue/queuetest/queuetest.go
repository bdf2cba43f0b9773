// Package queuetest is the contract suite every queue.Queue adapter passes.
// It runs on real time with short delays; keep queues small (emulators slow
// down as they grow).
package queuetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/queue"
)

// MaxReceive is the maximum receive count newQueue must give its queue:
// a message received more often is dead-lettered.
const MaxReceive = 2

// Run runs the contract suite. newQueue returns an empty queue with a
// dead-letter queue after MaxReceive receives.
func Run(t *testing.T, newQueue func(t *testing.T) queue.Queue) {
	t.Run("SendReceiveDelete", func(t *testing.T) { testSendReceiveDelete(t, newQueue(t)) })
	t.Run("Visibility", func(t *testing.T) { testVisibility(t, newQueue(t)) })
	t.Run("Delay", func(t *testing.T) { testDelay(t, newQueue(t)) })
	t.Run("BatchOverTen", func(t *testing.T) { testBatchOverTen(t, newQueue(t)) })
	t.Run("InvalidEntries", func(t *testing.T) { testInvalid(t, newQueue(t)) })
	t.Run("LongPollWakes", func(t *testing.T) { testLongPoll(t, newQueue(t)) })
	t.Run("DeadLetterRedrive", func(t *testing.T) { testRedrive(t, newQueue(t)) })
}

// drain receives until want messages arrived or the deadline passed.
func drain(t *testing.T, q queue.Queue, want int, within time.Duration) []queue.Message {
	t.Helper()
	ctx := context.Background()
	var got []queue.Message
	deadline := time.Now().Add(within)
	for len(got) < want && time.Now().Before(deadline) {
		ms, err := q.Receive(ctx, queue.MaxBatch, time.Second, 30*time.Second)
		if err != nil {
			t.Fatalf("Receive: %v", err)
		}
		got = append(got, ms...)
	}
	return got
}

func bodies(ms []queue.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, string(m.Body))
	}
	slices.Sort(out)
	return out
}

func testSendReceiveDelete(t *testing.T, q queue.Queue) {
	ctx := context.Background()
	if err := q.Send(ctx, queue.Entry{Body: []byte(`{"a":"1"}`)}, queue.Entry{Body: []byte(`{"a":"2"}`)}); err != nil {
		t.Fatal(err)
	}
	got := drain(t, q, 2, 10*time.Second)
	if b := bodies(got); !slices.Equal(b, []string{`{"a":"1"}`, `{"a":"2"}`}) {
		t.Fatalf("received %q", b)
	}
	for _, m := range got {
		if m.ReceiveCount != 1 || m.Receipt == "" || m.ID == "" {
			t.Errorf("message %+v: want receive count 1, a receipt and an id", m)
		}
	}
	if err := q.Delete(ctx, got[0].Receipt, got[1].Receipt); err != nil {
		t.Fatal(err)
	}
	if err := q.Delete(ctx, got[0].Receipt); err != nil {
		t.Errorf("deleting twice: %v", err)
	}
	if err := q.ChangeVisibility(ctx, got[0].Receipt, 0); err == nil {
		// A deleted message cannot come back, whatever the adapter answers.
		if ms, _ := q.Receive(ctx, queue.MaxBatch, 0, time.Second); len(ms) != 0 {
			t.Errorf("deleted message came back: %q", bodies(ms))
		}
	}
	if ms, err := q.Receive(ctx, queue.MaxBatch, 0, time.Second); err != nil || len(ms) != 0 {
		t.Errorf("after delete: %d messages, %v", len(ms), err)
	}
}

func testVisibility(t *testing.T, q queue.Queue) {
	ctx := context.Background()
	if err := q.Send(ctx, queue.Entry{Body: []byte("job")}); err != nil {
		t.Fatal(err)
	}
	first := drain(t, q, 1, 10*time.Second)
	if len(first) != 1 {
		t.Fatalf("received %d, want 1", len(first))
	}
	if ms, _ := q.Receive(ctx, queue.MaxBatch, 0, 30*time.Second); len(ms) != 0 {
		t.Fatalf("invisible message delivered again")
	}
	if err := q.ChangeVisibility(ctx, first[0].Receipt, 0); err != nil {
		t.Fatal(err)
	}
	again := drain(t, q, 1, 10*time.Second)
	if len(again) != 1 || string(again[0].Body) != "job" {
		t.Fatalf("after ChangeVisibility(0): %d messages", len(again))
	}
	if again[0].ReceiveCount != 2 {
		t.Errorf("ReceiveCount = %d on second receipt, want 2", again[0].ReceiveCount)
	}
	if err := q.Delete(ctx, again[0].Receipt); err != nil {
		t.Fatal(err)
	}
	if again[0].Receipt == first[0].Receipt {
		t.Errorf("second receipt reused the first receipt handle")
	}
}

func testDelay(t *testing.T, q queue.Queue) {
	ctx := context.Background()
	sent := time.Now()
	if err := q.Send(ctx, queue.Entry{Body: []byte("later"), Delay: 2 * time.Second}, queue.Entry{Body: []byte("now")}); err != nil {
		t.Fatal(err)
	}
	first := drain(t, q, 1, 10*time.Second)
	if b := bodies(first); !slices.Equal(b, []string{"now"}) {
		t.Fatalf("first receive = %q, want only the undelayed message", b)
	}
	later := drain(t, q, 1, 15*time.Second)
	if b := bodies(later); !slices.Equal(b, []string{"later"}) {
		t.Fatalf("then = %q, want the delayed message", b)
	}
	if waited := time.Since(sent); waited < 1500*time.Millisecond {
		t.Errorf("delayed message arrived after %s, before its 2s delay", waited)
	}
}

func testBatchOverTen(t *testing.T, q queue.Queue) {
	ctx := context.Background()
	var entries []queue.Entry
	var want []string
	for i := range 23 {
		b := fmt.Sprintf("job-%02d", i)
		entries = append(entries, queue.Entry{Body: []byte(b)})
		want = append(want, b)
	}
	if err := q.Send(ctx, entries...); err != nil {
		t.Fatal(err)
	}
	got := drain(t, q, 23, 20*time.Second)
	seen := map[string]bool{}
	for _, m := range got {
		seen[string(m.Body)] = true
	}
	for _, w := range want {
		if !seen[w] {
			t.Errorf("%s never received", w)
		}
	}
}

func testInvalid(t *testing.T, q queue.Queue) {
	ctx := context.Background()
	err := q.Send(ctx, queue.Entry{Body: []byte("ok")}, queue.Entry{Body: []byte("late"), Delay: 901 * time.Second})
	if parley.ErrorCode(err) != parley.EINVALID {
		t.Fatalf("delay 901s: %v, want EINVALID", err)
	}
	if ms, _ := q.Receive(ctx, queue.MaxBatch, time.Second, time.Second); len(ms) != 0 {
		t.Errorf("a rejected batch sent %q", bodies(ms))
	}
}

func testLongPoll(t *testing.T, q queue.Queue) {
	ctx := context.Background()
	go func() {
		time.Sleep(300 * time.Millisecond)
		_ = q.Send(ctx, queue.Entry{Body: []byte("wake")})
	}()
	ms, err := q.Receive(ctx, queue.MaxBatch, 5*time.Second, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 {
		// Some emulators answer a long poll empty; the message must still arrive.
		ms = drain(t, q, 1, 5*time.Second)
	}
	if b := bodies(ms); !slices.Equal(b, []string{"wake"}) {
		t.Fatalf("long poll got %q", b)
	}
}

func testRedrive(t *testing.T, q queue.Queue) {
	ctx := context.Background()
	if err := q.Send(ctx, queue.Entry{Body: []byte("poison")}, queue.Entry{Body: []byte("fine")}); err != nil {
		t.Fatal(err)
	}
	for i := range MaxReceive {
		want := 1
		if i == 0 {
			want = 2 // and "fine" too, deleted on its first receipt
		}
		for _, m := range drain(t, q, want, 10*time.Second) {
			if string(m.Body) == "fine" {
				if err := q.Delete(ctx, m.Receipt); err != nil {
					t.Fatal(err)
				}
				continue
			}
			if m.ReceiveCount != i+1 {
				t.Errorf("receive %d: count %d", i+1, m.ReceiveCount)
			}
			if err := q.ChangeVisibility(ctx, m.Receipt, 0); err != nil {
				t.Fatal(err)
			}
		}
	}
	if ms, err := q.Receive(ctx, queue.MaxBatch, time.Second, 30*time.Second); err != nil || len(ms) != 0 {
		t.Fatalf("after %d receives: %q, %v; want the message dead-lettered", MaxReceive, bodies(ms), err)
	}
	n, err := q.Redrive(ctx)
	if err != nil || n != 1 {
		t.Fatalf("Redrive = %d, %v; want 1", n, err)
	}
	back := drain(t, q, 1, 10*time.Second)
	if b := bodies(back); !slices.Equal(b, []string{"poison"}) || back[0].ReceiveCount != 1 {
		t.Fatalf("after redrive received %q (count %d); want the message afresh", b, back[0].ReceiveCount)
	}
	if n, err := q.Redrive(ctx); err != nil || n != 0 {
		t.Errorf("second Redrive = %d, %v; want nothing to move", n, err)
	}
}
