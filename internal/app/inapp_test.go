package app_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/httpapi"
	"github.com/parleyhq/parley/internal/parley"
)

// TestInAppWithoutDevice runs an in-app campaign as parley serve does, on
// the sandbox: a consumer with no registered device is refused at intake
// (NO_DEVICE), and one whose device was removed after intake is FAILED
// NO_DEVICE when sent, never SENT.
func TestInAppWithoutDevice(t *testing.T) {
	a := embeddedApp(t)
	h := asAdmin(t, a)
	for _, id := range []string{"jane", "ann"} {
		if code := call(t, h, "POST", "/api/v2/account/acct1/consumers/"+id+"/push-tokens", `{"token":"tok-`+id+`","platform":"ios"}`, nil); code >= 300 {
			t.Fatalf("register %s: %d", id, code)
		}
	}
	var created httpapi.CreateCampaignResponse
	code := call(t, h, "POST", "/api/v2/account/acct1/campaign", `{"campaignName":"app","skill":"sales","templateId":"H1","channel":"inapp",
	  "consent":true,"message":"Your plan renews soon","deliveryWindow":{"start":"00:00","end":"24:00"},"consumers":[
	    {"consumerContent":{"inapp":"jane"}},{"consumerContent":{"inapp":"ann"}},{"consumerContent":{"inapp":"bob"}}]}`, &created)
	if code != http.StatusAccepted || len(created.AcceptedConsumers) != 2 || len(created.FailedConsumers) != 1 {
		t.Fatalf("%d %+v", code, created)
	}
	if f := created.FailedConsumers[0]; f.ConsumerContent.InApp != "bob" || f.ErrorMessage != parley.CodeNoDevice {
		t.Errorf("failed consumer = %+v, want bob refused %s", f, parley.CodeNoDevice)
	}
	if code := call(t, h, "DELETE", "/api/v2/account/acct1/consumers/ann/push-tokens/tok-ann", "", nil); code >= 300 {
		t.Fatalf("remove ann's token: %d", code)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.Dispatcher.Run(ctx, a.Queue, 2); close(done) }()
	defer func() { cancel(); <-done }()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		rs, err := a.Store.Recipients(ctx, "acct1", *created.ProactiveCampaignID, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		status := map[string]parley.Recipient{}
		for _, r := range rs {
			status[r.ConsumerID] = r
		}
		jane, ann := status["jane"], status["ann"]
		if jane.Status == parley.StatusSent && ann.Status == parley.StatusFailed && ann.ErrorMessage == parley.CodeNoDevice {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("jane %s, ann %s %q; want SENT, and FAILED %s", jane.Status, ann.Status, ann.ErrorMessage, parley.CodeNoDevice)
		}
	}
	ms, err := a.Sandbox.Messages(ctx, "acct1")
	if err != nil || len(ms) != 1 || ms[0].To != "jane" {
		t.Errorf("sandbox recorded %+v, %v; want jane's message alone", ms, err)
	}
}
