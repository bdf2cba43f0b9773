package sandbox_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/gateway/sandbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/testworld"
)

func newGateway(t *testing.T) *sandbox.Gateway {
	s, _ := testworld.Open(t)
	return &sandbox.Gateway{Recorder: s, Clock: parley.ClockFunc(func() time.Time { return time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC) })}
}

func msg(to string, ch parley.Channel) parley.Message {
	return parley.Message{Channel: ch, To: to, From: "+12025550100", Body: "hi", AccountID: "a", CampaignID: "c", RecipientID: "000001"}
}

func TestRecords(t *testing.T) {
	g := newGateway(t)
	id, err := g.Send(context.Background(), msg("+12025550101", parley.ChannelSMS))
	if err != nil || id == "" {
		t.Fatal(id, err)
	}
	ms, err := g.Messages(context.Background(), "a")
	if err != nil || len(ms) != 1 || ms[0].ID != id || ms[0].To != "+12025550101" || ms[0].Body != "hi" {
		t.Fatalf("Messages = %+v, %v", ms, err)
	}
}

func TestFaults(t *testing.T) {
	g := newGateway(t)
	for _, f := range []sandbox.Fault{
		{To: "+12025550101", Channel: parley.ChannelWhatsApp, Kind: "ineligible"},
		{To: "+12025550102", Kind: "throttle", Times: 2, RetryAfter: 3},
		{Channel: parley.ChannelInApp, Kind: "fail", Code: "UNREGISTERED"},
	} {
		if _, err := g.Inject(f); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		to   string
		ch   parley.Channel
		kind parley.FailKind
		code string
		ok   bool
	}{
		{"+12025550101", parley.ChannelWhatsApp, parley.FailIneligible, "131026", false},
		{"+12025550101", parley.ChannelSMS, 0, "", true},
		{"+12025550102", parley.ChannelSMS, parley.FailThrottled, "20429", false},
		{"+12025550102", parley.ChannelSMS, parley.FailThrottled, "20429", false},
		{"+12025550102", parley.ChannelSMS, 0, "", true}, // used up after two
		{"brand-consumer-7", parley.ChannelInApp, parley.FailPermanent, "UNREGISTERED", false},
	}
	for i, tt := range tests {
		_, err := g.Send(context.Background(), msg(tt.to, tt.ch))
		var se *parley.SendError
		switch {
		case tt.ok && err != nil:
			t.Errorf("send %d: %v", i, err)
		case !tt.ok && (!errors.As(err, &se) || se.Kind != tt.kind || se.Code != tt.code):
			t.Errorf("send %d: %v, want %s %s", i, err, tt.kind, tt.code)
		}
		if se != nil && se.Kind == parley.FailThrottled && se.RetryAfter != 3*time.Second {
			t.Errorf("send %d: retry after %s", i, se.RetryAfter)
		}
	}
	if n := len(g.Faults("")); n != 2 {
		t.Errorf("%d faults left, want 2", n)
	}
	g.ClearFaults("")
	if _, err := g.Send(context.Background(), msg("+12025550101", parley.ChannelWhatsApp)); err != nil {
		t.Errorf("after clearing: %v", err)
	}
	if _, err := g.Inject(sandbox.Fault{Kind: "explode"}); parley.ErrorCode(err) != parley.EINVALID {
		t.Errorf("unknown kind: %v", err)
	}
}

func TestMessageByID(t *testing.T) {
	g := newGateway(t)
	ctx := context.Background()
	first, err := g.Send(ctx, msg("+12025550101", parley.ChannelSMS))
	if err != nil {
		t.Fatal(err)
	}
	second := msg("+12025550102", parley.ChannelSMS)
	second.RecipientID = "000002"
	id, err := g.Send(ctx, second)
	if err != nil || id == first {
		t.Fatalf("second send = %q, %v", id, err)
	}
	m, found, err := g.Message(ctx, "a", id)
	if err != nil || !found || m.ID != id || m.AccountID != "a" || m.CampaignID != "c" || m.RecipientID != "000002" {
		t.Fatalf("Message(%s) = %+v, %v, %v; want the second message with its recipient", id, m, found, err)
	}
	if _, found, err := g.Message(ctx, "a", "SBnone"); found || err != nil {
		t.Errorf("Message of an unknown id: found=%v, %v", found, err)
	}
}

// TestInAppDevices checks that, given the push tokens, the sandbox fails an
// in-app message to a consumer with no registered device as the push
// gateway does, and records the others.
func TestInAppDevices(t *testing.T) {
	s, _ := testworld.Open(t)
	ctx := context.Background()
	g := &sandbox.Gateway{Recorder: s, Devices: s, Clock: parley.ClockFunc(func() time.Time { return time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC) })}
	err := s.PutPushToken(ctx, parley.PushToken{AccountID: "a", ConsumerID: "with-device", Token: "tok-1", Platform: parley.PlatformIOS, App: "com.brand.shop"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		to   string
		ch   parley.Channel
		apps []string // the campaign's apps
		code string   // "" when recorded
	}{
		{"with-device", parley.ChannelInApp, nil, ""},
		{"with-device", parley.ChannelInApp, []string{"com.brand.bank"}, parley.CodeNoDevice}, // its device is of another app
		{"no-device", parley.ChannelInApp, nil, parley.CodeNoDevice},
		{"+12025550101", parley.ChannelSMS, nil, ""}, // other channels need no device
	}
	for _, tt := range tests {
		m := msg(tt.to, tt.ch)
		m.Apps = tt.apps
		id, err := g.Send(ctx, m)
		if tt.code == "" {
			if err != nil || id == "" {
				t.Errorf("Send to %s = %q, %v; want it recorded", tt.to, id, err)
			}
			continue
		}
		var se *parley.SendError
		if !errors.As(err, &se) || se.Code != tt.code || se.Kind != parley.FailIneligible || id != "" {
			t.Errorf("Send to %s = %q, %v; want %s (ineligible)", tt.to, id, err, tt.code)
		}
	}
	if ms, err := g.Messages(ctx, "a"); err != nil || len(ms) != 2 {
		t.Errorf("recorded %d messages, %v; want 2", len(ms), err)
	}
}
