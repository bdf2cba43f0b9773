// Package sqs is the queue.Queue adapter on Amazon SQS (or an emulator that
// speaks its API). Send and Delete use the batch calls in chunks of
// queue.MaxBatch; durations are passed to SQS in whole seconds, rounded up.
package sqs

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/queue"
	"github.com/parleyhq/parley/internal/run"
)

// SQS limits, in seconds.
const (
	maxWaitSeconds       = 20
	maxVisibilitySeconds = 43200
)

// Send retries entries that failed for reasons not of the sender's making:
// sendRetries more attempts, sleeping firstBackoff, doubled each time.
const (
	sendRetries  = 3
	firstBackoff = 50 * time.Millisecond
)

// API is the part of the SQS client the adapter uses. *awssqs.Client
// implements it; tests may wrap it, for instance to count requests.
type API interface {
	SendMessageBatch(ctx context.Context, in *awssqs.SendMessageBatchInput, opts ...func(*awssqs.Options)) (*awssqs.SendMessageBatchOutput, error)
	ReceiveMessage(ctx context.Context, in *awssqs.ReceiveMessageInput, opts ...func(*awssqs.Options)) (*awssqs.ReceiveMessageOutput, error)
	DeleteMessageBatch(ctx context.Context, in *awssqs.DeleteMessageBatchInput, opts ...func(*awssqs.Options)) (*awssqs.DeleteMessageBatchOutput, error)
	ChangeMessageVisibility(ctx context.Context, in *awssqs.ChangeMessageVisibilityInput, opts ...func(*awssqs.Options)) (*awssqs.ChangeMessageVisibilityOutput, error)
}

// Queue is a queue.Queue on one SQS queue. It is safe for concurrent use.
type Queue struct {
	client API
	url    *string
	dlq    *string
}

var _ queue.Queue = (*Queue)(nil)

// New returns the queue at url, whose dead-letter queue is at dlqURL,
// reached through client.
func New(client API, url, dlqURL string) *Queue {
	return &Queue{client: client, url: aws.String(url), dlq: aws.String(dlqURL)}
}

// Redrive implements queue.Queue: it receives the dead-letter queue's
// messages in batches, sends each batch to the queue afresh and only then
// deletes it from the dead-letter queue, so a failure half-way may deliver a
// job twice (the dispatcher's claim absorbs it) but never loses one.
func (q *Queue) Redrive(ctx context.Context) (int, error) {
	if aws.ToString(q.dlq) == "" {
		return 0, parley.Errorf(parley.EINVALID, "no dead-letter queue is configured (PARLEY_JOBS_DLQ_URL)")
	}
	dead := &Queue{client: q.client, url: q.dlq}
	moved := 0
	for {
		ms, err := dead.Receive(ctx, queue.MaxBatch, time.Second, 60*time.Second)
		if err != nil || len(ms) == 0 {
			return moved, err
		}
		entries := make([]queue.Entry, len(ms))
		receipts := make([]string, len(ms))
		for i, m := range ms {
			entries[i], receipts[i] = queue.Entry{Body: m.Body}, m.Receipt
		}
		if err := q.Send(ctx, entries...); err != nil {
			return moved, fmt.Errorf("redrive %d messages: %w", len(ms), err)
		}
		if err := dead.Delete(ctx, receipts...); err != nil {
			return moved, fmt.Errorf("remove %d redriven messages from the dead-letter queue: %w", len(ms), err)
		}
		moved += len(ms)
	}
}

// Send enqueues entries in batches of queue.MaxBatch. Invalid entries send
// nothing. Entries SQS fails transiently are retried a few times; if some
// still fail the error is EUNAVAILABLE, and entries SQS rejects as the
// sender's fault are EINVALID. Either way earlier entries may have been sent.
func (q *Queue) Send(ctx context.Context, entries ...queue.Entry) error {
	if err := queue.CheckEntries(entries); err != nil {
		return err
	}
	for chunk := range slices.Chunk(entries, queue.MaxBatch) {
		if err := q.sendBatch(ctx, requestEntries(chunk)); err != nil {
			return err
		}
	}
	return nil
}

// requestEntries builds a batch whose entry Ids are the entries' indexes.
func requestEntries(chunk []queue.Entry) []types.SendMessageBatchRequestEntry {
	out := make([]types.SendMessageBatchRequestEntry, len(chunk))
	for i, e := range chunk {
		out[i] = types.SendMessageBatchRequestEntry{
			Id:           aws.String(strconv.Itoa(i)),
			MessageBody:  aws.String(string(e.Body)),
			DelaySeconds: seconds(e.Delay, int32(queue.MaxDelay/time.Second)),
		}
	}
	return out
}

// sendBatch sends one batch, resending the entries that failed transiently.
func (q *Queue) sendBatch(ctx context.Context, pending []types.SendMessageBatchRequestEntry) error {
	backoff := firstBackoff
	for attempt := 0; ; attempt++ {
		out, err := q.client.SendMessageBatch(ctx, &awssqs.SendMessageBatchInput{QueueUrl: q.url, Entries: pending})
		if err != nil {
			return parley.Wrap(parley.EUNAVAILABLE, err, "sqs send")
		}
		switch {
		case len(out.Failed) == 0:
			return nil
		case slices.ContainsFunc(out.Failed, senderFault):
			return batchError(parley.EINVALID, "send", filter(out.Failed, senderFault))
		case attempt == sendRetries:
			return batchError(parley.EUNAVAILABLE, "send", out.Failed)
		}
		pending = failedEntries(pending, out.Failed)
		if err := run.Sleep(ctx, backoff); err != nil {
			return parley.Wrap(parley.EUNAVAILABLE, err, "sqs send")
		}
		backoff *= 2
	}
}

// failedEntries returns the entries of batch whose Ids failed.
func failedEntries(batch []types.SendMessageBatchRequestEntry, failed []types.BatchResultErrorEntry) []types.SendMessageBatchRequestEntry {
	return slices.DeleteFunc(slices.Clone(batch), func(e types.SendMessageBatchRequestEntry) bool {
		return !slices.ContainsFunc(failed, func(f types.BatchResultErrorEntry) bool {
			return aws.ToString(f.Id) == aws.ToString(e.Id)
		})
	})
}

// Receive returns up to n (clamped to 1..10) messages, long-polling for up
// to wait (at most 20s) and hiding them for visibility. A zero visibility
// leaves the queue's default visibility timeout in force.
func (q *Queue) Receive(ctx context.Context, n int, wait, visibility time.Duration) ([]queue.Message, error) {
	out, err := q.client.ReceiveMessage(ctx, &awssqs.ReceiveMessageInput{
		QueueUrl:                    q.url,
		MaxNumberOfMessages:         int32(min(max(n, 1), queue.MaxBatch)),
		WaitTimeSeconds:             seconds(wait, maxWaitSeconds),
		VisibilityTimeout:           seconds(visibility, maxVisibilitySeconds),
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameApproximateReceiveCount},
	})
	if err != nil {
		return nil, parley.Wrap(parley.EUNAVAILABLE, err, "sqs receive")
	}
	ms := make([]queue.Message, len(out.Messages))
	for i, m := range out.Messages {
		count, _ := strconv.Atoi(m.Attributes[string(types.MessageSystemAttributeNameApproximateReceiveCount)])
		ms[i] = queue.Message{
			ID:           aws.ToString(m.MessageId),
			Body:         []byte(aws.ToString(m.Body)),
			Receipt:      aws.ToString(m.ReceiptHandle),
			ReceiveCount: count,
		}
	}
	return ms, nil
}

// Delete removes received messages in batches of queue.MaxBatch. Receipts
// SQS no longer knows (already deleted, expired) are ignored.
func (q *Queue) Delete(ctx context.Context, receipts ...string) error {
	receipts = slices.Compact(slices.Sorted(slices.Values(receipts))) // SQS rejects a batch repeating a receipt
	for chunk := range slices.Chunk(receipts, queue.MaxBatch) {
		if err := q.deleteBatch(ctx, chunk); err != nil {
			return err
		}
	}
	return nil
}

// deleteBatch deletes one batch of receipts; entry Ids are their indexes.
func (q *Queue) deleteBatch(ctx context.Context, receipts []string) error {
	entries := make([]types.DeleteMessageBatchRequestEntry, len(receipts))
	for i, r := range receipts {
		entries[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: aws.String(r)}
	}
	out, err := q.client.DeleteMessageBatch(ctx, &awssqs.DeleteMessageBatchInput{QueueUrl: q.url, Entries: entries})
	if err != nil {
		return parley.Wrap(parley.EUNAVAILABLE, err, "sqs delete")
	}
	if failed := filter(out.Failed, func(f types.BatchResultErrorEntry) bool { return !receiptGone(f) }); len(failed) > 0 {
		return batchError(parley.EUNAVAILABLE, "delete", failed)
	}
	return nil
}

// ChangeVisibility makes a received message visible again after timeout
// (clamped to 0..12h).
func (q *Queue) ChangeVisibility(ctx context.Context, receipt string, timeout time.Duration) error {
	_, err := q.client.ChangeMessageVisibility(ctx, &awssqs.ChangeMessageVisibilityInput{
		QueueUrl:          q.url,
		ReceiptHandle:     aws.String(receipt),
		VisibilityTimeout: seconds(timeout, maxVisibilitySeconds),
	})
	var apiErr smithy.APIError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &apiErr) && receiptCodeGone(apiErr.ErrorCode()):
		return parley.Wrap(parley.ENOTFOUND, err, "sqs change visibility: receipt is no longer valid")
	default:
		return parley.Wrap(parley.EUNAVAILABLE, err, "sqs change visibility")
	}
}

// seconds converts d to whole seconds, rounding up, clamped to 0..hi.
func seconds(d time.Duration, hi int32) int32 {
	s := math.Ceil(d.Seconds())
	return int32(min(max(s, 0), float64(hi)))
}

// senderFault reports whether SQS blames the request for a failed entry.
func senderFault(f types.BatchResultErrorEntry) bool { return f.SenderFault }

// receiptGone reports whether a delete failed only because SQS no longer
// knows the receipt, which for an idempotent delete is success.
func receiptGone(f types.BatchResultErrorEntry) bool { return receiptCodeGone(aws.ToString(f.Code)) }

// receiptCodeGone reports whether an SQS error code means the receipt is
// unknown or stale.
func receiptCodeGone(code string) bool {
	switch code {
	case "ReceiptHandleIsInvalid", "InvalidIdFormat", "AWS.SimpleQueueService.ReceiptHandleIsInvalid":
		return true
	}
	return false
}

// filter returns the failures for which keep returns true.
func filter(failed []types.BatchResultErrorEntry, keep func(types.BatchResultErrorEntry) bool) []types.BatchResultErrorEntry {
	return slices.DeleteFunc(slices.Clone(failed), func(f types.BatchResultErrorEntry) bool { return !keep(f) })
}

// batchError reports the failed entries of a batch call under code, naming
// how many failed and the first failure's code.
func batchError(code, op string, failed []types.BatchResultErrorEntry) error {
	first := failed[0]
	cause := fmt.Errorf("%s: %s", aws.ToString(first.Code), aws.ToString(first.Message))
	return parley.Wrap(code, cause, "sqs %s: %d entries failed, first with %s", op, len(failed), aws.ToString(first.Code))
}
