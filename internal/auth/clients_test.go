package auth_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/embedded"
)

// fastCost keeps the tests quick; production uses auth.DefaultHashCost.
var fastCost = auth.HashCost{Time: 1, MemoryKiB: 64, Threads: 1}

func newClients(t *testing.T) (*auth.Clients, *embedded.Store) {
	t.Helper()
	s, err := embedded.Open(filepath.Join(t.TempDir(), "store.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	tokens := verifier(t)
	tokens.Clients = s
	return &auth.Clients{Store: s, Tokens: tokens, Clock: parley.ClockFunc(func() time.Time { return now }), Cost: fastCost}, s
}

func TestClientLifecycle(t *testing.T) {
	ctx := context.Background()
	svc, s := newClients(t)
	creds, err := svc.Create(ctx, "A", auth.RoleCampaignManager, "CRM export")
	if err != nil {
		t.Fatal(err)
	}
	c := creds.Client
	if !strings.HasPrefix(c.ID, "pc_") || !strings.HasPrefix(creds.Secret, "pcs_") || c.AccountID != "A" || c.Role != "campaign_manager" ||
		c.Name != "CRM export" || !c.CreatedAt.Equal(now) || c.SecretHash != "" {
		t.Fatalf("created %+v", creds)
	}
	stored, err := s.Client(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stored.SecretHash, "$argon2id$v=19$m=64,t=1,p=1$") || strings.Contains(stored.SecretHash, creds.Secret) {
		t.Errorf("stored hash %q", stored.SecretHash)
	}

	tok, err := svc.Exchange(ctx, c.ID, creds.Secret)
	if err != nil {
		t.Fatal(err)
	}
	if tok.ExpiresIn != time.Hour || tok.TokenType != "Bearer" {
		t.Errorf("token %+v", tok)
	}
	p, err := svc.Tokens.Verify(context.Background(), tok.AccessToken)
	if err != nil || p != (auth.Principal{AccountID: "A", Role: auth.RoleCampaignManager, Subject: c.ID}) {
		t.Fatalf("token speaks for %+v, %v", p, err)
	}

	list, err := svc.List(ctx, "A")
	if err != nil || len(list) != 1 || list[0].ID != c.ID || list[0].SecretHash != "" {
		t.Errorf("List = %+v, %v", list, err)
	}

	rotated, err := svc.Rotate(ctx, "A", c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rotated.Secret == creds.Secret || rotated.Client.ID != c.ID || !rotated.Client.RotatedAt.Equal(now) || rotated.Client.SecretHash != "" {
		t.Errorf("rotated %+v", rotated)
	}
	if _, err := svc.Exchange(ctx, c.ID, creds.Secret); parley.ErrorCode(err) != parley.EUNAUTHORIZED {
		t.Errorf("the old secret after rotation: %v", err)
	}
	if _, err := svc.Exchange(ctx, c.ID, rotated.Secret); err != nil {
		t.Errorf("the new secret: %v", err)
	}

	if _, err := svc.Rotate(ctx, "B", c.ID); parley.ErrorCode(err) != parley.ENOTFOUND {
		t.Errorf("another account rotated the client: %v", err)
	}
	if err := svc.Revoke(ctx, "B", c.ID); parley.ErrorCode(err) != parley.ENOTFOUND {
		t.Errorf("another account revoked the client: %v", err)
	}
	if err := svc.Revoke(ctx, "A", c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Exchange(ctx, c.ID, rotated.Secret); parley.ErrorCode(err) != parley.EUNAUTHORIZED {
		t.Errorf("a revoked client: %v", err)
	}
	if list, _ := svc.List(ctx, "A"); len(list) != 0 {
		t.Errorf("after revoke: %+v", list)
	}
}

func TestExchangeRejects(t *testing.T) {
	ctx := context.Background()
	svc, _ := newClients(t)
	creds, err := svc.Create(ctx, "A", auth.RoleAdmin, "")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, id, secret string }{
		{"wrong secret", creds.Client.ID, creds.Secret + "x"},
		{"secret of another length", creds.Client.ID, "pcs_short"},
		{"unknown client", "pc_0000", creds.Secret},
		{"empty secret", creds.Client.ID, ""},
		{"empty id", "", creds.Secret},
		{"oversized secret", creds.Client.ID, strings.Repeat("s", 201)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := svc.Exchange(ctx, tt.id, tt.secret)
			if parley.ErrorCode(err) != parley.EUNAUTHORIZED || parley.ErrorMessage(err) != "client authentication failed" {
				t.Errorf("Exchange = %v, want the one EUNAUTHORIZED answer", err)
			}
		})
	}
}

func TestCreateRejects(t *testing.T) {
	ctx := context.Background()
	svc, s := newClients(t)
	tests := []struct {
		name, role, clientName, field string
	}{
		{"unknown role", "root", "x", "role"},
		{"no role", "", "x", "role"},
		{"long name", "admin", strings.Repeat("n", auth.MaxClientName+1), "name"},
		{"control characters", "admin", "a\nb", "name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := svc.Create(ctx, "A", auth.Role(tt.role), tt.clientName)
			if parley.ErrorCode(err) != parley.EINVALID || parley.ErrorField(err) != tt.field {
				t.Errorf("Create = %v, want EINVALID on %s", err, tt.field)
			}
		})
	}
	if list, _ := s.ClientsOf(ctx, "A"); len(list) != 0 {
		t.Errorf("rejected creates stored %+v", list)
	}
}

// TestHashCost checks that a secret is checked with the cost it was hashed
// with, so the cost can change without invalidating existing secrets.
func TestHashCost(t *testing.T) {
	ctx := context.Background()
	svc, _ := newClients(t)
	creds, err := svc.Create(ctx, "A", auth.RoleSupport, "")
	if err != nil {
		t.Fatal(err)
	}
	svc.Cost = auth.HashCost{Time: 2, MemoryKiB: 128, Threads: 2}
	if _, err := svc.Exchange(ctx, creds.Client.ID, creds.Secret); err != nil {
		t.Errorf("a secret hashed at the old cost: %v", err)
	}
}
