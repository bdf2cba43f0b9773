package embedded_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

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
	storetest.Run(t, func(t *testing.T) store.Store { return newStore(t) }, storetest.Options{KeepsStatusCounts: true})
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

// TestEventDeliveriesBounded checks that the store keeps a subscription's
// newest store.MaxEventDeliveries attempts and drops older ones.
func TestEventDeliveriesBounded(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	at := time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC)
	for i := range store.MaxEventDeliveries + 5 {
		d := parley.EventDelivery{AccountID: "acct1", SubscriptionID: "sub1", EventID: fmt.Sprintf("ev%03d", i), EventType: parley.EventSent,
			Attempt: 1, At: at.Add(time.Duration(i) * time.Second), Outcome: parley.DeliveryDelivered, Status: 200}
		if err := s.RecordEventDelivery(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RecordEventDelivery(ctx, parley.EventDelivery{AccountID: "acct1", SubscriptionID: "sub2", EventID: "other", At: at}); err != nil {
		t.Fatal(err)
	}
	all, err := s.EventDeliveries(ctx, "acct1", "sub1", store.MaxEventDeliveries)
	if err != nil || len(all) != store.MaxEventDeliveries || all[0].EventID != fmt.Sprintf("ev%03d", store.MaxEventDeliveries+4) || all[len(all)-1].EventID != "ev005" {
		t.Fatalf("kept %d attempts (%v), newest %+v, oldest %+v; want %d from ev005", len(all), err, all[0], all[len(all)-1], store.MaxEventDeliveries)
	}
	if other, _ := s.EventDeliveries(ctx, "acct1", "sub2", 10); len(other) != 1 {
		t.Errorf("another subscription's attempts: %+v", other)
	}
}

// TestListingIndexBackfilled checks that a database written before the
// campaigns' creation-order index lists its campaigns once reopened.
func TestListingIndexBackfilled(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "store.db")
	s := open(t, path)
	older, rs := storetest.Fixture("acct1", "older", 1)
	if err := s.CreateCampaign(ctx, older, rs); err != nil {
		t.Fatal(err)
	}
	newer, rs := storetest.Fixture("acct1", "newer", 1)
	newer.CreatedAt = older.CreatedAt.Add(time.Minute)
	if err := s.CreateCampaign(ctx, newer, rs); err != nil {
		t.Fatal(err)
	}
	embedded.DropListingIndex(t, s)
	if page, err := s.ListCampaigns(ctx, "acct1", store.CampaignFilter{}, store.CampaignPosition{}, 10); err != nil || len(page.Campaigns) != 0 {
		t.Fatalf("without the index: %+v, %v", page, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, path)
	defer s.Close()
	page, err := s.ListCampaigns(ctx, "acct1", store.CampaignFilter{}, store.CampaignPosition{}, 10)
	if err != nil || len(page.Campaigns) != 2 || page.Campaigns[0].ID != "newer" || page.Campaigns[1].ID != "older" {
		t.Fatalf("after reopen: %+v, %v; want newer, older", page, err)
	}
}

// TestStatusCountsNotStartedLate: a campaign created before the store kept
// status counts gets none from a later change (which would count only the
// recipients that changed), so its counts are read by listing.
func TestStatusCountsNotStartedLate(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	c, rs := storetest.Fixture("acct1", "camp1", 3)
	if err := s.CreateCampaign(ctx, c, rs); err != nil {
		t.Fatal(err)
	}
	embedded.DropStatusCounts(t, s)
	if _, err := s.UpdateRecipient(ctx, rs[0].Ref(), parley.RecipientChange{From: parley.Claimable, Status: parley.StatusSending, At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if counts, ok, err := s.RecipientStatusCounts(ctx, "acct1", "camp1"); err != nil || ok {
		t.Fatalf("status counts %v (%v, %v) for a campaign whose counts were never started, want none", counts, ok, err)
	}
}
