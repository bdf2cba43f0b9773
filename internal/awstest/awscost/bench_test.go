package awscost_test

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	awseb "github.com/aws/aws-sdk-go-v2/service/eventbridge"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/parleyhq/parley/internal/app"
	"github.com/parleyhq/parley/internal/awstest"
	"github.com/parleyhq/parley/internal/awstest/awscost"
	"github.com/parleyhq/parley/internal/campaign"
	"github.com/parleyhq/parley/internal/dispatch"
	"github.com/parleyhq/parley/internal/egress"
	"github.com/parleyhq/parley/internal/eventpush"
	"github.com/parleyhq/parley/internal/eventpush/eventbridge"
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
// drained by as many pollers as parley serve starts by default, then the
// table's stream folded as the lifecycle function folds it. moto_server
// answers about a hundred requests a second under this load, so 600
// recipients (some 6,000 requests to DELIVERED) take about a minute; the
// -campaigns flag runs more (go test ... -args -campaigns 60 for 6,000
// recipients), to show that the cost per recipient does not grow with them,
// and -timing prints how long moto_server took per phase and operation.
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

var (
	campaignsFlag = flag.Int("campaigns", 6, "campaigns of "+strconv.Itoa(perCampaign)+" recipients the cost benchmark runs")
	timingFlag    = flag.Bool("timing", false, "print how long moto_server took per phase and operation")
	busFlag       = flag.Bool("bus", false, "put the lifecycle events on an EventBridge bus, as a stack with EventBusEvents true does")
)

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

// The phases of a run, in order.
const (
	phaseIntake   = "intake"
	phaseDispatch = "dispatch"
	phaseReceipt  = "receipt"
	phaseFold     = "fold"
	phaseReply    = "reply"
)

var phases = []string{phaseIntake, phaseDispatch, phaseReceipt, phaseFold, phaseReply}

// flow is Parley's AWS backend wired as app.New wires it, on clients that
// report to counter, beside an uncounted store for checking the outcome
// and an uncounted reader of the table's stream.
type flow struct {
	campaigns  int
	recipients int
	counter    *awscost.Counter
	timer      *timer
	service    *campaign.Service
	dispatcher *dispatch.Dispatcher
	// delivery is the webhook function's receipt service, on a store of
	// its own for each receipt: a process that has read nothing of the
	// campaign before, as a Lambda instance started for it has not.
	delivery  func() *receipts.Service
	routing   store.OutboundContexts
	queue     *sqs.Queue
	lifecycle *app.App
	stream    *dynamo.StreamReader
	source    lifecycleSource
	// pending are the stream's records the event source passes that were
	// not folded yet, and batches how many batches were.
	pending  []events.DynamoDBEventRecord
	batches  int
	check    *dynamo.Table
	recorded *recorder
}

// recorder is the sandbox's store: it tags the sandbox's writes and closes
// done once want messages were recorded.
type recorder struct {
	store.Outbox
	want int64
	n    atomic.Int64
	done chan struct{}
}

func (r *recorder) RecordSandbox(ctx context.Context, m parley.SentMessage) error {
	err := r.Outbox.RecordSandbox(awscost.Tag(ctx, sandboxTag), m)
	if err == nil && r.n.Add(1) == r.want {
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

// newFlow wires a flow of campaigns campaigns on a fresh table, queue and
// event bus.
func newFlow(tb testing.TB, campaigns int) *flow {
	tb.Helper()
	ctx := tb.Context()
	table := awstest.Name(tb)
	counter := &awscost.Counter{Indexes: awscost.IndexesOf(dynamo.CreateTableInput(table))}
	t := &timer{}
	cfg := awstest.Config(tb)
	counter.Attach(&cfg)
	t.attach(&cfg)
	db, sq, eb := dynamodb.NewFromConfig(cfg), awssqs.NewFromConfig(cfg), awseb.NewFromConfig(cfg)
	if err := dynamo.EnsureTable(ctx, db, table); err != nil {
		tb.Fatal(err)
	}
	url, dlq, err := sqs.EnsureQueue(ctx, sq, table, visibility, app.MaxReceiveCount)
	if err != nil {
		tb.Fatal(err)
	}
	eventsURL, eventsDLQ, err := sqs.EnsureQueue(ctx, sq, app.EventsQueueName(table), visibility, app.MaxReceiveCount)
	if err != nil {
		tb.Fatal(err)
	}
	// The stack puts lifecycle events on its bus only with EventBusEvents
	// true (-bus).
	var bus eventpush.Bus
	if *busFlag {
		name, err := eventbridge.EnsureBus(ctx, eb, table)
		if err != nil {
			tb.Fatal(err)
		}
		bus = eventbridge.New(eb, name)
	}
	// The event source's reads of the stream cost nothing on AWS: they go
	// through a client the counter does not see.
	streamCfg := awstest.Config(tb)
	t.attach(&streamCfg)
	stream := dynamo.NewStreamReader(streamCfg, table, true)
	counter.Reset()
	t.take()
	store, q, log := dynamo.New(db, table), sqs.New(sq, url, dlq), obs.Discard()
	rec := &recorder{Outbox: store, want: int64(campaigns * perCampaign), done: make(chan struct{})}
	optouts := &optout.Service{Store: store, Accounts: &acct.Service{Store: store, Clock: noon}, Clock: noon}
	replies := &conversation.Service{Store: store, Events: store, Connector: agentpush.New(store, egress.Policy{}.Client(agentpush.DefaultTimeout), noon, log), Clock: noon, Log: log}
	return &flow{
		campaigns:  campaigns,
		recipients: campaigns * perCampaign,
		counter:    counter,
		timer:      t,
		service:    &campaign.Service{Store: store, Queue: q, Clock: noon, Log: log, OptOuts: optouts},
		dispatcher: &dispatch.Dispatcher{
			Store: store, Queue: q, Clock: noon, Log: log, Sender: &sandbox.Gateway{Recorder: rec, Clock: noon}, Epoch: "cost-model",
			Limiter: limiter{ratelimit.NewAdaptive(rldynamo.New(db, table, noon), noon)},
			Consent: optouts, Conversations: replies,
			Limit: ratelimit.Limit{Rate: 1e6, Burst: 1000}, StateTTL: dispatch.DefaultStateTTL,
		},
		delivery:  func() *receipts.Service { return &receipts.Service{Store: dynamo.New(db, table), Clock: noon} },
		routing:   store,
		queue:     q,
		lifecycle: &app.App{Store: store, EventSink: eventpush.NewSink(store, sqs.New(sq, eventsURL, eventsDLQ), bus, noon, log)},
		stream:    stream,
		source:    loadLifecycleSource(tb),
		check:     dynamo.New(dynamodb.NewFromConfig(awstest.Config(tb)), table),
		recorded:  rec,
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
func (f *flow) intake(tb testing.TB) []string {
	var ids []string
	for i := range f.campaigns {
		a, err := f.service.Create(tb.Context(), account, draft(i))
		if err != nil || len(a.Accepted) != perCampaign {
			tb.Fatalf("campaign %d: %d accepted, %v", i, len(a.Accepted), err)
		}
		ids = append(ids, a.Campaign.ID)
	}
	return ids
}

// dispatch drains the queue the way the SQS event source feeds the
// dispatcher, until every recipient was recorded by the sandbox; batches in
// hand then are finished and their jobs deleted.
func (f *flow) dispatch(tb testing.TB) {
	ctx, cancel := context.WithCancel(tb.Context())
	stopped := make(chan struct{})
	go func() { f.dispatcher.Run(ctx, f.queue, workers); close(stopped) }()
	limit := time.Duration(f.campaigns) * drainPerCampaign
	select {
	case <-f.recorded.done:
	case <-time.After(limit):
		cancel()
		<-stopped
		tb.Fatalf("only %d of %d recipients sent within %s", f.recorded.n.Load(), f.recipients, limit)
	}
	cancel()
	<-stopped
}

// verify checks, without counting, that every recipient of ids is in
// status, and returns them.
func (f *flow) verify(tb testing.TB, ids []string, status parley.RecipientStatus) []parley.Recipient {
	var all []parley.Recipient
	for _, id := range ids {
		rs, err := f.check.Recipients(tb.Context(), account, id, 0, perCampaign)
		if err != nil {
			tb.Fatal(err)
		}
		for _, r := range rs {
			if r.Status != status {
				tb.Fatalf("campaign %s recipient %s is %s, want %s", id, r.ID, r.Status, status)
			}
		}
		if len(rs) != perCampaign {
			tb.Fatalf("campaign %s has %d recipients", id, len(rs))
		}
		all = append(all, rs...)
	}
	return all
}

// deliver applies one delivery receipt per sent recipient, workers at
// once, as the webhook function does (one invocation each, in a process
// that read nothing before).
func (f *flow) deliver(tb testing.TB, rs []parley.Recipient) {
	err := run.Each(tb.Context(), workers, rs, func(ctx context.Context, r parley.Recipient) error {
		res, err := f.delivery().Apply(ctx, receipts.Update{
			AccountID: r.AccountID, CampaignID: r.CampaignID, RecipientID: r.ID, Provider: "sandbox",
			ProviderMessageID: r.ProviderMessageID, Status: parley.StatusDelivered,
		})
		if err == nil && !res.Applied {
			err = fmt.Errorf("receipt of %s not applied: %+v", r.ID, res)
		}
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// fold hands the table's stream to the lifecycle function as its event
// source does (see lifecycleSource): the records the filter passes, in
// stream order, batches of the batch size, one invocation each, one at a
// time (one shard). The records short of a batch wait for the next fold,
// as under steady traffic they would wait for more; with last set they
// are folded too, and so are the records the fold's own writes add, until
// the stream has no more.
func (f *flow) fold(tb testing.TB, last bool) {
	ctx := tb.Context()
	for {
		recs, err := f.stream.Records(ctx)
		if err != nil {
			tb.Fatal(err)
		}
		for _, r := range recs {
			if f.source.passes(r) {
				f.pending = append(f.pending, r)
			}
		}
		folded := false
		for len(f.pending) >= f.source.batchSize || last && len(f.pending) > 0 {
			n := min(f.source.batchSize, len(f.pending))
			if err := f.lifecycle.FoldStream(ctx, f.pending[:n]); err != nil {
				tb.Fatal(err)
			}
			f.pending, f.batches, folded = f.pending[n:], f.batches+1, true
		}
		if !last || len(recs) == 0 && !folded {
			return
		}
	}
}

// checkFolded checks, without counting, that the counters hold every
// recipient's delivery once.
func (f *flow) checkFolded(tb testing.TB) {
	at := noon.Now()
	rows, err := f.check.CountRows(tb.Context(), parley.CountQuery{AccountID: account, From: at.Add(-time.Hour), To: at.Add(time.Hour)})
	if err != nil {
		tb.Fatal(err)
	}
	var delivered int64
	for _, r := range rows {
		delivered += r.Counts[parley.StepDelivered]
	}
	if delivered != int64(f.recipients) {
		tb.Fatalf("the counters hold %d deliveries of %d recipients", delivered, f.recipients)
	}
}

// reply looks up, for each recipient, the outbound contexts a reply of its
// consumer is routed by, as the inbound function does, and checks that
// the newest is the recipient's.
func (f *flow) reply(tb testing.TB, rs []parley.Recipient) {
	err := run.Each(tb.Context(), workers, rs, func(ctx context.Context, r parley.Recipient) error {
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
		tb.Fatal(err)
	}
}

// measurement is what runs of the flow asked of AWS, per phase, with the
// calls from outside the SDK each phase took, and how long moto_server
// took.
type measurement struct {
	recipients, campaigns int
	usage                 map[string]map[awscost.Op]awscost.Usage
	outside               map[string]awscost.Outside
	took                  map[string]time.Duration
	spent                 map[string]map[string]timing
}

// measure runs the flow once with campaigns campaigns: intake, dispatch,
// the fold of what they wrote, one delivery receipt per recipient, the
// fold of the rest, then the reply lookups. Each phase's usage is counted
// apart; checking the outcome between phases is not counted.
func measure(tb testing.TB, campaigns int) *measurement {
	f := newFlow(tb, campaigns)
	m := &measurement{
		recipients: f.recipients, campaigns: campaigns, usage: map[string]map[awscost.Op]awscost.Usage{},
		outside: map[string]awscost.Outside{}, took: map[string]time.Duration{}, spent: map[string]map[string]timing{},
	}
	phase := func(name string, do func()) {
		start := time.Now()
		do()
		m.took[name] += time.Since(start)
		if m.usage[name] == nil {
			m.usage[name] = map[awscost.Op]awscost.Usage{}
		}
		add(m.usage[name], f.counter.Usage())
		f.counter.Reset()
		if m.spent[name] == nil {
			m.spent[name] = map[string]timing{}
		}
		for op, s := range f.timer.take() {
			m.spent[name][op] = m.spent[name][op].add(s)
		}
	}
	var ids []string
	var rs []parley.Recipient
	phase(phaseIntake, func() { ids = f.intake(tb) })
	phase(phaseDispatch, func() { f.dispatch(tb) })
	phase(phaseFold, func() { f.fold(tb, false) })
	rs = f.verify(tb, ids, parley.StatusSent)
	f.counter.Reset()
	phase(phaseReceipt, func() { f.deliver(tb, rs) })
	phase(phaseFold, func() { f.fold(tb, true) })
	f.verify(tb, ids, parley.StatusDelivered)
	f.checkFolded(tb)
	f.counter.Reset()
	phase(phaseReply, func() { f.reply(tb, rs) })
	m.outside[phaseIntake] = awscost.Outside{Invocations: 2 * campaigns, APIRequests: campaigns}
	m.outside[phaseDispatch] = awscost.Outside{Invocations: awscost.ReceivedBatches(m.usage[phaseDispatch])}
	m.outside[phaseReceipt] = awscost.Outside{Invocations: f.recipients}
	m.outside[phaseFold] = awscost.Outside{Invocations: f.batches}
	return m
}

// add adds usage to total.
func add(total, usage map[awscost.Op]awscost.Usage) {
	for op, u := range usage {
		total[op] = total[op].Add(u)
	}
}

// bill prices the measurement at on-demand prices, per recipient.
func (m *measurement) bill() *awscost.Bill {
	b := &awscost.Bill{Prices: awscost.OnDemand, Source: awscost.Computed, Recipients: m.recipients, Artifacts: []string{sandboxTag, replyTag}}
	for _, p := range phases {
		b.Add(p, m.usage[p], m.outside[p])
	}
	return b
}

// delivered is what the bill counts from intake to DELIVERED, in dollars
// per million recipients: everything but the sandbox's recording and the
// reply lookups.
func delivered(b *awscost.Bill) float64 {
	return b.Total(awscost.WithoutTags(sandboxTag, replyTag)).Dollars
}

// write prints the measurement's bill, and with -timing how long
// moto_server took.
func (m *measurement) write(tb testing.TB, w io.Writer) {
	var took []string
	for _, p := range phases {
		took = append(took, p+" "+m.took[p].Round(time.Millisecond).String())
	}
	fmt.Fprintf(w, "cost per recipient over %d recipients (%d campaigns) at on-demand prices (on moto_server: %s):\n",
		m.recipients, m.campaigns, strings.Join(took, ", "))
	if err := m.bill().WriteTable(w); err != nil {
		tb.Fatal(err)
	}
	if *timingFlag {
		fmt.Fprintln(w, "time moto_server took, by phase and operation (the stream's reads in the fold included):")
		if err := writeTimings(w, phases, m.spent); err != nil {
			tb.Fatal(err)
		}
	}
}

// BenchmarkCostPerRecipient runs intake, dispatch and one delivery receipt
// each of 600 recipients (see -campaigns) on moto_server, with the fold of
// the table's stream those phases wrote, counts the AWS requests, DynamoDB
// capacity and EventBridge events per recipient from intake to the recorded DELIVERED
// status, and prices them at on-demand rates. Each intake call is an HTTP
// API request and two invocations (the authorizer, which caches nothing,
// and the api function); each receipt is an invocation of the webhooks
// function, at its own URL, which has no per-request price (through the
// HTTP API a receipt would add an API request, $1.00 per million, more
// than its write); the dispatcher is invoked once per
// batch the SQS event source hands it. The fold is the lifecycle function
// fed by the table's stream as template.yaml's event source feeds it (its
// filter, its batch size, an invocation a batch): its reads of counters and
// batch marks, its transactions (each write at twice the units), the
// subscriptions read and the events put on the bus, per batch. The event
// source's stream reads are free on AWS and not counted; the run has no
// event subscriptions, so no event deliveries are queued. The lookup a reply's
// routing costs is listed too, per recipient as if each replied once,
// outside the total. Capacity is computed from item
// sizes: moto's ConsumedCapacity figures are placeholders (see the package
// documentation); the table, printed once, shows them beside the computed
// ones, and the rate limiter's and the sandbox gateway's calls on lines of
// their own.
func BenchmarkCostPerRecipient(b *testing.B) {
	var m *measurement
	for b.Loop() {
		m = measure(b, max(*campaignsFlag, 1))
	}
	bill := m.bill()
	report(b, bill)
	m.write(b, os.Stdout)
}

// report states the bill as benchmark metrics.
func report(b *testing.B, bill *awscost.Bill) {
	ddb := bill.Total(awscost.OfService(dynamodb.ServiceID))
	sqsLine := bill.Total(awscost.OfService(awssqs.ServiceID))
	lambda := bill.Total(awscost.OfService(awscost.LambdaInvoke.Service))
	api := bill.Total(awscost.OfService(awscost.APIRequest.Service))
	bus := bill.Total(awscost.OfService(awseb.ServiceID))
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
	b.ReportMetric(bus.Events, "bus-events/recipient")
	b.ReportMetric(bus.Dollars, "eventbridge-$/Mrecipients")
	b.ReportMetric(bill.Total(awscost.OfPhase(phaseFold)).Dollars, "fold-$/Mrecipients")
	b.ReportMetric(bill.Total(awscost.OfTag(sandboxTag)).Dollars, "sandbox-$/Mrecipients")
	b.ReportMetric(bill.Total(awscost.OfTag(replyTag)).Dollars, "reply-lookup-$/Mreplies")
	b.ReportMetric(delivered(bill), "delivered-$/Mrecipients")
}
