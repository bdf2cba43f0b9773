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
	"github.com/parleyhq/parley/internal/campaign"
	"github.com/parleyhq/parley/internal/clocktest"
	"github.com/parleyhq/parley/internal/inbound/conversation"
	"github.com/parleyhq/parley/internal/inbound/optout"
	"github.com/parleyhq/parley/internal/obs"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/queue/sqs"
	"github.com/parleyhq/parley/internal/settings/account"
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
	s, q, clock := dynamo.New(db, table), sqs.New(sq, url, dlq), clocktest.New(time.Now().UTC())
	if err := s.PutAccount(ctx, parley.Account{ID: "acct1", OutboundSkills: []string{"sales"},
		Channels: []parley.ChannelSetting{{Channel: parley.ChannelSMS, Enabled: true}}}); err != nil {
		b.Fatal(err)
	}
	h := parley.Handoff{AccountID: "acct1", ID: "H000000000000001", Title: "IVR", Version: 1, LookbackMinutes: 60,
		Channels: []parley.HandoffChannel{{Channel: parley.ChannelSMS, OutboundNumber: "+12025550100", Text: "Reply here, {{1}}"}}}
	if err := s.PutHandoff(ctx, h); err != nil {
		b.Fatal(err)
	}
	optOuts := &optout.Service{Store: s, Accounts: &account.Service{Store: s, Clock: clock}, Clock: clock}
	svc := &c2m.Service{Accounts: s, Handoffs: s, OptOuts: optOuts, Devices: s, Calls: s, Clock: clock, Log: obs.Discard(),
		Campaigns:     &campaign.Service{Store: s, Queue: q, Clock: clock, Log: obs.Discard(), Handoffs: s, OptOuts: optOuts, Daily: s},
		Conversations: &conversation.Service{Store: s, Clock: clock}}
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
