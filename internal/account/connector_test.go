package account_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/account"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/testworld"
)

func TestConnectorSecretIsKeptAndHidden(t *testing.T) {
	s, _ := testworld.Open(t)
	svc := &account.Service{Store: s, Clock: parley.ClockFunc(func() time.Time { return time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC) })}
	ctx := context.Background()
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
