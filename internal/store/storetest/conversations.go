package storetest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// OutboundContexts checks store.OutboundContexts.
func OutboundContexts(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("RoundTrip", func(t *testing.T) { testOutboundContexts(t, newStore(t)) })
}

// Conversations checks store.Conversations.
func Conversations(t *testing.T, newStore func(t *testing.T) store.Store, opt Options) {
	t.Run("Lifecycle", func(t *testing.T) { testConversationLifecycle(t, newStore(t)) })
	t.Run("ConcurrentCreate", func(t *testing.T) { testConcurrentConversation(t, newStore(t), opt) })
	t.Run("List", func(t *testing.T) { testListConversations(t, newStore(t)) })
}

// Broadcasts checks store.Broadcasts: broadcast campaigns and their
// notifications.
func Broadcasts(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("Campaigns", func(t *testing.T) { testBroadcasts(t, newStore(t)) })
	t.Run("Notifications", func(t *testing.T) { testNotifications(t, newStore(t)) })
}

// ReportEvents checks store.ReportEvents.
func ReportEvents(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("RoundTrip", func(t *testing.T) { testReportEvents(t, newStore(t)) })
}

const consumerA, consumerB = "+12025550101", "+12025550102"

func outbound(account, consumer, campaign string, at time.Time) parley.OutboundContext {
	return parley.OutboundContext{
		AccountID: account, Consumer: consumer, CampaignID: campaign, CampaignName: "Renewal " + campaign,
		RecipientID: "000001", Skill: "sales-" + campaign, Channel: parley.ChannelSMS, Sender: "+12025550100", Body: "Hi Jane, renew? Reply STOP to opt out",
		CustomerInfo: map[string]string{"shopperId": "S-1"}, ProviderMessageID: "SM" + campaign, SentAt: at, Lookback: 2 * time.Hour,
	}
}

func testOutboundContexts(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, c := range []parley.OutboundContext{
		outbound("acct1", consumerA, "c1", t0),
		outbound("acct1", consumerA, "c3", t0.Add(2*time.Hour)),
		outbound("acct1", consumerA, "c2", t0.Add(time.Hour)),
		outbound("acct1", consumerB, "c4", t0.Add(3*time.Hour)),
		outbound("acct2", consumerA, "c5", t0.Add(3*time.Hour)),
	} {
		if err := s.PutOutboundContext(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	campaigns := func(cs []parley.OutboundContext) string {
		var ids []string
		for _, c := range cs {
			ids = append(ids, c.CampaignID)
		}
		return strings.Join(ids, ",")
	}
	got, err := s.OutboundContexts(ctx, "acct1", consumerA, t0.Add(30*time.Minute), 10)
	if err != nil || campaigns(got) != "c3,c2" {
		t.Fatalf("contexts since t0+30m = %s, %v; want c3,c2 (newest first)", campaigns(got), err)
	}
	want := outbound("acct1", consumerA, "c3", t0.Add(2*time.Hour))
	c := got[0]
	if c.AccountID != want.AccountID || c.Consumer != want.Consumer || c.CampaignName != want.CampaignName || c.RecipientID != want.RecipientID ||
		c.Skill != want.Skill || c.Channel != want.Channel || c.Sender != want.Sender || c.Body != want.Body || c.CustomerInfo["shopperId"] != "S-1" ||
		c.ProviderMessageID != want.ProviderMessageID || !c.SentAt.Equal(want.SentAt) || c.Lookback != want.Lookback {
		t.Errorf("context = %+v, want %+v", c, want)
	}
	if got, err := s.OutboundContexts(ctx, "acct1", consumerA, time.Time{}, 1); err != nil || campaigns(got) != "c3" {
		t.Errorf("newest context = %s, %v; want c3", campaigns(got), err)
	}
	if got, err := s.OutboundContexts(ctx, "acct1", consumerA, time.Time{}, 10); err != nil || campaigns(got) != "c3,c2,c1" {
		t.Errorf("all contexts = %s, %v", campaigns(got), err)
	}
	if got, err := s.OutboundContexts(ctx, "acct2", consumerB, time.Time{}, 10); err != nil || len(got) != 0 {
		t.Errorf("contexts of a consumer with none = %+v, %v", got, err)
	}

	// A deflection's context names its call.
	deflected := outbound("acct1", "+12025550108", "b0eb76ed-0ff9-4d03-935b-c86ca9aa9354", t0)
	deflected.CallID = deflected.CampaignID
	if err := s.PutOutboundContext(ctx, deflected); err != nil {
		t.Fatal(err)
	}
	if got, err := s.OutboundContexts(ctx, "acct1", "+12025550108", t0, 1); err != nil || len(got) != 1 || got[0].CallID != deflected.CallID {
		t.Errorf("deflection context = %+v, %v; want callId %s", got, err, deflected.CallID)
	}

	// Oversized values are cut to the budgets that keep the item small.
	big := outbound("acct1", "+12025550109", "c9", t0)
	big.Body, big.CampaignName = strings.Repeat("é", 1000), strings.Repeat("n", 500)
	if err := s.PutOutboundContext(ctx, big); err != nil {
		t.Fatal(err)
	}
	got, err = s.OutboundContexts(ctx, "acct1", "+12025550109", t0, 1)
	if err != nil || len(got) != 1 || len(got[0].Body) > parley.MaxContextBody || len(got[0].CampaignName) > parley.MaxContextName {
		t.Fatalf("oversized context stored as %d/%d bytes, %v", len(got[0].Body), len(got[0].CampaignName), err)
	}
}

func newConversation(account, id, consumer, skill string, at time.Time) parley.Conversation {
	return parley.Conversation{
		ID: id, AccountID: account, Consumer: consumer, Channel: parley.ChannelSMS, Skill: skill, Status: parley.ConversationOpen,
		Transcript: []parley.Line{
			{Direction: parley.Outbound, Body: "Renew now?", At: at.Add(-time.Minute), ProviderMessageID: "SMout"},
			{Direction: parley.Inbound, Body: "Yes please", At: at, ProviderMessageID: "SMin-" + id},
		},
		Context: parley.ConversationContext{Source: parley.SourceProactive, CampaignID: "camp1", CampaignName: "Renewal",
			CustomerInfo: map[string]string{"tier": "gold"}, OutboundAt: at.Add(-time.Minute)},
		OpenedAt: at, UpdatedAt: at,
	}
}

func testConversationLifecycle(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, ok, err := s.LatestConversation(ctx, "acct1", consumerA); err != nil || ok {
		t.Fatalf("LatestConversation of a new consumer = %v, %v", ok, err)
	}
	if open, err := s.HasOpenConversation(ctx, "acct1", consumerA); err != nil || open {
		t.Fatalf("HasOpenConversation of a new consumer = %v, %v", open, err)
	}
	c1 := newConversation("acct1", "conv1", consumerA, "sales", t0)
	if err := s.CreateConversation(ctx, c1, ""); err != nil {
		t.Fatal(err)
	}
	if open, err := s.HasOpenConversation(ctx, "acct1", consumerA); err != nil || !open {
		t.Fatalf("HasOpenConversation = %v, %v; want open", open, err)
	}
	if open, _ := s.HasOpenConversation(ctx, "acct2", consumerA); open {
		t.Error("another account's consumer has the open conversation")
	}
	got, ok, err := s.LatestConversation(ctx, "acct1", consumerA)
	if err != nil || !ok || got.ID != "conv1" || len(got.Transcript) != 2 || got.Transcript[1].ProviderMessageID != "SMin-conv1" ||
		got.Context.CustomerInfo["tier"] != "gold" || !got.OpenedAt.Equal(t0) || got.Version != 0 {
		t.Fatalf("LatestConversation = %+v, %v, %v", got, ok, err)
	}
	c2 := newConversation("acct1", "conv2", consumerA, "service", t0.Add(time.Hour))
	wantCode(t, s.CreateConversation(ctx, c2, ""), parley.ECONFLICT)
	wantCode(t, s.CreateConversation(ctx, c2, "conv1"), parley.ECONFLICT) // conv1 is open

	// A reply appended at the stored version is saved; a stale one is not.
	got.Transcript = append(got.Transcript, parley.Line{Direction: parley.Inbound, Body: "When?", At: t0.Add(time.Minute)})
	saved, err := s.SaveConversation(ctx, got)
	if err != nil || saved.Version != 1 {
		t.Fatalf("SaveConversation = %+v, %v; want version 1", saved, err)
	}
	_, err = s.SaveConversation(ctx, got)
	wantCode(t, err, parley.ECONFLICT)
	if again, err := s.Conversation(ctx, "acct1", "conv1"); err != nil || again.Version != 1 || len(again.Transcript) != 3 {
		t.Fatalf("Conversation = %+v, %v", again, err)
	}

	// Closing takes the consumer's open conversation away.
	saved.Status, saved.ClosedAt = parley.ConversationClosed, t0.Add(2*time.Minute)
	closed, err := s.SaveConversation(ctx, saved)
	if err != nil || closed.Version != 2 || closed.Open() {
		t.Fatalf("close = %+v, %v", closed, err)
	}
	if open, err := s.HasOpenConversation(ctx, "acct1", consumerA); err != nil || open {
		t.Fatalf("HasOpenConversation after close = %v, %v", open, err)
	}
	latest, ok, err := s.LatestConversation(ctx, "acct1", consumerA)
	if err != nil || !ok || latest.ID != "conv1" || latest.Status != parley.ConversationClosed || !latest.ClosedAt.Equal(t0.Add(2*time.Minute)) {
		t.Fatalf("LatestConversation after close = %+v, %v, %v", latest, ok, err)
	}
	_, err = s.SaveConversation(ctx, closed)
	wantCode(t, err, parley.ECONFLICT) // a closed conversation never changes

	// The next conversation follows the closed one.
	wantCode(t, s.CreateConversation(ctx, c2, ""), parley.ECONFLICT)
	if err := s.CreateConversation(ctx, c2, "conv1"); err != nil {
		t.Fatal(err)
	}
	if latest, _, _ := s.LatestConversation(ctx, "acct1", consumerA); latest.ID != "conv2" {
		t.Errorf("latest = %s, want conv2", latest.ID)
	}
	if open, _ := s.HasOpenConversation(ctx, "acct1", consumerA); !open {
		t.Error("the new conversation is not open")
	}

	_, err = s.Conversation(ctx, "acct2", "conv1")
	wantCode(t, err, parley.ENOTFOUND)
	_, err = s.SaveConversation(ctx, newConversation("acct1", "nope", consumerB, "x", t0))
	wantCode(t, err, parley.ENOTFOUND)
}

func testConcurrentConversation(t *testing.T, s store.Store, opt Options) {
	ctx := context.Background()
	const n = 4
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			errs[i] = s.CreateConversation(ctx, newConversation("acct1", fmt.Sprintf("race%d", i), consumerA, "sales", t0), "")
		})
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch parley.ErrorCode(err) {
		case "":
			won++
		case parley.ECONFLICT:
		default:
			t.Fatalf("CreateConversation: %v", err)
		}
	}
	if won == 0 || (!opt.Racy && won != 1) {
		t.Fatalf("%d of %d concurrent creations won, want exactly 1", won, n)
	}
}

func testListConversations(t *testing.T, s store.Store) {
	ctx := context.Background()
	// Ids sort in creation order, as the service's UUIDv7 ids do.
	specs := []struct {
		id, consumer, skill string
		close               bool
	}{
		{"c01", consumerA, "sales", true},
		{"c02", consumerB, "service", false},
		{"c03", consumerA, "service", true},
		{"c04", "+12025550103", "sales", false},
		{"c05", consumerA, "sales", false},
	}
	prev := map[string]string{}
	for i, sp := range specs {
		c := newConversation("acct1", sp.id, sp.consumer, sp.skill, t0.Add(time.Duration(i)*time.Minute))
		if err := s.CreateConversation(ctx, c, prev[sp.consumer]); err != nil {
			t.Fatal(err)
		}
		prev[sp.consumer] = sp.id
		if sp.close {
			c.Status, c.ClosedAt = parley.ConversationClosed, c.OpenedAt.Add(time.Second)
			if _, err := s.SaveConversation(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := s.CreateConversation(ctx, newConversation("acct2", "c99", consumerA, "sales", t0), ""); err != nil {
		t.Fatal(err)
	}
	list := func(f parley.ConversationFilter) (string, string) {
		t.Helper()
		page, err := s.ListConversations(ctx, "acct1", f)
		if err != nil {
			t.Fatalf("ListConversations(%+v): %v", f, err)
		}
		var ids []string
		for _, c := range page.Conversations {
			ids = append(ids, c.ID)
		}
		return strings.Join(ids, ","), page.NextCursor
	}
	tests := []struct {
		f          parley.ConversationFilter
		ids, after string
	}{
		{parley.ConversationFilter{}, "c05,c04,c03,c02,c01", ""},
		{parley.ConversationFilter{Skill: "sales"}, "c05,c04,c01", ""},
		{parley.ConversationFilter{Status: parley.ConversationOpen}, "c05,c04,c02", ""},
		{parley.ConversationFilter{Status: parley.ConversationClosed, Skill: "service"}, "c03", ""},
		{parley.ConversationFilter{Consumer: consumerA}, "c05,c03,c01", ""},
		{parley.ConversationFilter{Consumer: consumerA, Status: parley.ConversationClosed}, "c03,c01", ""},
		{parley.ConversationFilter{Consumer: "+12025550199"}, "", ""},
		{parley.ConversationFilter{Limit: 2}, "c05,c04", "c04"},
		{parley.ConversationFilter{Limit: 2, Cursor: "c04"}, "c03,c02", "c02"},
		{parley.ConversationFilter{Limit: 2, Cursor: "c02"}, "c01", ""},
		{parley.ConversationFilter{Limit: 1, Consumer: consumerA}, "c05", "c05"},
		{parley.ConversationFilter{Limit: 1, Consumer: consumerA, Cursor: "c05"}, "c03", "c03"},
		{parley.ConversationFilter{Limit: 2, Skill: "sales", Cursor: "c05"}, "c04,c01", ""},
	}
	for _, tt := range tests {
		ids, next := list(tt.f)
		if ids != tt.ids {
			t.Errorf("ListConversations(%+v) = %q, want %q", tt.f, ids, tt.ids)
		}
		// A page may end early with a cursor; it must then lead on.
		if next != tt.after && !(tt.after == "" && next != "") {
			t.Errorf("ListConversations(%+v) cursor = %q, want %q", tt.f, next, tt.after)
		}
	}
	page, err := s.ListConversations(ctx, "acct3", parley.ConversationFilter{})
	if err != nil || page.Conversations == nil || len(page.Conversations) != 0 {
		t.Errorf("listing of an account with none = %#v, %v; want an empty list", page, err)
	}
}

func testBroadcasts(t *testing.T, s store.Store) {
	ctx := context.Background()
	b1 := parley.BroadcastCampaign{
		AccountID: "acct1", ID: "b1", Name: "Spring sale", Goal: "sales", Start: t0, End: t0.Add(24 * time.Hour), CreatedAt: t0,
		Engagements: []parley.Engagement{
			{ID: "1", Source: "cm", Skill: "sales", Language: "en-US", NotesToAgent: "20% off", EntryPoint: "CM-100"},
			{ID: "2", Source: "cm", Skill: "sales-es", EntryPoint: "+12025550100"},
		},
	}
	b2 := b1
	b2.ID, b2.Name = "b2", "Summer sale"
	b2.Engagements = []parley.Engagement{{ID: "1", Source: "cm", Skill: "summer", EntryPoint: "CM-100"}}
	for _, b := range []parley.BroadcastCampaign{b2, b1} {
		if err := s.CreateBroadcast(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	wantCode(t, s.CreateBroadcast(ctx, b1), parley.ECONFLICT)
	got, err := s.Broadcast(ctx, "acct1", "b1")
	if err != nil || got.Name != "Spring sale" || len(got.Engagements) != 2 || got.Engagements[0].NotesToAgent != "20% off" ||
		!got.Start.Equal(t0) || !got.End.Equal(t0.Add(24*time.Hour)) {
		t.Fatalf("Broadcast = %+v, %v", got, err)
	}
	_, err = s.Broadcast(ctx, "acct2", "b1")
	wantCode(t, err, parley.ENOTFOUND)
	all, err := s.Broadcasts(ctx, "acct1")
	if err != nil || len(all) != 2 || all[0].ID != "b1" || all[1].ID != "b2" {
		t.Fatalf("Broadcasts = %+v, %v", all, err)
	}
	if none, err := s.Broadcasts(ctx, "acct2"); err != nil || none == nil || len(none) != 0 {
		t.Errorf("Broadcasts of an account with none = %#v, %v", none, err)
	}
	byEP, err := s.BroadcastsByEntryPoint(ctx, "acct1", "CM-100")
	if err != nil || len(byEP) != 2 || byEP[0].ID != "b1" || byEP[1].ID != "b2" {
		t.Fatalf("BroadcastsByEntryPoint(CM-100) = %+v, %v", byEP, err)
	}
	if e := byEP[0].Engagements; len(e) != 1 || e[0].ID != "1" || e[0].Skill != "sales" || !byEP[0].End.Equal(b1.End) {
		t.Errorf("b1 by entry point = %+v, want its engagement 1 only", byEP[0])
	}
	byNumber, err := s.BroadcastsByEntryPoint(ctx, "acct1", "+12025550100")
	if err != nil || len(byNumber) != 1 || byNumber[0].Engagements[0].Skill != "sales-es" {
		t.Fatalf("BroadcastsByEntryPoint(number) = %+v, %v", byNumber, err)
	}
	if other, err := s.BroadcastsByEntryPoint(ctx, "acct2", "CM-100"); err != nil || len(other) != 0 {
		t.Errorf("another account's entry point = %+v, %v", other, err)
	}
}

func testNotifications(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, ok, err := s.LatestBroadcastNotification(ctx, "acct1", consumerA); err != nil || ok {
		t.Fatalf("no notification: %v, %v", ok, err)
	}
	for _, n := range []parley.BroadcastNotification{
		{AccountID: "acct1", Consumer: consumerA, EntryPoint: "CM-2", From: "+12025550100", Body: "later", Provider: "cm", At: t0.Add(time.Hour)},
		{AccountID: "acct1", Consumer: consumerA, EntryPoint: "CM-1", Body: "earlier", Provider: "cm", At: t0},
		{AccountID: "acct1", Consumer: consumerB, EntryPoint: "CM-3", At: t0.Add(2 * time.Hour)},
	} {
		if err := s.PutBroadcastNotification(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	n, ok, err := s.LatestBroadcastNotification(ctx, "acct1", consumerA)
	if err != nil || !ok || n.EntryPoint != "CM-2" || n.From != "+12025550100" || n.Body != "later" || !n.At.Equal(t0.Add(time.Hour)) {
		t.Fatalf("LatestBroadcastNotification = %+v, %v, %v", n, ok, err)
	}
	if _, ok, _ := s.LatestBroadcastNotification(ctx, "acct2", consumerA); ok {
		t.Error("another account sees the notification")
	}
}

func testReportEvents(t *testing.T, s store.Store) {
	ctx := context.Background()
	ev := func(id string, at time.Time) parley.ReportEvent {
		return parley.ReportEvent{ID: id, AccountID: "acct1", Type: parley.ReportConversationStarted, At: at, ConversationID: id,
			Consumer: consumerA, Channel: parley.ChannelSMS, Skill: "sales", Source: parley.SourceBroadcast, BroadcastID: "b1", EngagementID: "1", EntryPoint: "CM-1"}
	}
	for _, e := range []parley.ReportEvent{ev("e2", t0.Add(time.Minute)), ev("e1", t0), ev("e3", t0.Add(2*time.Minute)), ev("e2", t0.Add(time.Minute))} {
		if err := s.PutReportEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutReportEvent(ctx, parley.ReportEvent{ID: "x", AccountID: "acct2", At: t0}); err != nil {
		t.Fatal(err)
	}
	got, err := s.ReportEvents(ctx, "acct1", time.Time{}, 10)
	if err != nil || len(got) != 3 || got[0].ID != "e1" || got[1].ID != "e2" || got[2].ID != "e3" {
		t.Fatalf("ReportEvents = %+v, %v; want e1, e2, e3 (a rewrite replaces)", got, err)
	}
	if g := got[1]; g.Type != parley.ReportConversationStarted || g.Source != parley.SourceBroadcast || g.EngagementID != "1" || !g.At.Equal(t0.Add(time.Minute)) {
		t.Errorf("event = %+v", g)
	}
	if got, err := s.ReportEvents(ctx, "acct1", t0.Add(time.Minute), 1); err != nil || len(got) != 1 || got[0].ID != "e2" {
		t.Errorf("ReportEvents(since e2, 1) = %+v, %v", got, err)
	}
	if none, err := s.ReportEvents(ctx, "acct3", time.Time{}, 10); err != nil || none == nil || len(none) != 0 {
		t.Errorf("ReportEvents of an account with none = %#v, %v", none, err)
	}
}
