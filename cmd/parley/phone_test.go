package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/app"
	"github.com/parleyhq/parley/internal/gateway/sandboxvoice"
	"github.com/parleyhq/parley/internal/httpapi"
	"github.com/parleyhq/parley/internal/parley"
)

func TestPredictiveCampaignOnServe(t *testing.T) { eachDay(t, testPredictiveCampaignOnServe) }

// testPredictiveCampaignOnServe runs a small predictive campaign on parley
// serve's sandbox voice gateway, as the README shows, only with calls that
// last seconds: contacts, the campaign, operators online over the API,
// then the campaign runs by itself to completion.
func testPredictiveCampaignOnServe(t *testing.T, clock parley.Clock) {
	const contacts = 10
	profile, err := sandboxvoice.ParseProfile("live=0.5,machine=0.2,busy=0.1,ring=300ms,ringout=1s,talk=800ms,wrap=200ms")
	if err != nil {
		t.Fatal(err)
	}
	s := start(t, embeddedConfig(t), clock, app.WithVoiceProfile(profile))
	defer s.stop()
	for i := range contacts {
		s.post(t, "/api/v2/account/demo/contacts", fmt.Sprintf(`{"name":"Contact %d","phone":"+1202555%04d"}`, i, 2000+i), 201, nil)
	}
	var c httpapi.PhoneCampaignResponse
	s.post(t, "/api/v2/account/demo/phone-campaigns", `{"name":"renewals","mode":"predictive","pickupRate":50,"operatorGroup":"sales",
		"callerIds":["+12025550100","+12025550101"],"maxAttempts":1}`, 201, &c)
	if c.Created == nil || c.Created.Entries != contacts {
		t.Fatalf("created %+v", c)
	}
	var ops httpapi.SandboxOperatorsResponse
	s.post(t, "/sandbox/operators", `{"group":"sales","operators":["ann","bob","cy"],"state":"online"}`, 200, &ops)
	if len(ops.Operators) != 3 {
		t.Fatalf("operators %+v", ops)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		var got httpapi.PhoneCampaignResponse
		s.get(t, "/api/v2/account/demo/phone-campaigns/"+c.ID, &got)
		if got.State == "completed" {
			break
		}
		if time.Now().After(deadline) {
			var st httpapi.PhoneCampaignStats
			s.get(t, "/api/v2/account/demo/phone-campaigns/"+c.ID+"/stats", &st)
			t.Fatalf("the campaign is %s after a minute: %+v", got.State, st)
		}
		time.Sleep(100 * time.Millisecond)
	}
	var st httpapi.PhoneCampaignStats
	s.get(t, "/api/v2/account/demo/phone-campaigns/"+c.ID+"/stats", &st)
	if st.Processed != contacts || st.Waiting != 0 || st.InProgress != 0 || st.Connected+st.Abandoned > contacts {
		t.Errorf("stats at completion %+v", st)
	}
	t.Logf("completed: %+v", st)
}
