// Package lambdafn adapts Lambda event sources other than HTTP to Parley's
// services (the HTTP adapter lives with the router in httpapi).
package lambdafn

import (
	"context"
	"strconv"

	"github.com/aws/aws-lambda-go/events"

	"github.com/parleyhq/parley/internal/queue"
)

// BatchHandler handles a batch of queue messages, one result per message.
type BatchHandler interface {
	HandleBatch(ctx context.Context, ms []queue.Message) []error
}

// SQS returns the handler of a function fed by a queue (the dispatcher, the
// event push function): every record whose job is not finished is reported
// in BatchItemFailures, so the event source mapping deletes only the
// finished ones.
func SQS(h BatchHandler) func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
	return func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		ms := Messages(ev)
		resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
		for i, err := range h.HandleBatch(ctx, ms) {
			if err != nil {
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: ms[i].ID})
			}
		}
		return resp, nil
	}
}

// Messages converts SQS event records to queue messages.
func Messages(ev events.SQSEvent) []queue.Message {
	ms := make([]queue.Message, len(ev.Records))
	for i, r := range ev.Records {
		n, _ := strconv.Atoi(r.Attributes["ApproximateReceiveCount"]) // absent → 0, treated as first receipt
		ms[i] = queue.Message{ID: r.MessageId, Body: []byte(r.Body), Receipt: r.ReceiptHandle, ReceiveCount: max(n, 1)}
	}
	return ms
}

// Scheduled returns the handler of a function run by an EventBridge
// schedule: it runs check and fails the invocation (so it is retried and
// alarmed on) when check fails.
func Scheduled(check func(ctx context.Context) error) func(context.Context, events.EventBridgeEvent) error {
	return func(ctx context.Context, _ events.EventBridgeEvent) error { return check(ctx) }
}
