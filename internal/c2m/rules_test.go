package c2m

import (
	"slices"
	"testing"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/phone"
)

func handoff(chs ...parley.Channel) parley.Handoff {
	h := parley.Handoff{ID: "H000000000000001"}
	for _, c := range chs {
		h.Channels = append(h.Channels, parley.HandoffChannel{Channel: c})
	}
	return h
}

func settings(deviceCheck bool, enabled ...parley.Channel) parley.Account {
	a := parley.Account{DeviceCheck: deviceCheck, OutboundSkills: []string{"sales"}}
	for _, c := range parley.OutboundChannels {
		a.Channels = append(a.Channels, parley.ChannelSetting{Channel: c, Enabled: slices.Contains(enabled, c)})
	}
	return a
}

var all = []parley.Channel{parley.ChannelSMS, parley.ChannelWhatsApp, parley.ChannelInApp}

const (
	sms   = parley.ChannelSMS
	wa    = parley.ChannelWhatsApp
	inapp = parley.ChannelInApp
)

func TestAvailable(t *testing.T) {
	mobile := Consumer{Line: phone.Mobile}
	for _, tt := range []struct {
		name     string
		account  parley.Account
		handoff  parley.Handoff
		consumer Consumer
		want     []parley.Channel // nil with code: refused
		code     int
	}{
		{"sms to a mobile", settings(false, all...), handoff(sms), mobile, []parley.Channel{sms}, 0},
		{"the handoff's priority orders the answer", settings(false, all...), handoff(wa, sms), mobile, []parley.Channel{wa, sms}, 0},
		{"device check off: a landline is the IVR's business", settings(false, all...), handoff(sms), Consumer{Line: phone.FixedLine}, []parley.Channel{sms}, 0},
		{"device check on: a landline takes no SMS", settings(true, all...), handoff(sms), Consumer{Line: phone.FixedLine}, []parley.Channel{}, 0},
		{"device check on: a landline takes no WhatsApp", settings(true, all...), handoff(wa, sms), Consumer{Line: phone.FixedLine}, []parley.Channel{}, 0},
		{"device check on: toll-free takes none", settings(true, all...), handoff(sms), Consumer{Line: phone.OtherLine}, []parley.Channel{}, 0},
		{"device check on: unknown takes none", settings(true, all...), handoff(sms), Consumer{Line: phone.UnknownLine}, []parley.Channel{}, 0},
		{"device check on: a mobile takes both", settings(true, all...), handoff(wa, sms), mobile, []parley.Channel{wa, sms}, 0},
		{"device check on: fixed-line-or-mobile counts as reachable", settings(true, all...), handoff(wa, sms), Consumer{Line: phone.FixedLineOrMobile}, []parley.Channel{wa, sms}, 0},
		{"opted out of WhatsApp: SMS is recommended", settings(false, all...), handoff(wa, sms),
			Consumer{Line: phone.Mobile, OptedOut: map[parley.Channel]bool{wa: true}}, []parley.Channel{sms}, 0},
		{"opted out of SMS: WhatsApp alone", settings(false, all...), handoff(wa, sms),
			Consumer{Line: phone.Mobile, OptedOut: map[parley.Channel]bool{sms: true}}, []parley.Channel{wa}, 0},
		{"opted out of both: not eligible", settings(false, all...), handoff(wa, sms),
			Consumer{Line: phone.Mobile, OptedOut: map[parley.Channel]bool{sms: true, wa: true}}, []parley.Channel{}, 0},
		{"WhatsApp disabled in settings: SMS only", settings(false, sms, inapp), handoff(wa, sms), mobile, []parley.Channel{sms}, 0},
		{"no channel of the handoff enabled: 1501", settings(false, inapp), handoff(wa, sms), mobile, nil, CodeNoHandoffChannel},
		{"in-app with a device", settings(false, all...), handoff(inapp), Consumer{ConsumerID: "ananth", HasDevice: true}, []parley.Channel{inapp}, 0},
		{"in-app without a device", settings(false, all...), handoff(inapp), Consumer{ConsumerID: "ananth"}, []parley.Channel{}, 0},
		{"in-app without a consumer id", settings(false, all...), handoff(inapp), Consumer{HasDevice: true}, []parley.Channel{}, 0},
		{"in-app ignores the device check of numbers", settings(true, all...), handoff(inapp), Consumer{Line: phone.FixedLine, ConsumerID: "ananth", HasDevice: true}, []parley.Channel{inapp}, 0},
		{"in-app opted out", settings(false, all...), handoff(inapp),
			Consumer{ConsumerID: "ananth", HasDevice: true, OptedOut: map[parley.Channel]bool{inapp: true}}, []parley.Channel{}, 0},
		{"in-app disabled: 1501", settings(false, sms, wa), handoff(inapp), Consumer{ConsumerID: "ananth", HasDevice: true}, nil, CodeNoHandoffChannel},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Available(tt.account, tt.handoff, tt.consumer)
			if code, _ := CodeOf(err); code != tt.code {
				t.Fatalf("error %v (code %d), want code %d", err, code, tt.code)
			}
			if !slices.Equal(got, tt.want) || (tt.want != nil && got == nil) {
				t.Errorf("Available = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMode(t *testing.T) {
	for _, tt := range []struct {
		handoff   parley.Handoff
		ch        parley.Channel
		available []parley.Channel
		want      parley.Channel
	}{
		{handoff(wa, sms), wa, []parley.Channel{wa, sms}, parley.ChannelPrioritized},
		{handoff(wa, sms), wa, []parley.Channel{wa}, wa}, // opted out of SMS: no fallback
		{handoff(wa, sms), sms, []parley.Channel{wa, sms}, sms},
		{handoff(wa), wa, []parley.Channel{wa}, wa},
		{handoff(sms), sms, []parley.Channel{sms}, sms},
		{handoff(inapp), inapp, []parley.Channel{inapp}, inapp},
	} {
		if got := Mode(tt.handoff, tt.ch, tt.available); got != tt.want {
			t.Errorf("Mode(%s, %s, %v) = %s, want %s", tt.handoff.Mode(), tt.ch, tt.available, got, tt.want)
		}
	}
}

func TestParseChannel(t *testing.T) {
	for in, want := range map[string]parley.Channel{"sms": sms, "twilio": sms, "SMS": sms, "wa": wa, "whatsapp": wa, "inapp": inapp, " INAPP ": inapp} {
		if got, ok := ParseChannel(in); !ok || got != want {
			t.Errorf("ParseChannel(%q) = %s, %v; want %s", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "email", "voice", "w a"} {
		if _, ok := ParseChannel(in); ok {
			t.Errorf("ParseChannel(%q) accepted", in)
		}
	}
}
