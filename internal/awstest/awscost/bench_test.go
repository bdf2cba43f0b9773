package awscost_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/parleyhq/parley/internal/app"
	"github.com/parleyhq/parley/internal/awstest"
	"github.com/parleyhq/parley/internal/awstest/awscost"
	"github.com/parleyhq/parley/internal/campaign"
	"github.com/parleyhq/parley/internal/dispatch"
	"github.com/parleyhq/parley/internal/egress"
	"github.com/parleyhq/parley/internal/gateway/sandbox"
	"github.com/parleyhq/parley/internal/inbound/agentpush"
	"github.com/parleyhq/parley/internal/inbound/conversation"
	"github.com/parleyhq/parley/internal/inbound/optout"
	"github.com/parleyhq/parley/internal/inbound/receipts"
	"github.com/parleyhq/parley/internal/obs"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/queue/sqs"
	"github.com/parleyhq/parley/internal/ratelimit"
	rldynamo "github.com/parleyhq/parley/internal/ratelimit/dynamo"
	"github.com/parleyhq/parley/internal/run"
	acct "github.com/parleyhq/parley/internal/settings/account"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/dynamo"
)

// The measured run: API-sized campaigns (one intake invocation each),
// drained by as many pollers as parley serve starts by default. moto_server
// answers about a hundred requests a second under this load, so 600
// recipients (some 6,000 requests to DELIVERED) take about a minute; the
// -campaigns flag runs more (go test ... -args -campaigns 60 for 6,000
// recipients), to show that the cost per recipient does not grow with them.
const (
	perCampaign = parley.MaxConsumersPerCall
	workers     = 4
	account     = "bench"
	// visibility is the jobs queue's visibility timeout, as app creates it.
	visibility = 180 * time.Second
	// drainPerCampaign bounds the wait for a campaign's recipients to be
	// sent.
	drainPerCampaign = 30 * time.Second
)

var campaignsFlag = flag.Int("campaigns", 6, "campaigns of "+strconv.Itoa(perCampaign)+" recipients the cost benchmark runs")

// campaigns is how many campaigns the run has, recipients how many
// recipients, and drainLimit how long they may take to be sent.
var (
	campaigns  int
	recipients int
	drainLimit time.Duration
)

// sized sets the run's size from the flags.
func sized() {
	campaigns = max(*campaignsFlag, 1)
	recipients = campaigns * perCampaign
	drainLimit = time.Duration(campaigns) * drainPerCampaign
}

// noon is a clock at which New York is inside the default delivery window.
var noon = parley.ClockFunc(func() time.Time { return time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC) })

// Tags of the calls the table shows apart: the sandbox gateway's own
// writes (a real gateway calls its provider instead), and the rate
// limiter's.
const (
	sandboxTag   = "sandbox"
	rateLimitTag = "ratelimit"
	// replyTag marks the reply-routing lookup: a cost per reply, listed
	// per recipient as if each replied once, and left out of the total
	// from intake to DELIVERED.
	replyTag = "reply"
)

// flow is Parley's AWS backend wired as app.New wires it, on clients that
// report to counter, beside an uncounted store for checking the outcome.
type flow struct {
	counter    *awscost.Counter
	campaigns  *campaign.Service
	dispatcher *dispatch.Dispatcher
	delivery   *receipts.Service
	routing    store.OutboundContexts
	queue      *sqs.Queue
	check      *dynamo.Table
	recorded   *recorder
}

// recorder is the sandbox's store: it tags the sandbox's writes and closes
// done once every recipient's message was recorded.
type recorder struct {
	store.Outbox
	n    atomic.Int64
	done chan struct{}
}

func (r *recorder) RecordSandbox(ctx context.Context, m parley.SentMessage) error {
	err := r.Outbox.RecordSandbox(awscost.Tag(ctx, sandboxTag), m)
	if err == nil && r.n.Add(1) == int64(recipients) {
		close(r.done)
	}
	return err
}

// limiter is the dispatcher's rate limiter with its calls tagged.
type limiter struct{ dispatch.Limiter }

func (l limiter) ReserveSlotsWithin(ctx context.Context, key ratelimit.Key, limit ratelimit.Limit, n int, within time.Duration) (ratelimit.Slots, error) {
	return l.Limiter.ReserveSlotsWithin(awscost.Tag(ctx, rateLimitTag), key, limit, n, within)
}

func (l limiter) Throttled(ctx context.Context, key ratelimit.Key) error {
	return l.Limiter.Throttled(awscost.Tag(ctx, rateLimitTag), key)
}

func (l limiter) OK(ctx context.Context, key ratelimit.Key) error {
	return l.Limiter.OK(awscost.Tag(ctx, rateLimitTag), key)
}

func newFlow(b *testing.B) *flow {
	b.Helper()
	ctx := b.Context()
	table := awstest.Name(b)
	counter := &awscost.Counter{Indexes: awscost.IndexesOf(dynamo.CreateTableInput(table))}
	cfg := awstest.Config(b)
	counter.Attach(&cfg)
	db, sq := dynamodb.NewFromConfig(cfg), awssqs.NewFromConfig(cfg)
	if err := dynamo.EnsureTable(ctx, db, table); err != nil {
		b.Fatal(err)
	}
	url, dlq, err := sqs.EnsureQueue(ctx, sq, table, visibility, app.MaxReceiveCount)
	if err != nil {
		b.Fatal(err)
	}
	counter.Reset()
	store, q, log := dynamo.New(db, table), sqs.New(sq, url, dlq), obs.Discard()
	rec := &recorder{Outbox: store, done: make(chan struct{})}
	optouts := &optout.Service{Store: store, Accounts: &acct.Service{Store: store, Clock: noon}, Clock: noon}
	replies := &conversation.Service{Store: store, Events: store, Connector: agentpush.New(store, egress.Policy{}.Client(agentpush.DefaultTimeout), noon, log), Clock: noon, Log: log}
	return &flow{
		counter:   counter,
		campaigns: &campaign.Service{Store: store, Queue: q, Clock: noon, Log: log, OptOuts: optouts},
		dispatcher: &dispatch.Dispatcher{
			Store: store, Queue: q, Clock: noon, Log: log, Sender: &sandbox.Gateway{Recorder: rec, Clock: noon},
			Limiter: limiter{ratelimit.NewAdaptive(rldynamo.New(db, table, noon), noon)},
			Consent: optouts, Conversations: replies,
			Limit: ratelimit.Limit{Rate: 1e6, Burst: 1000}, StateTTL: dispatch.DefaultStateTTL,
		},
		delivery: &receipts.Service{Store: store, Clock: noon},
		routing:  store,
		queue:    q,
		check:    dynamo.New(dynamodb.NewFromConfig(awstest.Config(b)), table),
		recorded: rec,
	}
}

// draft is the i-th campaign: perCampaign New York numbers.
func draft(i int) campaign.Draft {
	d := campaign.Draft{
		Name: fmt.Sprintf("renewals %d", i), Skill: "renewals", TemplateID: parley.PlainSMSTemplateID,
		OutboundNumber: "+12025550100", Consent: true,
		Message: "Hi {{1}}, your subscription renews on 12/31. Reply YES to keep it.",
	}
	for j := range perCampaign {
		d.Consumers = append(d.Consumers, campaign.Consumer{
			SMS: fmt.Sprintf("+1202%07d", 5550000+i*perCampaign+j), Variables: map[string]string{"1": "Jane"},
		})
	}
	return d
}

// intake creates the campaigns and returns their ids.
func (f *flow) intake(b *testing.B) []string {
	var ids []string
	for i := range campaigns {
		a, err := f.campaigns.Create(b.Context(), account, draft(i))
		if err != nil || len(a.Accepted) != perCampaign {
			b.Fatalf("campaign %d: %d accepted, %v", i, len(a.Accepted), err)
		}
		ids = append(ids, a.Campaign.ID)
	}
	return ids
}

// dispatch drains the queue the way the SQS event source feeds the
// dispatcher, until every recipient was recorded by the sandbox; batches in
// hand then are finished and their jobs deleted.
func (f *flow) dispatch(b *testing.B) {
	ctx, cancel := context.WithCancel(b.Context())
	stopped := make(chan struct{})
	go func() { f.dispatcher.Run(ctx, f.queue, workers); close(stopped) }()
	select {
	case <-f.recorded.done:
	case <-time.After(drainLimit):
		cancel()
		<-stopped
		b.Fatalf("only %d of %d recipients sent within %s", f.recorded.n.Load(), recipients, drainLimit)
	}
	cancel()
	<-stopped
}

// verify checks, without counting, that every recipient of ids is in
// status, and returns them.
func (f *flow) verify(b *testing.B, ids []string, status parley.RecipientStatus) []parley.Recipient {
	var all []parley.Recipient
	for _, id := range ids {
		rs, err := f.check.Recipients(b.Context(), account, id, 0, perCampaign)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range rs {
			if r.Status != status {
				b.Fatalf("campaign %s recipient %s is %s, want %s", id, r.ID, r.Status, status)
			}
		}
		if len(rs) != perCampaign {
			b.Fatalf("campaign %s has %d recipients", id, len(rs))
		}
		all = append(all, rs...)
	}
	return all
}

// deliver applies one delivery receipt per sent recipient, workers at
// once, as the webhook function does (one invocation each).
func (f *flow) deliver(b *testing.B, rs []parley.Recipient) {
	err := run.Each(b.Context(), workers, rs, func(ctx context.Context, r parley.Recipient) error {
		res, err := f.delivery.Apply(ctx, receipts.Update{
			AccountID: r.AccountID, CampaignID: r.CampaignID, RecipientID: r.ID, Provider: "sandbox",
			ProviderMessageID: r.ProviderMessageID, Status: parley.StatusDelivered,
		})
		if err == nil && !res.Applied {
			err = fmt.Errorf("receipt of %s not applied: %+v", r.ID, res)
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
}

// reply looks up, for each recipient, the outbound contexts a reply of its
// consumer is routed by, as the inbound function does, and checks that
// the newest is the recipient's.
func (f *flow) reply(b *testing.B, rs []parley.Recipient) {
	err := run.Each(b.Context(), workers, rs, func(ctx context.Context, r parley.Recipient) error {
		at := noon.Now()
		cs, err := f.routing.OutboundContexts(awscost.Tag(ctx, replyTag), r.AccountID, r.Phone, at.Add(-parley.MaxLookback), store.MaxContexts)
		switch {
		case err != nil:
			return err
		case len(cs) == 0 || cs[0].RecipientID != r.ID || cs[0].CampaignID != r.CampaignID:
			return fmt.Errorf("a reply of %s finds %+v", r.ID, cs)
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// add adds usage to total.
func add(total, usage map[awscost.Op]awscost.Usage) {
	for op, u := range usage {
		total[op] = total[op].Add(u)
	}
}

// BenchmarkCostPerRecipient runs intake, dispatch and one delivery receipt
// each of 600 recipients (see -campaigns) on moto_server, counts the AWS requests and
// DynamoDB capacity per recipient from intake to the recorded DELIVERED
// status, and prices them at on-demand rates. Each intake call is an HTTP
// API request and two invocations (the authorizer, which caches nothing,
// and the api function); each receipt is an invocation of the webhooks
// function, at its own URL, which has no per-request price (through the
// HTTP API a receipt would add an API request, $1.00 per million, more
// than its write); the dispatcher is invoked once per
// batch the SQS event source hands it. The lookup a reply's
// routing costs is listed too, per recipient as if each replied once,
// outside the total. Capacity is computed from item
// sizes: moto's ConsumedCapacity figures are placeholders (see the package
// documentation); the table, printed once, shows them beside the computed
// ones, and the rate limiter's and the sandbox gateway's calls on lines of
// their own.
func BenchmarkCostPerRecipient(b *testing.B) {
	sized()
	intake, dispatched := map[awscost.Op]awscost.Usage{}, map[awscost.Op]awscost.Usage{}
	delivered, replied := map[awscost.Op]awscost.Usage{}, map[awscost.Op]awscost.Usage{}
	var runs int
	var took [3]time.Duration
	for b.Loop() {
		b.StopTimer()
		f := newFlow(b)
		b.StartTimer()
		start := time.Now()
		ids := f.intake(b)
		took[0] += time.Since(start)
		add(intake, f.counter.Usage())
		f.counter.Reset()
		start = time.Now()
		f.dispatch(b)
		took[1] += time.Since(start)
		add(dispatched, f.counter.Usage())
		b.StopTimer()
		rs := f.verify(b, ids, parley.StatusSent)
		f.counter.Reset()
		b.StartTimer()
		start = time.Now()
		f.deliver(b, rs)
		took[2] += time.Since(start)
		add(delivered, f.counter.Usage())
		b.StopTimer()
		f.verify(b, ids, parley.StatusDelivered)
		f.counter.Reset()
		f.reply(b, rs)
		add(replied, f.counter.Usage())
		runs++
		b.StartTimer()
	}
	bill := &awscost.Bill{
		Prices: awscost.OnDemand, Source: awscost.Computed, Recipients: runs * recipients, Artifacts: []string{sandboxTag, replyTag},
	}
	creates, receipts := runs*campaigns, runs*recipients
	bill.Add("intake", intake, awscost.Outside{Invocations: 2 * creates, APIRequests: creates})
	bill.Add("dispatch", dispatched, awscost.Outside{Invocations: awscost.ReceivedBatches(dispatched)})
	bill.Add("receipt", delivered, awscost.Outside{Invocations: receipts})
	bill.Add("reply", replied, awscost.Outside{})
	report(b, bill)
	fmt.Printf("cost per recipient over %d recipients at on-demand prices (intake took %s, dispatch %s, receipts %s on moto_server):\n",
		bill.Recipients, took[0].Round(time.Millisecond), took[1].Round(time.Millisecond), took[2].Round(time.Millisecond))
	if err := bill.WriteTable(os.Stdout); err != nil {
		b.Fatal(err)
	}
}

// report states the bill as benchmark metrics.
func report(b *testing.B, bill *awscost.Bill) {
	ddb := bill.Total(awscost.OfService(dynamodb.ServiceID))
	sqsLine := bill.Total(awscost.OfService(awssqs.ServiceID))
	lambda := bill.Total(awscost.OfService(awscost.LambdaInvoke.Service))
	api := bill.Total(awscost.OfService(awscost.APIRequest.Service))
	p := bill.Prices
	b.ReportMetric(ddb.Requests, "dynamodb-req/recipient")
	b.ReportMetric(sqsLine.Requests, "sqs-req/recipient")
	b.ReportMetric(ddb.Units.Write, "WCU/recipient")
	b.ReportMetric(ddb.Units.Read, "RCU/recipient")
	b.ReportMetric(lambda.Requests, "lambda-inv/recipient")
	b.ReportMetric(ddb.Units.Write*p.WriteUnit, "ddb-write-$/Mrecipients")
	b.ReportMetric(ddb.Units.Read*p.ReadUnit, "ddb-read-$/Mrecipients")
	b.ReportMetric(sqsLine.Dollars, "sqs-$/Mrecipients")
	b.ReportMetric(lambda.Dollars, "lambda-$/Mrecipients")
	b.ReportMetric(api.Requests, "httpapi-req/recipient")
	b.ReportMetric(api.Dollars, "httpapi-$/Mrecipients")
	b.ReportMetric(bill.Total(awscost.OfTag(sandboxTag)).Dollars, "sandbox-$/Mrecipients")
	b.ReportMetric(bill.Total(awscost.OfTag(replyTag)).Dollars, "reply-lookup-$/Mreplies")
	b.ReportMetric(bill.Total(awscost.WithoutTags(sandboxTag, replyTag)).Dollars, "delivered-$/Mrecipients")
}
