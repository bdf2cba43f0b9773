package awscost

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
)

// Prices are list prices in dollars per million units, so that a quantity
// per recipient times its price is dollars per million recipients.
type Prices struct {
	// WriteUnit and ReadUnit price DynamoDB's on-demand write and read
	// request units.
	WriteUnit, ReadUnit float64
	// SQSRequest prices an SQS request (a batch of up to ten messages is
	// one request while its payload stays within 64 KB).
	SQSRequest float64
	// LambdaInvocation prices a function invocation, duration aside.
	LambdaInvocation float64
	// APIRequest prices a request to an API Gateway HTTP API (of up to
	// 512 KB; the first 300 million of a month).
	APIRequest float64
	// BusEvent prices an event put on an EventBridge bus (a custom event;
	// see BusEvents). PutEvents requests themselves cost nothing.
	BusEvent float64
}

// OnDemand are the on-demand list prices Parley's cost goal is set
// against.
var OnDemand = Prices{WriteUnit: 0.625, ReadUnit: 0.125, SQSRequest: 0.40, LambdaInvocation: 0.20, APIRequest: 1.00, BusEvent: 1.00}

// The operations under which a Bill lists the calls no SDK client of the
// flow makes: function invocations, and the HTTP API requests by which
// API calls and providers' webhooks reach Parley.
var (
	LambdaInvoke = Op{Service: "Lambda", Operation: "Invoke"}
	APIRequest   = Op{Service: "APIGateway", Operation: "Request"}
)

// Outside counts a phase's calls that no SDK client of the flow makes.
type Outside struct {
	// Invocations are function invocations (the authorizer's included).
	Invocations int
	// APIRequests are requests through the HTTP API.
	APIRequests int
}

// Source says which DynamoDB capacity a Bill prices.
type Source int

const (
	// Computed prices the capacity computed from item sizes.
	Computed Source = iota
	// Reported prices the capacity the service reported, computed for
	// the calls whose answers reported none.
	Reported
)

// String names the source.
func (s Source) String() string {
	if s == Reported {
		return "reported"
	}
	return "computed"
}

// Units is u's capacity as s counts it.
func (u Usage) Units(s Source) Capacity {
	if s == Reported {
		return u.Reported.Add(u.Unreported)
	}
	return u.Computed
}

// Billed is how many of u's requests count against recipients: all that
// were answered, but for SQS receives that found the queue empty.
func (u Usage) Billed() int { return u.Requests - u.Empty }

// ReceivedBatches is how many ReceiveMessage calls in usage returned
// messages: as many invocations as the SQS event source makes of the
// function it feeds.
func ReceivedBatches(usage map[Op]Usage) int {
	u := usage[Op{Service: awssqs.ServiceID, Operation: "ReceiveMessage"}]
	return u.Calls - u.Failed - u.Empty
}

// Line is one operation's share of a phase, per recipient.
type Line struct {
	Phase string
	Op    Op
	// Requests are the billed requests (for Lambda, the invocations).
	Requests float64
	// Idle are SQS receives that found the queue empty, left unpriced.
	Idle float64
	// Events are the events put on an EventBridge bus.
	Events float64
	// Units is the DynamoDB capacity priced, Reported what the service
	// reported (computed where it reported nothing).
	Units, Reported Capacity
	// Dollars is the line's cost per million recipients.
	Dollars float64
}

// Bill prices a run phase by phase, per recipient.
type Bill struct {
	Prices     Prices
	Source     Source
	Recipients int
	// Artifacts are tags of calls a production run would not make (the
	// sandbox gateway's recording, say); the table also totals without them.
	Artifacts []string
	Lines     []Line
}

// Add prices one phase: the usage a Counter saw during it and the calls
// from outside it took. Set Recipients first.
func (b *Bill) Add(phase string, usage map[Op]Usage, outside Outside) {
	per := 1 / float64(max(b.Recipients, 1))
	var lines []Line
	for op, u := range usage {
		l := Line{
			Phase: phase, Op: op, Requests: float64(u.Billed()) * per, Idle: float64(u.Empty) * per, Events: float64(u.Events) * per,
			Units: u.Units(b.Source).Scale(per), Reported: u.Units(Reported).Scale(per),
		}
		l.Dollars = b.Prices.dollars(l)
		lines = append(lines, l)
	}
	for op, n := range map[Op]int{LambdaInvoke: outside.Invocations, APIRequest: outside.APIRequests} {
		if n > 0 {
			l := Line{Phase: phase, Op: op, Requests: float64(n) * per}
			l.Dollars = b.Prices.dollars(l)
			lines = append(lines, l)
		}
	}
	slices.SortFunc(lines, func(x, y Line) int {
		return cmp.Or(cmp.Compare(y.Dollars, x.Dollars), cmp.Compare(x.Op.String(), y.Op.String()))
	})
	b.Lines = append(b.Lines, lines...)
}

// dollars is what l costs per million recipients.
func (p Prices) dollars(l Line) float64 {
	switch l.Op.Service {
	case dynamodb.ServiceID:
		return l.Units.Read*p.ReadUnit + l.Units.Write*p.WriteUnit
	case awssqs.ServiceID:
		return l.Requests * p.SQSRequest
	case LambdaInvoke.Service:
		return l.Requests * p.LambdaInvocation
	case APIRequest.Service:
		return l.Requests * p.APIRequest
	case eventbridge.ServiceID:
		return l.Events * p.BusEvent
	}
	return 0
}

// Total sums the lines keep accepts (all of them when keep is nil) into
// one line without phase or operation.
func (b *Bill) Total(keep func(Line) bool) Line {
	var t Line
	for _, l := range b.Lines {
		if keep != nil && !keep(l) {
			continue
		}
		t.Requests += l.Requests
		t.Idle += l.Idle
		t.Events += l.Events
		t.Units = t.Units.Add(l.Units)
		t.Reported = t.Reported.Add(l.Reported)
		t.Dollars += l.Dollars
	}
	return t
}

// OfService accepts the lines of the named service.
func OfService(service string) func(Line) bool {
	return func(l Line) bool { return l.Op.Service == service }
}

// OfPhase accepts the lines of the named phase.
func OfPhase(phase string) func(Line) bool {
	return func(l Line) bool { return l.Phase == phase }
}

// OfTag accepts the lines of calls made for tag (see Tag).
func OfTag(tag string) func(Line) bool {
	return func(l Line) bool { return l.Op.Tag == tag }
}

// WithoutTags accepts the lines of calls made for none of tags.
func WithoutTags(tags ...string) func(Line) bool {
	return func(l Line) bool { return !slices.Contains(tags, l.Op.Tag) }
}

// WriteTable writes the bill as a table: a row per phase and operation,
// then the total, the total without each artifact's lines and, when there
// are several, without all of them.
func (b *Bill) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "phase\toperation\trequests/recipient\tidle/recipient\tevents/recipient\tRCU/recipient\tWCU/recipient\treported R/W per recipient\t$/M recipients\t\n")
	row := func(phase, op string, l Line) {
		fmt.Fprintf(tw, "%s\t%s\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t%.3f/%.3f\t%.4f\t\n",
			phase, op, l.Requests, l.Idle, l.Events, l.Units.Read, l.Units.Write, l.Reported.Read, l.Reported.Write, l.Dollars)
	}
	for _, l := range b.Lines {
		row(l.Phase, l.Op.String(), l)
	}
	row("all", "total ("+b.Source.String()+" capacity)", b.Total(nil))
	for _, tag := range b.Artifacts {
		row("all", "total without ["+tag+"]", b.Total(WithoutTags(tag)))
	}
	if len(b.Artifacts) > 1 {
		row("all", "total without "+fmt.Sprint(b.Artifacts), b.Total(WithoutTags(b.Artifacts...)))
	}
	return tw.Flush()
}
