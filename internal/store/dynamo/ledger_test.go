package dynamo_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/parleyhq/parley/internal/awstest"
	"github.com/parleyhq/parley/internal/awstest/awscost"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/dynamo"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// ledgerClaim is a dispatcher's claim, by a claimant as long as the
// dispatcher's epochs.
func ledgerClaim(at time.Time) parley.RecipientChange {
	return parley.RecipientChange{
		From: []parley.RecipientStatus{parley.StatusQueued}, Status: parley.StatusSending, CountAttempt: true,
		Claimant: strings.Repeat("E", 26), DueAt: at.Add(5 * time.Minute), At: at,
	}
}

// chunkRefs are the refs of the recipients of camp1 from Seq from to to.
func chunkRefs(from, to int) []parley.Ref {
	var refs []parley.Ref
	for seq := from; seq <= to; seq++ {
		refs = append(refs, parley.Ref{AccountID: "acct1", CampaignID: "camp1", RecipientID: parley.RecipientID(seq)})
	}
	return refs
}

// usageOf sums what counter saw by operation name.
func usageOf(counter *awscost.Counter) map[string]awscost.Usage {
	out := map[string]awscost.Usage{}
	for op, u := range counter.Usage() {
		out[op.Operation] = out[op.Operation].Add(u)
	}
	return out
}

// TestClaimRangeCost measures a range claim of a chunk's 25 fresh
// recipients, its chunk read before: one Query of their items' keys (one
// read unit, none being there) and one write of the chunk's ledger, which
// holds the 25 claims in under 1 KB (one write unit). A single claim is
// the same Query and one write; recording SENT after a range claim reads
// the ledger and puts the recipient's item.
func TestClaimRangeCost(t *testing.T) {
	ctx := context.Background()
	s, db, counter := newCounted(t)
	c, rs := storetest.Fixture("acct1", "camp1", 2*dynamo.ChunkSize)
	if err := s.CreateCampaign(ctx, c, rs); err != nil {
		t.Fatal(err)
	}
	at := c.CreatedAt.Add(123456789 * time.Nanosecond)       // the fixture's clock, to the nanosecond
	if _, err := s.Recipient(ctx, rs[0].Ref()); err != nil { // reads the chunk, kept
		t.Fatal(err)
	}
	counter.Reset()
	got := s.ClaimRange(ctx, chunkRefs(1, dynamo.ChunkSize), ledgerClaim(at))
	for i, g := range got {
		if !g.Claimed || g.Err != nil || g.Recipient.Claimant != strings.Repeat("E", 26) {
			t.Fatalf("claim of recipient %d = %+v", i+1, g)
		}
	}
	u := usageOf(counter)
	t.Logf("ClaimRange of %d: %+v", dynamo.ChunkSize, u)
	if len(u) != 2 || u["Query"].Calls != 1 || u["UpdateItem"].Calls != 1 {
		t.Errorf("ClaimRange of %d fresh recipients made %v; want one Query and one UpdateItem", dynamo.ChunkSize, u)
	}
	if r, w := u["Query"].Computed.Read, u["UpdateItem"].Computed.Write; r != 1 || w != 1 {
		t.Errorf("ClaimRange of %d fresh recipients cost %.1f RCU and %.1f WCU; want 1 and 1", dynamo.ChunkSize, r, w)
	}
	out, err := db.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(db.name),
		Key: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "ACCOUNT#acct1#CAMPAIGN#camp1"}, "sk": &types.AttributeValueMemberS{Value: "RL#000000"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	size := awscost.ItemSize(out.Item)
	t.Logf("the ledger of %d claims: %d bytes", dynamo.ChunkSize, size)
	if size >= 1024 {
		t.Errorf("the ledger of %d claims holds %d bytes, over a write unit's 1 KB", dynamo.ChunkSize, size)
	}
	if r, err := s.Recipient(ctx, rs[7].Ref()); err != nil || r.Status != parley.StatusSending || r.Attempts != 1 ||
		!r.UpdatedAt.Equal(at) || !r.DueAt.Equal(at.Add(5*time.Minute)) || r.Claimant != strings.Repeat("E", 26) {
		t.Errorf("a range-claimed recipient reads as %+v, %v", r, err)
	}

	// A single claim of a fresh recipient.
	if _, err := s.Recipient(ctx, rs[dynamo.ChunkSize].Ref()); err != nil {
		t.Fatal(err)
	}
	counter.Reset()
	if _, err := s.UpdateRecipient(ctx, rs[dynamo.ChunkSize].Ref(), ledgerClaim(at)); err != nil {
		t.Fatal(err)
	}
	u = usageOf(counter)
	t.Logf("a single claim: %+v", u)
	if len(u) != 2 || u["Query"].Calls != 1 || u["UpdateItem"].Calls != 1 || u["UpdateItem"].Computed.Write != 1 {
		t.Errorf("a single claim made %v; want one Query and one UpdateItem of one unit", u)
	}

	// The record of a range claim, by the process that claimed: one put;
	// by another: reads of the chunk and (eventually consistent) of the
	// ledger besides.
	sent := func(seq int) parley.RecipientChange {
		return parley.RecipientChange{
			From: []parley.RecipientStatus{parley.StatusSending}, Attempt: 1, Status: parley.StatusSent, ProviderMessageID: "SM" + parley.RecipientID(seq), At: at,
		}
	}
	counter.Reset()
	if r, err := s.UpdateRecipient(ctx, rs[0].Ref(), sent(1)); err != nil || r.Status != parley.StatusSent || r.Attempts != 1 || r.Body != rs[0].Body {
		t.Fatalf("record = %+v, %v", r, err)
	}
	u = usageOf(counter)
	t.Logf("the record of a range claim: %+v", u)
	if len(u) != 1 || u["PutItem"].Calls != 1 || u["PutItem"].Computed.Write != 1 {
		t.Errorf("the record of a range claim made %v; want one PutItem of one unit", u)
	}
	other := dynamo.New(db, db.name)
	counter.Reset()
	if r, err := other.UpdateRecipient(ctx, rs[2].Ref(), sent(3)); err != nil || r.Status != parley.StatusSent || r.Attempts != 1 {
		t.Fatalf("record by another process = %+v, %v", r, err)
	}
	u = usageOf(counter)
	t.Logf("the record of a range claim by another process: %+v", u)
	if len(u) != 2 || u["GetItem"].Calls != 2 || u["PutItem"].Calls != 1 || u["GetItem"].Computed.Read > 1.5 {
		t.Errorf("the record of a range claim by another process made %v; want the chunk's and the ledger's GetItem (1.5 RCU) and one PutItem", u)
	}
}

// TestLedgerStreamEvents: the stream of range claims and their records
// publishes what claims one by one did: no event for a claim, one for
// each record, with its status, message and error.
func TestLedgerStreamEvents(t *testing.T) {
	ctx := context.Background()
	client, name := newTable(t)
	s := dynamo.New(client, name)
	stream := dynamo.NewStreamReader(awstest.Config(t), name, true)
	c, rs := storetest.Fixture("acct1", "camp1", 4)
	if err := s.CreateCampaign(ctx, c, rs); err != nil {
		t.Fatal(err)
	}
	at := c.CreatedAt.Add(time.Hour)
	for _, g := range s.ClaimRange(ctx, chunkRefs(1, 4), ledgerClaim(at)) {
		if !g.Claimed {
			t.Fatalf("claim %+v", g)
		}
	}
	sending := []parley.RecipientStatus{parley.StatusSending}
	for _, ch := range []struct {
		seq    int
		change parley.RecipientChange
	}{
		{1, parley.RecipientChange{From: sending, Attempt: 1, Status: parley.StatusSent, ProviderMessageID: "SM1", At: at}},
		{2, parley.RecipientChange{From: sending, Attempt: 1, Status: parley.StatusFailed, ErrorMessage: "30003", At: at}},
	} {
		if _, err := s.UpdateRecipient(ctx, rs[ch.seq-1].Ref(), ch.change); err != nil {
			t.Fatal(err)
		}
	}
	recs, err := stream.Records(ctx)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := s.StreamEvents(ctx, recs)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 {
		t.Fatalf("%d events %+v, want the record's 2", len(evs), evs)
	}
	if e := evs[0]; e.Type != parley.EventSent || e.RecipientID != "000001" || e.Status != string(parley.StatusSent) || e.ProviderMessageID != "SM1" || !e.At.Equal(at) {
		t.Errorf("first event %+v, want recipient 1 sent", e)
	}
	if e := evs[1]; e.Type != parley.EventFailed || e.RecipientID != "000002" || e.ErrorCode != "30003" {
		t.Errorf("second event %+v, want recipient 2 failed with 30003", e)
	}
	again, err := s.StreamEvents(ctx, recs)
	if err != nil || len(again) != 2 || again[0].ID != evs[0].ID || again[1].ID != evs[1].ID {
		t.Errorf("the batch again yields %+v, %v; want the same events", again, err)
	}
}

// TestWithoutLedgerWrites: a table that writes no ledgers claims a range
// by putting each recipient's item, as releases before ledgers did, and
// reads the claims back the same.
func TestWithoutLedgerWrites(t *testing.T) {
	ctx := context.Background()
	db, name := newTable(t)
	s := dynamo.New(db, name, dynamo.WithoutLedgerWrites())
	c, rs := storetest.Fixture("acct1", "camp1", 5)
	if err := s.CreateCampaign(ctx, c, rs); err != nil {
		t.Fatal(err)
	}
	var refs []parley.Ref
	for _, r := range rs {
		refs = append(refs, r.Ref())
	}
	claim := parley.RecipientChange{From: []parley.RecipientStatus{parley.StatusQueued}, Status: parley.StatusSending, CountAttempt: true, Claimant: "e", At: c.CreatedAt}
	for i, g := range s.ClaimRange(ctx, refs, claim) {
		if g.Err != nil || !g.Claimed || g.Recipient.Status != parley.StatusSending {
			t.Fatalf("claim %d = %+v", i, g)
		}
	}
	out, err := db.Query(ctx, &dynamodb.QueryInput{
		TableName: &name, KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :sk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: "ACCOUNT#acct1#CAMPAIGN#camp1"}, ":sk": &types.AttributeValueMemberS{Value: "R"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	items, ledgers := 0, 0
	for _, it := range out.Items {
		switch sk := it["sk"].(*types.AttributeValueMemberS).Value; {
		case strings.HasPrefix(sk, "RL#"):
			ledgers++
		case strings.HasPrefix(sk, "R#"):
			items++
		}
	}
	if items != 5 || ledgers != 0 {
		t.Errorf("%d recipient items and %d ledgers; want 5 items and no ledger", items, ledgers)
	}
}
