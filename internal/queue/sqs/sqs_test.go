package sqs_test

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/parleyhq/parley/internal/awstest"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/queue"
	"github.com/parleyhq/parley/internal/queue/queuetest"
	"github.com/parleyhq/parley/internal/queue/sqs"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

func TestContract(t *testing.T) {
	queuetest.Run(t, func(t *testing.T) queue.Queue {
		client := awssqs.NewFromConfig(awstest.Config(t))
		url, dlq, err := sqs.EnsureQueue(context.Background(), client, awstest.Name(t), 30*time.Second, queuetest.MaxReceive)
		if err != nil {
			t.Fatal(err)
		}
		return sqs.New(client, url, dlq)
	})
}

func TestEnsureQueueIsIdempotent(t *testing.T) {
	client := awssqs.NewFromConfig(awstest.Config(t))
	name := awstest.Name(t)
	var urls []string
	for range 2 {
		url, dlq, err := sqs.EnsureQueue(context.Background(), client, name, 30*time.Second, 5)
		if err != nil {
			t.Fatal(err)
		}
		if dlq != strings.TrimSuffix(url, name)+name+sqs.DLQSuffix {
			t.Errorf("dead-letter queue %s of %s", dlq, url)
		}
		urls = append(urls, url)
	}
	if urls[0] != urls[1] || !strings.HasSuffix(urls[0], "/"+name) {
		t.Fatalf("EnsureQueue twice returned %q", urls)
	}
}

// receive polls q until want messages arrived or 10s passed.
func receive(t *testing.T, q queue.Queue, want int) []queue.Message {
	t.Helper()
	var got []queue.Message
	for deadline := time.Now().Add(10 * time.Second); len(got) < want && time.Now().Before(deadline); {
		ms, err := q.Receive(context.Background(), queue.MaxBatch, time.Second, 30*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ms...)
	}
	return got
}

// fakeAPI answers SendMessageBatch from a script of per-call failures and
// records the requests; the other methods are not used by these tests.
type fakeAPI struct {
	sqs.API
	mu       sync.Mutex
	failures [][]types.BatchResultErrorEntry
	sends    []*awssqs.SendMessageBatchInput
}

func (f *fakeAPI) SendMessageBatch(_ context.Context, in *awssqs.SendMessageBatchInput, _ ...func(*awssqs.Options)) (*awssqs.SendMessageBatchOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sends = append(f.sends, in)
	out := &awssqs.SendMessageBatchOutput{}
	if len(f.failures) > 0 {
		out.Failed, f.failures = f.failures[0], f.failures[1:]
	}
	return out, nil
}

func failure(id, code string, sender bool) types.BatchResultErrorEntry {
	return types.BatchResultErrorEntry{Id: aws.String(id), Code: aws.String(code), SenderFault: sender}
}

func entries(n int, delay time.Duration) []queue.Entry {
	out := make([]queue.Entry, n)
	for i := range out {
		out[i] = queue.Entry{Body: []byte("job"), Delay: delay}
	}
	return out
}

func TestSendBatchesAndRoundsDelaysUp(t *testing.T) {
	f := &fakeAPI{}
	if err := sqs.New(f, "url", "").Send(context.Background(), entries(12, 1500*time.Millisecond)...); err != nil {
		t.Fatal(err)
	}
	if len(f.sends) != 2 || len(f.sends[0].Entries) != 10 || len(f.sends[1].Entries) != 2 {
		t.Fatalf("sent %d batches, want 10 + 2 entries", len(f.sends))
	}
	if e := f.sends[1].Entries[1]; aws.ToString(e.Id) != "1" || e.DelaySeconds != 2 {
		t.Errorf("entry Id %q DelaySeconds %d, want \"1\" and 2", aws.ToString(e.Id), e.DelaySeconds)
	}
}

func TestSendRetriesTransientFailures(t *testing.T) {
	f := &fakeAPI{failures: [][]types.BatchResultErrorEntry{{failure("1", "ServiceUnavailable", false)}}}
	if err := sqs.New(f, "url", "").Send(context.Background(), entries(3, 0)...); err != nil {
		t.Fatal(err)
	}
	if len(f.sends) != 2 || len(f.sends[1].Entries) != 1 || aws.ToString(f.sends[1].Entries[0].Id) != "1" {
		t.Fatalf("retry resent %d batches, want one batch of entry 1", len(f.sends))
	}
}

func TestSendGivesUp(t *testing.T) {
	fail := []types.BatchResultErrorEntry{failure("0", "ServiceUnavailable", false)}
	f := &fakeAPI{failures: [][]types.BatchResultErrorEntry{fail, fail, fail, fail, fail}}
	err := sqs.New(f, "url", "").Send(context.Background(), entries(1, 0)...)
	if parley.ErrorCode(err) != parley.EUNAVAILABLE || !strings.Contains(err.Error(), "1 entries failed, first with ServiceUnavailable") {
		t.Fatalf("err = %v, want EUNAVAILABLE naming the count and code", err)
	}
	if len(f.sends) != 4 {
		t.Errorf("%d attempts, want 4", len(f.sends))
	}
}

func TestSendSenderFaultIsInvalid(t *testing.T) {
	f := &fakeAPI{failures: [][]types.BatchResultErrorEntry{{failure("0", "InvalidMessageContents", true)}}}
	err := sqs.New(f, "url", "").Send(context.Background(), entries(1, 0)...)
	if parley.ErrorCode(err) != parley.EINVALID || len(f.sends) != 1 {
		t.Fatalf("err = %v after %d attempts, want EINVALID and no retry", err, len(f.sends))
	}
}
