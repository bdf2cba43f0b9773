package campaign_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/parleyhq/parley/internal/campaign"
	"github.com/parleyhq/parley/internal/parley"
)

// countedDevices counts the device reads intake makes, and fails them all
// while broken.
type countedDevices struct {
	campaign.Devices
	reads  atomic.Int64
	broken bool
}

func (d *countedDevices) DeviceTokens(ctx context.Context, accountID, consumerID string, apps []string) ([]string, error) {
	d.reads.Add(1)
	if d.broken {
		return nil, parley.Errorf(parley.EUNAVAILABLE, "token store down")
	}
	return d.Devices.DeviceTokens(ctx, accountID, consumerID, apps)
}

// TestInAppWithoutDevice checks that intake refuses, one by one, the
// in-app consumers the account registered no device for.
func TestInAppWithoutDevice(t *testing.T) {
	many := make([]string, campaign.MaxDeviceChecks+1)
	for i := range many {
		many[i] = fmt.Sprintf("c%03d", i)
	}
	tests := []struct {
		name     string
		draft    campaign.Draft
		accepted int
		failed   map[string]string // consumer id → code
		reads    int64
		rejected bool
	}{
		{"one of two has a device", inAppDraft("jane", "bob"), 1, map[string]string{"bob": parley.CodeNoDevice}, 2, false},
		{"none has a device", inAppDraft("bob", "ann"), 0, map[string]string{"bob": parley.CodeNoDevice, "ann": parley.CodeNoDevice}, 2, true},
		{"an invalid id is not read", inAppDraft("jane", " x"), 1, map[string]string{" x": parley.CodeInvalidConsumerID}, 1, false},
		{"a repeated id is read once", inAppDraft("jane", "jane"), 1, map[string]string{"jane": parley.CodeDuplicateConsumerID}, 1, false},
		{"a list over the bound is left to the send", func() campaign.Draft {
			d := inAppDraft()
			d.CSV = strings.NewReader(strings.Join(append([]string{"jane"}, many[1:]...), ",x\n") + ",x\n")
			return d
		}(), campaign.MaxDeviceChecks + 1, map[string]string{}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			ctx := context.Background()
			if err := w.store.PutPushToken(ctx, parley.PushToken{AccountID: "acct1", ConsumerID: "jane", Token: "tok-1", Platform: parley.PlatformAndroid}); err != nil {
				t.Fatal(err)
			}
			devices := &countedDevices{Devices: w.store}
			w.svc.Devices = devices
			got, err := w.svc.Create(ctx, "acct1", tt.draft)
			var rejected *campaign.RejectedError
			if tt.rejected {
				if !errors.As(err, &rejected) {
					t.Fatalf("Create = %v, want all consumers refused", err)
				}
				got.Failed = rejected.Failed
			} else if err != nil {
				t.Fatal(err)
			}
			failed := map[string]string{}
			for _, o := range got.Failed {
				failed[o.ConsumerID] = o.Error
				if o.Error == parley.CodeNoDevice && !strings.Contains(o.Detail, "POST /api/v2/account/acct1/consumers/"+o.ConsumerID+"/push-tokens") {
					t.Errorf("detail of %s = %q, want how to register a device", o.ConsumerID, o.Detail)
				}
			}
			if len(got.Accepted) != tt.accepted || fmt.Sprint(failed) != fmt.Sprint(tt.failed) {
				t.Errorf("accepted %d, failed %v; want %d, %v", len(got.Accepted), failed, tt.accepted, tt.failed)
			}
			if n := devices.reads.Load(); n != tt.reads {
				t.Errorf("%d device reads, want %d", n, tt.reads)
			}
		})
	}
	t.Run("the token store fails", func(t *testing.T) {
		w := newWorld(t)
		w.svc.Devices = &countedDevices{Devices: w.store, broken: true}
		if _, err := w.svc.Create(context.Background(), "acct1", inAppDraft("jane")); parley.ErrorCode(err) != parley.EUNAVAILABLE {
			t.Errorf("Create = %v, want EUNAVAILABLE", err)
		}
	})
}
