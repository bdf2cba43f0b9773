package eventbridge_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awseb "github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/parleyhq/parley/internal/awstest"
	"github.com/parleyhq/parley/internal/eventpush"
	"github.com/parleyhq/parley/internal/eventpush/eventbridge"
	"github.com/parleyhq/parley/internal/parley"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

var _ eventpush.Bus = (*eventbridge.Bus)(nil)

var at = time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC)

func events(n int) []parley.Event {
	out := make([]parley.Event, n)
	for i := range out {
		typ := parley.EventSent
		if i%3 == 0 {
			typ = parley.EventDelivered
		}
		out[i] = parley.Event{ID: fmt.Sprintf("ev%02d", i), Type: typ, AccountID: "acct1", At: at.Add(time.Duration(i) * time.Second),
			CampaignID: "camp1", RecipientID: fmt.Sprintf("r%d", i), Consumer: "+12025550123"}
	}
	return out
}

// counting counts PutEvents calls.
type counting struct {
	eventbridge.API
	calls, entries int
}

func (c *counting) PutEvents(ctx context.Context, in *awseb.PutEventsInput, opts ...func(*awseb.Options)) (*awseb.PutEventsOutput, error) {
	c.calls++
	c.entries += len(in.Entries)
	return c.API.PutEvents(ctx, in, opts...)
}

// TestPutRoutesByRule puts events on a bus on moto_server, where a rule
// for message.delivered sends them to an SQS queue, as a brand's rule
// would.
func TestPutRoutesByRule(t *testing.T) {
	ctx := context.Background()
	cfg := awstest.Config(t)
	eb, sq := awseb.NewFromConfig(cfg), awssqs.NewFromConfig(cfg)
	name, err := eventbridge.EnsureBus(ctx, eb, awstest.Name(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eventbridge.EnsureBus(ctx, eb, name); err != nil {
		t.Fatalf("EnsureBus of an existing bus: %v", err)
	}
	q, err := sq.CreateQueue(ctx, &awssqs.CreateQueueInput{QueueName: aws.String(name + "-delivered")})
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := sq.GetQueueAttributes(ctx, &awssqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	pattern := `{"source":["parley"],"detail-type":["message.delivered"],"detail":{"accountId":["acct1"]}}`
	if _, err := eb.PutRule(ctx, &awseb.PutRuleInput{Name: aws.String("delivered"), EventBusName: aws.String(name), EventPattern: aws.String(pattern)}); err != nil {
		t.Fatal(err)
	}
	if _, err := eb.PutTargets(ctx, &awseb.PutTargetsInput{Rule: aws.String("delivered"), EventBusName: aws.String(name),
		Targets: []types.Target{{Id: aws.String("crm"), Arn: aws.String(attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)])}}}); err != nil {
		t.Fatal(err)
	}

	api := &counting{API: eb}
	evs := events(23)
	if err := eventbridge.New(api, name).Put(ctx, evs); err != nil {
		t.Fatal(err)
	}
	if api.calls != 3 || api.entries != 23 {
		t.Errorf("%d PutEvents calls of %d entries, want 3 of 23", api.calls, api.entries)
	}
	var want []string
	for _, ev := range evs {
		if ev.Type == parley.EventDelivered {
			want = append(want, ev.ID)
		}
	}
	var got []string
	for deadline := time.Now().Add(10 * time.Second); len(got) < len(want) && time.Now().Before(deadline); {
		out, err := sq.ReceiveMessage(ctx, &awssqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out.Messages {
			var envelope struct {
				Source     string       `json:"source"`
				DetailType string       `json:"detail-type"`
				Detail     parley.Event `json:"detail"`
			}
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &envelope); err != nil {
				t.Fatalf("routed event %s: %v", aws.ToString(m.Body), err)
			}
			if envelope.Source != "parley" || envelope.DetailType != "message.delivered" || envelope.Detail.AccountID != "acct1" || envelope.Detail.Consumer != "+12025550123" {
				t.Errorf("routed event %+v", envelope)
			}
			got = append(got, envelope.Detail.ID)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("the rule routed %q, want %q", got, want)
	}
}

// flaky fails the entries it is told to, a number of times each.
type flaky struct {
	failures map[string]int // event id → how many more calls fail it
	calls    [][]string
}

func (f *flaky) PutEvents(ctx context.Context, in *awseb.PutEventsInput, opts ...func(*awseb.Options)) (*awseb.PutEventsOutput, error) {
	out := &awseb.PutEventsOutput{}
	var ids []string
	for _, e := range in.Entries {
		var ev parley.Event
		_ = json.Unmarshal([]byte(aws.ToString(e.Detail)), &ev)
		ids = append(ids, ev.ID)
		if f.failures[ev.ID] > 0 {
			f.failures[ev.ID]--
			out.FailedEntryCount++
			out.Entries = append(out.Entries, types.PutEventsResultEntry{ErrorCode: aws.String("ThrottlingException"), ErrorMessage: aws.String("slow down")})
		} else {
			out.Entries = append(out.Entries, types.PutEventsResultEntry{EventId: aws.String("eb-" + ev.ID)})
		}
	}
	f.calls = append(f.calls, ids)
	return out, nil
}

func TestPutRetriesFailedEntries(t *testing.T) {
	f := &flaky{failures: map[string]int{"ev03": 2, "ev07": 1}}
	if err := eventbridge.New(f, "bus").Put(context.Background(), events(12)); err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(f.calls)
	if want := "[[ev00 ev01 ev02 ev03 ev04 ev05 ev06 ev07 ev08 ev09] [ev03 ev07] [ev03] [ev10 ev11]]"; got != want {
		t.Errorf("calls %s, want %s", got, want)
	}
	stuck := &flaky{failures: map[string]int{"ev01": 100}}
	err := eventbridge.New(stuck, "bus").Put(context.Background(), events(3))
	if parley.ErrorCode(err) != parley.EUNAVAILABLE || !strings.Contains(err.Error(), "ThrottlingException") || len(stuck.calls) != 4 {
		t.Errorf("an entry that keeps failing: %v after %d calls; want EUNAVAILABLE naming the error, after 4", err, len(stuck.calls))
	}
}

func TestPutRefusesOversizedEvents(t *testing.T) {
	f := &flaky{}
	big := events(2)
	big[0].ErrorMessage = strings.Repeat("x", eventbridge.MaxPutBytes)
	err := eventbridge.New(f, "bus").Put(context.Background(), big)
	if parley.ErrorCode(err) != parley.EINVALID || len(f.calls) != 1 || len(f.calls[0]) != 1 {
		t.Errorf("Put with an oversized event = %v, calls %v; want EINVALID and the other event put", err, f.calls)
	}
}
