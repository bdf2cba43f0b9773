package conversation_test

import (
	"context"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/inbound/conversation"
	"github.com/parleyhq/parley/internal/parley"
)

// TestAttribute checks which outbound message a reply answers: the newest
// on the reply's channel from the sender written to, else the newest on
// that channel, never one on another channel.
func TestAttribute(t *testing.T) {
	const other, waID = "+12025550177", "+12025550188"
	type sent struct {
		campaign string
		channel  parley.Channel
		sender   string
		after    time.Duration // since t0
		lookback time.Duration
	}
	sms := parley.ChannelSMS
	wa := parley.ChannelWhatsApp
	tests := []struct {
		name     string
		sent     []sent // any order; the store lists them newest first
		channel  parley.Channel
		to       string
		replyAt  time.Duration
		consumed time.Duration // since t0; 0 for none
		want     string        // campaign, "" for none
	}{
		{"newest on the channel from the sender", []sent{{"c1", sms, sender, 0, 0}, {"c2", sms, sender, time.Minute, 0}}, sms, sender, time.Hour, 0, "c2"},
		{"an SMS reply skips a newer WhatsApp message", []sent{{"sms", sms, sender, 0, 0}, {"wa", wa, sender, time.Minute, 0}}, sms, sender, time.Hour, 0, "sms"},
		{"a WhatsApp reply skips a newer SMS", []sent{{"wa", wa, waID, 0, 0}, {"sms", sms, sender, time.Minute, 0}}, wa, waID, time.Hour, 0, "wa"},
		{"only another channel's message: none", []sent{{"wa", wa, sender, 0, 0}}, sms, sender, time.Hour, 0, ""},
		{"the sender written to outranks a newer one from another", []sent{{"mine", sms, sender, 0, 0}, {"theirs", sms, other, time.Minute, 0}}, sms, sender, time.Hour, 0, "mine"},
		{"no message from the sender: newest on the channel", []sent{{"c1", sms, other, 0, 0}, {"c2", sms, other, time.Minute, 0}, {"wa", wa, sender, 2 * time.Minute, 0}}, sms, sender, time.Hour, 0, "c2"},
		{"a context without a sender matches by channel", []sent{{"old", sms, "", 0, 0}}, sms, sender, time.Hour, 0, "old"},
		{"a reply without a sender takes the newest on the channel", []sent{{"c1", sms, sender, 0, 0}, {"c2", sms, other, time.Minute, 0}}, sms, "", time.Hour, 0, "c2"},
		{"senders compare as E.164", []sent{{"c1", sms, sender, 0, 0}, {"c2", sms, other, time.Minute, 0}}, sms, "+1 (202) 555-0100", time.Hour, 0, "c1"},
		{"a context without a channel is SMS", []sent{{"c1", "", sender, 0, 0}}, sms, sender, time.Hour, 0, "c1"},
		{"the sender's message expired: the channel's live one", []sent{{"mine", sms, sender, 0, time.Hour}, {"theirs", sms, other, time.Minute, 0}}, sms, sender, 2 * time.Hour, 0, "theirs"},
		{"the sender's message was sent after the reply", []sent{{"theirs", sms, other, 0, 0}, {"mine", sms, sender, 2 * time.Hour, 0}}, sms, sender, time.Hour, 0, "theirs"},
		{"the sender's message was answered before: the channel's newer one", []sent{{"mine", sms, sender, 0, 0}, {"theirs", sms, other, 2 * time.Minute, 0}}, sms, sender, time.Hour, time.Minute, "theirs"},
		{"all answered before", []sent{{"mine", sms, sender, 0, 0}}, sms, sender, time.Hour, time.Minute, ""},
		{"nothing sent", nil, sms, sender, time.Hour, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			ctx := context.Background()
			for _, s := range tt.sent {
				err := w.svc.RecordOutbound(ctx, parley.OutboundContext{
					AccountID: account, Consumer: jane, CampaignID: s.campaign, Skill: "skill-" + s.campaign,
					Channel: s.channel, Sender: s.sender, SentAt: t0.Add(s.after), Lookback: s.lookback,
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			contexts, err := w.store.OutboundContexts(ctx, account, jane, time.Time{}, 50)
			if err != nil {
				t.Fatal(err)
			}
			var consumed time.Time
			if tt.consumed != 0 {
				consumed = t0.Add(tt.consumed)
			}
			o, ok := conversation.Attribute(contexts, tt.channel, tt.to, t0.Add(tt.replyAt), consumed)
			if got := o.CampaignID; got != tt.want || ok != (tt.want != "") {
				t.Errorf("Attribute = %q, %v; want %q", got, ok, tt.want)
			}
		})
	}
}

// TestReplyOnItsChannel checks the reported case end to end: an SMS reply
// to a number that was last sent a WhatsApp message goes to the SMS
// campaign's skill, and a reply on WhatsApp to the WhatsApp campaign's.
func TestReplyOnItsChannel(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	for _, o := range []parley.OutboundContext{
		{CampaignID: "sms", Skill: "billing", Channel: parley.ChannelSMS, Sender: sender, SentAt: t0},
		{CampaignID: "wa", Skill: "sales", Channel: parley.ChannelWhatsApp, Sender: sender, SentAt: t0.Add(time.Minute)},
	} {
		o.AccountID, o.Consumer, o.Body = account, jane, "Hello from "+o.CampaignID
		if err := w.svc.RecordOutbound(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	c := w.reply(t, "in1", t0.Add(time.Hour))
	if c.Skill != "billing" || c.Context.CampaignID != "sms" || c.Channel != parley.ChannelSMS || c.Transcript[0].Body != "Hello from sms" {
		t.Fatalf("SMS reply = skill %q campaign %q channel %s, transcript %+v; want the SMS campaign's", c.Skill, c.Context.CampaignID, c.Channel, c.Transcript)
	}
	if _, err := w.svc.Close(ctx, account, c.ID); err != nil {
		t.Fatal(err)
	}
	// The WhatsApp message was sent before the closed conversation opened,
	// so it counts as answered: send another and reply on WhatsApp.
	err := w.svc.RecordOutbound(ctx, parley.OutboundContext{
		AccountID: account, Consumer: jane, CampaignID: "wa2", Skill: "sales", Channel: parley.ChannelWhatsApp, Sender: sender, SentAt: t0.Add(2 * time.Hour),
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err = w.svc.Receive(ctx, conversation.Inbound{
		AccountID: account, Channel: parley.ChannelWhatsApp, From: jane, To: "109876543210", Sender: sender,
		Body: "yes", ProviderMessageID: "wamid.in2", At: t0.Add(3 * time.Hour),
	})
	if err != nil || c.Skill != "sales" || c.Context.CampaignID != "wa2" || c.Channel != parley.ChannelWhatsApp {
		t.Fatalf("WhatsApp reply = skill %q campaign %q channel %s, %v; want the WhatsApp campaign's", c.Skill, c.Context.CampaignID, c.Channel, err)
	}
}
