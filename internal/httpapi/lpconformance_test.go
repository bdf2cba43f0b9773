package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"slices"
	"testing"

	"github.com/parleyhq/parley/internal/httpapi"
	"github.com/parleyhq/parley/internal/parley"
)

// TestLivePersonFixtures sends LivePerson's documented requests
// (testdata/liveperson, written from its Proactive Messaging API page) and
// checks that the answers carry every field LivePerson shows, with its
// types and nulls.
func TestLivePersonFixtures(t *testing.T) {
	w := newWorld(t)
	tpl := parley.WhatsAppTemplate{AccountID: "acct1", ID: "943679028015322", Name: "outbound", Language: "en_US", Body: "Hello, this is {{1}}"}
	if err := w.store.PutTemplate(context.Background(), tpl); err != nil {
		t.Fatal(err)
	}
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

// TestLivePersonConsumerCodes sends, for each per-consumer error code of
// LivePerson's Proactive Messaging API page, the input it says produces
// it, and finds that code in the consumer's errorMessage; the other
// consumer of the call is accepted.
func TestLivePersonConsumerCodes(t *testing.T) {
	w := newWorld(t)
	tpl := parley.WhatsAppTemplate{AccountID: "acct1", ID: "1111111111111", Name: "ticket", Language: "en", Header: parley.MediaVideo, Body: "Your ticket for {{1}}"}
	if err := w.store.PutTemplate(context.Background(), tpl); err != nil {
		t.Fatal(err)
	}
	const video = `"https://cdn.example.com/ticket.mp4"`
	good := `{"consumerContent": {"wa": "12025550101"}, "variables": {"1": "Jane"}, "headerVariables": {"video": ` + video + `}}`
	for code, consumer := range map[string]string{
		"INVALID_NUMBER":                `{"consumerContent": {"wa": "1202555"}, "variables": {"1": "Jane"}, "headerVariables": {"video": ` + video + `}}`,
		"DUPLICATE_NUMBER":              good,
		"TOO_MANY_VARIABLES":            `{"consumerContent": {"wa": "12025550102"}, "variables": {"1": "Jane", "2": "Doe"}, "headerVariables": {"video": ` + video + `}}`,
		"INSUFFICIENT_VARIABLES":        `{"consumerContent": {"wa": "12025550102"}, "variables": {}, "headerVariables": {"video": ` + video + `}}`,
		"MISSING_VARIABLE=1":            `{"consumerContent": {"wa": "12025550102"}, "variables": {"1": " "}, "headerVariables": {"video": ` + video + `}}`,
		"VARIABLE_NOT_STRING=1":         `{"consumerContent": {"wa": "12025550102"}, "variables": {"1": 7}, "headerVariables": {"video": ` + video + `}}`,
		"INSUFFICIENT_HEADER_VARIABLES": `{"consumerContent": {"wa": "12025550102"}, "variables": {"1": "Jane"}}`,
		"TOO_MANY_HEADER_VARIABLES":     `{"consumerContent": {"wa": "12025550102"}, "variables": {"1": "Jane"}, "headerVariables": {"video": ` + video + `, "image": "https://cdn.example.com/a.png"}}`,
		"MISSING_HEADER_VARIABLE=video": `{"consumerContent": {"wa": "12025550102"}, "variables": {"1": "Jane"}, "headerVariables": {"image": "https://cdn.example.com/a.png"}}`,
		"HEADER_VARIABLE_NOT_STRING":    `{"consumerContent": {"wa": "12025550102"}, "variables": {"1": "Jane"}, "headerVariables": {"video": 5}}`,
		"HEADER_VARIABLE_INVALID_URL":   `{"consumerContent": {"wa": "12025550102"}, "variables": {"1": "Jane"}, "headerVariables": {"video": "http://cdn.example.com/ticket.mp4"}}`,
	} {
		body := `{"campaignName": "Codes", "skill": "sales", "templateId": "1111111111111", "outboundNumber": "12025550100", "consent": true,
		  "consumers": [` + good + `, ` + consumer + `]}`
		resp, data := w.do(t, "POST", "/api/v2/account/acct1/campaign", body)
		var got httpapi.CreateCampaignResponse
		if err := json.Unmarshal(data, &got); err != nil || resp.StatusCode != http.StatusAccepted {
			t.Fatalf("%s: %d %s", code, resp.StatusCode, data)
		}
		if len(got.AcceptedConsumers) != 1 || len(got.FailedConsumers) != 1 || got.FailedConsumers[0].ErrorMessage != code || got.FailedConsumers[0].Index != 1 {
			t.Errorf("%s: %s", code, data)
		}
	}
}

// TestRichTemplateChannels: a WhatsApp template with a media header,
// footer or buttons is sent on WhatsApp alone; a campaign that would fall
// back to SMS (prioritized) or send it as SMS is refused naming channel,
// while its plain sibling may fall back.
func TestRichTemplateChannels(t *testing.T) {
	w := newWorld(t)
	for _, tpl := range []parley.WhatsAppTemplate{
		{AccountID: "acct1", ID: "RICH", Name: "ticket", Language: "en", Header: parley.MediaImage, Body: "Your ticket for {{1}}", Footer: "Brand"},
		{AccountID: "acct1", ID: "PLAIN", Name: "hello", Language: "en", Body: "Hello {{1}}"},
	} {
		if err := w.store.PutTemplate(context.Background(), tpl); err != nil {
			t.Fatal(err)
		}
	}
	consumer := `{"consumerContent": {"wa": "12025550101"}, "variables": {"1": "Jane"}, "headerVariables": {"image": "https://cdn.example.com/t.png"}}`
	for _, tt := range []struct {
		template, channel string
		status            int
	}{
		{"RICH", "", http.StatusAccepted}, {"RICH", "whatsapp", http.StatusAccepted},
		{"RICH", "prioritized", http.StatusBadRequest}, {"RICH", "sms", http.StatusBadRequest},
		{"PLAIN", "prioritized", http.StatusAccepted},
	} {
		c := consumer
		if tt.template == "PLAIN" {
			c = `{"consumerContent": {"wa": "12025550101"}, "variables": {"1": "Jane"}}`
		}
		body := `{"campaignName": "Rich", "skill": "sales", "templateId": "` + tt.template + `", "channel": "` + tt.channel + `",
		  "outboundNumber": "12025550100", "consent": true, "consumers": [` + c + `]}`
		resp, data := w.do(t, "POST", "/api/v2/account/acct1/campaign", body)
		var lpErr httpapi.LPError
		switch {
		case resp.StatusCode != tt.status:
			t.Errorf("%s on %q: %d %s, want %d", tt.template, tt.channel, resp.StatusCode, data, tt.status)
		case tt.status == http.StatusBadRequest && (json.Unmarshal(data, &lpErr) != nil || lpErr.Field != "channel"):
			t.Errorf("%s on %q: %s, want LivePerson's error naming channel", tt.template, tt.channel, data)
		}
	}
}
