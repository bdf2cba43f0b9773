package dynamo_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/parleyhq/parley/internal/awstest"
	"github.com/parleyhq/parley/internal/awstest/awscost"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/dynamo"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestRecordingSentIsOneWrite checks the cost of recording a provider's
// message id: one write of the recipient's item (its put, after a claim
// its chunk's ledger holds, which it reads), and no other (no item
// pointing from the id back to the recipient).
func TestRecordingSentIsOneWrite(t *testing.T) {
	ctx := context.Background()
	name := awstest.Name(t)
	counter := &awscost.Counter{Indexes: awscost.IndexesOf(dynamo.CreateTableInput(name))}
	cfg := awstest.Config(t)
	counter.Attach(&cfg)
	db := dynamodb.NewFromConfig(cfg)
	if err := dynamo.EnsureTable(ctx, db, name); err != nil {
		t.Fatal(err)
	}
	s := dynamo.New(db, name)
	c, rs := storetest.Fixture("acct1", "camp1", 1)
	if err := s.CreateCampaign(ctx, c, rs); err != nil {
		t.Fatal(err)
	}
	ref := rs[0].Ref()
	at := time.Date(2026, 11, 21, 14, 0, 0, 0, time.UTC)
	if _, err := s.UpdateRecipient(ctx, ref, parley.RecipientChange{From: parley.Claimable, Status: parley.StatusSending, At: at}); err != nil {
		t.Fatal(err)
	}
	counter.Reset()
	if _, err := s.UpdateRecipient(ctx, ref, parley.RecipientChange{
		From: []parley.RecipientStatus{parley.StatusSending}, Status: parley.StatusSent, ProviderMessageID: "SM1", At: at,
	}); err != nil {
		t.Fatal(err)
	}
	usage := counter.Usage()
	writes, reads := 0, 0
	for op, u := range usage {
		switch op.Operation {
		case "PutItem", "UpdateItem":
			writes += u.Calls
		case "GetItem":
			reads += u.Calls
		default:
			t.Errorf("recording SENT made a %s call", op)
		}
	}
	if writes != 1 || reads > 1 {
		t.Errorf("recording SENT made %d writes and %d reads, want 1 write and at most the ledger's read: %v", writes, reads, usage)
	}
}
