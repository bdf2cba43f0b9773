package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// PushTokens checks store.PushTokens (and so store.Devices).
func PushTokens(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("Tokens", func(t *testing.T) { testPushTokens(t, newStore(t)) })
}

func pushTokens(t *testing.T, s store.Store, accountID, consumerID string) []parley.PushToken {
	t.Helper()
	ts, err := s.PushTokens(context.Background(), accountID, consumerID)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func deviceTokens(t *testing.T, s store.Store, accountID, consumerID string, apps ...string) []string {
	t.Helper()
	ts, err := s.DeviceTokens(context.Background(), accountID, consumerID, apps)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func testPushTokens(t *testing.T, s store.Store) {
	ctx := context.Background()
	if got := pushTokens(t, s, "acct1", "jane"); got == nil || len(got) != 0 {
		t.Fatalf("PushTokens of a consumer with none = %#v, want an empty list", got)
	}
	if got := deviceTokens(t, s, "acct1", "jane"); len(got) != 0 {
		t.Fatalf("DeviceTokens of a consumer with none = %q", got)
	}
	puts := []parley.PushToken{
		{AccountID: "acct1", ConsumerID: "jane", Token: "tok-b:APA91", Platform: parley.PlatformAndroid, App: "com.brand.shop", RegisteredAt: t0},
		{AccountID: "acct1", ConsumerID: "jane", Token: "tok-a:APA91", Platform: parley.PlatformIOS, App: "com.brand.bank", RegisteredAt: t0.Add(time.Minute)},
		{AccountID: "acct1", ConsumerID: "jane#2", Token: "tok-c", Platform: parley.PlatformWeb, RegisteredAt: t0},
		{AccountID: "acct1", ConsumerID: "janet", Token: "tok-d", Platform: parley.PlatformWeb, RegisteredAt: t0},
		{AccountID: "acct2", ConsumerID: "jane", Token: "tok-e", Platform: parley.PlatformAndroid, RegisteredAt: t0},
	}
	for _, p := range puts {
		if err := s.PutPushToken(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	got := pushTokens(t, s, "acct1", "jane")
	if len(got) != 2 || got[0].Token != "tok-a:APA91" || got[1].Token != "tok-b:APA91" {
		t.Fatalf("PushTokens = %+v, want tok-a then tok-b (token order, this consumer only)", got)
	}
	if p := got[0]; p.AccountID != "acct1" || p.ConsumerID != "jane" || p.Platform != parley.PlatformIOS || p.App != "com.brand.bank" || !p.RegisteredAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("PushTokens[0] = %+v, want %+v", p, puts[1])
	}
	if got := deviceTokens(t, s, "acct1", "jane"); !slices.Equal(got, []string{"tok-a:APA91", "tok-b:APA91"}) {
		t.Errorf("DeviceTokens = %q", got)
	}
	if got := deviceTokens(t, s, "acct1", "jane", "com.brand.shop", "com.brand.other"); !slices.Equal(got, []string{"tok-b:APA91"}) {
		t.Errorf("DeviceTokens of app com.brand.shop = %q, want [tok-b:APA91]", got)
	}
	if got := deviceTokens(t, s, "acct1", "jane#2", "com.brand.shop"); len(got) != 0 {
		t.Errorf("DeviceTokens of an app the consumer's device names none of = %q, want none", got)
	}
	if got := deviceTokens(t, s, "acct2", "jane"); !slices.Equal(got, []string{"tok-e"}) {
		t.Errorf("another account's DeviceTokens = %q, want [tok-e]", got)
	}

	// Registering a token again replaces it.
	again := puts[0]
	again.Platform, again.RegisteredAt = parley.PlatformWeb, t0.Add(time.Hour)
	if err := s.PutPushToken(ctx, again); err != nil {
		t.Fatal(err)
	}
	got = pushTokens(t, s, "acct1", "jane")
	if len(got) != 2 || got[1].Platform != parley.PlatformWeb || !got[1].RegisteredAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("after registering tok-b again: %+v", got)
	}

	// Removing is per consumer, and removing what is not there succeeds.
	if err := s.RemoveDeviceToken(ctx, "acct1", "jane", "tok-b:APA91"); err != nil {
		t.Fatal(err)
	}
	for _, rm := range [][3]string{{"acct1", "jane", "tok-b:APA91"}, {"acct1", "jane", "tok-e"}, {"acct9", "nobody", "tok-x"}} {
		if err := s.RemoveDeviceToken(ctx, rm[0], rm[1], rm[2]); err != nil {
			t.Errorf("RemoveDeviceToken(%q) of an absent token: %v", rm, err)
		}
	}
	if got := deviceTokens(t, s, "acct1", "jane"); !slices.Equal(got, []string{"tok-a:APA91"}) {
		t.Errorf("after removing tok-b: %q", got)
	}
	if got := deviceTokens(t, s, "acct2", "jane"); !slices.Equal(got, []string{"tok-e"}) {
		t.Errorf("removing another account's token changed acct2: %q", got)
	}
}
