package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Clients checks store.Clients.
func Clients(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("RoundTrip", func(t *testing.T) { testClients(t, newStore(t)) })
}

func testClients(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.Client(ctx, "pc_none"); parley.ErrorCode(err) != parley.ENOTFOUND {
		t.Fatalf("Client of an empty store: %v, want ENOTFOUND", err)
	}
	if none, err := s.ClientsOf(ctx, "acct1"); err != nil || none == nil || len(none) != 0 {
		t.Fatalf("ClientsOf an empty store = %#v, %v; want an empty list", none, err)
	}
	b := parley.APIClient{ID: "pc_b", AccountID: "acct1", Role: "admin", Name: "CRM", SecretHash: "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$aGFzaA", CreatedAt: t0, KeyVersion: 1}
	a := b
	a.ID, a.Role, a.Name = "pc_a", "support", "dashboard"
	other := parley.APIClient{ID: "pc_c", AccountID: "acct2", Role: "campaign_manager", SecretHash: "h", CreatedAt: t0}
	for _, c := range []parley.APIClient{b, a, other} {
		if err := s.PutClient(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Client(ctx, "pc_b")
	if err != nil || got.AccountID != "acct1" || got.Role != "admin" || got.Name != "CRM" || got.SecretHash != b.SecretHash || !got.CreatedAt.Equal(t0) || !got.RotatedAt.IsZero() || got.KeyVersion != 1 {
		t.Fatalf("Client = %+v, %v; want %+v", got, err, b)
	}
	list, err := s.ClientsOf(ctx, "acct1")
	if err != nil || len(list) != 2 || list[0].ID != "pc_a" || list[1].ID != "pc_b" || list[1].SecretHash != b.SecretHash {
		t.Fatalf("ClientsOf(acct1) = %+v, %v; want pc_a, pc_b", list, err)
	}

	rotated := b
	rotated.SecretHash, rotated.RotatedAt, rotated.KeyVersion = "$argon2id$new", t0.Add(3*time.Hour), 2
	if err := s.PutClient(ctx, rotated); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Client(ctx, "pc_b"); err != nil || got.SecretHash != "$argon2id$new" || !got.RotatedAt.Equal(rotated.RotatedAt) || got.KeyVersion != 2 {
		t.Errorf("after replacing: %+v, %v", got, err)
	}
	if list, _ := s.ClientsOf(ctx, "acct1"); len(list) != 2 {
		t.Errorf("replacing a client changed the list: %+v", list)
	}

	wantCode(t, s.DeleteClient(ctx, "acct2", "pc_b"), parley.ENOTFOUND)
	if _, err := s.Client(ctx, "pc_b"); err != nil {
		t.Fatalf("another account's delete removed the client: %v", err)
	}
	wantCode(t, s.DeleteClient(ctx, "acct1", "pc_none"), parley.ENOTFOUND)
	if err := s.DeleteClient(ctx, "acct1", "pc_b"); err != nil {
		t.Fatal(err)
	}
	_, err = s.Client(ctx, "pc_b")
	wantCode(t, err, parley.ENOTFOUND)
	if list, err := s.ClientsOf(ctx, "acct1"); err != nil || len(list) != 1 || list[0].ID != "pc_a" {
		t.Errorf("ClientsOf after delete = %+v, %v; want pc_a", list, err)
	}
	if list, err := s.ClientsOf(ctx, "acct2"); err != nil || len(list) != 1 || list[0].ID != "pc_c" {
		t.Errorf("ClientsOf(acct2) = %+v, %v; want pc_c", list, err)
	}
}
