package dynamo_test

import (
	"context"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/parleyhq/parley/internal/awstest"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/ratelimit"
	"github.com/parleyhq/parley/internal/ratelimit/dynamo"
	"github.com/parleyhq/parley/internal/ratelimit/ratelimittest"
	schema "github.com/parleyhq/parley/internal/store/dynamo"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

// counting is the DynamoDB client, counting the requests made through it.
type counting struct {
	*dynamodb.Client
	requests atomic.Int64
}

func (c *counting) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	c.requests.Add(1)
	return c.Client.UpdateItem(ctx, in, optFns...)
}

func (c *counting) GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	c.requests.Add(1)
	return c.Client.GetItem(ctx, in, optFns...)
}

// newTable creates a fresh table on moto_server and returns a counting
// client and the table's name.
func newTable(tb testing.TB) (*counting, string) {
	tb.Helper()
	client := dynamodb.NewFromConfig(awstest.Config(tb))
	name := awstest.Name(tb)
	if err := schema.EnsureTable(context.Background(), client, name); err != nil {
		tb.Fatal(err)
	}
	return &counting{Client: client}, name
}

func TestContract(t *testing.T) {
	ratelimittest.Run(t, func(t *testing.T, clock parley.Clock) ratelimit.Limiter {
		client, table := newTable(t)
		return dynamo.New(client, table, clock)
	})
}

func TestContractAdaptive(t *testing.T) {
	ratelimittest.RunAdaptive(t, func(t *testing.T, clock parley.Clock) ratelimit.Scaler {
		client, table := newTable(t)
		return dynamo.New(client, table, clock)
	})
}

func TestContractAdmitter(t *testing.T) {
	ratelimittest.RunAdmitter(t, func(t *testing.T, clock parley.Clock) ratelimit.Admitter {
		client, table := newTable(t)
		return dynamo.New(client, table, clock)
	})
}

var limit = ratelimit.Limit{Rate: 10, Burst: 2}

func reserve(t *testing.T, l *dynamo.Limiter, key ratelimit.Key) time.Time {
	t.Helper()
	at, err := l.Reserve(context.Background(), key, limit, 1)
	if err != nil {
		t.Fatalf("Reserve(%s): %v", key, err)
	}
	return at
}

func getItem(t *testing.T, client *counting, table, pk string) map[string]types.AttributeValue {
	t.Helper()
	out, err := client.Client.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: &table,
		Key: map[string]types.AttributeValue{
			schema.AttrPK: &types.AttributeValueMemberS{Value: pk},
			schema.AttrSK: &types.AttributeValueMemberS{Value: "RATE"},
		},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Item
}

func number(t *testing.T, av map[string]types.AttributeValue, name string) string {
	t.Helper()
	n, ok := av[name].(*types.AttributeValueMemberN)
	if !ok {
		t.Fatalf("attribute %s = %#v, want a number", name, av[name])
	}
	return n.Value
}

func TestItemLayout(t *testing.T) {
	client, table := newTable(t)
	clock := ratelimittest.NewClock(ratelimittest.T0)
	l := dynamo.New(client, table, clock)
	key := ratelimit.Key{AccountID: "acct1", Channel: parley.ChannelWhatsApp, Sender: "1234567890"}
	reserve(t, l, key)
	cut := ratelimittest.T0.Add(time.Second)
	if _, err := l.Rescale(context.Background(), key, func(ratelimit.Scale) ratelimit.Scale {
		return ratelimit.Scale{Factor: 0.5, CutAt: cut}
	}); err != nil {
		t.Fatal(err)
	}
	av := getItem(t, client, table, "RATE#acct1#whatsapp#1234567890")
	if av == nil {
		t.Fatal("no item RATE#acct1#whatsapp#1234567890 / RATE")
	}
	tat := ratelimittest.T0.Add(100 * time.Millisecond)
	want := map[string]string{
		"tat":                strconv.FormatInt(tat.UnixNano(), 10),
		schema.AttrExpiresAt: strconv.FormatInt(tat.Add(24*time.Hour).Unix(), 10),
		"scale":              "0.5",
		"cutAt":              strconv.FormatInt(cut.UnixNano(), 10),
	}
	for name, v := range want {
		if got := number(t, av, name); got != v {
			t.Errorf("%s = %s, want %s", name, got, v)
		}
	}
}

// TestOneRequestPerReserve checks that a process that owns a key spends one
// request per reservation, idle or backlogged.
func TestOneRequestPerReserve(t *testing.T) {
	client, table := newTable(t)
	clock := ratelimittest.NewClock(ratelimittest.T0)
	l := dynamo.New(client, table, clock)
	key := ratelimittest.Key("+15550001")
	const n = 6
	for i := range n {
		if i == n/2 {
			clock.Advance(time.Minute) // idle again
		}
		reserve(t, l, key)
	}
	if got := client.requests.Load(); got != n {
		t.Errorf("%d requests for %d reservations, want one each", got, n)
	}
}

// TestProcesses has several processes, each with its own view of the key,
// reserve concurrently on a frozen clock. moto_server does not apply
// conditional writes atomically under concurrency, so what may depend on
// that is not asserted: no slot beyond what exact booking would use, and
// at most one wrong guess per process.
func TestProcesses(t *testing.T) {
	client, table := newTable(t)
	clock := ratelimittest.NewClock(ratelimittest.T0)
	key := ratelimittest.Key("+15550001")
	const processes, each = 4, 4
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		ats []time.Time
	)
	for range processes {
		l := dynamo.New(client, table, clock)
		wg.Go(func() {
			for range each {
				at, err := l.Reserve(context.Background(), key, limit, 1)
				if err != nil {
					t.Errorf("Reserve: %v", err)
					return
				}
				mu.Lock()
				ats = append(ats, at)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	slices.SortFunc(ats, time.Time.Compare)
	T := 100 * time.Millisecond
	last := ratelimittest.T0.Add(time.Duration(processes*each-limit.Burst) * T)
	for _, at := range ats {
		if at.Before(ratelimittest.T0) || at.After(last) || at.Sub(ratelimittest.T0)%T != 0 {
			t.Errorf("reserved %s, want a slot between 0 and %s", at.Sub(ratelimittest.T0), last.Sub(ratelimittest.T0))
		}
	}
	if got, most := client.requests.Load(), int64(processes*each+processes); got > most {
		t.Errorf("%d requests for %d reservations by %d processes, want at most %d", got, processes*each, processes, most)
	}
}

// TestAdaptiveAcrossProcesses checks that a cut made in one process slows
// another, which sees it after at most one reservation.
func TestAdaptiveAcrossProcesses(t *testing.T) {
	client, table := newTable(t)
	clock := ratelimittest.NewClock(ratelimittest.T0)
	one := ratelimit.NewAdaptive(dynamo.New(client, table, clock), clock)
	two := ratelimit.NewAdaptive(dynamo.New(client, table, clock), clock)
	key := ratelimittest.Key("+15550001")
	l := ratelimit.Limit{Rate: 10, Burst: 1}
	prev, err := two.Reserve(context.Background(), key, l, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := one.Throttled(context.Background(), key); err != nil {
		t.Fatal(err)
	}
	var got []time.Duration
	for range 4 {
		clock.Set(prev)
		at, err := two.Reserve(context.Background(), key, l, 1)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, at.Sub(prev))
		prev = at
	}
	// The first gap is the slot before the cut, the second one booked before
	// this process saw it.
	const ms = time.Millisecond
	if want := []time.Duration{100 * ms, 100 * ms, 200 * ms, 200 * ms}; !slices.Equal(got, want) {
		t.Errorf("gaps in the other process = %v, want %v", got, want)
	}
}

// TestItemExpired checks that a key whose item was removed (by TTL) while
// this process thought it backlogged starts afresh.
func TestItemExpired(t *testing.T) {
	client, table := newTable(t)
	clock := ratelimittest.NewClock(ratelimittest.T0)
	l := dynamo.New(client, table, clock)
	key := ratelimittest.Key("+15550001")
	for range 4 {
		reserve(t, l, key)
	}
	_, err := client.DeleteItem(context.Background(), &dynamodb.DeleteItemInput{
		TableName: &table,
		Key: map[string]types.AttributeValue{
			schema.AttrPK: &types.AttributeValueMemberS{Value: "RATE#acct1#sms#+15550001"},
			schema.AttrSK: &types.AttributeValueMemberS{Value: "RATE"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if at := reserve(t, l, key); !at.Equal(ratelimittest.T0) {
		t.Errorf("after the item expired: at %s, want at once", at.Sub(ratelimittest.T0))
	}
}

// TestMalformedItem checks that a rate item of the wrong shape is an
// internal error, not a guess.
func TestMalformedItem(t *testing.T) {
	client, table := newTable(t)
	_, err := client.PutItem(context.Background(), &dynamodb.PutItemInput{
		TableName: &table,
		Item: map[string]types.AttributeValue{
			schema.AttrPK: &types.AttributeValueMemberS{Value: "RATE#acct1#sms#+15550001"},
			schema.AttrSK: &types.AttributeValueMemberS{Value: "RATE"},
			"scale":       &types.AttributeValueMemberS{Value: "half"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	l := dynamo.New(client, table, ratelimittest.NewClock(ratelimittest.T0))
	if _, err := l.Reserve(context.Background(), ratelimittest.Key("+15550001"), limit, 1); parley.ErrorCode(err) != parley.EINTERNAL {
		t.Errorf("Reserve on a malformed item = %v, want %s", err, parley.EINTERNAL)
	}
}

// BenchmarkDispatch measures 8 dispatchers, each its own process with its
// own view of the key, sharing one key on moto_server in real time for
// ratelimittest.BenchDuration (PARLEY_RATELIMIT_BENCH_DURATION, 30 s by
// default), at a rate moto_server keeps up with. moto_server does not apply
// conditional writes atomically under concurrency, so the window counts
// show what the emulator allows, not what DynamoDB does.
func BenchmarkDispatch(b *testing.B) {
	client, table := newTable(b)
	limiters := make([]ratelimit.Limiter, ratelimittest.Dispatchers)
	for i := range limiters {
		limiters[i] = dynamo.New(client, table, parley.SystemClock{})
	}
	reservations := ratelimittest.Dispatch(b, func(i int) ratelimit.Limiter { return limiters[i] },
		ratelimit.Limit{Rate: 20, Burst: 2}, ratelimittest.BenchDuration(b))
	if reservations > 0 {
		b.ReportMetric(float64(client.requests.Load())/float64(reservations), "requests/reserve")
	}
}

// retrying is the DynamoDB client as the SDK behaves when a write took
// effect but its answer was lost: it sends every UpdateItem twice and
// answers what the second one got.
type retrying struct{ *counting }

func (r retrying) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	if _, err := r.counting.UpdateItem(ctx, in, optFns...); err != nil {
		return nil, err
	}
	return r.counting.UpdateItem(ctx, in, optFns...)
}

// TestRetriedWriteBooksOnce: a reservation or admission whose write is
// applied twice (an SDK retry of a write that took effect) takes its slot
// once, whether the key was idle or backlogged.
func TestRetriedWriteBooksOnce(t *testing.T) {
	client, table := newTable(t)
	clock := ratelimittest.NewClock(ratelimittest.T0)
	l := dynamo.New(retrying{client}, table, clock)
	limit := ratelimit.Limit{Rate: 10, Burst: 1}
	key := ratelimittest.Key("+15550002")
	for i := range 4 { // the first books an idle key, the others a backlog
		at, err := l.Reserve(context.Background(), key, limit, 1)
		if want := ratelimittest.T0.Add(time.Duration(i) * 100 * time.Millisecond); err != nil || !at.Equal(want) {
			t.Fatalf("reservation %d at %s, %v; want %s: a retried write booked twice", i, at.Sub(ratelimittest.T0), err, want.Sub(ratelimittest.T0))
		}
	}
	admitter := dynamo.New(retrying{client}, table, clock)
	akey := ratelimittest.Key("api")
	if ok, _, err := admitter.Admit(context.Background(), akey, limit, 1); !ok || err != nil {
		t.Fatalf("the first admission: %v, %v", ok, err)
	}
	clock.Advance(100 * time.Millisecond)
	if ok, at, err := admitter.Admit(context.Background(), akey, limit, 1); !ok || err != nil {
		t.Fatalf("an admission one slot later: refused until %s (%v): a retried write booked twice", at.Sub(ratelimittest.T0), err)
	}
}

// TestWithinStaleView checks a bounded reservation from a process whose
// view of the key is behind: the write's condition holds the stored TAT to
// the slots worked out from that view, and when it fails the stored TAT in
// the answer gives fewer slots, in one more request. A refusal worked out
// from the refreshed view costs no request and books nothing.
func TestWithinStaleView(t *testing.T) {
	client, table := newTable(t)
	clock := ratelimittest.NewClock(ratelimittest.T0)
	one, two := dynamo.New(client, table, clock), dynamo.New(client, table, clock)
	key := ratelimittest.Key("+15550001")
	limit := ratelimit.Limit{Rate: 10, Burst: 1}
	ctx := context.Background()
	at := func(d time.Duration) time.Time { return ratelimittest.T0.Add(d) }
	const ms = time.Millisecond
	steps := []struct {
		name     string
		l        *dynamo.Limiter
		n        int
		until    time.Time
		k        int
		last     time.Time
		requests int64
	}{
		{"two books the first slot", two, 1, ratelimit.Unbounded, 1, at(0), 1},
		{"one books three behind it", one, 3, ratelimit.Unbounded, 3, at(300 * ms), 2}, // its guess of an idle key fails
		{"two, behind, books what fits", two, 5, at(500 * ms), 2, at(500 * ms), 2},     // its view says 5 fit
		{"two is refused", two, 5, at(500 * ms), 0, at(600 * ms), 0},
		{"one, behind, is refused by the write", one, 1, at(550 * ms), 0, at(600 * ms), 1}, // its view says 1 fits
		{"one is refused from its view", one, 1, at(550 * ms), 0, at(600 * ms), 0},
		{"refusals took nothing", one, 1, at(600 * ms), 1, at(600 * ms), 1},
	}
	for _, st := range steps {
		before := client.requests.Load()
		last, k, _, err := st.l.ReserveScaledWithin(ctx, key, limit, st.n, st.until)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if k != st.k || !last.Equal(st.last) {
			t.Fatalf("%s: %d slots, the last (or first) at %s; want %d at %s", st.name, k, last.Sub(ratelimittest.T0), st.k, st.last.Sub(ratelimittest.T0))
		}
		if got := client.requests.Load() - before; got != st.requests {
			t.Errorf("%s: %d requests, want %d", st.name, got, st.requests)
		}
	}
}
