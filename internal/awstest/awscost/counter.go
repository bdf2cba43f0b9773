// Package awscost measures what Parley's flows ask of AWS and prices it.
//
// A Counter is an AWS SDK middleware. Attached to an aws.Config, it counts
// the requests each service answers, per operation (a retried attempt is a
// request of its own, as AWS bills it), and for DynamoDB it keeps two
// figures of capacity side by side:
//
//   - reported: the ConsumedCapacity the service returns. The counter asks
//     for it (ReturnConsumedCapacity TOTAL, which includes the table's
//     indexes) on every GetItem, PutItem, UpdateItem, Query, BatchWriteItem
//     and TransactWriteItems, without touching the caller's input.
//   - computed: the units DynamoDB's developer guide says the request costs,
//     from the sizes of the items it carried or got back (see ItemSize,
//     WriteUnits and ReadUnits). A failed condition still costs the larger
//     of the stored and the new item; an item written into a global
//     secondary index costs its size again.
//
// Against AWS the reported figure is the bill. Emulators do not account:
// moto answers fixed placeholders (0.5 for any GetItem or UpdateItem, 1 for
// any PutItem, Query or whole BatchWriteItem, nothing for
// TransactWriteItems or failed writes), so against moto only the computed
// figure means anything. The computation cannot see what an answer does
// not show: the item an UpdateItem replaced (it sizes the item after the
// update when ReturnValues is ALL_NEW, and takes one unit otherwise), the
// item a PutItem overwrote, or items a filter expression dropped. It takes
// an update whose REMOVE clause names an index key to take the item out of
// that index (one index write), and counts one index write where an update
// moves an item already in an index to a new index key (DynamoDB writes
// twice). On the paths measured here these assumptions hold exactly:
// Parley's adapters ask for ALL_NEW and use no filters, intake overwrites
// nothing, a claim puts a recipient into the due index from outside it and
// the recorded outcome takes it out again. A cancelled transaction is
// counted as a request with no units.
//
// Calls made with a context from Tag are kept apart under the tag, so that
// a run can tell, say, what the sandbox gateway's recording costs from what
// the product's own writes cost.
//
// A Bill prices a run's usage, phase by phase, in dollars per million
// recipients at Prices (OnDemand: the list prices Parley's cost goal is set
// against). Function invocations and HTTP API requests are not SDK calls
// of the flow, so the caller counts them (Outside): a request and its
// functions' invocations per API call or provider webhook, and an
// invocation per batch the SQS event source hands a function
// (ReceivedBatches) or the table's stream hands the lifecycle function.
// EventBridge is priced per event put (Usage.Events), not per request. A
// Lambda event source's reads of a table's stream cost nothing on AWS and
// are left to an uncounted client. The model leaves out what does not
// scale with these requests or cannot be seen from the SDK: Lambda duration (GB-seconds),
// API Gateway's data transfer, CloudWatch Logs ingestion
// and storage, X-Ray traces, data transfer, DynamoDB storage and backups,
// the window check's scheduled invocations, and the SQS event source's
// polling of an idle queue (empty receives are counted, but not charged to
// recipients).
package awscost

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Op names an API operation: Service is the SDK's service id ("DynamoDB",
// "SQS"), Operation the API action ("PutItem"), and Tag what the calls were
// made for, when the caller said so with Tag.
type Op struct {
	Service, Operation, Tag string
}

// String is "Service.Operation", followed by " [tag]" when tagged.
func (o Op) String() string {
	s := o.Service + "." + o.Operation
	if o.Tag != "" {
		s += " [" + o.Tag + "]"
	}
	return s
}

type tagKey struct{}

// Tag returns ctx marking the AWS calls made with it as made for tag: a
// Counter keeps their usage apart, under an Op with that Tag.
func Tag(ctx context.Context, tag string) context.Context {
	return context.WithValue(ctx, tagKey{}, tag)
}

// Usage is what a Counter saw of one operation.
type Usage struct {
	// Calls is how many SDK calls of the operation finished, Failed how
	// many of them with an error.
	Calls, Failed int
	// Requests is how many attempts the service answered.
	Requests int
	// Empty is how many ReceiveMessage calls answered without a message.
	Empty int
	// Events is how many events EventBridge PutEvents calls put, as
	// EventBridge bills them (see BusEvents); entries it failed are none.
	Events int
	// Reported is the capacity the answers reported, and Unreported the
	// capacity computed for the calls whose answers reported none.
	Reported, Unreported Capacity
	// Computed is the capacity computed for every call.
	Computed Capacity
}

// Add returns the usage of u and v together.
func (u Usage) Add(v Usage) Usage {
	return Usage{
		Calls: u.Calls + v.Calls, Failed: u.Failed + v.Failed, Requests: u.Requests + v.Requests, Empty: u.Empty + v.Empty, Events: u.Events + v.Events,
		Reported: u.Reported.Add(v.Reported), Unreported: u.Unreported.Add(v.Unreported), Computed: u.Computed.Add(v.Computed),
	}
}

// Index is a global secondary index: an item written to Table that carries
// every attribute of Keys is written to the index as well. The counter
// takes the index's copy to be as large as the item, which is exact for an
// ALL projection and an upper bound otherwise.
type Index struct {
	Table, Name string
	Keys        []string
}

// holds reports whether item carries the index's keys.
func (ix Index) holds(item map[string]types.AttributeValue) bool {
	return len(item) > 0 && !slices.ContainsFunc(ix.Keys, func(k string) bool { _, ok := item[k]; return !ok })
}

// keyedBy reports whether one of attrs is a key of the index.
func (ix Index) keyedBy(attrs []string) bool {
	return slices.ContainsFunc(attrs, func(a string) bool { return slices.Contains(ix.Keys, a) })
}

// IndexesOf returns the global secondary indexes a CreateTable request
// declares.
func IndexesOf(in *dynamodb.CreateTableInput) []Index {
	out := make([]Index, 0, len(in.GlobalSecondaryIndexes))
	for _, gsi := range in.GlobalSecondaryIndexes {
		ix := Index{Table: aws.ToString(in.TableName), Name: aws.ToString(gsi.IndexName)}
		for _, k := range gsi.KeySchema {
			ix.Keys = append(ix.Keys, aws.ToString(k.AttributeName))
		}
		out = append(out, ix)
	}
	return out
}

// Counter counts AWS requests and DynamoDB capacity per operation. Set
// Indexes before attaching it; its methods are safe for concurrent use.
type Counter struct {
	// Indexes are the global secondary indexes of the tables written to.
	Indexes []Index

	mu    sync.Mutex
	usage map[Op]Usage
}

// Attach adds the counter to cfg's API options, so that every client made
// from cfg afterwards reports to it. Attach it once per config.
func (c *Counter) Attach(cfg *aws.Config) {
	cfg.APIOptions = append(cfg.APIOptions, c.register)
}

func (c *Counter) register(stack *middleware.Stack) error {
	err := stack.Initialize.Add(middleware.InitializeMiddlewareFunc("awscost.Capacity", c.initialize), middleware.Before)
	if err != nil {
		return err
	}
	return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("awscost.Requests", c.deserialize), middleware.Before)
}

// Usage returns what the counter saw, per operation.
func (c *Counter) Usage() map[Op]Usage {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[Op]Usage, len(c.usage))
	for op, u := range c.usage {
		out[op] = u
	}
	return out
}

// Reset forgets everything the counter saw.
func (c *Counter) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.usage = nil
}

// add adds u to op's usage.
func (c *Counter) add(ctx context.Context, u Usage) {
	tag, _ := ctx.Value(tagKey{}).(string)
	op := Op{Service: awsmiddleware.GetServiceID(ctx), Operation: awsmiddleware.GetOperationName(ctx), Tag: tag}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.usage == nil {
		c.usage = map[Op]Usage{}
	}
	c.usage[op] = c.usage[op].Add(u)
}

// deserialize runs once per attempt and counts the attempts that got an
// HTTP answer. (An attempt that got none carries an empty response.)
func (c *Counter) deserialize(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
	out, md, err := next.HandleDeserialize(ctx, in)
	if resp, ok := out.RawResponse.(*smithyhttp.Response); ok && resp != nil && resp.Response != nil && resp.StatusCode != 0 {
		c.add(ctx, Usage{Requests: 1})
	}
	return out, md, err
}

// initialize runs once per call: it asks DynamoDB for the consumed capacity
// and tallies the call's outcome.
func (c *Counter) initialize(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	in.Parameters = withConsumedCapacity(in.Parameters)
	out, md, err := next.HandleInitialize(ctx, in)
	u := Usage{Calls: 1}
	if err != nil {
		u.Failed = 1
	}
	if r, ok := out.Result.(*awssqs.ReceiveMessageOutput); ok && err == nil && r != nil && len(r.Messages) == 0 {
		u.Empty = 1
	}
	if p, ok := in.Parameters.(*eventbridge.PutEventsInput); ok && err == nil {
		u.Events = putEvents(p, out.Result)
	}
	m := c.measure(in.Parameters, out.Result, err)
	u.Computed = m.computed
	if m.reported {
		u.Reported = m.report
	} else {
		u.Unreported = m.computed
	}
	c.add(ctx, u)
	return out, md, err
}

// putEvents is how many events a PutEvents call that answered out put:
// those of the entries the answer does not fail.
func putEvents(in *eventbridge.PutEventsInput, out any) int {
	o, _ := out.(*eventbridge.PutEventsOutput)
	n := 0
	for i, e := range in.Entries {
		if o != nil && i < len(o.Entries) && o.Entries[i].ErrorCode != nil {
			continue
		}
		n += BusEvents(e)
	}
	return n
}

// withConsumedCapacity returns a copy of a DynamoDB input that asks for
// the consumed capacity in total, unless it asks for it already; other
// inputs are returned as they are. The caller's input is never changed.
func withConsumedCapacity(params any) any {
	switch p := params.(type) {
	case *dynamodb.GetItemInput:
		return askTotal(p, func(in *dynamodb.GetItemInput) *types.ReturnConsumedCapacity { return &in.ReturnConsumedCapacity })
	case *dynamodb.PutItemInput:
		return askTotal(p, func(in *dynamodb.PutItemInput) *types.ReturnConsumedCapacity { return &in.ReturnConsumedCapacity })
	case *dynamodb.UpdateItemInput:
		return askTotal(p, func(in *dynamodb.UpdateItemInput) *types.ReturnConsumedCapacity { return &in.ReturnConsumedCapacity })
	case *dynamodb.QueryInput:
		return askTotal(p, func(in *dynamodb.QueryInput) *types.ReturnConsumedCapacity { return &in.ReturnConsumedCapacity })
	case *dynamodb.BatchWriteItemInput:
		return askTotal(p, func(in *dynamodb.BatchWriteItemInput) *types.ReturnConsumedCapacity {
			return &in.ReturnConsumedCapacity
		})
	case *dynamodb.TransactWriteItemsInput:
		return askTotal(p, func(in *dynamodb.TransactWriteItemsInput) *types.ReturnConsumedCapacity {
			return &in.ReturnConsumedCapacity
		})
	}
	return params
}

// askTotal returns p, or when p asks for no capacity report a copy of it
// that asks for the total.
func askTotal[T any](p *T, field func(*T) *types.ReturnConsumedCapacity) *T {
	if f := *field(p); f != "" && f != types.ReturnConsumedCapacityNone {
		return p
	}
	cp := *p
	*field(&cp) = types.ReturnConsumedCapacityTotal
	return &cp
}

// measurement is one call's capacity: computed, and reported if the answer
// carried a report.
type measurement struct {
	computed, report Capacity
	reported         bool
}

// kind says which capacity a plain CapacityUnits figure is.
type kind int

const (
	reads kind = iota
	writes
)

// measure computes a DynamoDB call's capacity and reads the answer's
// report. Calls of other services measure nothing.
func (c *Counter) measure(in, out any, err error) measurement {
	if err != nil {
		return measurement{computed: Capacity{Write: failedWrite(in, err)}}
	}
	switch in := in.(type) {
	case *dynamodb.GetItemInput:
		if o, ok := out.(*dynamodb.GetItemOutput); ok {
			units := ReadUnits(ItemSize(o.Item), aws.ToBool(in.ConsistentRead))
			return one(o.ConsumedCapacity, reads, Capacity{Read: units})
		}
	case *dynamodb.QueryInput:
		if o, ok := out.(*dynamodb.QueryOutput); ok {
			consistent := aws.ToBool(in.ConsistentRead) && in.IndexName == nil
			units := ReadUnits(sum(o.Items, ItemSize), consistent)
			return one(o.ConsumedCapacity, reads, Capacity{Read: units})
		}
	case *dynamodb.PutItemInput:
		if o, ok := out.(*dynamodb.PutItemOutput); ok {
			return one(o.ConsumedCapacity, writes, Capacity{Write: c.putUnits(aws.ToString(in.TableName), in.Item)})
		}
	case *dynamodb.UpdateItemInput:
		if o, ok := out.(*dynamodb.UpdateItemOutput); ok {
			return one(o.ConsumedCapacity, writes, Capacity{Write: c.updateUnits(in, o.Attributes)})
		}
	case *dynamodb.BatchWriteItemInput:
		if o, ok := out.(*dynamodb.BatchWriteItemOutput); ok {
			units := c.batchUnits(in.RequestItems) - c.batchUnits(o.UnprocessedItems)
			return many(o.ConsumedCapacity, writes, Capacity{Write: units})
		}
	case *dynamodb.TransactWriteItemsInput:
		if o, ok := out.(*dynamodb.TransactWriteItemsOutput); ok {
			return many(o.ConsumedCapacity, writes, Capacity{Write: c.transactUnits(in.TransactItems)})
		}
	}
	return measurement{}
}

// one is many for an answer that reports at most one ConsumedCapacity.
func one(cc *types.ConsumedCapacity, k kind, computed Capacity) measurement {
	if cc == nil {
		return many(nil, k, computed)
	}
	return many([]types.ConsumedCapacity{*cc}, k, computed)
}

// many sums the reports ccs. A report that does not split its units into
// reads and writes counts them as k.
func many(ccs []types.ConsumedCapacity, k kind, computed Capacity) measurement {
	m := measurement{computed: computed, reported: len(ccs) > 0}
	for _, cc := range ccs {
		r, w := aws.ToFloat64(cc.ReadCapacityUnits), aws.ToFloat64(cc.WriteCapacityUnits)
		if cc.ReadCapacityUnits == nil && cc.WriteCapacityUnits == nil {
			if k == reads {
				r = aws.ToFloat64(cc.CapacityUnits)
			} else {
				w = aws.ToFloat64(cc.CapacityUnits)
			}
		}
		m.report = m.report.Add(Capacity{Read: r, Write: w})
	}
	return m
}

// failedWrite is what a write that failed with err cost: a failed condition
// costs the larger of the stored item (when the error returned it) and the
// item the request wrote; other failures cost nothing.
func failedWrite(in any, err error) float64 {
	var failed *types.ConditionalCheckFailedException
	if !errors.As(err, &failed) {
		return 0
	}
	size := ItemSize(failed.Item)
	if put, ok := in.(*dynamodb.PutItemInput); ok {
		size = max(size, ItemSize(put.Item))
	}
	return WriteUnits(size)
}

// putUnits is what writing item to table costs, with its index copies.
func (c *Counter) putUnits(table string, item map[string]types.AttributeValue) float64 {
	return c.writeUnits(table, item, nil)
}

// writeUnits is what leaving item in table costs: the item, its copy in
// each index that holds it, and the removal of its copy from each index
// keyed by one of the attributes the write removed.
func (c *Counter) writeUnits(table string, item map[string]types.AttributeValue, removed []string) float64 {
	size := ItemSize(item)
	units := WriteUnits(size)
	for _, ix := range c.Indexes {
		if ix.Table == table && (ix.holds(item) || ix.keyedBy(removed)) {
			units += WriteUnits(size)
		}
	}
	return units
}

// updateUnits is what an UpdateItem cost, given the attributes it
// returned: the item after the update when it asked for ALL_NEW (with the
// index writes it implies), the item before it for ALL_OLD; otherwise the
// size is unknown and it costs one unit.
func (c *Counter) updateUnits(in *dynamodb.UpdateItemInput, returned map[string]types.AttributeValue) float64 {
	switch in.ReturnValues {
	case types.ReturnValueAllNew:
		return c.writeUnits(aws.ToString(in.TableName), returned, removedAttributes(aws.ToString(in.UpdateExpression), in.ExpressionAttributeNames))
	case types.ReturnValueAllOld:
		return WriteUnits(ItemSize(returned))
	}
	return WriteUnits(0)
}

// batchUnits is what the write requests reqs cost; a delete, whose item
// the request does not show, costs one unit.
func (c *Counter) batchUnits(reqs map[string][]types.WriteRequest) float64 {
	units := 0.0
	for table, rs := range reqs {
		for _, r := range rs {
			if r.PutRequest != nil {
				units += c.putUnits(table, r.PutRequest.Item)
			} else {
				units += WriteUnits(0)
			}
		}
	}
	return units
}

// transactUnits is what a transaction's writes cost; actions other than
// puts, whose items the request does not show, cost one unit each.
func (c *Counter) transactUnits(items []types.TransactWriteItem) float64 {
	units := 0.0
	for _, it := range items {
		if it.Put != nil {
			units += TransactionalFactor * c.putUnits(aws.ToString(it.Put.TableName), it.Put.Item)
		} else {
			units += TransactionalFactor * WriteUnits(0)
		}
	}
	return units
}

// removedAttributes returns the top-level attributes that the REMOVE clause
// of the update expression expr names, with placeholders resolved through
// names. Clause keywords are reserved words, so no attribute is spelt like
// one unless through a placeholder.
func removedAttributes(expr string, names map[string]string) []string {
	var out []string
	removing := false
	for _, tok := range strings.FieldsFunc(expr, func(r rune) bool { return unicode.IsSpace(r) || r == ',' }) {
		switch strings.ToUpper(tok) {
		case "SET", "ADD", "DELETE":
			removing = false
			continue
		case "REMOVE":
			removing = true
			continue
		}
		if !removing {
			continue
		}
		name, _, _ := strings.Cut(tok, ".")
		name, _, _ = strings.Cut(name, "[")
		if full, ok := names[name]; ok {
			name = full
		}
		out = append(out, name)
	}
	return out
}
