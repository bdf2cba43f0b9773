package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/campaign"
	"github.com/parleyhq/parley/internal/httpapi"
	"github.com/parleyhq/parley/internal/message"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/settings/handoffs"
)

// handoffWorld is the API with the handoff service, whose ids count up
// from H000000000000001, and WhatsApp templates WA1 (with a footer and a
// button) and WA2 (a body alone).
func handoffWorld(t *testing.T) *world {
	t.Helper()
	w := newWorld(t)
	noon := parley.ClockFunc(func() time.Time { return time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC) })
	n := 0
	w.srv.Handoffs = &handoffs.Service{Store: w.store, Clock: noon, NewID: func() string { n++; return fmt.Sprintf("H%015d", n) }}
	w.h = w.srv.Handler()
	tpl := parley.WhatsAppTemplate{AccountID: "acct1", ID: "WA1", Name: "order_update", Language: "en_US",
		Body: "Hi {{1}}, order {{2}} shipped", Footer: "Brand Inc",
		Buttons: []parley.TemplateButton{{Kind: parley.ButtonURL, Text: "Track", URL: "https://brand.example/t/{{1}}"}}}
	plain := parley.WhatsAppTemplate{AccountID: "acct1", ID: "WA2", Name: "shipped", Language: "en_US", Body: "Hi {{1}}, it shipped"}
	for _, tpl := range []parley.WhatsAppTemplate{tpl, plain} {
		if err := w.store.PutTemplate(context.Background(), tpl); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

const smsHandoffBody = `{"title": "Order updates", "lookbackMinutes": 1500,
  "channels": [{"channel": "sms", "outboundNumber": "1 202 555 0100", "text": "Hi {{1}}, your order shipped"}]}`

func TestHandoffRoutes(t *testing.T) {
	w := handoffWorld(t)
	resp, data := w.do(t, "POST", "/api/v2/account/acct1/handoffs", smsHandoffBody)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST: %d %s", resp.StatusCode, data)
	}
	var h parley.Handoff
	if err := json.Unmarshal(data, &h); err != nil {
		t.Fatal(err)
	}
	if h.ID != "H000000000000001" || h.Version != 1 || h.AccountID != "acct1" || h.Channels[0].OutboundNumber != "+12025550100" {
		t.Errorf("POST answered %s", data)
	}
	path := "/api/v2/account/acct1/handoffs/" + h.ID
	if resp, got := w.do(t, "GET", path, ""); resp.StatusCode != http.StatusOK || string(got) != string(data) {
		t.Errorf("GET: %d %s; want what POST answered", resp.StatusCode, got)
	}
	for _, tt := range []struct {
		method, path, body string
		status             int
		field              string
	}{
		{"POST", "/api/v2/account/acct1/handoffs", strings.Replace(smsHandoffBody, "Order updates", "ORDER UPDATES", 1), http.StatusConflict, "title"},
		{"POST", "/api/v2/account/acct1/handoffs", `{"title": "x<y>", "channels": [{"channel": "inapp", "apps": ["a"], "text": "hi"}]}`, http.StatusBadRequest, "title"},
		{"POST", "/api/v2/account/acct1/handoffs", `{"title": "x", "channels": [{"channel": "inapp", "apps": ["a"], "text": "hi"}], "colour": "red"}`, http.StatusBadRequest, "colour"},
		{"POST", "/api/v2/account/acct1/handoffs", `{"title": "x", "channels": [{"channel": "inapp", "apps": ["a"], "text": "hi"}, {"channel": "sms", "outboundNumber": "+12025550100", "text": "hi"}]}`, http.StatusBadRequest, "channels"},
		{"PUT", path, strings.Replace(smsHandoffBody, `"lookbackMinutes": 1500`, `"lookbackMinutes": 30`, 1), http.StatusBadRequest, "lookbackMinutes"},
		{"PUT", "/api/v2/account/acct1/handoffs/H999999999999999", smsHandoffBody, http.StatusNotFound, ""},
		{"GET", "/api/v2/account/acct2/handoffs/" + h.ID, "", http.StatusNotFound, ""},
		{"GET", path + "/versions/0", "", http.StatusBadRequest, "version"},
		{"GET", path + "/versions/2", "", http.StatusNotFound, ""},
		{"GET", "/api/v2/account/acct1/handoffs?sort=colour", "", http.StatusBadRequest, "sort"},
		{"GET", "/api/v2/account/acct1/handoffs?limit=0", "", http.StatusBadRequest, "limit"},
		{"GET", "/api/account/acct1/app/prmsg/handoffs/list?v=2", "", http.StatusBadRequest, "v"},
	} {
		resp, data := w.do(t, tt.method, tt.path, tt.body)
		var p struct {
			Field string `json:"field"`
		}
		_ = json.Unmarshal(data, &p)
		if resp.StatusCode != tt.status || p.Field != tt.field {
			t.Errorf("%s %s: %d %s; want %d on %q", tt.method, tt.path, resp.StatusCode, data, tt.status, tt.field)
		}
	}

	edit := `{"version": 1, "title": "Shipping", "channels": [{"channel": "whatsapp", "outboundNumber": "+12025550100", "templateId": "WA2"}, {"channel": "sms"}]}`
	if resp, data := w.do(t, "PUT", path, edit); resp.StatusCode != http.StatusOK || !strings.Contains(string(data), `"version":2`) {
		t.Fatalf("PUT: %d %s", resp.StatusCode, data)
	}
	if resp, data := w.do(t, "PUT", path, edit); resp.StatusCode != http.StatusConflict || !strings.Contains(string(data), `"field":"version"`) {
		t.Errorf("PUT of a stale version: %d %s; want 409 on version", resp.StatusCode, data)
	}
	resp, data = w.do(t, "GET", path+"/versions", "")
	var vs []parley.Handoff
	if err := json.Unmarshal(data, &vs); err != nil || resp.StatusCode != http.StatusOK || len(vs) != 2 || vs[0].Title != "Order updates" || vs[1].Title != "Shipping" {
		t.Errorf("GET versions: %d %s", resp.StatusCode, data)
	}
	if resp, data := w.do(t, "GET", path+"/versions/1", ""); resp.StatusCode != http.StatusOK || !strings.Contains(string(data), `"title":"Order updates"`) {
		t.Errorf("GET version 1: %d %s", resp.StatusCode, data)
	}

	if resp, data := w.do(t, "POST", "/api/v2/account/acct1/handoffs", `{"title": "App news", "channels": [{"channel": "inapp", "apps": ["com.brand"], "text": "News"}]}`); resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST inapp: %d %s", resp.StatusCode, data)
	}
	for query, want := range map[string]string{
		"":                         `"total":2`,
		"?channel=wa":              `"title":"Shipping"`,
		"?channel=inapp":           `"title":"App news"`,
		"?title=ship":              `"total":1`,
		"?sort=-title&limit=1":     `"title":"Shipping"`,
		"?sort=title&limit=1":      `"title":"App news"`,
		"?sort=title&offset=1":     `"offset":1`,
		"?channel=sms&title=zebra": `"handoffs":[]`,
	} {
		resp, data := w.do(t, "GET", "/api/v2/account/acct1/handoffs"+query, "")
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(data), want) {
			t.Errorf("GET list%s: %d %s; want %s", query, resp.StatusCode, data, want)
		}
	}

	if resp, data := w.do(t, "DELETE", path, ""); resp.StatusCode != http.StatusNoContent {
		t.Errorf("DELETE: %d %s", resp.StatusCode, data)
	}
	if resp, _ := w.do(t, "GET", path, ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET after DELETE: %d", resp.StatusCode)
	}
}

// TestLPHandoffList reads a handoff through LivePerson's Outbound
// Configuration route, field for field as LivePerson documents it.
func TestLPHandoffList(t *testing.T) {
	w := handoffWorld(t)
	for _, body := range []string{
		`{"title": "Orders", "lookbackMinutes": 1500, "channels": [
		  {"channel": "whatsapp", "outboundNumber": "+12025550100", "templateId": "WA1"}]}`,
		`{"title": "Texts", "lookbackMinutes": 60, "channels": [
		  {"channel": "sms", "outboundNumber": "+12025550100", "text": "Hi {{1}}", "optOutText": "Text STOP to end"}]}`,
		`{"title": "App", "channels": [{"channel": "inapp", "apps": ["com.brand"], "text": "Hello {{1}}"}]}`,
	} {
		if resp, data := w.do(t, "POST", "/api/v2/account/acct1/handoffs", body); resp.StatusCode != http.StatusCreated {
			t.Fatalf("POST: %d %s", resp.StatusCode, data)
		}
	}
	resp, data := w.do(t, "GET", "/api/account/acct1/app/prmsg/handoffs/list?v=1", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET: %d %s", resp.StatusCode, data)
	}
	var got []map[string]json.RawMessage
	if err := json.Unmarshal(data, &got); err != nil || len(got) != 3 {
		t.Fatalf("answer %s (%v); want an array of 3", data, err)
	}
	wa := got[0]
	for field, want := range map[string]string{
		"id": `"H000000000000001"`, "name": `"Orders"`, "lookbackPeriodDay": "1", "lookbackPeriodHour": "1",
		"routeAllWithinLookback": "true", "createdAt": `"2026-11-23T17:00:00Z"`, "updatedAt": `"2026-11-23T17:00:00Z"`,
	} {
		if string(wa[field]) != want {
			t.Errorf("%s = %s; want %s", field, wa[field], want)
		}
	}
	channel := func(h map[string]json.RawMessage) string { return string(h["channels"]) }
	wantWA := `[{"type":"wa","language":"en_US","templatename":"order_update","outboundnumber":"+12025550100","messageComponents":[` +
		`{"type":"body","content":"Hi ${{1}}, order ${{2}} shipped","variables":["1","2"]},` +
		`{"type":"footer","content":"Brand Inc"},` +
		`{"type":"button","sub_type":"url","index":0,"content":"Track","url":"https://brand.example/t/${{1}}","variables":["1"]}]}]`
	if c := channel(wa); c != wantWA {
		t.Errorf("whatsapp channel\n got %s\nwant %s", c, wantWA)
	}
	wantSMS := `[{"type":"sms-twilio","language":"en","outboundnumber":"+12025550100","messageComponents":[` +
		`{"type":"body","content":"Hi ${{1}}","variables":["1"],"optOut":"Text STOP to end"}]}]`
	if c := channel(got[1]); c != wantSMS || string(got[1]["lookbackPeriodDay"]) != "0" || string(got[1]["lookbackPeriodHour"]) != "1" {
		t.Errorf("sms handoff %s\n got %s\nwant %s", got[1], c, wantSMS)
	}
	wantApp := `[{"type":"inapp","appNames":["com.brand"],"language":"en","messageComponents":[` +
		`{"type":"text","messageText":"Hello ${{1}}","isSameMessageForNotification":true,"variables":["1"]}]}]`
	if c := channel(got[2]); c != wantApp || string(got[2]["lookbackPeriodDay"]) != "30" {
		t.Errorf("inapp handoff %s\n got %s\nwant %s", got[2], c, wantApp)
	}
	resp, data = w.do(t, "GET", "/api/account/acct1/app/prmsg/handoffs/list?v=1&limit=1&offset=1", "")
	if resp.StatusCode != http.StatusOK || strings.Count(string(data), `"name"`) != 1 || !strings.Contains(string(data), `"name":"Texts"`) {
		t.Errorf("GET limit=1 offset=1: %d %s", resp.StatusCode, data)
	}

	// By channel: each handoff's configuration of that channel, with the
	// handoff's id, name and lookback beside it.
	for name, want := range map[string]string{
		"sms-twilio": `[{"id":"H000000000000002","name":"Texts","lookbackPeriodDay":0,"lookbackPeriodHour":1,"routeAllWithinLookback":true,` +
			`"createdAt":"2026-11-23T17:00:00Z","updatedAt":"2026-11-23T17:00:00Z",` + strings.TrimSuffix(strings.TrimPrefix(wantSMS, "[{"), "]") + `]`,
		"wa":           `"id":"H000000000000001","name":"Orders"`,
		"inapp":        `"appNames":["com.brand"]`,
		"googlercs":    `[]`,
		"apple-twilio": `[]`,
	} {
		resp, data := w.do(t, "GET", "/api/account/acct1/app/prmsg/handoffs/list/channel/"+name+"?v=1", "")
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(data), want) || (name == "wa" && strings.Count(string(data), `"type":"wa"`) != 1) {
			t.Errorf("GET by channel %s: %d %s\nwant %s", name, resp.StatusCode, data, want)
		}
	}
	resp, data = w.do(t, "GET", "/api/account/acct1/app/prmsg/handoffs/list/channel/sms-twilio?v=1&offset=1", "")
	if resp.StatusCode != http.StatusOK || string(data) != "[]\n" && string(data) != "[]" {
		t.Errorf("GET by channel past the last: %d %q", resp.StatusCode, data)
	}
	resp, data = w.do(t, "GET", "/api/account/acct1/app/prmsg/handoffs/list/channel/fax?v=1", "")
	var lpErr httpapi.LPError
	if resp.StatusCode != http.StatusBadRequest || json.Unmarshal(data, &lpErr) != nil || lpErr.Code != http.StatusBadRequest || lpErr.Field != "channelName" {
		t.Errorf("GET by an unknown channel: %d %s; want LivePerson's 400 naming channelName", resp.StatusCode, data)
	}
}

// TestCampaignNamesHandoff sends a campaign as LivePerson's clients do,
// with no message and no channel: the handoff its templateId names gives
// them, and the variables fill its placeholders.
func TestCampaignNamesHandoff(t *testing.T) {
	w := handoffWorld(t)
	w.srv.Campaigns.(*campaign.Service).Handoffs = w.store
	if resp, data := w.do(t, "POST", "/api/v2/account/acct1/handoffs", smsHandoffBody); resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST handoff: %d %s", resp.StatusCode, data)
	}
	body := `{"campaignName": "Orders", "skill": "sales", "templateId": "H000000000000001", "consent": true,
	  "consumers": [{"consumerContent": {"sms": "+12025550101"}, "variables": {"1": "Jane"}}]}`
	resp, data := w.do(t, "POST", "/api/v2/account/acct1/campaign", body)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST campaign: %d %s", resp.StatusCode, data)
	}
	var answer httpapi.CreateCampaignResponse
	if err := json.Unmarshal(data, &answer); err != nil || len(answer.AcceptedConsumers) != 1 || answer.ProactiveCampaignID == nil {
		t.Fatalf("POST campaign answered %s (%v); want the consumer accepted", data, err)
	}
	rs, err := w.store.Recipients(context.Background(), "acct1", *answer.ProactiveCampaignID, 0, 10)
	if err != nil || len(rs) != 1 || rs[0].Body != "Hi Jane, your order shipped\n"+message.DefaultOptOut {
		t.Errorf("recipients %+v, %v; want the handoff's text filled, with the opt-out text", rs, err)
	}
	c, err := w.store.Campaign(context.Background(), "acct1", *answer.ProactiveCampaignID)
	if err != nil || c.OutboundNumber != "+12025550100" || c.Lookback != 25*time.Hour || c.TemplateID != "H000000000000001" {
		t.Errorf("campaign %+v, %v; want the handoff's number and lookback", c, err)
	}
}

// TestHandoffCreateIdempotent retries a create with its Idempotency-Key:
// one handoff, the first answer again.
func TestHandoffCreateIdempotent(t *testing.T) {
	w := handoffWorld(t)
	w.srv.Idempotency = w.store
	w.h = w.srv.Handler()
	post := func() (*http.Response, []byte) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("POST", "/api/v2/account/acct1/handoffs", strings.NewReader(smsHandoffBody))
		req.Header.Set(httpapi.IdempotencyKeyHeader, "handoff-1")
		w.h.ServeHTTP(rec, req)
		data, _ := io.ReadAll(rec.Result().Body)
		return rec.Result(), data
	}
	resp1, first := post()
	resp2, again := post()
	if resp1.StatusCode != http.StatusCreated || resp2.StatusCode != http.StatusCreated || string(first) != string(again) ||
		resp2.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("answers %d %s / %d %s; want the first again, replayed", resp1.StatusCode, first, resp2.StatusCode, again)
	}
	if _, data := w.do(t, "GET", "/api/v2/account/acct1/handoffs", ""); !strings.Contains(string(data), `"total":1`) {
		t.Errorf("list %s; want one handoff", data)
	}
}
