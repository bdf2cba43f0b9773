package conversation_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/inbound/conversation"
	"github.com/parleyhq/parley/internal/obs"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/embedded"
	"github.com/parleyhq/parley/internal/testworld"
)

// t0 is when the outbound messages of the tests are sent.
var t0 = time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC)

const (
	jane    = "+12025550101"
	sender  = "+12025550100"
	account = "acct1"
)

// pushes records what the agent platform was sent; it fails while failing
// is set.
type pushes struct {
	mu      sync.Mutex
	events  []parley.ConversationEvent
	failing bool
}

func (p *pushes) Push(ctx context.Context, ev parley.ConversationEvent) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.failing {
		return parley.Errorf(parley.EUNAVAILABLE, "platform down")
	}
	p.events = append(p.events, ev)
	return nil
}

func (p *pushes) types() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var ts []string
	for _, e := range p.events {
		ts = append(ts, e.Type)
	}
	return strings.Join(ts, ",")
}

type world struct {
	svc    *conversation.Service
	store  *embedded.Store
	pushed *pushes
	now    time.Time
}

func newWorld(t *testing.T) *world {
	t.Helper()
	s, _ := testworld.Open(t)
	w := &world{store: s, pushed: &pushes{}, now: t0}
	var n atomic.Int64
	w.svc = &conversation.Service{
		Store: s, Events: s, Connector: w.pushed, Log: obs.Discard(),
		Clock: parley.ClockFunc(func() time.Time { return w.now }),
		NewID: func() string { return fmt.Sprintf("id%03d", n.Add(1)) },
	}
	if err := s.PutAccount(context.Background(), parley.Account{ID: account, DefaultSkill: "service"}); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *world) sent(t *testing.T, campaign, skill string, at time.Time, lookback time.Duration) {
	t.Helper()
	err := w.svc.RecordOutbound(context.Background(), parley.OutboundContext{
		AccountID: account, Consumer: jane, CampaignID: campaign, CampaignName: "Campaign " + campaign, RecipientID: "000001",
		Skill: skill, Channel: parley.ChannelSMS, Body: "Hello from " + campaign, CustomerInfo: map[string]string{"tier": "gold"},
		ProviderMessageID: "SM-" + campaign, SentAt: at, Lookback: lookback,
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (w *world) reply(t *testing.T, id string, at time.Time) parley.Conversation {
	t.Helper()
	c, err := w.svc.Receive(context.Background(), conversation.Inbound{
		AccountID: account, Channel: parley.ChannelSMS, From: "1 (202) 555-0101", To: sender, Body: "reply " + id,
		ProviderMessageID: id, At: at,
	})
	if err != nil {
		t.Fatalf("Receive(%s): %v", id, err)
	}
	return c
}

// TestRouting checks which skill a consumer's first reply goes to.
func TestRouting(t *testing.T) {
	type send struct {
		campaign, skill string
		after, lookback time.Duration
	}
	tests := []struct {
		name     string
		sends    []send
		replyAt  time.Duration
		skill    string
		campaign string
	}{
		{"just inside the lookback", []send{{"c1", "sales", 0, time.Hour}}, time.Hour - time.Second, "sales", "c1"},
		{"at the lookback's end", []send{{"c1", "sales", 0, time.Hour}}, time.Hour, "sales", "c1"},
		{"just after the lookback", []send{{"c1", "sales", 0, time.Hour}}, time.Hour + time.Second, "service", ""},
		{"default lookback is 30 days", []send{{"c1", "sales", 0, 0}}, 30 * 24 * time.Hour, "sales", "c1"},
		{"after 30 days", []send{{"c1", "sales", 0, 0}}, 30*24*time.Hour + time.Second, "service", ""},
		{"lookback below the minimum is an hour", []send{{"c1", "sales", 0, time.Minute}}, 59 * time.Minute, "sales", "c1"},
		{"newest context wins", []send{{"c1", "sales", 0, 0}, {"c2", "billing", 10 * time.Minute, 0}}, 20 * time.Minute, "billing", "c2"},
		{"newest expired, an older one holds", []send{{"c1", "sales", 0, 0}, {"c2", "billing", 10 * time.Minute, time.Hour}}, 2 * time.Hour, "sales", "c1"},
		{"a message sent after the reply is not answered by it", []send{{"c1", "sales", time.Hour, 0}}, 30 * time.Minute, "service", ""},
		{"no message sent", nil, 0, "service", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			for _, s := range tt.sends {
				w.sent(t, s.campaign, s.skill, t0.Add(s.after), s.lookback)
			}
			c := w.reply(t, "in1", t0.Add(tt.replyAt))
			if c.Skill != tt.skill || c.Context.CampaignID != tt.campaign || !c.Open() || c.Consumer != jane {
				t.Fatalf("conversation = skill %q campaign %q status %s consumer %s; want %q, %q", c.Skill, c.Context.CampaignID, c.Status, c.Consumer, tt.skill, tt.campaign)
			}
			last := c.Transcript[len(c.Transcript)-1]
			if last.Direction != parley.Inbound || last.Body != "reply in1" || last.ProviderMessageID != "in1" {
				t.Errorf("last line = %+v", last)
			}
			if tt.campaign == "" {
				if len(c.Transcript) != 1 || c.Context.Source != parley.SourceInbound {
					t.Errorf("default-skill conversation = %+v, want the reply alone, source INBOUND", c)
				}
				return
			}
			first := c.Transcript[0]
			if len(c.Transcript) != 2 || first.Direction != parley.Outbound || first.Body != "Hello from "+tt.campaign || first.ProviderMessageID != "SM-"+tt.campaign {
				t.Errorf("transcript = %+v, want the outbound message first", c.Transcript)
			}
			if x := c.Context; x.Source != parley.SourceProactive || x.CampaignName != "Campaign "+tt.campaign || x.CustomerInfo["tier"] != "gold" || x.RecipientID != "000001" {
				t.Errorf("context = %+v", x)
			}
		})
	}
}

// TestBroadcastRouting checks replies to a provider broadcast.
func TestBroadcastRouting(t *testing.T) {
	start, end := t0, t0.Add(24*time.Hour)
	tests := []struct {
		name       string
		notify     *parley.BroadcastNotification
		entryPoint string
		to         string
		at         time.Time
		skill      string
		engagement string
	}{
		{"by the notification's campaign id", &parley.BroadcastNotification{EntryPoint: "CM-100", Body: "Spring sale!"}, "", "+12025550199", t0.Add(time.Hour), "sales", "1"},
		{"by the number written to", nil, "", "+1 202 555 0177", t0.Add(time.Hour), "sales-es", "2"},
		{"by the webhook's entry point", nil, "CM-100", "+12025550199", t0.Add(time.Hour), "sales", "1"},
		{"at the timeframe's end", &parley.BroadcastNotification{EntryPoint: "CM-100"}, "", "", end, "sales", "1"},
		{"after the timeframe", &parley.BroadcastNotification{EntryPoint: "CM-100"}, "", "", end.Add(time.Second), "service", ""},
		{"before the timeframe", nil, "CM-100", "", start.Add(-time.Second), "service", ""},
		{"unknown entry point", nil, "CM-999", "+12025550199", t0.Add(time.Hour), "service", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			ctx := context.Background()
			b, err := w.svc.CreateBroadcast(ctx, parley.BroadcastCampaign{
				AccountID: account, Name: "Spring sale", Goal: "sales", Start: start, End: end,
				Engagements: []parley.Engagement{
					{Source: "CM", Skill: "sales", Language: "en-US", NotesToAgent: "They got: Spring sale!", EntryPoint: "CM-100"},
					{Source: "cm", Skill: "sales-es", EntryPoint: "+1 (202) 555-0177"},
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			if b.Engagements[1].EntryPoint != "+12025550177" || b.Engagements[0].Source != "cm" || b.Engagements[1].ID != "2" {
				t.Fatalf("broadcast = %+v, want entry points and sources normalised, engagements numbered", b)
			}
			if tt.notify != nil {
				n := *tt.notify
				n.AccountID, n.Consumer, n.At = account, "12025550101", t0.Add(-time.Minute)
				if err := w.svc.RecordBroadcast(ctx, n); err != nil {
					t.Fatal(err)
				}
			}
			c, err := w.svc.Receive(ctx, conversation.Inbound{AccountID: account, From: jane, To: tt.to, Body: "yes", ProviderMessageID: "in1", At: tt.at, EntryPoint: tt.entryPoint})
			if err != nil {
				t.Fatal(err)
			}
			if c.Skill != tt.skill || c.Context.EngagementID != tt.engagement {
				t.Fatalf("conversation skill %q engagement %q, want %q %q (context %+v)", c.Skill, c.Context.EngagementID, tt.skill, tt.engagement, c.Context)
			}
			if tt.engagement == "" {
				if c.Context.Source != parley.SourceInbound || c.Context.BroadcastID != "" {
					t.Errorf("unlinked conversation context = %+v", c.Context)
				}
				return
			}
			if x := c.Context; x.Source != parley.SourceBroadcast || x.BroadcastID != b.ID || x.Goal != "sales" || x.CampaignName != "Spring sale" {
				t.Errorf("context = %+v", x)
			}
			if tt.engagement == "1" && (c.Context.NotesToAgent != "They got: Spring sale!" || c.Context.Language != "en-US") {
				t.Errorf("context = %+v, want the engagement's notes and language", c.Context)
			}
			// The broadcast message opens the transcript when the
			// provider's notification carried it.
			wantLines, wantFirst := 1, parley.Inbound
			if tt.notify != nil && tt.notify.Body != "" {
				wantLines, wantFirst = 2, parley.Outbound
			}
			if len(c.Transcript) != wantLines || c.Transcript[0].Direction != wantFirst {
				t.Errorf("transcript = %+v, want %d lines, the first %s", c.Transcript, wantLines, wantFirst)
			}
		})
	}
}

func TestProactiveBeatsBroadcast(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	if _, err := w.svc.CreateBroadcast(ctx, parley.BroadcastCampaign{AccountID: account, Name: "B", Goal: "g", Start: t0, End: t0.Add(time.Hour),
		Engagements: []parley.Engagement{{Source: "cm", Skill: "broadcast", EntryPoint: sender}}}); err != nil {
		t.Fatal(err)
	}
	w.sent(t, "c1", "sales", t0, time.Hour)
	if c := w.reply(t, "in1", t0.Add(time.Minute)); c.Skill != "sales" || c.Context.Source != parley.SourceProactive {
		t.Fatalf("conversation = %+v, want the proactive campaign's", c)
	}
}

// TestLifecycle follows one consumer through two conversations.
func TestLifecycle(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.sent(t, "c1", "sales", t0, 0)
	first := w.reply(t, "in1", t0.Add(time.Minute))
	if open, err := w.svc.OpenConversation(ctx, account, jane); err != nil || !open {
		t.Fatalf("OpenConversation = %v, %v; want open", open, err)
	}
	second := w.reply(t, "in2", t0.Add(2*time.Minute))
	if second.ID != first.ID || len(second.Transcript) != 3 || second.Transcript[2].Body != "reply in2" || second.Skill != "sales" {
		t.Fatalf("second reply = %+v, want it appended to %s", second, first.ID)
	}
	// A redelivered webhook changes nothing.
	again := w.reply(t, "in2", t0.Add(2*time.Minute))
	if again.ID != first.ID || len(again.Transcript) != 3 || again.Version != second.Version {
		t.Fatalf("redelivery = %+v, want the conversation unchanged", again)
	}

	w.now = t0.Add(time.Hour)
	closed, err := w.svc.Close(ctx, account, first.ID)
	if err != nil || closed.Open() || !closed.ClosedAt.Equal(w.now) {
		t.Fatalf("Close = %+v, %v", closed, err)
	}
	if again, err := w.svc.Close(ctx, account, first.ID); err != nil || !again.ClosedAt.Equal(closed.ClosedAt) {
		t.Fatalf("second Close = %+v, %v; want the conversation as closed", again, err)
	}
	if open, _ := w.svc.OpenConversation(ctx, account, jane); open {
		t.Fatal("OpenConversation after close = true")
	}

	// Inside c1's lookback still, but c1 was answered: a new inbound
	// conversation with the default skill.
	third := w.reply(t, "in3", t0.Add(2*time.Hour))
	if third.ID == first.ID || third.Skill != "service" || third.Context.Source != parley.SourceInbound || len(third.Transcript) != 1 {
		t.Fatalf("reply after close = %+v, want a new default-skill conversation", third)
	}
	if _, err := w.svc.Close(ctx, account, third.ID); err != nil {
		t.Fatal(err)
	}
	// A new campaign message routes the next reply again.
	w.sent(t, "c2", "renewals", t0.Add(3*time.Hour), 0)
	fourth := w.reply(t, "in4", t0.Add(4*time.Hour))
	if fourth.Skill != "renewals" || fourth.Transcript[0].Body != "Hello from c2" {
		t.Fatalf("reply to a new campaign = %+v", fourth)
	}

	if got := w.pushed.types(); got != "conversation.started,conversation.message,conversation.message,conversation.closed,conversation.started,conversation.closed,conversation.started" {
		t.Errorf("pushed %s", got)
	}
	events, err := w.store.ReportEvents(ctx, account, time.Time{}, 10)
	if err != nil || len(events) != 3 || events[0].ConversationID != first.ID || events[0].CampaignID != "c1" ||
		events[1].Source != parley.SourceInbound || events[2].Skill != "renewals" || events[0].Type != parley.ReportConversationStarted {
		t.Fatalf("report events = %+v, %v; want one per conversation started", events, err)
	}

	page, err := w.svc.List(ctx, account, parley.ConversationFilter{Consumer: jane, Status: parley.ConversationClosed})
	if err != nil || len(page.Conversations) != 2 || page.Conversations[0].ID != third.ID {
		t.Fatalf("List = %+v, %v", page, err)
	}
	if got, err := w.svc.Get(ctx, account, fourth.ID); err != nil || got.Skill != "renewals" {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	if _, err := w.svc.Get(ctx, "acct2", fourth.ID); parley.ErrorCode(err) != parley.ENOTFOUND {
		t.Errorf("Get from another account = %v, want not found", err)
	}
	if _, err := w.svc.Close(ctx, account, "nope"); parley.ErrorCode(err) != parley.ENOTFOUND {
		t.Errorf("Close of an unknown conversation = %v", err)
	}
}

func TestPushFailureKeepsTheConversation(t *testing.T) {
	w := newWorld(t)
	w.pushed.failing = true
	c, err := w.svc.Receive(context.Background(), conversation.Inbound{AccountID: account, From: jane, Body: "hi", ProviderMessageID: "in1", At: t0})
	if !errors.Is(err, conversation.ErrNotPushed) || parley.ErrorCode(err) != parley.EUNAVAILABLE || c.ID == "" {
		t.Fatalf("Receive = %+v, %v; want the conversation and ErrNotPushed", c, err)
	}
	// The provider redelivers; now the platform takes it.
	w.pushed.failing = false
	again, err := w.svc.Receive(context.Background(), conversation.Inbound{AccountID: account, From: jane, Body: "hi", ProviderMessageID: "in1", At: t0})
	if err != nil || again.ID != c.ID || len(again.Transcript) != 1 || w.pushed.types() != parley.EventStarted {
		t.Fatalf("redelivery = %+v, %v, pushed %s", again, err, w.pushed.types())
	}
}

func TestReceiveTakesAnyText(t *testing.T) {
	w := newWorld(t)
	for i, body := range []string{"", "STOP", strings.Repeat("é", 5000), "\x00\xff"} {
		c, err := w.svc.Receive(context.Background(), conversation.Inbound{AccountID: account, From: jane, Body: body, ProviderMessageID: fmt.Sprint(i), At: t0})
		if err != nil || len(c.Transcript[len(c.Transcript)-1].Body) > parley.MaxLineBytes {
			t.Fatalf("Receive(%.20q) = %v", body, err)
		}
	}
	for _, in := range []conversation.Inbound{{From: jane}, {AccountID: account, From: "  "}} {
		if _, err := w.svc.Receive(context.Background(), in); parley.ErrorCode(err) != parley.EINVALID {
			t.Errorf("Receive(%+v) = %v, want invalid", in, err)
		}
	}
}

func TestInAppConsumerIDsAreKept(t *testing.T) {
	w := newWorld(t)
	c, err := w.svc.Receive(context.Background(), conversation.Inbound{AccountID: account, Channel: parley.ChannelInApp, From: "12025550101", Body: "hi", At: t0})
	if err != nil || c.Consumer != "12025550101" || c.Channel != parley.ChannelInApp {
		t.Fatalf("in-app conversation = %+v, %v", c, err)
	}
}

func TestConcurrentReplies(t *testing.T) {
	w := newWorld(t)
	w.sent(t, "c1", "sales", t0, 0)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			if _, err := w.svc.Receive(context.Background(), conversation.Inbound{AccountID: account, From: jane, Body: "hi", ProviderMessageID: fmt.Sprint(i), At: t0.Add(time.Minute)}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	page, err := w.svc.List(context.Background(), account, parley.ConversationFilter{})
	if err != nil || len(page.Conversations) != 1 || len(page.Conversations[0].Transcript) != 9 {
		t.Fatalf("after 8 concurrent replies: %d conversations, %v; want one with 9 lines", len(page.Conversations), err)
	}
}

func TestCreateBroadcastRejects(t *testing.T) {
	valid := func() parley.BroadcastCampaign {
		return parley.BroadcastCampaign{AccountID: account, Name: "B", Goal: "g", Start: t0, End: t0.Add(time.Hour),
			Engagements: []parley.Engagement{{Source: "cm", Skill: "s", EntryPoint: "CM-1"}}}
	}
	tests := []struct {
		field string
		edit  func(*parley.BroadcastCampaign)
	}{
		{"name", func(b *parley.BroadcastCampaign) { b.Name = " " }},
		{"goal", func(b *parley.BroadcastCampaign) { b.Goal = "" }},
		{"timeframe.start", func(b *parley.BroadcastCampaign) { b.Start = time.Time{} }},
		{"timeframe.end", func(b *parley.BroadcastCampaign) { b.End = b.Start }},
		{"engagements", func(b *parley.BroadcastCampaign) { b.Engagements = nil }},
		{"engagements[0].skill", func(b *parley.BroadcastCampaign) { b.Engagements[0].Skill = "" }},
		{"engagements[0].source", func(b *parley.BroadcastCampaign) { b.Engagements[0].Source = "" }},
		{"engagements[0].entryPoint", func(b *parley.BroadcastCampaign) { b.Engagements[0].EntryPoint = "" }},
		{"engagements[1].entryPoint", func(b *parley.BroadcastCampaign) {
			b.Engagements = append(b.Engagements, parley.Engagement{Source: "cm", Skill: "x", EntryPoint: " CM-1 "})
		}},
		{"engagements[0].notesToAgent", func(b *parley.BroadcastCampaign) { b.Engagements[0].NotesToAgent = strings.Repeat("n", 1001) }},
	}
	w := newWorld(t)
	for _, tt := range tests {
		b := valid()
		tt.edit(&b)
		if _, err := w.svc.CreateBroadcast(context.Background(), b); parley.ErrorField(err) != tt.field {
			t.Errorf("CreateBroadcast with bad %s = %v", tt.field, err)
		}
	}
	if all, _ := w.svc.Broadcasts(context.Background(), account); len(all) != 0 {
		t.Errorf("rejected broadcasts were stored: %+v", all)
	}
}

// recipients answers the recipient of campaign "with-sdes", ENOTFOUND for
// others, and fails every read while broken.
type recipients struct{ broken bool }

func (r recipients) Recipient(ctx context.Context, ref parley.Ref) (parley.Recipient, error) {
	switch {
	case r.broken:
		return parley.Recipient{}, parley.Errorf(parley.EUNAVAILABLE, "table away")
	case ref.CampaignID == "with-sdes" && ref.RecipientID == "000001" && ref.AccountID == account:
		return parley.Recipient{SDEs: map[string]string{"ctmrinfo.customerId": "C-1"}}, nil
	}
	return parley.Recipient{}, parley.Errorf(parley.ENOTFOUND, "no recipient %s", ref.RecipientID)
}

// TestConversationShowsSDEs: a proactive conversation shows the engagement
// attributes of the recipient it answers; a recipient gone leaves none and
// the reply is routed all the same; a failed read is an error to retry.
func TestConversationShowsSDEs(t *testing.T) {
	for _, tt := range []struct {
		campaign string
		broken   bool
		want     string // the customerId shown
	}{{"with-sdes", false, "C-1"}, {"gone", false, ""}, {"with-sdes", true, ""}} {
		w := newWorld(t)
		w.svc.Recipients = recipients{broken: tt.broken}
		w.sent(t, tt.campaign, "sales", t0, time.Hour)
		w.now = t0.Add(time.Minute)
		c, err := w.svc.Receive(context.Background(), conversation.Inbound{
			AccountID: account, Channel: parley.ChannelSMS, From: jane, To: sender, Body: "hi", ProviderMessageID: "r1", At: w.now,
		})
		switch {
		case tt.broken:
			if parley.ErrorCode(err) != parley.EUNAVAILABLE {
				t.Errorf("recipients away: %v; want EUNAVAILABLE, to retry", err)
			}
		case err != nil || c.Skill != "sales" || c.Context.SDEs["ctmrinfo.customerId"] != tt.want || (tt.want == "" && c.Context.SDEs != nil):
			t.Errorf("%s: conversation %+v, %v; want skill sales and customerId %q", tt.campaign, c.Context, err, tt.want)
		}
	}
}
