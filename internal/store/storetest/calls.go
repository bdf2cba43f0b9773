package storetest

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Calls is the contract of store.Calls.
func Calls(t *testing.T, newStore func(t *testing.T) store.Store) {
	ctx := context.Background()
	call := parley.Call{
		AccountID: "acct1", ID: "b0eb76ed-0ff9-4d03-935b-c86ca9aa9354", HandoffID: "H072047293477863", Skill: "sales",
		Consumer: "+14259549855", ConsumerID: "ananth",
		IVR: parley.IVRContext{CallID: "b0eb76ed-0ff9-4d03-935b-c86ca9aa9354", IVRNumber: "180000",
			TemplateVariables: map[string]string{"1": "Jane"}},
		SDEs:      map[string]string{"ctmrinfo.cstatus": "VIP"},
		Available: []parley.Channel{parley.ChannelWhatsApp, parley.ChannelSMS},
		CreatedAt: t0, ExpiresAt: t0.Add(parley.CallTTL),
	}
	t.Run("round trip", func(t *testing.T) {
		s := newStore(t)
		if err := s.PutCall(ctx, call); err != nil {
			t.Fatal(err)
		}
		got, err := s.Call(ctx, "acct1", call.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, call) {
			t.Errorf("Call = %+v, want %+v", got, call)
		}
	})
	t.Run("replace keeps one", func(t *testing.T) {
		s := newStore(t)
		if err := s.PutCall(ctx, call); err != nil {
			t.Fatal(err)
		}
		invited := call
		invited.InvitedAt, invited.ExpiresAt = t0.Add(time.Minute), t0.Add(31*24*time.Hour)
		if err := s.PutCall(ctx, invited); err != nil {
			t.Fatal(err)
		}
		got, err := s.Call(ctx, "acct1", call.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !got.InvitedAt.Equal(invited.InvitedAt) || !got.ExpiresAt.Equal(invited.ExpiresAt) {
			t.Errorf("Call after replace = invited %s expires %s, want %s and %s", got.InvitedAt, got.ExpiresAt, invited.InvitedAt, invited.ExpiresAt)
		}
	})
	t.Run("absent and other accounts", func(t *testing.T) {
		s := newStore(t)
		_, err := s.Call(ctx, "acct1", call.ID)
		wantCode(t, err, parley.ENOTFOUND)
		if err := s.PutCall(ctx, call); err != nil {
			t.Fatal(err)
		}
		_, err = s.Call(ctx, "acct2", call.ID)
		wantCode(t, err, parley.ENOTFOUND)
	})
}
