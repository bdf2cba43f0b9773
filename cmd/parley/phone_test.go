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
	st := runToCompletion(t, s, c.ID)
	if st.Processed != contacts || st.Waiting != 0 || st.InProgress != 0 || st.Connected+st.Abandoned > contacts {
		t.Errorf("stats at completion %+v", st)
	}
	t.Logf("completed: %+v", st)
}

// runToCompletion waits, a minute at most, for a campaign to complete on
// its own, and returns its statistics then.
func runToCompletion(t *testing.T, s *server, id string) httpapi.PhoneCampaignStats {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var st httpapi.PhoneCampaignStats
	for {
		var got httpapi.PhoneCampaignResponse
		s.get(t, "/api/v2/account/demo/phone-campaigns/"+id, &got)
		if got.State == "completed" {
			break
		}
		if time.Now().After(deadline) {
			s.get(t, "/api/v2/account/demo/phone-campaigns/"+id+"/stats", &st)
			t.Fatalf("the campaign is %s after a minute: %+v", got.State, st)
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.get(t, "/api/v2/account/demo/phone-campaigns/"+id+"/stats", &st)
	return st
}

func TestPreviewCampaignOnServe(t *testing.T) { eachDay(t, testPreviewCampaignOnServe) }

// testPreviewCampaignOnServe runs a small preview campaign with a call
// script on parley serve's sandbox voice gateway: the simulated operators
// accept each contact offered to them, talk, and wrap up answering the
// script's required questions, so the campaign completes by itself.
func testPreviewCampaignOnServe(t *testing.T, clock parley.Clock) {
	const contacts = 6
	profile, err := sandboxvoice.ParseProfile("live=0.6,machine=0.1,busy=0.1,ring=300ms,ringout=1s,talk=500ms,wrap=200ms,think=300ms")
	if err != nil {
		t.Fatal(err)
	}
	s := start(t, embeddedConfig(t), clock, app.WithVoiceProfile(profile))
	defer s.stop()
	for i := range contacts {
		s.post(t, "/api/v2/account/demo/contacts", fmt.Sprintf(`{"name":"Contact %d","phone":"+1202555%04d"}`, i, 3000+i), 201, nil)
	}
	var c httpapi.PhoneCampaignResponse
	s.post(t, "/api/v2/account/demo/phone-campaigns", `{"name":"check-in","mode":"preview","bcwSeconds":0,"operatorGroup":"care",
		"callerIds":["+12025550100"],"maxAttempts":1,"script":{"items":[
			{"kind":"text","label":"Hello, this is a courtesy call."},
			{"kind":"choice","name":"plan","label":"Which plan?","options":["basic","plus"],"required":true},
			{"kind":"checkbox","name":"callAgain","label":"May we call again?","required":true}]}}`, 201, &c)
	if c.Created == nil || c.Created.Entries != contacts {
		t.Fatalf("created %+v", c)
	}
	s.post(t, "/sandbox/operators", `{"group":"care","operators":["ann","bob"],"state":"online"}`, 200, nil)
	st := runToCompletion(t, s, c.ID)
	if st.Processed != contacts || st.Abandoned != 0 || st.Calls.Placed < contacts {
		t.Errorf("stats at completion %+v; want every contact processed and none abandoned", st)
	}
	var sessions struct {
		Sessions []httpapi.PhoneSessionResponse `json:"sessions"`
	}
	s.get(t, "/api/v2/account/demo/phone-sessions?campaignId="+c.ID, &sessions)
	// In preview mode each call is an operator's session, answered or not;
	// those bridged were wrapped up with the answers the script requires.
	if len(sessions.Sessions) != st.Calls.Placed {
		t.Errorf("%d sessions, %d calls placed", len(sessions.Sessions), st.Calls.Placed)
	}
	bridged := 0
	for _, se := range sessions.Sessions {
		if se.BridgedAt == "" {
			continue
		}
		if bridged++; se.Params["plan"] == "" || se.Params["callAgain"] == "" || se.WrappedAt == "" {
			t.Errorf("session %+v; want it wrapped up with the required answers", se)
		}
	}
	if bridged != st.Calls.Bridged {
		t.Errorf("%d sessions bridged, %d calls", bridged, st.Calls.Bridged)
	}
	t.Logf("completed: %+v, %d sessions", st, len(sessions.Sessions))
}
