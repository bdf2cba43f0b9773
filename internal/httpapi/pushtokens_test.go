package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/httpapi"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/settings/pushtoken"
)

// newInAppWorld is newWorld with the push-token service.
func newInAppWorld(t *testing.T) *world {
	t.Helper()
	w := newWorld(t)
	noon := parley.ClockFunc(func() time.Time { return time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC) })
	w.srv.PushTokens = &pushtoken.Service{Store: w.store, Clock: noon}
	w.h = w.srv.Handler()
	return w
}

const tokensPath = "/api/v2/account/acct1/consumers/jane/push-tokens"

func TestPushTokenRoutes(t *testing.T) {
	w := newInAppWorld(t)
	resp, data := w.do(t, "POST", tokensPath, `{"token":"fcm-1:APA91b","platform":"android"}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("register: %d %s", resp.StatusCode, data)
	}
	var saved httpapi.PushTokenResponse
	if err := json.Unmarshal(data, &saved); err != nil || saved.ConsumerID != "jane" || saved.Token != "fcm-1:APA91b" ||
		saved.Platform != "android" || saved.RegisteredAt != "2026-11-23T17:00:00.000Z" {
		t.Fatalf("registered %s, %v", data, err)
	}
	w.do(t, "POST", tokensPath, `{"token":"apns-2","platform":"ios"}`)
	w.do(t, "POST", "/api/v2/account/acct1/consumers/bob/push-tokens", `{"token":"other","platform":"web"}`)

	resp, data = w.do(t, "GET", tokensPath, "")
	var list []httpapi.PushTokenResponse
	if err := json.Unmarshal(data, &list); err != nil || resp.StatusCode != http.StatusOK || len(list) != 2 || list[0].Token != "apns-2" || list[1].Token != "fcm-1:APA91b" {
		t.Fatalf("list: %d %s", resp.StatusCode, data)
	}
	if resp, _ := w.do(t, "DELETE", tokensPath+"/apns-2", ""); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("unregister: %d", resp.StatusCode)
	}
	_, data = w.do(t, "GET", tokensPath, "")
	if !strings.Contains(string(data), "fcm-1") || strings.Contains(string(data), "apns-2") {
		t.Errorf("after unregistering apns-2: %s", data)
	}
	if _, data = w.do(t, "GET", "/api/v2/account/acct1/consumers/nobody/push-tokens", ""); string(data) != "[]\n" {
		t.Errorf("a consumer without devices: %s, want []", data)
	}

	tests := []struct {
		name, method, path, body string
		status                   int
		field                    string
	}{
		{"no platform", "POST", tokensPath, `{"token":"t"}`, 400, "platform"},
		{"bad platform", "POST", tokensPath, `{"token":"t","platform":"palm"}`, 400, "platform"},
		{"no token", "POST", tokensPath, `{"platform":"ios"}`, 400, "token"},
		{"token with spaces", "POST", tokensPath, `{"token":"a b","platform":"ios"}`, 400, "token"},
		{"token not a string", "POST", tokensPath, `{"token":7,"platform":"ios"}`, 400, "token"},
		{"malformed", "POST", tokensPath, `{`, 400, ""},
		{"consumer id with spaces around", "POST", "/api/v2/account/acct1/consumers/%20jane/push-tokens", `{"token":"t","platform":"ios"}`, 400, "consumerId"},
		{"unknown token", "DELETE", tokensPath + "/nope", "", 404, "token"},
		{"another consumer's token", "DELETE", tokensPath + "/other", "", 404, "token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, data := w.do(t, tt.method, tt.path, tt.body)
			var p httpapi.Problem
			if err := json.Unmarshal(data, &p); err != nil || resp.StatusCode != tt.status || p.Field != tt.field {
				t.Errorf("%d %s; want %d naming %q", resp.StatusCode, data, tt.status, tt.field)
			}
		})
	}
}

const inAppBody = `{
  "campaignName": "App renewal",
  "skill": "sales",
  "templateId": "H542467556183202",
  "consent": true,
  "channel": "inapp",
  "timezone": "America/New_York",
  "message": "Hi {{1}}, your plan renews soon.",
  "consumers": [
    {"consumerContent": {"inapp": "jane"}, "variables": {"1": "Jane"}},
    {"consumerId": "bob", "timezone": "Europe/Paris", "variables": {"1": "Bob"}},
    {"consumerContent": {"inapp": "jane"}, "variables": {"1": "Jane"}},
    {"consumerContent": {"sms": "+12025550101"}, "variables": {"1": "Ann"}}
  ]
}`

func TestInAppCampaign(t *testing.T) {
	w := newInAppWorld(t)
	resp, data := w.do(t, "POST", "/api/v2/account/acct1/campaign/parse", inAppBody)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("parse: %d %s", resp.StatusCode, data)
	}
	var prev httpapi.ParseResponse
	if err := json.Unmarshal(data, &prev); err != nil {
		t.Fatal(err)
	}
	if prev.Accepted != 2 || prev.Failed != 2 {
		t.Fatalf("parse = %s", data)
	}
	if r := prev.Recipients[0]; r.ConsumerContent.InApp != "jane" || r.Message != "Hi Jane, your plan renews soon." || r.Segments != 0 || r.Encoding != "" || r.Characters != 31 {
		t.Errorf("preview of jane = %+v", r)
	}
	if strings.Contains(string(data), `"segments"`) || strings.Contains(string(data), `"encoding"`) {
		t.Errorf("an in-app preview reports SMS segments: %s", data)
	}
	codes := map[int]string{}
	for _, f := range prev.FailedConsumers {
		codes[f.Index] = f.ErrorMessage
	}
	if codes[2] != parley.CodeDuplicateConsumerID || codes[3] != parley.CodeInvalidConsumerID {
		t.Errorf("failed = %+v", prev.FailedConsumers)
	}

	resp, data = w.do(t, "POST", "/api/v2/account/acct1/campaign", inAppBody)
	var created httpapi.CreateCampaignResponse
	if err := json.Unmarshal(data, &created); err != nil || resp.StatusCode != http.StatusAccepted || len(created.AcceptedConsumers) != 2 {
		t.Fatalf("create: %d %s", resp.StatusCode, data)
	}
	if a := created.AcceptedConsumers[1]; a.ConsumerContent.InApp != "bob" || a.ConsumerContent.SMS != "" {
		t.Errorf("accepted = %+v", a)
	}
	_, data = w.do(t, "GET", "/api/v2/account/acct1/campaign/"+*created.ProactiveCampaignID+"/conversations", "")
	var rep httpapi.ConversationsResponse
	if err := json.Unmarshal(data, &rep); err != nil || len(rep.Conversations) != 2 || rep.Conversations[0].ConsumerContent.InApp != "jane" {
		t.Errorf("conversations = %s", data)
	}

	// consumerId and consumerContent.inapp must agree.
	bad := strings.Replace(inAppBody, `{"consumerId": "bob"`, `{"consumerId": "bob", "consumerContent": {"inapp": "rob"}`, 1)
	resp, data = w.do(t, "POST", "/api/v2/account/acct1/campaign", bad)
	var p httpapi.Problem
	if err := decodeError(data, &p); err != nil || resp.StatusCode != 400 || p.Field != "consumers[1].consumerId" {
		t.Errorf("disagreeing ids: %d %s", resp.StatusCode, data)
	}
}
