package inbound_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/gateway/sandbox"
	"github.com/parleyhq/parley/internal/gateway/twilio"
	"github.com/parleyhq/parley/internal/inbound"
	"github.com/parleyhq/parley/internal/inbound/conversation"
	"github.com/parleyhq/parley/internal/inbound/optout"
	"github.com/parleyhq/parley/internal/inbound/receipts"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/settings/account"
	"github.com/parleyhq/parley/internal/store/embedded"
	"github.com/parleyhq/parley/internal/store/storetest"
	"github.com/parleyhq/parley/internal/testworld"
)

var t0 = time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC)

const (
	acct     = "acct1"
	brand    = "+12025550100"
	consumer = "+12025550181"
)

// platform stands in for the brand's agent platform: it takes pushes, or
// refuses them while down.
type platform struct {
	mu     sync.Mutex
	events []parley.ConversationEvent
	down   bool
}

func (p *platform) Push(ctx context.Context, ev parley.ConversationEvent) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.down {
		return parley.Errorf(parley.EUNAVAILABLE, "platform down")
	}
	p.events = append(p.events, ev)
	return nil
}

func (p *platform) setDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
}

func (p *platform) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.events)
}

type world struct {
	store    *embedded.Store
	sent     *sandbox.Gateway
	optouts  *optout.Service
	platform *platform
	svc      *inbound.Service
}

func newWorld(t *testing.T) *world {
	t.Helper()
	s, _ := testworld.Open(t)
	clock := parley.ClockFunc(func() time.Time { return t0 })
	accounts := &account.Service{Store: s, Clock: clock}
	optouts := &optout.Service{Store: s, Accounts: accounts, Clock: clock}
	p := &platform{}
	var n atomic.Int64
	replies := &conversation.Service{Store: s, Events: s, Connector: p, Clock: clock, NewID: func() string { return fmt.Sprintf("conv%03d", n.Add(1)) }}
	sent := &sandbox.Gateway{Recorder: s, Clock: clock}
	svc := &inbound.Service{
		Seen: s, Keywords: optouts, Replies: replies, Statuses: &receipts.Service{Store: s, Clock: clock},
		Sender: sent, Clock: clock, History: s,
	}
	if err := s.PutAccount(context.Background(), parley.Account{ID: acct, DefaultSkill: "service"}); err != nil {
		t.Fatal(err)
	}
	return &world{store: s, sent: sent, optouts: optouts, platform: p, svc: svc}
}

func sms(id, body string) inbound.Message {
	return inbound.Message{AccountID: acct, Provider: "twilio", Channel: parley.ChannelSMS, ID: id, From: consumer, To: brand, Body: body, At: t0}
}

// answers lists the messages sent back to consumers.
func (w *world) answers(t *testing.T) []parley.SentMessage {
	t.Helper()
	ms, err := w.sent.Messages(context.Background(), acct)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

func (w *world) optedOut(t *testing.T, ch parley.Channel) bool {
	t.Helper()
	out, err := w.optouts.OptedOut(context.Background(), acct, ch, consumer)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestKeywords(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	steps := []struct {
		name      string
		msg       inbound.Message
		duplicate bool
		keyword   optout.Keyword
		answer    string
		routed    bool
		optedOut  bool
	}{
		{"stop", sms("SM1", "Stop!"), false, optout.OptOut, account.DefaultOptOutConfirm, false, true},
		{"the same webhook again", sms("SM1", "Stop!"), true, optout.None, "", false, true},
		{"stop again, another message: not answered", sms("SM2", "STOP"), false, optout.OptOut, "", false, true},
		{"help", sms("SM3", "help"), false, optout.Help, account.DefaultHelp, false, true},
		{"help again", sms("SM4", "HELP"), false, optout.Help, account.DefaultHelp, false, true},
		{"start", sms("SM5", "start"), false, optout.OptIn, account.DefaultOptInConfirm, false, false},
		{"yes while subscribed is a reply", sms("SM6", "yes"), false, optout.None, "", true, false},
	}
	answers := 0
	for _, st := range steps {
		out, err := w.svc.Receive(ctx, st.msg)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if out.Duplicate != st.duplicate || out.Keyword != st.keyword || out.Answer != st.answer || out.Routed != st.routed {
			t.Fatalf("%s: %+v; want duplicate=%v keyword=%s answer=%q routed=%v", st.name, out, st.duplicate, st.keyword, st.answer, st.routed)
		}
		if got := w.optedOut(t, parley.ChannelSMS); got != st.optedOut {
			t.Fatalf("%s: opted out = %v, want %v", st.name, got, st.optedOut)
		}
		sent := w.answers(t)
		if st.answer != "" {
			answers++
			last := sent[len(sent)-1]
			if out.AnswerID != last.ID || last.From != brand || last.To != consumer || last.Body != st.answer || last.Channel != parley.ChannelSMS || last.AccountID != acct {
				t.Fatalf("%s: answer %+v (id %q); want %q from %s to %s", st.name, last, out.AnswerID, st.answer, brand, consumer)
			}
		}
		if len(sent) != answers {
			t.Fatalf("%s: %d answers sent, want %d", st.name, len(sent), answers)
		}
	}
	// A keyword on WhatsApp bars WhatsApp only.
	wa := sms("wamid.1", "STOP")
	wa.Provider, wa.Channel = "whatsapp", parley.ChannelWhatsApp
	if out, err := w.svc.Receive(ctx, wa); err != nil || out.Keyword != optout.OptOut {
		t.Fatalf("WhatsApp STOP: %+v, %v", out, err)
	}
	if !w.optedOut(t, parley.ChannelWhatsApp) || w.optedOut(t, parley.ChannelSMS) {
		t.Error("a WhatsApp STOP did not bar exactly WhatsApp")
	}
	if last := w.answers(t)[answers]; last.Channel != parley.ChannelWhatsApp {
		t.Errorf("WhatsApp STOP answered on %s", last.Channel)
	}
}

func TestRouting(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	out, err := w.svc.Receive(ctx, sms("SM10", "Can I change my plan?"))
	if err != nil || !out.Routed || out.Conversation.Skill != "service" {
		t.Fatalf("Receive = %+v, %v; want routed to the default skill", out, err)
	}
	again, err := w.svc.Receive(ctx, sms("SM10", "Can I change my plan?"))
	if err != nil || !again.Duplicate || again.Routed {
		t.Fatalf("the same webhook again = %+v, %v; want a duplicate", again, err)
	}
	conv, err := w.store.Conversation(ctx, acct, out.Conversation.ID)
	if err != nil || len(conv.Transcript) != 1 || w.platform.count() != 1 {
		t.Fatalf("conversation %+v, %v, %d pushes; want one line pushed once", conv.Transcript, err, w.platform.count())
	}
	// A consumer known only by a provider's user id has no number to opt
	// out: the keyword is an ordinary message.
	user := sms("wamid.U1", "STOP")
	user.Provider, user.Channel, user.From = "whatsapp", parley.ChannelWhatsApp, "US.1349120865"
	if out, err := w.svc.Receive(ctx, user); err != nil || !out.Routed || out.Keyword != optout.None {
		t.Fatalf("STOP from a user id = %+v, %v; want routed", out, err)
	}
	// Providers name messages per account: the same id elsewhere is news.
	other := sms("SM10", "hello")
	other.AccountID = "acct2"
	if out, err := w.svc.Receive(ctx, other); err != nil || out.Duplicate {
		t.Fatalf("another account's SM10 = %+v, %v; want taken in", out, err)
	}
}

func TestFailedMessageIsTakenInOnRetry(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.platform.setDown(true)
	_, err := w.svc.Receive(ctx, sms("SM20", "Is my order late?"))
	if !errors.Is(err, conversation.ErrNotPushed) || parley.ErrorCode(err) != parley.EUNAVAILABLE {
		t.Fatalf("Receive while the platform is down: %v; want EUNAVAILABLE wrapping ErrNotPushed", err)
	}
	w.platform.setDown(false)
	out, err := w.svc.Receive(ctx, sms("SM20", "Is my order late?"))
	if err != nil || out.Duplicate || !out.Routed {
		t.Fatalf("the provider's retry = %+v, %v; want taken in", out, err)
	}
	if len(out.Conversation.Transcript) != 1 || w.platform.count() == 0 {
		t.Errorf("after the retry: %d lines, %d pushes; want the one line, pushed", len(out.Conversation.Transcript), w.platform.count())
	}
	if again, err := w.svc.Receive(ctx, sms("SM20", "Is my order late?")); err != nil || !again.Duplicate {
		t.Errorf("a third delivery = %+v, %v; want a duplicate", again, err)
	}
}

func TestReceiveRefuses(t *testing.T) {
	w := newWorld(t)
	tests := []struct {
		name, field string
		change      func(*inbound.Message)
	}{
		{"no account", "accountId", func(m *inbound.Message) { m.AccountID = " " }},
		{"no provider", "provider", func(m *inbound.Message) { m.Provider = "" }},
		{"no sender", "from", func(m *inbound.Message) { m.From = "" }},
	}
	for _, tt := range tests {
		m := sms("SM30", "hi")
		tt.change(&m)
		if _, err := w.svc.Receive(context.Background(), m); parley.ErrorField(err) != tt.field {
			t.Errorf("%s: %v; want EINVALID naming %s", tt.name, err, tt.field)
		}
	}
	// Nothing was marked seen: the valid message is taken in.
	if out, err := w.svc.Receive(context.Background(), sms("SM30", "hi")); err != nil || out.Duplicate {
		t.Errorf("after refusals: %+v, %v", out, err)
	}
}

func TestStatus(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	c, rs := storetest.Fixture(acct, "camp1", 3)
	if err := w.store.CreateCampaign(ctx, c, rs); err != nil {
		t.Fatal(err)
	}
	send := func(r parley.Recipient, id string) {
		t.Helper()
		if _, err := w.store.UpdateRecipient(ctx, r.Ref(), parley.RecipientChange{From: parley.Claimable, Status: parley.StatusSending, At: t0}); err != nil {
			t.Fatal(err)
		}
		if id == "" {
			return
		}
		if _, err := w.store.UpdateRecipient(ctx, r.Ref(), parley.RecipientChange{
			From: []parley.RecipientStatus{parley.StatusSending}, Status: parley.StatusSent, ProviderMessageID: id, At: t0,
		}); err != nil {
			t.Fatal(err)
		}
	}
	send(rs[0], "SM1")
	send(rs[1], "SM2")
	send(rs[2], "") // with the provider, its id not recorded yet
	update := func(r parley.Recipient, id, status string) receipts.Update {
		return gateway.MapStatus(twilio.Provider{}, receipts.Update{AccountID: acct, CampaignID: r.CampaignID, RecipientID: r.ID, ProviderMessageID: id, Word: status})
	}
	steps := []struct {
		name    string
		u       receipts.Update
		applied bool
		ignored string
		code    string
		r       parley.Recipient
		want    parley.RecipientStatus
	}{
		{"delivered", update(rs[0], "SM1", "delivered"), true, "", "", rs[0], parley.StatusDelivered},
		{"sent, late", update(rs[0], "SM1", "sent"), false, "", "", rs[0], parley.StatusDelivered},
		{"delivered again", update(rs[0], "SM1", "delivered"), false, "", "", rs[0], parley.StatusDelivered},
		{"read before delivered", update(rs[1], "SM2", "read"), true, "", "", rs[1], parley.StatusRead},
		{"delivered after read", update(rs[1], "SM2", "delivered"), false, "", "", rs[1], parley.StatusRead},
		{"failed names another recipient's message", update(rs[0], "SM2", "failed"), false, "", "", rs[0], parley.StatusDelivered},
		{"no reference", gateway.MapStatus(twilio.Provider{}, receipts.Update{AccountID: acct, ProviderMessageID: "SM1", Word: "failed"}), false, "no recipient reference", "", rs[0], parley.StatusDelivered},
		{"reference to no recipient", gateway.MapStatus(twilio.Provider{}, receipts.Update{AccountID: acct, CampaignID: "camp9", RecipientID: "000001", ProviderMessageID: "SM1", Word: "failed"}), false, "no such recipient", "", rs[0], parley.StatusDelivered},
		{"another account's reference", gateway.MapStatus(twilio.Provider{}, receipts.Update{AccountID: "acct2", CampaignID: "camp1", RecipientID: rs[0].ID, ProviderMessageID: "SM1", Word: "failed"}), false, "no such recipient", "", rs[0], parley.StatusDelivered},
		{"before the id is recorded", update(rs[2], "SM3", "delivered"), false, "", parley.EUNAVAILABLE, rs[2], parley.StatusSending},
	}
	for _, st := range steps {
		out, err := w.svc.Status(ctx, st.u)
		if parley.ErrorCode(err) != st.code || out.Applied != st.applied || out.Ignored != st.ignored {
			t.Fatalf("%s: %+v, %v; want applied=%v ignored=%q code=%q", st.name, out, err, st.applied, st.ignored, st.code)
		}
		r, err := w.store.Recipient(ctx, st.r.Ref())
		if err != nil || r.Status != st.want {
			t.Fatalf("%s: recipient is %s, %v; want %s", st.name, r.Status, err, st.want)
		}
	}
}

func TestAnswerNotSent(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	if _, err := w.sent.Inject(sandbox.Fault{To: consumer, Kind: "error"}); err != nil {
		t.Fatal(err)
	}
	out, err := w.svc.Receive(ctx, sms("SM40", "STOP"))
	if err != nil || out.Keyword != optout.OptOut || out.Answer == "" || out.AnswerID != "" {
		t.Fatalf("STOP with the provider down = %+v, %v; want the opt-out taken, its answer not sent", out, err)
	}
	if !w.optedOut(t, parley.ChannelSMS) {
		t.Error("the opt-out was not recorded")
	}
}

// TestReplySender checks that a reply is matched to what was sent from the
// outbound number whose sender the consumer wrote to (AnswerFrom, as a
// WhatsApp webhook maps its phone-number id), not to a newer message from
// another number.
func TestReplySender(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	for _, o := range []parley.OutboundContext{
		{CampaignID: "mine", Skill: "billing", Sender: brand, SentAt: t0.Add(-2 * time.Hour)},
		{CampaignID: "other", Skill: "sales", Sender: "+12025550177", SentAt: t0.Add(-time.Hour)},
	} {
		o.AccountID, o.Consumer, o.Channel = acct, consumer, parley.ChannelWhatsApp
		if err := w.store.PutOutboundContext(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	out, err := w.svc.Receive(ctx, inbound.Message{
		AccountID: acct, Provider: "whatsapp", Channel: parley.ChannelWhatsApp, ID: "wamid.1", From: consumer,
		To: "+1 202-555-0150", AnswerFrom: brand, Body: "yes", At: t0,
	})
	if err != nil || !out.Routed || out.Conversation.Context.CampaignID != "mine" || out.Conversation.Skill != "billing" {
		t.Fatalf("Receive = %+v, %v; want the reply routed to campaign mine (skill billing)", out.Conversation, err)
	}
}

func TestHistoryKeepsEveryMessageTakenIn(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	reply, stop := sms("SM30", "Can I change my plan?"), sms("SM31", "STOP")
	stop.At = t0.Add(time.Minute)
	for _, m := range []inbound.Message{reply, stop, reply} {
		if _, err := w.svc.Receive(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	p, err := w.store.MessageHistory(ctx, acct, consumer, "", 10)
	if err != nil || len(p.Messages) != 2 {
		t.Fatalf("history = %+v, %v; want the keyword and the reply, once each", p, err)
	}
	kw, r := p.Messages[0], p.Messages[1]
	if kw.Direction != parley.Inbound || kw.ProviderMessageID != "SM31" || kw.Keyword != "OPT_OUT" || kw.Answer == "" || kw.Number != brand {
		t.Errorf("keyword in the history = %+v; want SM31 as OPT_OUT with its answer, written to %s", kw, brand)
	}
	if r.ProviderMessageID != "SM30" || r.Body != reply.Body || r.Keyword != "" || !r.At.Equal(t0) {
		t.Errorf("reply in the history = %+v", r)
	}
}
