package campaign_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/campaign"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/testworld"
)

// handoffWorld has handoffs H…1 (SMS with its own opt-out text, 2-hour
// lookback), H…2 (WhatsApp then SMS) and H…3 (in-app), and the WhatsApp
// template WA1 H…2 sends.
func handoffWorld(t *testing.T) *world {
	t.Helper()
	w := newWorld(t)
	w.svc.Handoffs = w.store
	ctx := context.Background()
	testworld.PutApproved(t, w.store, parley.WhatsAppTemplate{AccountID: "acct1", ID: "WA1", Name: "order", Language: "en_US", Body: "Hi {{1}}, order {{2}} shipped"})
	for _, h := range []parley.Handoff{
		{ID: "H000000000000001", Title: "Texts", LookbackMinutes: 120, Channels: []parley.HandoffChannel{
			{Channel: parley.ChannelSMS, OutboundNumber: "+12025550100", Text: "Hi {{1}}, your order shipped", OptOutText: "Text STOP to end"}}},
		{ID: "H000000000000002", Title: "Orders", LookbackMinutes: 43200, Channels: []parley.HandoffChannel{
			{Channel: parley.ChannelWhatsApp, OutboundNumber: "+12025550111", TemplateID: "WA1"},
			{Channel: parley.ChannelSMS, OutboundNumber: "+12025550111"}}},
		{ID: "H000000000000003", Title: "App", LookbackMinutes: 60, Channels: []parley.HandoffChannel{
			{Channel: parley.ChannelInApp, Apps: []string{"com.brand"}, Text: "Hello {{1}}"}}},
	} {
		h.AccountID, h.Version = "acct1", 1
		if err := w.store.PutHandoff(ctx, h); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

// lpDraft is a campaign as LivePerson's clients send it: no message, no
// channel, the handoff's id as templateId.
func lpDraft(templateID string, vars map[string]string) campaign.Draft {
	return campaign.Draft{Name: "Orders", Skill: "sales", TemplateID: templateID, Consent: true,
		Consumers: []campaign.Consumer{{SMS: "+12025550142", Variables: vars}}}
}

func TestCreateWithHandoff(t *testing.T) {
	w := handoffWorld(t)
	ctx := context.Background()

	a, err := w.svc.Create(ctx, "acct1", lpDraft("H000000000000001", map[string]string{"1": "Jane"}))
	if err != nil {
		t.Fatal(err)
	}
	c := a.Campaign
	switch {
	case c.TemplateID != "H000000000000001" || c.HandoffID != "H000000000000001" || c.Channel != parley.ChannelSMS || c.OutboundNumber != "+12025550100":
		t.Errorf("campaign %+v; want the handoff's SMS channel and number", c)
	case c.Lookback != 2*time.Hour || c.OptOutText != "Text STOP to end" || c.Template != nil:
		t.Errorf("campaign lookback %v, opt-out %q; want the handoff's", c.Lookback, c.OptOutText)
	case a.Recipients[0].Body != "Hi Jane, your order shipped\nText STOP to end":
		t.Errorf("body %q; want the handoff's text filled, with its opt-out text", a.Recipients[0].Body)
	}

	a, err = w.svc.Create(ctx, "acct1", lpDraft("H000000000000002", map[string]string{"1": "Jane", "2": "A-17"}))
	if err != nil {
		t.Fatal(err)
	}
	c = a.Campaign
	if c.Channel != parley.ChannelPrioritized || c.OutboundNumber != "+12025550111" || c.Template == nil || c.Template.ID != "WA1" || c.Lookback != parley.MaxLookback {
		t.Errorf("campaign %+v; want WhatsApp then SMS with WA1 from the handoff's number", c)
	}
	if r := a.Recipients[0]; r.Channel != parley.ChannelWhatsApp || !strings.HasPrefix(r.Body, "Hi Jane, order A-17 shipped") {
		t.Errorf("recipient %+v", r)
	}

	// The draft's own number and lookback win over the handoff's.
	d := lpDraft("H000000000000002", map[string]string{"1": "Jane", "2": "A-17"})
	d.OutboundNumber, d.LookbackMinutes = "+12025550199", 60
	if a, err := w.svc.Preview(ctx, "acct1", d); err != nil || a.Campaign.OutboundNumber != "+12025550199" || a.Campaign.Lookback != time.Hour {
		t.Errorf("Preview = %+v, %v; want the draft's number and lookback", a.Campaign, err)
	}

	app := lpDraft("H000000000000003", map[string]string{"1": "Jane"})
	app.Consumers = []campaign.Consumer{{ConsumerID: "u-1", Timezone: "Europe/Paris", Variables: map[string]string{"1": "Jane"}}}
	if a, err := w.svc.Preview(ctx, "acct1", app); err != nil || a.Campaign.Channel != parley.ChannelInApp || a.Campaign.Lookback != time.Hour || len(a.Recipients) != 1 || a.Recipients[0].Body != "Hello Jane" {
		t.Errorf("in-app Preview = %+v, %v", a, err)
	}
}

func TestCreateWithHandoffRefusals(t *testing.T) {
	w := handoffWorld(t)
	ctx := context.Background()
	tests := []struct {
		name  string
		d     func() campaign.Draft
		field string
		code  string // a consumer's, when the draft itself is valid
	}{
		{"a message besides the handoff's text", func() campaign.Draft {
			d := lpDraft("H000000000000001", map[string]string{"1": "Jane"})
			d.Message = "Hi"
			return d
		}, "message", ""},
		{"another channel", func() campaign.Draft {
			d := lpDraft("H000000000000001", map[string]string{"1": "Jane"})
			d.Channel = parley.ChannelWhatsApp
			return d
		}, "channel", ""},
		{"an unknown handoff", func() campaign.Draft { return lpDraft("H000000000000009", nil) }, "templateId", ""},
		{"too many variables", func() campaign.Draft {
			return lpDraft("H000000000000001", map[string]string{"1": "Jane", "2": "extra"})
		}, "", "TOO_MANY_VARIABLES"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := w.svc.Preview(ctx, "acct1", tt.d())
			if tt.field != "" {
				if parley.ErrorField(err) != tt.field {
					t.Fatalf("Preview = %v; want a refusal on %q", err, tt.field)
				}
				return
			}
			if err != nil || len(a.Failed) != 1 || a.Failed[0].Error != tt.code {
				t.Fatalf("Preview = %+v, %v; want the consumer refused with %s", a.Failed, err, tt.code)
			}
		})
	}
}

// TestHandoffNarrowed: a draft may send one channel of a WhatsApp-then-SMS
// handoff: WhatsApp alone, or SMS alone with the template's text from the
// WhatsApp number, as its fallback would; no other channel.
func TestHandoffNarrowed(t *testing.T) {
	w := handoffWorld(t)
	ctx := context.Background()
	vars := map[string]string{"1": "Jane", "2": "A-17"}

	d := lpDraft("H000000000000002", vars)
	d.Channel = parley.ChannelWhatsApp
	a, err := w.svc.Create(ctx, "acct1", d)
	if err != nil {
		t.Fatal(err)
	}
	if c := a.Campaign; c.Channel != parley.ChannelWhatsApp || c.Template == nil || c.Template.ID != "WA1" || a.Recipients[0].Channel != parley.ChannelWhatsApp {
		t.Errorf("narrowed to whatsapp: %+v", c)
	}

	d.Channel = parley.ChannelSMS
	if a, err = w.svc.Create(ctx, "acct1", d); err != nil {
		t.Fatal(err)
	}
	c, r := a.Campaign, a.Recipients[0]
	if c.Channel != parley.ChannelSMS || c.Template != nil || c.OutboundNumber != "+12025550111" || r.Channel != parley.ChannelSMS ||
		!strings.HasPrefix(r.Body, "Hi Jane, order A-17 shipped") {
		t.Errorf("narrowed to sms: %+v, %+v; want the template's text by SMS from the WhatsApp number", c, r)
	}

	d.Channel = parley.ChannelInApp
	if _, err := w.svc.Create(ctx, "acct1", d); parley.ErrorField(err) != "channel" {
		t.Errorf("narrowed to inapp: %v, want a channel error", err)
	}
	d = lpDraft("H000000000000001", map[string]string{"1": "Jane"})
	d.Channel = parley.ChannelWhatsApp
	if _, err := w.svc.Create(ctx, "acct1", d); parley.ErrorField(err) != "channel" {
		t.Errorf("an SMS handoff sent on whatsapp: %v, want a channel error", err)
	}
}

// TestDeflectionDraft: a deflection (CallID) keeps its id, is due at once
// at any hour, and its overridden SMS text may take 1,600 characters.
func TestDeflectionDraft(t *testing.T) {
	w := handoffWorld(t)
	d := lpDraft("H000000000000001", map[string]string{"1": "Jane"})
	d.ID, d.CallID = "b0eb76ed-0ff9-4d03-935b-c86ca9aa9354", "b0eb76ed-0ff9-4d03-935b-c86ca9aa9354"
	d.Consumers[0].Text = strings.Repeat("x", 1500)
	a, err := w.svc.Create(context.Background(), "acct1", d)
	if err != nil {
		t.Fatal(err)
	}
	if c := a.Campaign; c.ID != d.ID || c.CallID != d.CallID || c.Schedule.Window.String() != "00:00-24:00 MON,TUE,WED,THU,FRI,SAT,SUN" {
		t.Errorf("deflection campaign %+v", c)
	}
	if _, err := w.svc.Create(context.Background(), "acct1", d); parley.ErrorCode(err) != parley.ECONFLICT {
		t.Errorf("the same deflection again: %v, want ECONFLICT", err)
	}
	d.ID, d.CallID = "", ""
	if _, err := w.svc.Create(context.Background(), "acct1", d); err == nil {
		t.Errorf("a campaign's 1,500-character SMS was accepted")
	}
}
