package embedded_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/parleyhq/parley/internal/envelope/keyfile"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/embedded"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// open opens the store at path with the key file beside it.
func open(t testing.TB, path string) *embedded.Store {
	t.Helper()
	sealer, err := keyfile.Load(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	s, err := embedded.Open(path, embedded.WithSealer(sealer))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// newStore opens an empty store, closed when the test ends.
func newStore(t *testing.T) *embedded.Store {
	s := open(t, filepath.Join(t.TempDir(), "store.db"))
	t.Cleanup(func() { s.Close() })
	return s
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return newStore(t) }, storetest.Options{})
}

func TestOutboxContract(t *testing.T) {
	storetest.Outbox(t, func(t *testing.T) store.Outbox { return newStore(t) })
}

func TestProviderSecretsEncryptedAtRest(t *testing.T) {
	storetest.ProviderSecretsAtRest(t, func(t *testing.T) (store.Store, storetest.Raw) {
		s := newStore(t)
		return s, embedded.RawOf(s)
	})
}

func TestConnectorSecretEncryptedAtRest(t *testing.T) {
	storetest.ConnectorSecretAtRest(t, func(t *testing.T) (store.Store, storetest.Raw) {
		s := newStore(t)
		return s, embedded.RawOf(s)
	})
}

func TestSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "store.db")
	s := open(t, path)
	c, rs := storetest.Fixture("acct1", "camp1", 3)
	if err := s.CreateCampaign(ctx, c, rs); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateRecipient(ctx, rs[0].Ref(), parley.RecipientChange{From: parley.Claimable, Status: parley.StatusSent}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, path)
	defer s.Close()
	r, err := s.Recipient(ctx, rs[0].Ref())
	if err != nil || r.Status != parley.StatusSent {
		t.Fatalf("after reopen: %+v, %v; want SENT", r, err)
	}
	if _, err := s.Campaign(ctx, "acct1", "camp1"); err != nil {
		t.Fatal(err)
	}
}

func TestLockedFileIsAnError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.db")
	s := open(t, path)
	defer s.Close()
	if _, err := embedded.Open(path); err == nil {
		t.Fatal("a second Open of a held store succeeded")
	}
}

func TestEventSecretEncryptedAtRest(t *testing.T) {
	storetest.EventSecretAtRest(t, func(t *testing.T) (store.Store, storetest.Raw) {
		s := newStore(t)
		return s, embedded.RawOf(s)
	})
}
