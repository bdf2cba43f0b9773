package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/app"
	"github.com/parleyhq/parley/internal/gateway/sandbox"
	"github.com/parleyhq/parley/internal/httpapi"
	"github.com/parleyhq/parley/internal/parley"
)

func call(t *testing.T, h http.Handler, method, path, body string, v any) int {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, strings.NewReader(body)))
	if v != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil {
			t.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
		}
	}
	return rec.Code
}

// sendAll runs the dispatcher until the sandbox recorded n messages.
func sendAll(t *testing.T, a *app.App, n int) []parley.SentMessage {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.Dispatcher.Run(ctx, a.Queue, 2); close(done) }()
	defer func() { cancel(); <-done }()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		ms, err := a.Sandbox.Messages(context.Background(), "acct1")
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) >= n {
			return ms
		}
	}
	t.Fatalf("the sandbox did not record %d messages", n)
	return nil
}

func TestWhatsAppTemplateCampaign(t *testing.T) {
	a := embeddedApp(t)
	h := asAdmin(t, a)
	var tpl parley.WhatsAppTemplate
	call(t, h, "POST", "/api/v2/account/acct1/templates", `{"name":"order_shipped","language":"en_US","header":"image",
	  "body":"Hi {{1}}, order {{2}} shipped","buttons":[{"kind":"url","text":"Track","url":"https://track.example.com/{{1}}"}]}`, &tpl)
	var created httpapi.CreateCampaignResponse
	code := call(t, h, "POST", "/api/v2/account/acct1/campaign", `{"campaignName":"ship","skill":"orders","templateId":"`+tpl.ID+`",
	  "outboundNumber":"+12025550100","consent":true,"consumers":[
	    {"consumerContent":{"wa":"+12025550181"},"variables":{"1":"Jane","2":"A-1"},"headerUrl":"https://img.example.com/box.png","buttonVariable":"A-1"},
	    {"consumerContent":{"wa":"+12025550182"},"variables":{"1":"Bob","2":"A-2"},"buttonVariable":"A-2"},
	    {"consumerContent":{"wa":"+12025550183"},"variables":{"1":"Ann","2":"A-3"},"headerUrl":"http://img.example.com/box.png","buttonVariable":"A-3"},
	    {"consumerContent":{"wa":"+12025550184"},"variables":{"1":"Zoe","2":"A-4","3":"x"},"headerUrl":"https://img.example.com/box.png","buttonVariable":"A-4"}]}`, &created)
	if code != http.StatusAccepted || len(created.AcceptedConsumers) != 1 {
		t.Fatalf("%d %+v", code, created)
	}
	want := map[int]string{1: "INSUFFICIENT_HEADER_VARIABLES", 2: "HEADER_VARIABLE_INVALID_URL", 3: "TOO_MANY_VARIABLES"}
	for _, f := range created.FailedConsumers {
		if want[f.Index] != f.ErrorMessage {
			t.Errorf("consumer %d: %s (%s), want %s", f.Index, f.ErrorMessage, f.Detail, want[f.Index])
		}
	}
	m := sendAll(t, a, 1)[0]
	if m.Channel != parley.ChannelWhatsApp || m.Body != "Hi Jane, order A-1 shipped" || m.Template == nil ||
		m.Template.Name != "order_shipped" || strings.Join(m.Template.Body, ",") != "Jane,A-1" ||
		m.Template.Header.URL != "https://img.example.com/box.png" || m.Template.Buttons[0].Value != "A-1" {
		t.Errorf("sent %+v with template %+v", m, m.Template)
	}
}

func TestPrioritizedFallsBackToSMSWithOptOut(t *testing.T) {
	a := embeddedApp(t)
	h := asAdmin(t, a)
	var tpl parley.WhatsAppTemplate
	call(t, h, "POST", "/api/v2/account/acct1/templates", `{"name":"renewal","language":"en_US","body":"Hi {{1}}, renew soon"}`, &tpl)
	if _, err := a.Sandbox.Inject(sandbox.Fault{To: "+12025550182", Channel: parley.ChannelWhatsApp, Kind: "ineligible"}); err != nil {
		t.Fatal(err)
	}
	var created httpapi.CreateCampaignResponse
	call(t, h, "POST", "/api/v2/account/acct1/campaign", `{"campaignName":"renew","skill":"s","templateId":"`+tpl.ID+`","channel":"prioritized",
	  "outboundNumber":"+12025550100","consent":true,"consumers":[
	    {"consumerContent":{"wa":"+12025550181"},"variables":{"1":"Jane"}},{"consumerContent":{"sms":"+12025550182"},"variables":{"1":"Bob"}}]}`, &created)
	if len(created.AcceptedConsumers) != 2 {
		t.Fatalf("created %+v", created)
	}
	got := map[string]parley.SentMessage{}
	for _, m := range sendAll(t, a, 2) {
		got[m.To] = m
	}
	if m := got["+12025550181"]; m.Channel != parley.ChannelWhatsApp || m.Body != "Hi Jane, renew soon" {
		t.Errorf("WhatsApp consumer got %+v", m)
	}
	if m := got["+12025550182"]; m.Channel != parley.ChannelSMS || m.Body != "Hi Bob, renew soon\nReply STOP to opt out" || m.Template != nil {
		t.Errorf("fallback SMS %+v; want the same text with the opt-out text", m)
	}
	var rep httpapi.ConversationsResponse
	call(t, h, "GET", "/api/v2/account/acct1/campaign/"+*created.ProactiveCampaignID+"/conversations", "", &rep)
	for _, c := range rep.Conversations {
		if c.ParleyStatus != "SENT" || c.Status != "DELIVERED" {
			t.Errorf("conversation %+v", c)
		}
	}
	rich := `{"name":"rich","language":"en_US","body":"Hi","footer":"Thanks"}`
	call(t, h, "POST", "/api/v2/account/acct1/templates", rich, &tpl)
	var p httpapi.LPError // LivePerson's route: LivePerson's error body
	call(t, h, "POST", "/api/v2/account/acct1/campaign", `{"campaignName":"x","skill":"s","templateId":"`+tpl.ID+`","channel":"prioritized",
	  "outboundNumber":"+12025550100","consent":true,"consumers":[{"consumerContent":{"sms":"+12025550181"}}]}`, &p)
	if p.Field != "channel" || p.Code != http.StatusBadRequest {
		t.Errorf("a rich template on the prioritized channel: %+v", p)
	}
}
