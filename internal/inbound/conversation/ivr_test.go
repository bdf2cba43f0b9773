package conversation_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// TestDeflectionContext: a reply to a Connect to Messaging deflection
// carries its call's IVR context; one whose call is forgotten is still
// routed by it, without; a reply after the lookback is a new inbound
// conversation, the deflection in its agent context all the same.
func TestDeflectionContext(t *testing.T) {
	const callID = "b0eb76ed-0ff9-4d03-935b-c86ca9aa9354"
	w := newWorld(t)
	w.svc.Calls = w.store
	ctx := context.Background()
	ivr := parley.IVRContext{CallID: callID, IVRNumber: "180000", TemplateVariables: map[string]string{"1": "Jane"}}
	if err := w.store.PutCall(ctx, parley.Call{AccountID: account, ID: callID, Consumer: jane, IVR: ivr, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	deflect := func(id string, at time.Time) {
		t.Helper()
		err := w.svc.RecordOutbound(ctx, parley.OutboundContext{AccountID: account, Consumer: jane, CampaignID: id, CallID: id,
			Skill: "sales", Channel: parley.ChannelSMS, Sender: sender, Body: "Reply here to chat", SentAt: at, Lookback: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
	}
	deflect(callID, t0)
	w.now = t0.Add(10 * time.Minute)
	c := w.reply(t, "m1", w.now)
	if c.Skill != "sales" || c.Context.IVR == nil || c.Context.IVR.IVRNumber != "180000" ||
		c.Context.IVR.TemplateVariables["1"] != "Jane" || c.Transcript[0].Body != "Reply here to chat" {
		t.Fatalf("reply to the deflection: %+v", c)
	}
	if _, err := w.svc.Close(ctx, account, c.ID); err != nil {
		t.Fatal(err)
	}

	const forgotten = "c6c31756-bcad-4213-b9e3-a7a88aecf5f7"
	deflect(forgotten, t0.Add(20*time.Minute))
	w.now = t0.Add(30 * time.Minute)
	if c := w.reply(t, "m2", w.now); c.Skill != "sales" || c.Context.CampaignID != forgotten || c.Context.IVR != nil {
		t.Fatalf("reply to a deflection whose call is forgotten: %+v", c)
	} else if _, err := w.svc.Close(ctx, account, c.ID); err != nil {
		t.Fatal(err)
	}

	w.now = t0.Add(3 * time.Hour) // past both lookbacks
	c = w.reply(t, "m3", w.now)
	if c.Context.Source != parley.SourceInbound || c.Skill != "service" || c.Context.IVR != nil {
		t.Fatalf("reply after the lookback: %+v", c)
	}
	if r := c.Context.RecentOutbound; len(r) != 2 || r[0].CallID != forgotten || r[1].CallID != callID || r[0].Skill != "sales" {
		t.Errorf("agent context %+v, want both deflections, newest first", r)
	}
}

// TestRecentOutbound: the agent context is the five newest messages of
// the last 30 days, newest first.
func TestRecentOutbound(t *testing.T) {
	w := newWorld(t)
	for i := range 7 {
		w.sent(t, fmt.Sprintf("c%d", i), "sales", t0.Add(time.Duration(i)*time.Hour), time.Hour)
	}
	w.sent(t, "old", "sales", t0.Add(-31*24*time.Hour), time.Hour)
	w.now = t0.Add(24 * time.Hour)
	got, err := w.svc.RecentOutbound(context.Background(), account, jane)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 || got[0].CampaignID != "c6" || got[4].CampaignID != "c2" || got[0].Text != "Hello from c6" || got[0].Channel != parley.ChannelSMS {
		t.Fatalf("recent outbound %+v, want c6..c2", got)
	}
	w.now = t0.Add(30*24*time.Hour + 3*time.Hour + time.Minute) // c0..c3 are older than 30 days
	if got, _ := w.svc.RecentOutbound(context.Background(), account, jane); len(got) != 3 || got[2].CampaignID != "c4" {
		t.Errorf("recent outbound 30 days on: %+v, want c6, c5, c4", got)
	}
}
