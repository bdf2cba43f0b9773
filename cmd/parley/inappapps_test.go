package main

import (
	"net/http"
	"testing"

	"github.com/parleyhq/parley/internal/httpapi"
	"github.com/parleyhq/parley/internal/parley"
)

// TestInAppHandoffAppsOnServe sends an in-app campaign through an API
// handoff that names one of the brand's apps: a consumer whose only device
// registered from another app is refused NO_DEVICE, one with a device of
// that app gets the message.
func TestInAppHandoffAppsOnServe(t *testing.T) {
	s := start(t, embeddedConfig(t), dayClock(0))
	defer s.stop()
	for consumer, app := range map[string]string{"jane": "com.brand.shop", "bob": "com.brand.bank"} {
		s.post(t, "/api/v2/account/demo/consumers/"+consumer+"/push-tokens",
			`{"token": "tok-`+consumer+`", "platform": "android", "app": "`+app+`"}`, http.StatusCreated, nil)
	}
	var h parley.Handoff
	s.post(t, "/api/v2/account/demo/handoffs", `{"title": "Shop app", "channels": [{"channel": "inapp", "apps": ["com.brand.shop"], "text": "Hello {{1}}"}]}`,
		http.StatusCreated, &h)
	var created httpapi.CreateCampaignResponse
	s.post(t, "/api/v2/account/demo/campaign", `{"campaignName": "App", "skill": "sales", "templateId": "`+h.ID+`", "consent": true,
	  "timezone": "America/New_York", "consumers": [{"consumerContent": {"inapp": "jane"}, "variables": {"1": "Jane"}},
	  {"consumerContent": {"inapp": "bob"}, "variables": {"1": "Bob"}}]}`, http.StatusAccepted, &created)
	if len(created.AcceptedConsumers) != 1 || len(created.FailedConsumers) != 1 || created.FailedConsumers[0].ErrorMessage != parley.CodeNoDevice ||
		created.FailedConsumers[0].Index != 1 {
		t.Fatalf("create %+v; want jane accepted and bob NO_DEVICE", created)
	}
	sent := s.waitSent(t, 1)
	if sent[0].To != "jane" || sent[0].Body != "Hello Jane" || sent[0].Channel != parley.ChannelInApp {
		t.Errorf("sent %+v", sent[0])
	}
	if got := s.settled(t, *created.ProactiveCampaignID); len(got) != 1 {
		t.Errorf("recipients %+v", got)
	}
}
