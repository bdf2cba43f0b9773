package pushtoken_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/settings/pushtoken"
	"github.com/parleyhq/parley/internal/testworld"
)

var t0 = time.Date(2026, 11, 21, 15, 0, 0, 0, time.UTC)

// stepClock moves a second on at every reading.
type stepClock struct{ n int }

func (c *stepClock) Now() time.Time { c.n++; return t0.Add(time.Duration(c.n) * time.Second) }

func newService(t *testing.T) *pushtoken.Service {
	s, _ := testworld.Open(t)
	return &pushtoken.Service{Store: s, Clock: &stepClock{}}
}

func tokens(t *testing.T, svc *pushtoken.Service, consumer string) []string {
	t.Helper()
	ts, err := svc.List(context.Background(), "acct1", consumer)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range ts {
		out = append(out, p.Token)
	}
	return out
}

func TestRegisterValidation(t *testing.T) {
	tests := []struct {
		name  string
		token parley.PushToken
		field string
	}{
		{"valid", parley.PushToken{ConsumerID: "jane", Token: "fcm:APA91b-x_y.z~", Platform: "android"}, ""},
		{"missing consumer", parley.PushToken{Token: "t", Platform: "ios"}, "consumerId"},
		{"consumer with control characters", parley.PushToken{ConsumerID: "ja\nne", Token: "t", Platform: "ios"}, "consumerId"},
		{"consumer too long", parley.PushToken{ConsumerID: strings.Repeat("x", parley.MaxConsumerID+1), Token: "t", Platform: "ios"}, "consumerId"},
		{"missing token", parley.PushToken{ConsumerID: "jane", Platform: "ios"}, "token"},
		{"token with a slash", parley.PushToken{ConsumerID: "jane", Token: "a/b", Platform: "ios"}, "token"},
		{"token with a space", parley.PushToken{ConsumerID: "jane", Token: "a b", Platform: "ios"}, "token"},
		{"token too long", parley.PushToken{ConsumerID: "jane", Token: strings.Repeat("a", parley.MaxPushToken+1), Platform: "ios"}, "token"},
		{"missing platform", parley.PushToken{ConsumerID: "jane", Token: "t"}, "platform"},
		{"unknown platform", parley.PushToken{ConsumerID: "jane", Token: "t", Platform: "symbian"}, "platform"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := newService(t)
			tt.token.AccountID = "acct1"
			saved, err := svc.Register(context.Background(), tt.token)
			if parley.ErrorField(err) != tt.field || (tt.field == "") != (err == nil) {
				t.Fatalf("Register = %v, want field %q", err, tt.field)
			}
			if err != nil {
				if got := tokens(t, svc, "jane"); len(got) != 0 {
					t.Errorf("a refused registration saved %q", got)
				}
				return
			}
			if saved.RegisteredAt.IsZero() || !slices.Equal(tokens(t, svc, "jane"), []string{tt.token.Token}) {
				t.Errorf("saved %+v; listed %q", saved, tokens(t, svc, "jane"))
			}
		})
	}
}

func TestRegisterKeepsTheNewestDevices(t *testing.T) {
	ctx := context.Background()
	svc := newService(t)
	var want []string
	for i := range pushtoken.MaxDevices + 3 {
		tok := fmt.Sprintf("tok%02d", i)
		if _, err := svc.Register(ctx, parley.PushToken{AccountID: "acct1", ConsumerID: "jane", Token: tok, Platform: "ios"}); err != nil {
			t.Fatal(err)
		}
		want = append(want, tok)
	}
	want = want[3:]
	if got := tokens(t, svc, "jane"); !slices.Equal(got, want) {
		t.Fatalf("devices = %q, want the newest %d: %q", got, pushtoken.MaxDevices, want)
	}
	// Renewing the oldest makes it the newest: the next one forgotten is tok04.
	if _, err := svc.Register(ctx, parley.PushToken{AccountID: "acct1", ConsumerID: "jane", Token: "tok03", Platform: "android"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Register(ctx, parley.PushToken{AccountID: "acct1", ConsumerID: "jane", Token: "tok99", Platform: "android"}); err != nil {
		t.Fatal(err)
	}
	got := tokens(t, svc, "jane")
	if len(got) != pushtoken.MaxDevices || slices.Contains(got, "tok04") || !slices.Contains(got, "tok03") || !slices.Contains(got, "tok99") {
		t.Errorf("devices = %q, want tok03 renewed, tok04 forgotten, tok99 added", got)
	}
}

func TestUnregister(t *testing.T) {
	ctx := context.Background()
	svc := newService(t)
	for _, p := range []parley.PushToken{
		{AccountID: "acct1", ConsumerID: "jane", Token: "t1", Platform: "ios"},
		{AccountID: "acct1", ConsumerID: "jane", Token: "t2", Platform: "android"},
		{AccountID: "acct1", ConsumerID: "bob", Token: "t3", Platform: "web"},
	} {
		if _, err := svc.Register(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name, consumer, token, code string
	}{
		{"registered", "jane", "t1", ""},
		{"again", "jane", "t1", parley.ENOTFOUND},
		{"another consumer's", "jane", "t3", parley.ENOTFOUND},
		{"bad token", "jane", "t 2", parley.EINVALID},
		{"bad consumer", "", "t2", parley.EINVALID},
	}
	for _, tt := range tests {
		if err := svc.Unregister(ctx, "acct1", tt.consumer, tt.token); parley.ErrorCode(err) != tt.code {
			t.Errorf("%s: Unregister = %v, want code %q", tt.name, err, tt.code)
		}
	}
	if got := tokens(t, svc, "jane"); !slices.Equal(got, []string{"t2"}) {
		t.Errorf("jane's devices = %q, want [t2]", got)
	}
	if got := tokens(t, svc, "bob"); !slices.Equal(got, []string{"t3"}) {
		t.Errorf("bob's devices = %q, want [t3]", got)
	}
}
