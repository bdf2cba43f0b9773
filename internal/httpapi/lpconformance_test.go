package httpapi_test

import (
	"encoding/json"
	"net/http"
	"os"
	"slices"
	"testing"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/testworld"
)

// TestLivePersonFixtures sends LivePerson's documented requests
// (testdata/liveperson, written from its Proactive Messaging API page) and
// checks that the answers carry every field LivePerson shows, with its
// types and nulls.
func TestLivePersonFixtures(t *testing.T) {
	w := newWorld(t)
	tpl := parley.WhatsAppTemplate{AccountID: "acct1", ID: "943679028015322", Name: "outbound", Language: "en_US", Body: "Hello, this is {{1}}"}
	testworld.PutApproved(t, w.store, tpl)
	read := func(name string) string {
		data, err := os.ReadFile("testdata/liveperson/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	resp, data := w.do(t, "POST", "/api/v2/account/acct1/campaign", read("create-request.json"))
	var got map[string]any
	if err := json.Unmarshal(data, &got); err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("create: %d %s", resp.StatusCode, data)
	}
	for _, k := range []string{"proactiveCampaignId", "leCampaignId", "leEngagementId", "requestTraceId"} {
		if s, ok := got[k].(string); !ok || s == "" {
			t.Errorf("%s = %v, want a string", k, got[k])
		}
	}
	accepted, _ := got["acceptedConsumers"].([]any)
	failed, ok := got["failedConsumers"].([]any)
	if len(accepted) != 1 || !ok || len(failed) != 0 {
		t.Fatalf("consumers: %s", data)
	}
	a := accepted[0].(map[string]any)
	if a["phoneNumber"] != "+12025550142" || a["id"] == "" {
		t.Errorf("accepted consumer %v, want id and phoneNumber +12025550142", a)
	}
	id := got["proactiveCampaignId"].(string)

	_, data = w.do(t, "GET", "/api/v2/account/acct1/campaign/"+id+"/conversations", "")
	var rep map[string]any
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	convs, _ := rep["conversations"].([]any)
	if _, ok := rep["campaignStatus"].(string); !ok || len(convs) != 1 {
		t.Fatalf("status: %s", data)
	}
	c := convs[0].(map[string]any)
	for _, k := range []string{"id", "status", "conversationId", "errorMessage"} {
		if _, present := c[k]; !present {
			t.Errorf("conversation lacks %s: %s", k, data)
		}
	}
	if c["conversationId"] != nil || c["errorMessage"] != nil || !slices.Contains([]string{"NOT_SENT", "SCHEDULED"}, c["status"].(string)) {
		t.Errorf("conversation %v, want NOT_SENT or SCHEDULED with null conversationId and errorMessage", c)
	}

	resp, data = w.do(t, "POST", "/api/v2/account/acct1/campaign", read("create-failed-request.json"))
	got = nil
	if err := json.Unmarshal(data, &got); err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("create with a failing consumer: %d %s", resp.StatusCode, data)
	}
	failed, _ = got["failedConsumers"].([]any)
	if acc, ok := got["acceptedConsumers"].([]any); !ok || len(acc) != 0 || len(failed) != 1 {
		t.Fatalf("all failed: %s", data)
	}
	f := failed[0].(map[string]any)
	if f["phone"] != "+12025550143" || f["errorMessage"] != "VARIABLE_NOT_STRING=1" || f["variables"].(map[string]any)["1"] != float64(7) {
		t.Errorf("failed consumer %v", f)
	}
}
