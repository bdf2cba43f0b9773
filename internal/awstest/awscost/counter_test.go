package awscost

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	awseb "github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/parleyhq/parley/internal/awstest"
	"github.com/parleyhq/parley/internal/eventpush/eventbridge"
	"github.com/parleyhq/parley/internal/queue/sqs"
	"github.com/parleyhq/parley/internal/store/dynamo"
)

// fixture is a table on moto_server, a plain client to prepare it and a
// client reporting to counter.
type fixture struct {
	table   string
	plain   *dynamodb.Client
	counted *dynamodb.Client
	counter *Counter
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{table: awstest.Name(t), plain: dynamodb.NewFromConfig(awstest.Config(t))}
	if err := dynamo.EnsureTable(t.Context(), f.plain, f.table); err != nil {
		t.Fatal(err)
	}
	f.counter = &Counter{Indexes: IndexesOf(dynamo.CreateTableInput(f.table))}
	cfg := awstest.Config(t)
	f.counter.Attach(&cfg)
	f.counted = dynamodb.NewFromConfig(cfg)
	return f
}

// item is an item of key pk/sk whose size is exactly size bytes (at least
// the key's), with extra attributes.
func item(pk, sk string, size int, extra ...string) map[string]types.AttributeValue {
	it := map[string]types.AttributeValue{
		dynamo.AttrPK: &types.AttributeValueMemberS{Value: pk},
		dynamo.AttrSK: &types.AttributeValueMemberS{Value: sk},
	}
	for i := 0; i+1 < len(extra); i += 2 {
		it[extra[i]] = &types.AttributeValueMemberS{Value: extra[i+1]}
	}
	if pad := size - ItemSize(it) - len("pad"); pad >= 0 {
		it["pad"] = &types.AttributeValueMemberS{Value: strings.Repeat("x", pad)}
	}
	return it
}

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		dynamo.AttrPK: &types.AttributeValueMemberS{Value: pk},
		dynamo.AttrSK: &types.AttributeValueMemberS{Value: sk},
	}
}

func (f *fixture) put(t *testing.T, it map[string]types.AttributeValue) {
	t.Helper()
	if _, err := f.plain.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: &f.table, Item: it}); err != nil {
		t.Fatal(err)
	}
}

// TestCapacity runs each DynamoDB operation the adapters use against moto
// and checks the units computed for it, and that an answer's report (or
// its absence) lands where it should.
func TestCapacity(t *testing.T) {
	f := newFixture(t)
	f.put(t, item("P", "big", 5000))
	f.put(t, item("P", "mid", 2100))
	f.put(t, item("P", "indexed", 300, dynamo.AttrFanoutPending, dynamo.FanoutPendingValue))
	for i := range 3 {
		f.put(t, item("Q", fmt.Sprint(i), 2000))
	}
	tests := []struct {
		name      string
		call      func(ctx context.Context, db *dynamodb.Client, table string) error
		op        string
		want      Capacity
		failed    bool
		unreports bool // moto answers no ConsumedCapacity for it
	}{
		{"put 3000 bytes", func(ctx context.Context, db *dynamodb.Client, table string) error {
			_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: item("A", "1", 3000)})
			return err
		}, "PutItem", Capacity{Write: 3}, false, false},
		{"put into an index", func(ctx context.Context, db *dynamodb.Client, table string) error {
			it := item("A", "2", 600, dynamo.AttrFanoutPending, dynamo.FanoutPendingValue)
			_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: it})
			return err
		}, "PutItem", Capacity{Write: 2}, false, false},
		{"strongly consistent get of 5000 bytes", func(ctx context.Context, db *dynamodb.Client, table string) error {
			_, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: key("P", "big"), ConsistentRead: aws.Bool(true)})
			return err
		}, "GetItem", Capacity{Read: 2}, false, false},
		{"eventually consistent get of 5000 bytes", func(ctx context.Context, db *dynamodb.Client, table string) error {
			_, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: key("P", "big")})
			return err
		}, "GetItem", Capacity{Read: 1}, false, false},
		{"get of an absent item", func(ctx context.Context, db *dynamodb.Client, table string) error {
			_, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: key("P", "none"), ConsistentRead: aws.Bool(true)})
			return err
		}, "GetItem", Capacity{Read: 1}, false, false},
		{"query of 6000 bytes", func(ctx context.Context, db *dynamodb.Client, table string) error {
			_, err := db.Query(ctx, &dynamodb.QueryInput{
				TableName: &table, KeyConditionExpression: aws.String("pk = :pk"), ConsistentRead: aws.Bool(true),
				ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "Q"}},
			})
			return err
		}, "Query", Capacity{Read: 2}, false, false},
		{"batch of 500, 1500 and 2500 bytes", func(ctx context.Context, db *dynamodb.Client, table string) error {
			var reqs []types.WriteRequest
			for i, size := range []int{500, 1500, 2500} {
				reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: item("B", fmt.Sprint(i), size)}})
			}
			_, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{table: reqs}})
			return err
		}, "BatchWriteItem", Capacity{Write: 6}, false, false},
		{"update returning 2100 bytes", func(ctx context.Context, db *dynamodb.Client, table string) error {
			_, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
				TableName: &table, Key: key("P", "mid"), UpdateExpression: aws.String("SET v = :v"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":v": &types.AttributeValueMemberS{Value: "y"}},
				ReturnValues:              types.ReturnValueAllNew,
			})
			return err
		}, "UpdateItem", Capacity{Write: 3}, false, false},
		{"update taking an item out of an index", func(ctx context.Context, db *dynamodb.Client, table string) error {
			_, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
				TableName: &table, Key: key("P", "indexed"), UpdateExpression: aws.String("SET v = :v REMOVE #f"),
				ExpressionAttributeNames:  map[string]string{"#f": dynamo.AttrFanoutPending},
				ExpressionAttributeValues: map[string]types.AttributeValue{":v": &types.AttributeValueMemberS{Value: "y"}},
				ReturnValues:              types.ReturnValueAllNew,
			})
			return err
		}, "UpdateItem", Capacity{Write: 2}, false, false},
		{"update putting an item into an index", func(ctx context.Context, db *dynamodb.Client, table string) error {
			_, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
				TableName: &table, Key: key("P", "indexed"), UpdateExpression: aws.String("SET #f = :f"),
				ExpressionAttributeNames:  map[string]string{"#f": dynamo.AttrFanoutPending},
				ExpressionAttributeValues: map[string]types.AttributeValue{":f": &types.AttributeValueMemberS{Value: "1"}},
				ReturnValues:              types.ReturnValueAllNew,
			})
			return err
		}, "UpdateItem", Capacity{Write: 2}, false, false},
		{"failed conditional update of a 2100-byte item", func(ctx context.Context, db *dynamodb.Client, table string) error {
			_, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
				TableName: &table, Key: key("P", "mid"), UpdateExpression: aws.String("SET v = :v"),
				ConditionExpression:                 aws.String("attribute_not_exists(pk)"),
				ExpressionAttributeValues:           map[string]types.AttributeValue{":v": &types.AttributeValueMemberS{Value: "z"}},
				ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
			})
			return err
		}, "UpdateItem", Capacity{Write: 3}, true, true},
		{"failed conditional put over a 5000-byte item", func(ctx context.Context, db *dynamodb.Client, table string) error {
			_, err := db.PutItem(ctx, &dynamodb.PutItemInput{
				TableName: &table, Item: item("P", "big", 100), ConditionExpression: aws.String("attribute_not_exists(pk)"),
				ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
			})
			return err
		}, "PutItem", Capacity{Write: 5}, true, true},
		{"transaction of two 1500-byte puts", func(ctx context.Context, db *dynamodb.Client, table string) error {
			_, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
				{Put: &types.Put{TableName: &table, Item: item("T", "1", 1500)}},
				{Put: &types.Put{TableName: &table, Item: item("T", "2", 1500)}},
			}})
			return err
		}, "TransactWriteItems", Capacity{Write: 8}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.counter.Reset()
			if err := tt.call(t.Context(), f.counted, f.table); (err != nil) != tt.failed {
				t.Fatalf("call error %v, want failure %v", err, tt.failed)
			}
			usage := f.counter.Usage()
			if len(usage) != 1 {
				t.Fatalf("usage %v, want one operation", usage)
			}
			u := usage[Op{Service: dynamodb.ServiceID, Operation: tt.op}]
			if u.Calls != 1 || u.Requests != 1 || u.Failed != boolInt(tt.failed) {
				t.Errorf("calls %d, requests %d, failed %d; want 1, 1, %d", u.Calls, u.Requests, u.Failed, boolInt(tt.failed))
			}
			if u.Computed != tt.want {
				t.Errorf("computed %+v, want %+v", u.Computed, tt.want)
			}
			reported := u.Reported != Capacity{}
			if tt.unreports == reported || tt.unreports != (u.Unreported == u.Computed) {
				t.Errorf("reported %+v, unreported %+v, computed %+v: want the answer to report: %v",
					u.Reported, u.Unreported, u.Computed, !tt.unreports)
			}
			if got := u.Units(Reported); got != u.Reported.Add(u.Unreported) {
				t.Errorf("Units(Reported) = %+v", got)
			}
		})
	}
}

func TestRemovedAttributes(t *testing.T) {
	tests := []struct {
		expr  string
		names map[string]string
		want  []string
	}{
		{"SET a = :a", nil, nil},
		{"REMOVE a", nil, []string{"a"}},
		{"SET #s = :s, updatedAt = :at REMOVE errorMessage, dueShard", map[string]string{"#s": "status"}, []string{"errorMessage", "dueShard"}},
		{"remove #f SET x = if_not_exists(x, :z) + :one", map[string]string{"#f": "fanoutPending"}, []string{"fanoutPending"}},
		{"REMOVE m.inner, l[2] ADD n :one", nil, []string{"m", "l"}},
		{"SET a = :a REMOVE b DELETE s :v", nil, []string{"b"}},
	}
	for _, tt := range tests {
		if got := removedAttributes(tt.expr, tt.names); !slices.Equal(got, tt.want) {
			t.Errorf("removedAttributes(%q) = %q, want %q", tt.expr, got, tt.want)
		}
	}
}

func TestTag(t *testing.T) {
	f := newFixture(t)
	ctx := Tag(t.Context(), "sandbox")
	for _, c := range []context.Context{t.Context(), ctx, ctx} {
		if _, err := f.counted.PutItem(c, &dynamodb.PutItemInput{TableName: &f.table, Item: item("G", "1", 10)}); err != nil {
			t.Fatal(err)
		}
	}
	usage := f.counter.Usage()
	plain, tagged := Op{Service: dynamodb.ServiceID, Operation: "PutItem"}, Op{Service: dynamodb.ServiceID, Operation: "PutItem", Tag: "sandbox"}
	if usage[plain].Calls != 1 || usage[tagged].Calls != 2 || len(usage) != 2 {
		t.Errorf("usage %+v, want one untagged put and two tagged", usage)
	}
	if got := tagged.String(); got != "DynamoDB.PutItem [sandbox]" {
		t.Errorf("String() = %q", got)
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestCallerInputUntouched checks that asking for the consumed capacity
// does not show in the caller's input.
func TestCallerInputUntouched(t *testing.T) {
	f := newFixture(t)
	in := &dynamodb.PutItemInput{TableName: &f.table, Item: item("U", "1", 10)}
	if _, err := f.counted.PutItem(t.Context(), in); err != nil {
		t.Fatal(err)
	}
	if in.ReturnConsumedCapacity != "" {
		t.Errorf("caller's input now asks for %q", in.ReturnConsumedCapacity)
	}
	if u := f.counter.Usage()[Op{Service: dynamodb.ServiceID, Operation: "PutItem"}]; u.Reported == (Capacity{}) {
		t.Errorf("no capacity reported: %+v", u)
	}
}

func TestWithConsumedCapacity(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want types.ReturnConsumedCapacity
	}{
		{"get", &dynamodb.GetItemInput{}, types.ReturnConsumedCapacityTotal},
		{"put asking none", &dynamodb.PutItemInput{ReturnConsumedCapacity: types.ReturnConsumedCapacityNone}, types.ReturnConsumedCapacityTotal},
		{"update", &dynamodb.UpdateItemInput{}, types.ReturnConsumedCapacityTotal},
		{"query asking indexes", &dynamodb.QueryInput{ReturnConsumedCapacity: types.ReturnConsumedCapacityIndexes}, types.ReturnConsumedCapacityIndexes},
		{"batch write", &dynamodb.BatchWriteItemInput{}, types.ReturnConsumedCapacityTotal},
		{"transaction", &dynamodb.TransactWriteItemsInput{}, types.ReturnConsumedCapacityTotal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got types.ReturnConsumedCapacity
			switch p := withConsumedCapacity(tt.in).(type) {
			case *dynamodb.GetItemInput:
				got = p.ReturnConsumedCapacity
			case *dynamodb.PutItemInput:
				got = p.ReturnConsumedCapacity
			case *dynamodb.UpdateItemInput:
				got = p.ReturnConsumedCapacity
			case *dynamodb.QueryInput:
				got = p.ReturnConsumedCapacity
			case *dynamodb.BatchWriteItemInput:
				got = p.ReturnConsumedCapacity
			case *dynamodb.TransactWriteItemsInput:
				got = p.ReturnConsumedCapacity
			}
			if got != tt.want {
				t.Errorf("asks for %q, want %q", got, tt.want)
			}
		})
	}
	if in := (&awssqs.ReceiveMessageInput{}); withConsumedCapacity(in) != any(in) {
		t.Error("an SQS input was replaced")
	}
}

// TestSQS counts SQS calls on moto, including a receive that finds the
// queue empty, and the batches received.
func TestSQS(t *testing.T) {
	sqsPlain := awssqs.NewFromConfig(awstest.Config(t))
	url, _, err := sqs.EnsureQueue(t.Context(), sqsPlain, awstest.Name(t), 30*time.Second, 5)
	if err != nil {
		t.Fatal(err)
	}
	c, cfg := countedConfig(t)
	client := awssqs.NewFromConfig(cfg)
	var entries []sqstypes.SendMessageBatchRequestEntry
	for i := range 10 {
		entries = append(entries, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), MessageBody: aws.String("job")})
	}
	if _, err := client.SendMessageBatch(t.Context(), &awssqs.SendMessageBatchInput{QueueUrl: &url, Entries: entries}); err != nil {
		t.Fatal(err)
	}
	got := 0
	for range 3 {
		out, err := client.ReceiveMessage(t.Context(), &awssqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatal(err)
		}
		got += len(out.Messages)
	}
	if got != 10 {
		t.Fatalf("received %d messages, want 10", got)
	}
	usage := c.Usage()
	send := usage[Op{Service: awssqs.ServiceID, Operation: "SendMessageBatch"}]
	recv := usage[Op{Service: awssqs.ServiceID, Operation: "ReceiveMessage"}]
	if send.Calls != 1 || send.Requests != 1 || send.Billed() != 1 {
		t.Errorf("SendMessageBatch %+v", send)
	}
	if recv.Calls != 3 || recv.Requests != 3 || recv.Empty < 1 || recv.Billed() != 3-recv.Empty {
		t.Errorf("ReceiveMessage %+v", recv)
	}
	if n := ReceivedBatches(usage); n != 3-recv.Empty {
		t.Errorf("ReceivedBatches = %d, want %d", n, 3-recv.Empty)
	}
	if recv.Computed != (Capacity{}) || recv.Reported != (Capacity{}) {
		t.Errorf("SQS has capacity: %+v", recv)
	}
}

// TestConcurrent counts calls made from many goroutines at once.
func TestConcurrent(t *testing.T) {
	f := newFixture(t)
	f.put(t, item("C", "1", 100))
	const workers, each = 8, 5
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				if _, err := f.counted.GetItem(t.Context(), &dynamodb.GetItemInput{TableName: &f.table, Key: key("C", "1")}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	u := f.counter.Usage()[Op{Service: dynamodb.ServiceID, Operation: "GetItem"}]
	if u.Calls != workers*each || u.Requests != workers*each || u.Computed.Read != workers*each*0.5 {
		t.Errorf("usage %+v, want %d calls of half a unit", u, workers*each)
	}
	f.counter.Reset()
	if len(f.counter.Usage()) != 0 {
		t.Error("Reset kept usage")
	}
}

// TestRetriesAreRequests checks that each attempt the service answers is
// a request: the first answer is DynamoDB's InternalServerError, which the
// SDK retries.
func TestRetriesAreRequests(t *testing.T) {
	var mu sync.Mutex
	attempts := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Target") != "DynamoDB_20120810.GetItem" || !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
			http.Error(w, "unexpected request", http.StatusBadRequest)
			return
		}
		mu.Lock()
		attempts++
		n := attempts
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		if n == 1 {
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, `{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"Internal server error"}`)
			return
		}
		fmt.Fprint(w, `{"Item":{"pk":{"S":"a"}},"ConsumedCapacity":{"TableName":"t","CapacityUnits":0.5}}`)
	}))
	defer srv.Close()
	c := &Counter{}
	db := countedClient(c, srv.URL)
	if _, err := db.GetItem(t.Context(), &dynamodb.GetItemInput{TableName: aws.String("t"), Key: key("a", "b")}); err != nil {
		t.Fatal(err)
	}
	u := c.Usage()[Op{Service: dynamodb.ServiceID, Operation: "GetItem"}]
	want := Usage{Calls: 1, Requests: 2, Reported: Capacity{Read: 0.5}, Computed: Capacity{Read: 0.5}}
	if u != want {
		t.Errorf("usage %+v, want %+v", u, want)
	}
}

// TestUnansweredIsNoRequest checks that attempts no server answered are
// not requests.
func TestUnansweredIsNoRequest(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	c := &Counter{}
	if _, err := countedClient(c, url).GetItem(t.Context(), &dynamodb.GetItemInput{TableName: aws.String("t"), Key: key("a", "b")}); err == nil {
		t.Fatal("a closed server answered")
	}
	u := c.Usage()[Op{Service: dynamodb.ServiceID, Operation: "GetItem"}]
	if want := (Usage{Calls: 1, Failed: 1}); u != want {
		t.Errorf("usage %+v, want %+v", u, want)
	}
}

// countedClient is a DynamoDB client of url that reports to c and retries
// without waiting.
func countedClient(c *Counter, url string) *dynamodb.Client {
	cfg := aws.Config{
		Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(url),
		Retryer:      func() aws.Retryer { return retry.AddWithMaxBackoffDelay(retry.NewStandard(), time.Millisecond) },
	}
	c.Attach(&cfg)
	return dynamodb.NewFromConfig(cfg)
}

// countedConfig is a fresh Counter and the AWS config of the test
// servers, attached to it.
func countedConfig(t *testing.T) (*Counter, aws.Config) {
	c := &Counter{}
	cfg := awstest.Config(t)
	c.Attach(&cfg)
	return c, cfg
}

// TestEventBridge counts the events PutEvents calls put: an event per
// entry of up to BusEventBlock, none for a call that failed.
func TestEventBridge(t *testing.T) {
	name := awstest.Name(t)
	if _, err := eventbridge.EnsureBus(t.Context(), awseb.NewFromConfig(awstest.Config(t)), name); err != nil {
		t.Fatal(err)
	}
	c, cfg := countedConfig(t)
	client := awseb.NewFromConfig(cfg)
	var entries []ebtypes.PutEventsRequestEntry
	for i := range 3 {
		entries = append(entries, ebtypes.PutEventsRequestEntry{EventBusName: &name, Source: aws.String("parley"),
			DetailType: aws.String("message.sent"), Detail: aws.String(fmt.Sprintf(`{"n":%d}`, i))})
	}
	if _, err := client.PutEvents(t.Context(), &awseb.PutEventsInput{Entries: entries}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.PutEvents(t.Context(), &awseb.PutEventsInput{}); err == nil {
		t.Fatal("PutEvents of no entries succeeded")
	}
	got := c.Usage()[Op{Service: awseb.ServiceID, Operation: "PutEvents"}]
	if got.Calls != 2 || got.Failed != 1 || got.Events != 3 {
		t.Errorf("PutEvents %+v, want 2 calls, 1 failed, 3 events", got)
	}
}
