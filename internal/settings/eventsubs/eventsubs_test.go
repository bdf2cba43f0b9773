package eventsubs_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/clocktest"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/settings/eventsubs"
	"github.com/parleyhq/parley/internal/testworld"
)

// pinger records the subscriptions it pings.
type pinger struct{ pinged []parley.EventSubscription }

func (p *pinger) Ping(ctx context.Context, sub parley.EventSubscription) parley.EventDelivery {
	p.pinged = append(p.pinged, sub)
	return parley.EventDelivery{SubscriptionID: sub.ID, Outcome: parley.DeliveryDelivered}
}

func TestService(t *testing.T) {
	ctx := context.Background()
	s, _ := testworld.Open(t)
	clock := clocktest.New(time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC))
	p := &pinger{}
	svc := &eventsubs.Service{Store: s, Clock: clock, Pinger: p}
	created, err := svc.Create(ctx, "acct1", eventsubs.Change{URL: "https://hooks.example.com/a", Types: []parley.EventType{parley.EventSent}})
	if err != nil || !strings.HasPrefix(created.Secret.Reveal(), eventsubs.SecretPrefix) || created.AccountID != "acct1" || !created.CreatedAt.Equal(clock.Now()) {
		t.Fatalf("Create = %+v, %v", created, err)
	}
	other, err := svc.Create(ctx, "acct1", eventsubs.Change{URL: "https://hooks.example.com/b", Types: []parley.EventType{parley.EventSent}})
	if err != nil || other.ID == created.ID || other.Secret == created.Secret {
		t.Fatalf("a second subscription %+v (%v) shares the first's id or secret", other, err)
	}

	clock.Advance(time.Hour)
	kept, err := svc.Update(ctx, "acct1", created.ID, eventsubs.Change{URL: created.URL, Types: []parley.EventType{parley.EventTypeAll}, Disabled: true})
	if err != nil || kept.Secret != "" || !kept.CreatedAt.Equal(created.CreatedAt) || !kept.UpdatedAt.Equal(clock.Now()) || !kept.Disabled {
		t.Fatalf("Update keeping the secret = %+v, %v", kept, err)
	}
	if saved, _ := s.EventSubscription(ctx, "acct1", created.ID); saved.Secret != created.Secret {
		t.Error("the saved secret changed")
	}
	if _, err := svc.Update(ctx, "acct1", created.ID, eventsubs.Change{URL: "https://elsewhere.example.com", Types: []parley.EventType{parley.EventSent}}); parley.ErrorField(err) != "secret" {
		t.Errorf("a new url with the old secret: %v, want EINVALID on secret", err)
	}
	moved, err := svc.Update(ctx, "acct1", created.ID, eventsubs.Change{URL: "https://elsewhere.example.com", Types: []parley.EventType{parley.EventSent}, Secret: parley.Secret(strings.Repeat("n", 32))})
	if err != nil || moved.Secret.Reveal() != strings.Repeat("n", 32) {
		t.Errorf("a new url with a new secret = %+v, %v", moved, err)
	}
	if _, err := svc.Update(ctx, "acct1", "nope", eventsubs.Change{URL: "https://hooks.example.com", Types: []parley.EventType{parley.EventSent}}); parley.ErrorCode(err) != parley.ENOTFOUND {
		t.Errorf("Update of an unknown subscription: %v", err)
	}

	sub, last, err := svc.Get(ctx, "acct1", created.ID)
	if err != nil || sub.Secret != "" || last != nil {
		t.Errorf("Get = %+v, %+v, %v; want no secret and no delivery yet", sub, last, err)
	}
	if d, err := svc.Test(ctx, "acct1", created.ID); err != nil || d.Outcome != parley.DeliveryDelivered || len(p.pinged) != 1 || p.pinged[0].Secret != moved.Secret {
		t.Errorf("Test = %+v, %v; pinged %+v with its secret", d, err, p.pinged)
	}
	if _, err := svc.Deliveries(ctx, "acct1", created.ID, 0); parley.ErrorField(err) != "limit" {
		t.Errorf("Deliveries(limit 0): %v", err)
	}
	if _, err := svc.Deliveries(ctx, "acct1", "nope", 10); parley.ErrorCode(err) != parley.ENOTFOUND {
		t.Errorf("Deliveries of an unknown subscription: %v", err)
	}
	if err := svc.Delete(ctx, "acct1", created.ID); err != nil {
		t.Fatal(err)
	}
	if list, err := svc.List(ctx, "acct1"); err != nil || len(list) != 1 || list[0].ID != other.ID {
		t.Errorf("List after the delete = %+v, %v", list, err)
	}
}
