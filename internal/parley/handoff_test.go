package parley

import (
	"strings"
	"testing"
)

func TestHandoffValidate(t *testing.T) {
	sms := HandoffChannel{Channel: ChannelSMS, OutboundNumber: "+14155550100", Text: "Hi {{1}}, your order shipped"}
	wa := HandoffChannel{Channel: ChannelWhatsApp, OutboundNumber: "+14155550100", TemplateID: "WA1"}
	app := HandoffChannel{Channel: ChannelInApp, Apps: []string{"com.brand.app"}, Text: "Your order shipped"}
	with := func(c HandoffChannel, f func(*HandoffChannel)) HandoffChannel { f(&c); return c }
	h := func(cs ...HandoffChannel) Handoff { return Handoff{Title: "Order updates 2", Channels: cs} }
	tests := []struct {
		name    string
		h       Handoff
		optOut  string
		field   string
		message string
	}{
		{"sms", h(sms), "", "", ""},
		{"whatsapp", h(wa), "", "", ""},
		{"whatsapp then sms fallback", h(wa, HandoffChannel{Channel: ChannelSMS}), "", "", ""},
		{"fallback from the same number", h(wa, HandoffChannel{Channel: ChannelSMS, OutboundNumber: "14155550100"}), "", "", ""},
		{"inapp", h(app), "", "", ""},
		{"unicode title", Handoff{Title: "Rückruf Kundin", Channels: []HandoffChannel{sms}}, "", "", ""},
		{"no title", Handoff{Title: "  ", Channels: []HandoffChannel{sms}}, "", "title", "required"},
		{"title with <", Handoff{Title: "a <b>", Channels: []HandoffChannel{sms}}, "", "title", "< or >"},
		{"title with punctuation", Handoff{Title: "orders!", Channels: []HandoffChannel{sms}}, "", "title", "letters, digits and spaces"},
		{"long title", Handoff{Title: strings.Repeat("a", MaxHandoffTitle+1), Channels: []HandoffChannel{sms}}, "", "title", "at most"},
		{"lookback 60", Handoff{Title: "a", LookbackMinutes: 60, Channels: []HandoffChannel{sms}}, "", "", ""},
		{"lookback 30 days", Handoff{Title: "a", LookbackMinutes: 43200, Channels: []HandoffChannel{sms}}, "", "", ""},
		{"lookback 59", Handoff{Title: "a", LookbackMinutes: 59, Channels: []HandoffChannel{sms}}, "", "lookbackMinutes", "outside"},
		{"lookback over 30 days", Handoff{Title: "a", LookbackMinutes: 43201, Channels: []HandoffChannel{sms}}, "", "lookbackMinutes", "outside"},
		{"no channels", h(), "", "channels", "required"},
		{"inapp with sms", h(app, sms), "", "channels", "exclusive"},
		{"sms then whatsapp", h(sms, wa), "", "channels", "whatsapp comes first"},
		{"sms twice", h(sms, sms), "", "channels", "each channel once"},
		{"three channels", h(wa, sms, sms), "", "channels", "each channel once"},
		{"unknown channel", h(HandoffChannel{Channel: "fax"}), "", "channels[0].channel", "not one of"},
		{"sms without number", h(with(sms, func(c *HandoffChannel) { c.OutboundNumber = "" })), "", "channels[0].outboundNumber", "not a valid"},
		{"sms without text", h(with(sms, func(c *HandoffChannel) { c.Text = "" })), "", "channels[0].text", "required"},
		{"sms with template", h(with(sms, func(c *HandoffChannel) { c.TemplateID = "WA1" })), "", "channels[0].templateId", "not set"},
		{"sms at 140 with opt-out", h(with(sms, func(c *HandoffChannel) { c.Text = strings.Repeat("a", 140-22) })), "", "", ""},
		{"sms over 140 with opt-out", h(with(sms, func(c *HandoffChannel) { c.Text = strings.Repeat("a", 140-21) })), "", "channels[0].text", "at most 140"},
		{"sms over 140 with the account's opt-out", h(with(sms, func(c *HandoffChannel) { c.Text = strings.Repeat("a", 100) })), "Reply STOP to end these messages from us", "channels[0].text", "at most 140"},
		{"sms within 140 with its own opt-out", h(with(sms, func(c *HandoffChannel) { c.Text = strings.Repeat("a", 100); c.OptOutText = "STOP to end" })), "Reply STOP to end these messages from us", "", ""},
		{"sms opt-out without STOP", h(with(sms, func(c *HandoffChannel) { c.OptOutText = "Reply QUIT" })), "", "channels[0].optOutText", "STOP"},
		{"sms text with control character", h(with(sms, func(c *HandoffChannel) { c.Text = "hi\x00" })), "", "channels[0].text", "remove it"},
		{"whatsapp without template", h(with(wa, func(c *HandoffChannel) { c.TemplateID = "" })), "", "channels[0].templateId", "required"},
		{"whatsapp with text", h(with(wa, func(c *HandoffChannel) { c.Text = "hi" })), "", "channels[0].text", "not set"},
		{"whatsapp bad number", h(with(wa, func(c *HandoffChannel) { c.OutboundNumber = "12" })), "", "channels[0].outboundNumber", "not a valid"},
		{"fallback with its own text", h(wa, HandoffChannel{Channel: ChannelSMS, Text: "hi"}), "", "channels[1].text", "template's text"},
		{"fallback from another number", h(wa, HandoffChannel{Channel: ChannelSMS, OutboundNumber: "+14155550199"}), "", "channels[1].outboundNumber", "WhatsApp number"},
		{"inapp 3 apps", h(with(app, func(c *HandoffChannel) { c.Apps = []string{"a", "b", "c"} })), "", "", ""},
		{"inapp 4 apps", h(with(app, func(c *HandoffChannel) { c.Apps = []string{"a", "b", "c", "d"} })), "", "channels[0].apps", "at most 3"},
		{"inapp no apps", h(with(app, func(c *HandoffChannel) { c.Apps = nil })), "", "channels[0].apps", "required"},
		{"inapp app twice", h(with(app, func(c *HandoffChannel) { c.Apps = []string{"a", "a"} })), "", "channels[0].apps[1]", "twice"},
		{"inapp with number", h(with(app, func(c *HandoffChannel) { c.OutboundNumber = "+14155550100" })), "", "channels[0].outboundNumber", "not set"},
		{"inapp without text", h(with(app, func(c *HandoffChannel) { c.Text = "" })), "", "channels[0].text", "required"},
		{"inapp long text beyond SMS", h(with(app, func(c *HandoffChannel) { c.Text = strings.Repeat("a", 500) })), "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.h.Validate(tt.optOut)
			if ErrorField(err) != tt.field || (tt.field == "") != (err == nil) {
				t.Fatalf("Validate = %v, want field %q", err, tt.field)
			}
			if err != nil && !strings.Contains(err.Error(), tt.message) {
				t.Errorf("Validate = %v, want it to say %q", err, tt.message)
			}
		})
	}
}

func TestIsHandoffID(t *testing.T) {
	for id, want := range map[string]bool{
		"H123456789012345": true, "H000000000000000": true,
		"H12345678901234": false, "H1234567890123456": false, "h123456789012345": false,
		"X123456789012345": false, "H12345678901234a": false, "1234567890": false, "": false,
	} {
		if got := IsHandoffID(id); got != want {
			t.Errorf("IsHandoffID(%q) = %v, want %v", id, got, want)
		}
	}
}

func TestHandoffNormalized(t *testing.T) {
	h := Handoff{Title: "  Orders ", Channels: []HandoffChannel{
		{Channel: ChannelWhatsApp, OutboundNumber: "14155550100", TemplateID: "WA1"},
		{Channel: ChannelSMS},
	}}.Normalized()
	switch {
	case h.Title != "Orders":
		t.Errorf("title %q", h.Title)
	case h.LookbackMinutes != 43200 || h.Lookback() != DefaultLookback:
		t.Errorf("lookback %d", h.LookbackMinutes)
	case h.Channels[0].OutboundNumber != "+14155550100" || h.Channels[1].OutboundNumber != "+14155550100":
		t.Errorf("numbers %+v", h.Channels)
	case h.Mode() != ChannelPrioritized:
		t.Errorf("mode %s", h.Mode())
	}
}
