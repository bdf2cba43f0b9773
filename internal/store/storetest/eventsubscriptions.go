package storetest

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// restEventSecret is the signing secret of the subscriptions the suite saves.
const restEventSecret = "whsec-event-subscription-8c1f4e7a2b9d6e03"

func eventSubscription(account, id string) parley.EventSubscription {
	return parley.EventSubscription{ID: id, AccountID: account, URL: "https://hooks.example.com/parley?tenant=" + id,
		Types: []parley.EventType{parley.EventDelivered, parley.EventReplied}, Secret: restEventSecret,
		Description: "CRM feed", CreatedAt: t0, UpdatedAt: t0}
}

// EventSubscriptions checks store.EventSubscriptions.
func EventSubscriptions(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("Subscriptions", func(t *testing.T) { testEventSubscriptions(t, newStore(t)) })
	t.Run("Deliveries", func(t *testing.T) { testEventDeliveries(t, newStore(t)) })
}

func testEventSubscriptions(t *testing.T, s store.Store) {
	ctx := context.Background()
	if got, err := s.EventSubscriptions(ctx, "acct1"); err != nil || got == nil || len(got) != 0 {
		t.Fatalf("EventSubscriptions of an account with none = %#v, %v; want an empty list", got, err)
	}
	_, err := s.EventSubscription(ctx, "acct1", "sub1")
	wantCode(t, err, parley.ENOTFOUND)
	wantCode(t, s.UpdateEventSubscription(ctx, eventSubscription("acct1", "sub1")), parley.ENOTFOUND)
	wantCode(t, s.DeleteEventSubscription(ctx, "acct1", "sub1"), parley.ENOTFOUND)

	a, b, other := eventSubscription("acct1", "sub2"), eventSubscription("acct1", "sub1"), eventSubscription("acct2", "sub1")
	b.Types, b.Disabled = []parley.EventType{parley.EventTypeAll}, true
	for _, sub := range []parley.EventSubscription{a, b, other} {
		if err := s.CreateEventSubscription(ctx, sub); err != nil {
			t.Fatal(err)
		}
	}
	wantCode(t, s.CreateEventSubscription(ctx, a), parley.ECONFLICT)

	got, err := s.EventSubscription(ctx, "acct1", "sub2")
	if err != nil || !reflect.DeepEqual(got, a) {
		t.Fatalf("EventSubscription = %+v, %v; want %+v", got, err, a)
	}
	list, err := s.EventSubscriptions(ctx, "acct1")
	if err != nil || len(list) != 2 || list[0].ID != "sub1" || list[1].ID != "sub2" {
		t.Fatalf("EventSubscriptions = %+v, %v; want sub1 then sub2 of acct1", list, err)
	}
	want := b
	want.Secret = ""
	if !reflect.DeepEqual(list[0], want) || list[1].Secret != "" {
		t.Errorf("listed %+v; want %+v, without secrets", list, want)
	}

	changed := a
	changed.URL, changed.Types, changed.Secret, changed.UpdatedAt = "https://hooks.example.com/v2", []parley.EventType{parley.EventFailed}, restEventSecret+"-rotated", t0.Add(time.Hour)
	if err := s.UpdateEventSubscription(ctx, changed); err != nil {
		t.Fatal(err)
	}
	if got, err := s.EventSubscription(ctx, "acct1", "sub2"); err != nil || !reflect.DeepEqual(got, changed) {
		t.Errorf("after UpdateEventSubscription: %+v, %v; want %+v", got, err, changed)
	}

	if err := s.DeleteEventSubscription(ctx, "acct1", "sub1"); err != nil {
		t.Fatal(err)
	}
	_, err = s.EventSubscription(ctx, "acct1", "sub1")
	wantCode(t, err, parley.ENOTFOUND)
	if got, err := s.EventSubscription(ctx, "acct2", "sub1"); err != nil || got.URL != other.URL {
		t.Errorf("deleting acct1's sub1 touched acct2's: %+v, %v", got, err)
	}
	if list, _ := s.EventSubscriptions(ctx, "acct1"); len(list) != 1 || list[0].ID != "sub2" {
		t.Errorf("after the delete: %+v", list)
	}
}

func testEventDeliveries(t *testing.T, s store.Store) {
	ctx := context.Background()
	if got, err := s.EventDeliveries(ctx, "acct1", "sub1", 10); err != nil || got == nil || len(got) != 0 {
		t.Fatalf("EventDeliveries of none = %#v, %v; want an empty list", got, err)
	}
	attempt := func(sub string, i int, at time.Time) parley.EventDelivery {
		return parley.EventDelivery{AccountID: "acct1", SubscriptionID: sub, EventID: fmt.Sprintf("ev%d", i), EventType: parley.EventSent,
			Attempt: 1, At: at, Outcome: parley.DeliveryRetrying, Status: 503, Error: "HTTP 503", NextAttemptAt: at.Add(10 * time.Second)}
	}
	const n = 5
	for i := range n {
		if err := s.RecordEventDelivery(ctx, attempt("sub1", i, t0.Add(time.Duration(i)*time.Second))); err != nil {
			t.Fatal(err)
		}
	}
	// Two attempts at the same instant are both kept.
	same := attempt("sub1", n, t0.Add(n*time.Second))
	same.Outcome, same.Status, same.Error, same.NextAttemptAt = parley.DeliveryDelivered, 200, "", time.Time{}
	for range 2 {
		if err := s.RecordEventDelivery(ctx, same); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RecordEventDelivery(ctx, attempt("sub2", 99, t0.Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	got, err := s.EventDeliveries(ctx, "acct1", "sub1", 3)
	if err != nil || len(got) != 3 {
		t.Fatalf("EventDeliveries(limit 3) = %+v, %v", got, err)
	}
	if !reflect.DeepEqual(got[0], same) || !reflect.DeepEqual(got[1], same) || got[2].EventID != fmt.Sprintf("ev%d", n-1) {
		t.Errorf("EventDeliveries = %+v; want the two newest (%+v) then ev%d", got, same, n-1)
	}
	if want := attempt("sub1", n-1, t0.Add((n-1)*time.Second)); !reflect.DeepEqual(got[2], want) {
		t.Errorf("EventDeliveries[2] = %+v, want %+v", got[2], want)
	}
	all, err := s.EventDeliveries(ctx, "acct1", "sub1", store.MaxEventDeliveries+50)
	if err != nil || len(all) != n+2 || all[len(all)-1].EventID != "ev0" {
		t.Errorf("EventDeliveries(all) = %d attempts (%v), oldest %+v; want %d ending with ev0", len(all), err, all[len(all)-1], n+2)
	}
	if other, _ := s.EventDeliveries(ctx, "acct1", "sub2", 10); len(other) != 1 || other[0].EventID != "ev99" {
		t.Errorf("sub2's deliveries = %+v", other)
	}
	if other, _ := s.EventDeliveries(ctx, "acct2", "sub1", 10); len(other) != 0 {
		t.Errorf("another account's deliveries = %+v", other)
	}
}

// EventSecretAtRest checks that an event subscription's signing secret is
// sealed at rest, and opens for its own account and id only.
func EventSecretAtRest(t *testing.T, open func(t *testing.T) (store.Store, Raw)) {
	ctx := context.Background()
	s, raw := open(t)
	sub := eventSubscription("acct1", "sub1")
	if err := s.CreateEventSubscription(ctx, sub); err != nil {
		t.Fatal(err)
	}
	assertNotInDump(t, raw, restEventSecret)
	if got, err := s.EventSubscription(ctx, "acct1", "sub1"); err != nil || got.Secret != sub.Secret {
		t.Errorf("EventSubscription = %+v, %v; want its secret back", got, err)
	}
}
