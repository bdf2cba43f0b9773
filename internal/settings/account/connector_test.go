package account_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/settings/account"
	"github.com/parleyhq/parley/internal/testworld"
)

func TestConnectorSecretIsKeptAndHidden(t *testing.T) {
	s, _ := testworld.Open(t)
	svc := &account.Service{Store: s, Clock: parley.ClockFunc(func() time.Time { return time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC) })}
	ctx := auth.NewContext(context.Background(), auth.Principal{AccountID: "acct1", Role: auth.RoleAdmin, Subject: "test"})
	const secret = "whsec-0123456789abcdef"
	saved, err := svc.Update(ctx, parley.Account{ID: "acct1", ConnectorURL: "https://agents.example.com/hook", ConnectorSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	read, err := svc.Settings(ctx, "acct1")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []parley.Account{saved, read} {
		data, _ := json.Marshal(a)
		if strings.Contains(string(data), secret) || !strings.Contains(string(data), `"connectorSecret":"••••cdef"`) {
			t.Errorf("settings as the API shows them: %s; want the secret redacted", data)
		}
	}
	// Sending back what was read, or leaving the secret out, keeps it.
	for _, back := range []parley.Secret{read.ConnectorSecret, ""} {
		read.ConnectorSecret = back
		if _, err := svc.Update(ctx, read); err != nil {
			t.Fatalf("update with secret %q: %v", back, err)
		}
		if stored, _ := s.Account(ctx, "acct1"); stored.ConnectorSecret.Reveal() != secret {
			t.Fatalf("stored secret after update with %q changed", back)
		}
	}
	// Removing the URL removes the connector.
	if _, err := svc.Update(ctx, parley.Account{ID: "acct1"}); err != nil {
		t.Fatal(err)
	}
	if stored, _ := s.Account(ctx, "acct1"); stored.ConnectorURL != "" || stored.ConnectorSecret != "" {
		t.Errorf("connector after removal = %q", stored.ConnectorURL)
	}
}

// TestConnectorNeedsAdmin checks the service's own guard: a change of the
// connector by a campaign manager, or without a principal, is refused and
// nothing is saved; other settings, with the connector sent back as read,
// are the manager's to change.
func TestConnectorNeedsAdmin(t *testing.T) {
	s, _ := testworld.Open(t)
	svc := &account.Service{Store: s, Clock: parley.SystemClock{}}
	as := func(role auth.Role) context.Context {
		return auth.NewContext(context.Background(), auth.Principal{AccountID: "acct1", Role: role, Subject: "test"})
	}
	const secret = "whsec-0123456789abcdef"
	saved, err := svc.Update(as(auth.RoleAdmin), parley.Account{ID: "acct1", ConnectorURL: "https://agents.example.com/hook", ConnectorSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		ctx  context.Context
		a    parley.Account
		code string
	}{
		{"manager moves the URL", as(auth.RoleCampaignManager), parley.Account{ID: "acct1", ConnectorURL: "https://collector.example/hook", ConnectorSecret: saved.ConnectorSecret}, parley.EFORBIDDEN},
		{"manager replaces the secret", as(auth.RoleCampaignManager), parley.Account{ID: "acct1", ConnectorURL: saved.ConnectorURL, ConnectorSecret: "whsec-another-secret-0000"}, parley.EFORBIDDEN},
		{"manager removes the connector", as(auth.RoleCampaignManager), parley.Account{ID: "acct1", DefaultSkill: "sales"}, parley.EFORBIDDEN},
		{"no principal", context.Background(), parley.Account{ID: "acct1", ConnectorURL: "https://collector.example/hook", ConnectorSecret: secret}, parley.EUNAUTHORIZED},
		{"manager keeps the connector", as(auth.RoleCampaignManager), parley.Account{ID: "acct1", DefaultSkill: "sales", ConnectorURL: saved.ConnectorURL, ConnectorSecret: saved.ConnectorSecret}, ""},
	}
	for _, tt := range tests {
		_, err := svc.Update(tt.ctx, tt.a)
		if parley.ErrorCode(err) != tt.code {
			t.Errorf("%s: %v, want code %q", tt.name, err, tt.code)
		}
		if stored, _ := s.Account(context.Background(), "acct1"); stored.ConnectorURL != saved.ConnectorURL || stored.ConnectorSecret.Reveal() != secret {
			t.Fatalf("%s: the connector is now %s", tt.name, stored.ConnectorURL)
		}
	}
}
