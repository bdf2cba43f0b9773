package push

import (
	"reflect"
	"slices"
	"testing"

	"github.com/parleyhq/parley/internal/parley"
)

const (
	testAccount  = "acct-1"
	testConsumer = "consumer-7"
)

func pushMessage() parley.Message {
	return parley.Message{
		Channel: parley.ChannelInApp, To: testConsumer, Body: "Your order shipped",
		AccountID: testAccount, CampaignID: "camp-9", RecipientID: "rcp-42",
	}
}

var (
	unregistered = fixed(404, fcmError(404, "NOT_FOUND", "Requested entity was not found.", "UNREGISTERED"))
	invalidToken = fixed(400, fcmError(400, "INVALID_ARGUMENT", "The registration token is not a valid FCM registration token", "INVALID_ARGUMENT"))
	unavailable  = fixed(503, fcmError(503, "UNAVAILABLE", "The service is currently unavailable.", "UNAVAILABLE"))
	quota        = fixed(429, fcmError(429, "RESOURCE_EXHAUSTED", "Quota exceeded.", "QUOTA_EXCEEDED"))
)

func TestGatewaySend(t *testing.T) {
	tests := []struct {
		name      string
		devices   []string
		replies   map[string]func(*fakeGoogle) reply
		wantName  bool
		code      string
		kind      parley.FailKind
		remaining []string
		attempts  int
	}{
		{"one of three accepts", []string{"tok-gone", "tok-ok", "tok-bad"},
			map[string]func(*fakeGoogle) reply{"tok-gone": unregistered, "tok-bad": invalidToken},
			true, "", 0, []string{"tok-ok", "tok-bad"}, 3},
		{"no devices", nil, nil, false, CodeNoDevice, parley.FailIneligible, nil, 0},
		{"all unregistered", []string{"tok-a", "tok-b"},
			map[string]func(*fakeGoogle) reply{"tok-a": unregistered, "tok-b": unregistered},
			false, CodeNoDevice, parley.FailIneligible, []string{}, 2},
		{"retryable outranks permanent", []string{"tok-a", "tok-b", "tok-c"},
			map[string]func(*fakeGoogle) reply{"tok-a": invalidToken, "tok-b": unavailable, "tok-c": invalidToken},
			false, "UNAVAILABLE", parley.FailTransient, []string{"tok-a", "tok-b", "tok-c"}, 3},
		{"throttled stops the round", []string{"tok-a", "tok-b"},
			map[string]func(*fakeGoogle) reply{"tok-a": quota},
			false, "QUOTA_EXCEEDED", parley.FailThrottled, []string{"tok-a", "tok-b"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeGoogle(t)
			f.set(func(f *fakeGoogle) {
				for tok, r := range tt.replies {
					f.replies[tok] = r(f)
				}
			})
			store := newMemStore(map[string][]string{storeKey(testAccount, testConsumer): tt.devices})
			g := &Gateway{Client: f.client(), Tokens: store, Title: "Parley Shop"}
			name, err := g.Send(t.Context(), pushMessage())
			if tt.wantName {
				if err != nil || name == "" {
					t.Fatalf("Send = %q, %v", name, err)
				}
				checkPushed(t, f.accepted())
			} else {
				assertSendError(t, err, tt.code, tt.kind)
			}
			left, _ := store.DeviceTokens(t.Context(), testAccount, testConsumer, nil)
			if tt.remaining != nil && !slices.Equal(left, tt.remaining) {
				t.Errorf("tokens left %v, want %v", left, tt.remaining)
			}
			if _, attempts := f.counts(); attempts != tt.attempts {
				t.Errorf("%d sends, want %d", attempts, tt.attempts)
			}
		})
	}
}

// checkPushed checks the accepted message carries the body, title and ids.
func checkPushed(t *testing.T, got []sent) {
	t.Helper()
	want := sent{
		Token: "tok-ok", Notification: &notification{Title: "Parley Shop", Body: "Your order shipped"},
		Data: map[string]string{"accountId": testAccount, "campaignId": "camp-9", "recipientId": "rcp-42"},
	}
	if len(got) != 1 || !reflect.DeepEqual(got[0], want) {
		t.Errorf("FCM accepted %+v, want %+v", got, want)
	}
}

func TestGatewayStoreFailures(t *testing.T) {
	t.Run("store down", func(t *testing.T) {
		f := newFakeGoogle(t)
		store := newMemStore(map[string][]string{storeKey(testAccount, testConsumer): {"tok-a"}})
		store.Close()
		_, err := (&Gateway{Client: f.client(), Tokens: store}).Send(t.Context(), pushMessage())
		assertSendError(t, err, CodeTokenStore, parley.FailTransient)
	})
	t.Run("removal fails", func(t *testing.T) {
		f := newFakeGoogle(t)
		store := newMemStore(map[string][]string{storeKey(testAccount, testConsumer): {"tok-gone"}})
		f.set(func(f *fakeGoogle) {
			f.replies["tok-gone"] = unregistered(f)
			f.onSend = func(string) { store.Close() } // the store goes down mid-send
		})
		_, err := (&Gateway{Client: f.client(), Tokens: store}).Send(t.Context(), pushMessage())
		assertSendError(t, err, CodeTokenRemoval, parley.FailTransient)
	})
}

func TestMoreSevere(t *testing.T) {
	e := func(k parley.FailKind) *parley.SendError { return sendErr(k.String(), "", k) }
	order := []parley.FailKind{parley.FailIneligible, parley.FailPermanent, parley.FailTransient, parley.FailThrottled, parley.FailConfig}
	for i, lo := range order {
		for _, hi := range order[i+1:] {
			if got := moreSevere(e(lo), e(hi)).Kind; got != hi {
				t.Errorf("moreSevere(%s, %s) = %s", lo, hi, got)
			}
			if got := moreSevere(e(hi), e(lo)).Kind; got != hi {
				t.Errorf("moreSevere(%s, %s) = %s", hi, lo, got)
			}
		}
		if got := moreSevere(nil, e(lo)).Kind; got != lo {
			t.Errorf("moreSevere(nil, %s) = %s", lo, got)
		}
	}
}
