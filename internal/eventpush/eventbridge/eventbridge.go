// Package eventbridge is the eventpush.Bus on an Amazon EventBridge event
// bus: each lifecycle event becomes one bus event, Source "parley",
// DetailType its type (message.delivered, …), Detail the event's JSON,
// Time its time. Brands route them with rules of their own, matching for
// instance detail-type and detail.accountId. PutEvents takes 10 entries
// per call; entries it fails are retried with backoff, and what still
// fails is an error naming them.
package eventbridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awseb "github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/run"
)

// Source is the source of every event Parley puts on the bus.
const Source = "parley"

// PutEvents limits: entries per call, and bytes per call (the entries'
// sizes, as AWS counts them).
const (
	MaxEntries  = 10
	MaxPutBytes = 256 << 10
)

// Retries of entries PutEvents failed: putRetries more calls, waiting
// firstBackoff, doubled each time.
const (
	putRetries   = 3
	firstBackoff = 50 * time.Millisecond
)

// API is the part of the EventBridge client the bus uses.
type API interface {
	PutEvents(ctx context.Context, in *awseb.PutEventsInput, opts ...func(*awseb.Options)) (*awseb.PutEventsOutput, error)
}

// Bus is one EventBridge event bus.
type Bus struct {
	client API
	name   string
}

// New returns the bus named name (or its ARN), reached through client.
func New(client API, name string) *Bus { return &Bus{client: client, name: name} }

// Put implements eventpush.Bus: it puts every event, in calls of at most
// MaxEntries entries and MaxPutBytes.
func (b *Bus) Put(ctx context.Context, events []parley.Event) error {
	var batch []types.PutEventsRequestEntry
	size := 0
	var errs []error
	for _, ev := range events {
		e, n, err := b.entry(ev)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if len(batch) == MaxEntries || size+n > MaxPutBytes {
			errs = append(errs, b.put(ctx, batch))
			batch, size = nil, 0
		}
		batch, size = append(batch, e), size+n
	}
	if len(batch) > 0 {
		errs = append(errs, b.put(ctx, batch))
	}
	return errors.Join(errs...)
}

// entry returns ev's entry and its size as PutEvents counts it.
func (b *Bus) entry(ev parley.Event) (types.PutEventsRequestEntry, int, error) {
	detail, err := json.Marshal(ev)
	if err != nil {
		return types.PutEventsRequestEntry{}, 0, fmt.Errorf("encode event %s: %w", ev.ID, err)
	}
	n := 14 + len(Source) + len(ev.Type) + len(detail) // 14: the time
	if n > MaxPutBytes {
		return types.PutEventsRequestEntry{}, 0, parley.Errorf(parley.EINVALID, "event %s is %d bytes, more than EventBridge takes (%d)", ev.ID, n, MaxPutBytes)
	}
	return types.PutEventsRequestEntry{
		EventBusName: aws.String(b.name),
		Source:       aws.String(Source),
		DetailType:   aws.String(string(ev.Type)),
		Detail:       aws.String(string(detail)),
		Time:         aws.Time(ev.At),
	}, n, nil
}

// put puts one batch, retrying the entries that fail.
func (b *Bus) put(ctx context.Context, entries []types.PutEventsRequestEntry) error {
	wait := firstBackoff
	for attempt := 0; ; attempt++ {
		out, err := b.client.PutEvents(ctx, &awseb.PutEventsInput{Entries: entries})
		if err != nil {
			return parley.Wrap(parley.EUNAVAILABLE, err, "eventbridge PutEvents to %s", b.name)
		}
		if out.FailedEntryCount == 0 {
			return nil
		}
		var failed []types.PutEventsRequestEntry
		var reasons []string
		for i, r := range out.Entries {
			if i < len(entries) && r.ErrorCode != nil {
				failed = append(failed, entries[i])
				reasons = append(reasons, aws.ToString(entries[i].DetailType)+": "+aws.ToString(r.ErrorCode)+" "+aws.ToString(r.ErrorMessage))
			}
		}
		if len(failed) == 0 {
			// A count without entries that say which: all of them again.
			failed = entries
		}
		if attempt >= putRetries {
			return parley.Errorf(parley.EUNAVAILABLE, "eventbridge PutEvents to %s: %d of %d entries failed: %s", b.name, len(failed), len(entries), strings.Join(reasons, "; "))
		}
		if err := run.Sleep(ctx, wait); err != nil {
			return err
		}
		entries, wait = failed, wait*2
	}
}

// EnsureBus creates the event bus name unless it exists, and returns its
// name. It is for emulators and tests; on AWS the bus is provisioned with
// the stack.
func EnsureBus(ctx context.Context, client *awseb.Client, name string) (string, error) {
	_, err := client.CreateEventBus(ctx, &awseb.CreateEventBusInput{Name: aws.String(name)})
	var exists *types.ResourceAlreadyExistsException
	if err != nil && !errors.As(err, &exists) {
		return "", parley.Wrap(parley.EUNAVAILABLE, err, "eventbridge create event bus %s", name)
	}
	return name, nil
}
