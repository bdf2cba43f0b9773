package c2m_test

import (
	"context"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/c2m"
	"github.com/parleyhq/parley/internal/campaign"
	"github.com/parleyhq/parley/internal/clocktest"
	"github.com/parleyhq/parley/internal/inbound/conversation"
	"github.com/parleyhq/parley/internal/inbound/optout"
	"github.com/parleyhq/parley/internal/obs"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/settings/account"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/embedded"
	"github.com/parleyhq/parley/internal/testworld"
)

const caller = "+14259549855"

type world struct {
	svc   *c2m.Service
	store *embedded.Store
	clock *clocktest.Clock
	h     parley.Handoff
}

func newWorld(t *testing.T) *world {
	t.Helper()
	s, q := testworld.Open(t)
	clock := clocktest.New(time.Now().UTC().Truncate(time.Hour))
	svc, h := deflector(t, s, q, clock)
	return &world{store: s, clock: clock, h: h, svc: svc}
}

// deflector returns the service on s and q, with account acct1's outbound
// settings (sms and whatsapp; sales and billing) and an SMS handoff.
func deflector(tb testing.TB, s store.Store, q campaign.Queue, clock parley.Clock) (*c2m.Service, parley.Handoff) {
	tb.Helper()
	ctx := context.Background()
	if err := s.PutAccount(ctx, parley.Account{ID: "acct1", OutboundSkills: []string{"sales", "billing"},
		Channels: []parley.ChannelSetting{{Channel: parley.ChannelSMS, Enabled: true}, {Channel: parley.ChannelWhatsApp, Enabled: true}}}); err != nil {
		tb.Fatal(err)
	}
	h := parley.Handoff{AccountID: "acct1", ID: "H000000000000001", Title: "IVR", Version: 1, LookbackMinutes: 60,
		Channels: []parley.HandoffChannel{{Channel: parley.ChannelSMS, OutboundNumber: "+12025550100", Text: "Reply here, {{1}}"}}}
	if err := s.PutHandoff(ctx, h); err != nil {
		tb.Fatal(err)
	}
	optOuts := &optout.Service{Store: s, Accounts: &account.Service{Store: s, Clock: clock}, Clock: clock}
	return &c2m.Service{
		Accounts: s, Handoffs: s, OptOuts: optOuts, Devices: s, Calls: s, Clock: clock, Log: obs.Discard(),
		Campaigns:     &campaign.Service{Store: s, Queue: q, Clock: clock, Log: obs.Discard(), Handoffs: s, OptOuts: optOuts, Daily: s},
		Conversations: &conversation.Service{Store: s, Clock: clock},
	}, h
}

func (w *world) eligible(t *testing.T) string {
	t.Helper()
	e, err := w.svc.Eligibility(context.Background(), "acct1", c2m.EligibilityRequest{
		ConsumerPhoneNumber: caller, HandoffID: w.h.ID, Skill: "sales", IVRNumber: "180000", TemplateVariables: map[string]string{"1": "Jane"}})
	if err != nil || !e.Eligible {
		t.Fatalf("eligibility: %+v, %v", e, err)
	}
	return e.CallID
}

func wantCode(t *testing.T, what string, err error, code int) {
	t.Helper()
	if got, _ := c2m.CodeOf(err); got != code {
		t.Fatalf("%s: %v (code %d), want %d", what, err, got, code)
	}
}

// TestCallLifetime: a callId is invited within CallTTL, else 1004; once
// invited, it is kept for the handoff's lookback and a day, and a retry
// then still answers as the first invite, sending nothing more.
func TestCallLifetime(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	stale := w.eligible(t)
	w.clock.Advance(parley.CallTTL)
	_, err := w.svc.Invite(ctx, "acct1", c2m.InviteRequest{CallID: stale})
	wantCode(t, "invite of a call 24 hours old", err, c2m.CodeNotFound)

	id := w.eligible(t)
	w.clock.Advance(time.Minute)
	if _, err := w.svc.Invite(ctx, "acct1", c2m.InviteRequest{CallID: id}); err != nil {
		t.Fatal(err)
	}
	call, err := w.store.Call(ctx, "acct1", id)
	if err != nil || !call.InvitedAt.Equal(w.clock.Now()) || !call.ExpiresAt.Equal(w.clock.Now().Add(time.Hour+parley.CallGrace)) {
		t.Fatalf("invited call %+v, %v; want it kept the lookback and a day", call, err)
	}
	w.clock.Advance(parley.CallTTL)
	if got, err := w.svc.Invite(ctx, "acct1", c2m.InviteRequest{CallID: id}); err != nil || got.CallID != id {
		t.Fatalf("retry a day later: %+v, %v", got, err)
	}
	rs, err := w.store.Recipients(ctx, "acct1", id, 0, 10)
	if err != nil || len(rs) != 1 {
		t.Fatalf("recipients of the deflection: %+v, %v; want one", rs, err)
	}
	if c, err := w.store.Campaign(ctx, "acct1", id); err != nil || c.CallID != id || c.HandoffID != w.h.ID || c.IVRNumber != "180000" {
		t.Fatalf("deflection campaign %+v, %v; want its call, handoff %s and the IVR's number kept", c, err, w.h.ID)
	}
	_, err = w.svc.Invite(ctx, "acct2", c2m.InviteRequest{CallID: id})
	wantCode(t, "invite of another account's call", err, c2m.CodeNotFound)
}

// TestInviteRefusals: an invite to a consumer an agent is talking to is
// 1400, overridden or not, and leaves no campaign (the opt-outs are the
// end-to-end test's).
func TestInviteRefusals(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	id := w.eligible(t)
	if err := w.store.CreateConversation(ctx, parley.Conversation{ID: "conv1", AccountID: "acct1", Consumer: caller, Status: parley.ConversationOpen,
		Channel: parley.ChannelSMS, OpenedAt: w.clock.Now(), UpdatedAt: w.clock.Now()}, ""); err != nil {
		t.Fatal(err)
	}
	_, err := w.svc.Invite(ctx, "acct1", c2m.InviteRequest{CallID: id})
	wantCode(t, "invite while an agent talks to the consumer", err, c2m.CodeCannotSend)

	other := w.eligible(t) // the same consumer: still talking
	if _, err := w.svc.Invite(ctx, "acct1", c2m.InviteRequest{CallID: other, OverrideChannel: "twilio", OverrideMessage: "Hi"}); err == nil {
		t.Fatal("an invite to a consumer in a conversation was sent")
	}
	if _, err := w.store.Campaign(ctx, "acct1", id); parley.ErrorCode(err) != parley.ENOTFOUND {
		t.Errorf("a refused invite left a campaign: %v", err)
	}
}
