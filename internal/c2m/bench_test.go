package c2m_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/parleyhq/parley/internal/app"
	"github.com/parleyhq/parley/internal/awstest"
	"github.com/parleyhq/parley/internal/awstest/awscost"
	"github.com/parleyhq/parley/internal/c2m"
	"github.com/parleyhq/parley/internal/clocktest"
	"github.com/parleyhq/parley/internal/queue/sqs"
	"github.com/parleyhq/parley/internal/store/dynamo"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

// BenchmarkDeflectionDynamo counts what one deflection asks of DynamoDB
// and SQS (on moto_server): an eligibility of an SMS handoff, and its
// invite, which accepts the one-consumer campaign and queues its job.
func BenchmarkDeflectionDynamo(b *testing.B) {
	ctx := b.Context()
	table := awstest.Name(b)
	counter := &awscost.Counter{Indexes: awscost.IndexesOf(dynamo.CreateTableInput(table))}
	cfg := awstest.Config(b)
	counter.Attach(&cfg)
	db, sq := dynamodb.NewFromConfig(cfg), awssqs.NewFromConfig(cfg)
	if err := dynamo.EnsureTable(ctx, db, table); err != nil {
		b.Fatal(err)
	}
	url, dlq, err := sqs.EnsureQueue(ctx, sq, table, time.Minute, app.MaxReceiveCount)
	if err != nil {
		b.Fatal(err)
	}
	svc, h := deflector(b, dynamo.New(db, table), sqs.New(sq, url, dlq), clocktest.New(time.Now().UTC()))
	var eligibility, invite map[awscost.Op]awscost.Usage
	b.ResetTimer()
	for i := range b.N {
		counter.Reset()
		e, err := svc.Eligibility(ctx, "acct1", c2m.EligibilityRequest{ConsumerPhoneNumber: fmt.Sprintf("+1425954%04d", i%10000),
			HandoffID: h.ID, Skill: "sales", TemplateVariables: map[string]string{"1": "Jane"}})
		if err != nil || !e.Eligible {
			b.Fatalf("eligibility: %+v, %v", e, err)
		}
		eligibility = counter.Usage()
		counter.Reset()
		if _, err := svc.Invite(ctx, "acct1", c2m.InviteRequest{CallID: e.CallID}); err != nil {
			b.Fatal(err)
		}
		invite = counter.Usage()
	}
	b.StopTimer()
	for name, usage := range map[string]map[awscost.Op]awscost.Usage{"eligibility": eligibility, "invite": invite} {
		var total awscost.Usage
		for op, u := range usage {
			b.Logf("%s: %s %d requests", name, op, u.Requests)
			total = total.Add(u)
		}
		b.ReportMetric(float64(total.Requests), name+"-requests")
		b.ReportMetric(total.Computed.Write, name+"-WCU")
		b.ReportMetric(total.Computed.Read, name+"-RCU")
	}
}
