package awscost

import (
	"math"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
)

var (
	opPut     = Op{Service: dynamodb.ServiceID, Operation: "PutItem"}
	opGet     = Op{Service: dynamodb.ServiceID, Operation: "GetItem"}
	opReceive = Op{Service: awssqs.ServiceID, Operation: "ReceiveMessage"}
	opSandbox = Op{Service: dynamodb.ServiceID, Operation: "PutItem", Tag: "sandbox"}
)

// usage is 100 recipients' worth: 200 puts (computed 220 write units,
// reported 200), 100 consistent gets, 12 receives of which 2 empty and 10
// brought batches, and 100 puts tagged sandbox.
var usage = map[Op]Usage{
	opPut:     {Calls: 200, Requests: 200, Computed: Capacity{Write: 220}, Reported: Capacity{Write: 180}, Unreported: Capacity{Write: 20}},
	opGet:     {Calls: 100, Requests: 100, Computed: Capacity{Read: 100}, Reported: Capacity{Read: 50}},
	opReceive: {Calls: 12, Requests: 12, Empty: 2},
	opSandbox: {Calls: 100, Requests: 100, Computed: Capacity{Write: 100}, Reported: Capacity{Write: 100}},
}

func TestBill(t *testing.T) {
	tests := []struct {
		source      Source
		write, read float64 // units per recipient
	}{
		{Computed, 3.2, 1},
		{Reported, 3, 0.5},
	}
	for _, tt := range tests {
		t.Run(tt.source.String(), func(t *testing.T) {
			b := &Bill{Prices: OnDemand, Source: tt.source, Recipients: 100, Artifacts: []string{"sandbox"}}
			b.Add("dispatch", usage, Outside{Invocations: ReceivedBatches(usage), APIRequests: 50})
			if len(b.Lines) != 6 {
				t.Fatalf("%d lines, want 6: %+v", len(b.Lines), b.Lines)
			}
			if b.Lines[0].Op != opPut {
				t.Errorf("first line %v, want the dearest (%v)", b.Lines[0].Op, opPut)
			}
			ddb := b.Total(OfService(dynamodb.ServiceID))
			sqs := b.Total(OfService(awssqs.ServiceID))
			lambda := b.Total(OfService(LambdaInvoke.Service))
			api := b.Total(OfService(APIRequest.Service))
			checks := []struct {
				name      string
				got, want float64
			}{
				{"DynamoDB requests/recipient", ddb.Requests, 4},
				{"WCU/recipient", ddb.Units.Write, tt.write},
				{"RCU/recipient", ddb.Units.Read, tt.read},
				{"reported WCU/recipient", ddb.Reported.Write, 3},
				{"sandbox $/M", b.Total(OfTag("sandbox")).Dollars, 0.625},
				{"DynamoDB $/M", ddb.Dollars, tt.write*0.625 + tt.read*0.125},
				{"SQS billed requests/recipient", sqs.Requests, 0.1},
				{"SQS idle receives/recipient", sqs.Idle, 0.02},
				{"SQS $/M", sqs.Dollars, 0.1 * 0.40},
				{"Lambda invocations/recipient", lambda.Requests, 0.1},
				{"Lambda $/M", lambda.Dollars, 0.1 * 0.20},
				{"HTTP API requests/recipient", api.Requests, 0.5},
				{"HTTP API $/M", api.Dollars, 0.5 * 1.00},
				{"total $/M", b.Total(nil).Dollars, ddb.Dollars + sqs.Dollars + lambda.Dollars + api.Dollars},
			}
			for _, c := range checks {
				if math.Abs(c.got-c.want) > 1e-9 {
					t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
				}
			}
			var out strings.Builder
			if err := b.WriteTable(&out); err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"DynamoDB.PutItem", "SQS.ReceiveMessage", "Lambda.Invoke", "APIGateway.Request", "DynamoDB.PutItem [sandbox]", "total without [sandbox]", "total (" + tt.source.String() + " capacity)"} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("table lacks %q:\n%s", want, out.String())
				}
			}
		})
	}
}

func TestUsageAdd(t *testing.T) {
	u := usage[opPut].Add(usage[opPut])
	want := Usage{Calls: 400, Requests: 400, Computed: Capacity{Write: 440}, Reported: Capacity{Write: 360}, Unreported: Capacity{Write: 40}}
	if u != want {
		t.Errorf("sum %+v, want %+v", u, want)
	}
}
