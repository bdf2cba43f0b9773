package dynamo_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/awstest/awscost"
	"github.com/parleyhq/parley/internal/dialer"
	"github.com/parleyhq/parley/internal/parley"
)

// writes adds up the write units and write requests of a counter's usage.
func writes(c *awscost.Counter) (units float64, requests int) {
	for op, u := range c.Usage() {
		switch op.Operation {
		case "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems":
			units += u.Computed.Write
			requests += u.Calls
		}
	}
	return units, requests
}

// TestHistoryAndCallWriteCosts measures what the message history and a
// call's listings cost in writes: a sent message nothing beyond its
// outbound context, a received one a single small item; and reads of a
// history page at most the page of each direction.
func TestHistoryAndCallWriteCosts(t *testing.T) {
	ctx := context.Background()
	s, db, counter := newCounted(t)
	at := time.Date(2026, 11, 21, 14, 0, 0, 0, time.UTC) // every party's: a pure input
	const consumer = "+12025550101"

	counter.Reset()
	if err := s.PutOutboundContext(ctx, parley.OutboundContext{AccountID: "a1", Consumer: consumer, CampaignID: "c1", Skill: "sales",
		Channel: parley.ChannelSMS, Body: "Your plan renews soon. Reply STOP to opt out", SentAt: at, Lookback: time.Hour}); err != nil {
		t.Fatal(err)
	}
	sentUnits, sentRequests := writes(counter)
	counter.Reset()
	if err := s.PutReceivedMessage(ctx, parley.ReceivedMessage{AccountID: "a1", Consumer: consumer, Channel: parley.ChannelSMS,
		To: "+12025550100", Body: "Can I change my plan?", ProviderMessageID: "SM0123456789abcdef0123456789abcdef", At: at.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	receivedUnits, receivedRequests := writes(counter)
	t.Logf("a sent message: %d write requests, %.0f WCU (its outbound context); a received one: %d, %.0f WCU", sentRequests, sentUnits, receivedRequests, receivedUnits)
	if sentRequests != 1 || sentUnits != 1 || receivedRequests != 1 || receivedUnits != 1 {
		t.Errorf("sent %d/%.0f, received %d/%.0f; want one request of one unit each", sentRequests, sentUnits, receivedRequests, receivedUnits)
	}

	for i := range 20 {
		if err := s.PutReceivedMessage(ctx, parley.ReceivedMessage{AccountID: "a1", Consumer: consumer, Channel: parley.ChannelSMS,
			Body: "reply", ProviderMessageID: fmt.Sprintf("SM%d", i), At: at.Add(time.Duration(i+2) * time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	db.items.Store(0)
	if p, err := s.MessageHistory(ctx, "a1", consumer, "", 5); err != nil || len(p.Messages) != 5 {
		t.Fatalf("history page %+v, %v", p, err)
	}
	if n := db.items.Load(); n > 2*5 {
		t.Errorf("a page of 5 read %d items; want at most 5 of each direction", n)
	}

	// A call: placed (ringing), answered, bridged to an operator, ended.
	counter.Reset()
	c, err := s.CreatePhoneCall(ctx, dialer.Call{ProviderID: "CA0123456789abcdef0123456789abcdef", AccountID: "a1", CampaignID: "p1",
		ContactID: "k1", Attempt: 1, Phone: consumer, From: "+12025550100", Status: dialer.CallRinging, PlacedAt: at})
	if err != nil {
		t.Fatal(err)
	}
	placedUnits, placedRequests := writes(counter)
	counter.Reset()
	for _, step := range []func(*dialer.Call){
		func(c *dialer.Call) {
			c.Status, c.Answer, c.AnsweredAt = dialer.CallWaiting, dialer.AnswerHuman, at.Add(5*time.Second)
		},
		func(c *dialer.Call) {
			c.Status, c.Operator, c.BridgedAt = dialer.CallBridged, "ann", at.Add(6*time.Second)
		},
		func(c *dialer.Call) { c.Status, c.EndedAt = dialer.CallEnded, at.Add(2*time.Minute) },
	} {
		step(&c)
		if c, err = s.ReplacePhoneCall(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	lifeUnits, lifeRequests := writes(counter)
	t.Logf("a call placed: %d write requests, %.0f WCU (the call with its open-call index copy, and its place on the contact's list); "+
		"answered, bridged and ended: %d requests, %.0f WCU (with the index copies)", placedRequests, placedUnits, lifeRequests, lifeUnits)
	if placedRequests != 2 || lifeRequests != 3 {
		t.Errorf("placing took %d write requests, its changes %d; want 2 and 3", placedRequests, lifeRequests)
	}

	// An entry: added, claimed, called again later, processed.
	counter.Reset()
	if _, err := s.AddEntries(ctx, "a1", "p1", []dialer.Entry{{ContactID: "k1", Phone: consumer, Status: dialer.EntryWaiting, NextAttemptAt: at}}); err != nil {
		t.Fatal(err)
	}
	addUnits, _ := writes(counter)
	e, err := s.Entry(ctx, "a1", "p1", "k1")
	if err != nil {
		t.Fatal(err)
	}
	counter.Reset()
	for _, step := range []func(*dialer.Entry){
		func(e *dialer.Entry) { e.Status, e.ClaimedAt = dialer.EntryInProgress, at },
		func(e *dialer.Entry) { e.CallID = c.ProviderID },
		func(e *dialer.Entry) {
			e.Status, e.CallID, e.Attempts, e.NextAttemptAt = dialer.EntryWaiting, "", 1, at.Add(time.Hour)
		},
		func(e *dialer.Entry) { e.Status = dialer.EntryProcessed },
	} {
		step(&e)
		if e, err = s.ReplaceEntry(ctx, "a1", "p1", e); err != nil {
			t.Fatal(err)
		}
	}
	entryUnits, entryRequests := writes(counter)
	t.Logf("an entry added: %.0f WCU; claimed, on its call, waiting again, processed: %d requests, %.0f WCU (with the index copies)", addUnits, entryRequests, entryUnits)
}
