package storetest

import (
	"context"
	"reflect"
	"testing"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Accounts checks store.Accounts: an account's settings, its
// confirmation texts, and its connector secret in clear.
func Accounts(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("Settings", func(t *testing.T) { testAccount(t, newStore(t)) })
	t.Run("ConfirmTexts", func(t *testing.T) { testConfirmTexts(t, newStore(t)) })
	t.Run("ConnectorSecret", func(t *testing.T) { testConnectorSecret(t, newStore(t)) })
	t.Run("OutboundSettings", func(t *testing.T) { testOutboundSettings(t, newStore(t)) })
}

func testOutboundSettings(t *testing.T, s store.Store) {
	ctx := context.Background()
	want := parley.Account{ID: "acct1", DefaultSkill: "sales", UpdatedAt: t0, DeviceCheck: true,
		Channels:       []parley.ChannelSetting{{Channel: parley.ChannelWhatsApp, Enabled: true}, {Channel: parley.ChannelSMS, Enabled: true}, {Channel: parley.ChannelInApp}},
		OutboundSkills: []string{"sales", "billing"}}
	if err := s.PutAccount(ctx, want); err != nil {
		t.Fatal(err)
	}
	got, err := s.Account(ctx, "acct1")
	if err != nil || !reflect.DeepEqual(got.Channels, want.Channels) || !got.DeviceCheck || !reflect.DeepEqual(got.OutboundSkills, want.OutboundSkills) {
		t.Fatalf("Account = %+v, %v; want the outbound settings of %+v", got, err, want)
	}
}

// Templates checks store.Templates.
func Templates(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("RoundTrip", func(t *testing.T) { testTemplates(t, newStore(t)) })
}

func testAccount(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, err := s.Account(ctx, "acct1")
	if err != nil || !reflect.DeepEqual(a, parley.Account{ID: "acct1"}) {
		t.Fatalf("unsaved account = %+v, %v; want zero settings", a, err)
	}
	want := parley.Account{ID: "acct1", OptOutText: "Text STOP to quit", HelpText: "Call 555-0100", DefaultSkill: "service", DefaultCountry: "US",
		DailyRecipientLimit: 2500, UpdatedAt: t0}
	if err := s.PutAccount(ctx, want); err != nil {
		t.Fatal(err)
	}
	got, err := s.Account(ctx, "acct1")
	if err != nil || got.OptOutText != want.OptOutText || got.HelpText != want.HelpText || got.DefaultSkill != want.DefaultSkill || got.DefaultCountry != want.DefaultCountry || !got.UpdatedAt.Equal(t0) {
		t.Fatalf("Account = %+v, %v; want %+v", got, err, want)
	}
	if other, _ := s.Account(ctx, "acct2"); other.OptOutText != "" {
		t.Errorf("another account sees the settings: %+v", other)
	}
}

func testConfirmTexts(t *testing.T, s store.Store) {
	ctx := context.Background()
	want := parley.Account{ID: "acct1", OptOutConfirmText: "You are out. Text START to return.", OptInConfirmText: "Welcome back.", UpdatedAt: t0}
	if err := s.PutAccount(ctx, want); err != nil {
		t.Fatal(err)
	}
	got, err := s.Account(ctx, "acct1")
	if err != nil || got.OptOutConfirmText != want.OptOutConfirmText || got.OptInConfirmText != want.OptInConfirmText {
		t.Fatalf("Account = %+v, %v; want the confirmation texts of %+v", got, err, want)
	}
}

func testConnectorSecret(t *testing.T, s store.Store) {
	ctx := context.Background()
	const secret = "whsec-0123456789abcdef"
	a := parley.Account{ID: "acct1", DefaultSkill: "service", ConnectorURL: "https://agents.example.com/parley", ConnectorSecret: secret, UpdatedAt: t0}
	if err := s.PutAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	got, err := s.Account(ctx, "acct1")
	if err != nil || got.ConnectorURL != a.ConnectorURL || got.ConnectorSecret.Reveal() != secret || got.DefaultSkill != "service" {
		t.Fatalf("Account = %+v (secret %d bytes), %v; want the connector and its secret in clear", got, len(got.ConnectorSecret), err)
	}
}

func testTemplates(t *testing.T, s store.Store) {
	ctx := context.Background()
	tpl := parley.WhatsAppTemplate{AccountID: "acct1", ID: "T2", Name: "renewal", Language: "en_US", Header: parley.MediaImage,
		Body: "Hi {{1}}", Footer: "Thanks", Buttons: []parley.TemplateButton{{Kind: parley.ButtonURL, Text: "Open", URL: "https://e.com/{{1}}"}}}
	other := tpl
	other.ID, other.Name = "T1", "welcome"
	for _, x := range []parley.WhatsAppTemplate{tpl, other, {AccountID: "acct2", ID: "T9", Name: "x", Language: "en", Body: "b"}} {
		if err := s.PutTemplate(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Template(ctx, "acct1", "T2")
	if err != nil || got.Name != "renewal" || got.Header != parley.MediaImage || len(got.Buttons) != 1 || got.Buttons[0].URL != "https://e.com/{{1}}" {
		t.Fatalf("Template = %+v, %v", got, err)
	}
	_, err = s.Template(ctx, "acct2", "T2")
	wantCode(t, err, parley.ENOTFOUND)
	list, err := s.Templates(ctx, "acct1")
	if err != nil || len(list) != 2 || list[0].ID != "T1" || list[1].ID != "T2" {
		t.Fatalf("Templates = %+v, %v; want T1, T2", list, err)
	}
	if none, err := s.Templates(ctx, "acct3"); err != nil || none == nil || len(none) != 0 {
		t.Errorf("Templates of an account with none = %#v, %v; want an empty list", none, err)
	}
}
