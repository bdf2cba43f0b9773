package main

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/httpapi"
	"github.com/parleyhq/parley/internal/parley"
)

// TestLivePersonOnServe runs LivePerson's documented calls against parley
// serve as a LivePerson client makes them, only the host changed: the
// AppJWT token for client credentials created through the API, the
// create of internal/httpapi/testdata/liveperson, and the status call
// once the sandbox sent (DELIVERED, FINISHED), checking each answer's
// status and every field of its shape; and LivePerson's error bodies.
func TestLivePersonOnServe(t *testing.T) { eachDay(t, testLivePersonOnServe) }

func testLivePersonOnServe(t *testing.T, clock parley.Clock) {
	s := start(t, embeddedConfig(t), clock)
	defer s.stop()
	var client httpapi.ClientResponse
	s.post(t, "/api/v2/account/demo/clients", `{"name":"lp","role":"campaign_manager"}`, http.StatusCreated, &client)
	s.post(t, "/api/v2/account/demo/templates", `{"id":"943679028015322","name":"outbound","language":"en_US","body":"Hello, this is {{1}}"}`, http.StatusCreated, nil)

	// Get AppJWT.
	form := "client_id=" + url.QueryEscape(client.ClientID) + "&client_secret=" + url.QueryEscape(client.ClientSecret)
	status, _, data := lpCall(t, s, "POST", "/sentinel/api/account/demo/app/token?v=1.0&grant_type=client_credentials", "",
		"application/x-www-form-urlencoded", form)
	token := shape(t, "AppJWT", status, http.StatusOK, data, "access_token", "expires_in", "token_type")
	if token["token_type"] != "Bearer" || token["expires_in"] != float64(3600) || token["access_token"] == "" {
		t.Fatalf("AppJWT %s", data)
	}
	jwt := token["access_token"].(string)
	status, _, data = lpCall(t, s, "POST", "/sentinel/api/account/demo/app/token?v=1.0&grant_type=client_credentials", "",
		"application/x-www-form-urlencoded", "client_id="+url.QueryEscape(client.ClientID)+"&client_secret=wrong")
	lpError(t, "AppJWT with a wrong secret", status, http.StatusUnauthorized, data, 0)

	// The create, verbatim.
	fixture, err := os.ReadFile("../../internal/httpapi/testdata/liveperson/create-request.json")
	if err != nil {
		t.Fatal(err)
	}
	status, _, data = lpCall(t, s, "POST", "/api/v2/account/demo/campaign", jwt, "application/json", string(fixture))
	created := shape(t, "create", status, http.StatusAccepted, data,
		"acceptedConsumers", "failedConsumers", "leCampaignId", "leEngagementId", "proactiveCampaignId", "requestTraceId")
	id, _ := created["proactiveCampaignId"].(string)
	if id == "" || created["leCampaignId"] != id || created["leEngagementId"] != id || created["requestTraceId"] == "" {
		t.Fatalf("create ids: %s", data)
	}
	accepted, _ := created["acceptedConsumers"].([]any)
	failed, ok := created["failedConsumers"].([]any)
	if len(accepted) != 1 || !ok || len(failed) != 0 {
		t.Fatalf("consumers: %s", data)
	}
	consumer := fields(t, "accepted consumer", accepted[0], "consumerContent", "id", "index", "phoneNumber")
	if consumer["phoneNumber"] != "+12025550142" || consumer["id"] == "" {
		t.Errorf("accepted consumer %v", consumer)
	}

	// A create whose every consumer fails: LivePerson's normal body.
	failing, err := os.ReadFile("../../internal/httpapi/testdata/liveperson/create-failed-request.json")
	if err != nil {
		t.Fatal(err)
	}
	status, _, data = lpCall(t, s, "POST", "/api/v2/account/demo/campaign", jwt, "application/json", string(failing))
	none := shape(t, "create, every consumer failing", status, http.StatusAccepted, data,
		"acceptedConsumers", "failedConsumers", "leCampaignId", "leEngagementId", "proactiveCampaignId", "requestTraceId")
	if acc, ok := none["acceptedConsumers"].([]any); !ok || len(acc) != 0 {
		t.Errorf("acceptedConsumers of a create every consumer failed: %s", data)
	}
	if fs, _ := none["failedConsumers"].([]any); len(fs) != 1 {
		t.Fatalf("failedConsumers: %s", data)
	} else if f := fields(t, "failed consumer", fs[0], "consumerContent", "countryCode", "detail", "errorMessage", "index", "phone", "variables"); f["errorMessage"] != "VARIABLE_NOT_STRING=1" || f["countryCode"] != "US" {
		t.Errorf("failed consumer %v", f)
	}

	// The status call, once sent.
	s.waitSent(t, 1)
	var rep, conv map[string]any
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(150 * time.Millisecond) {
		status, _, data = lpCall(t, s, "GET", "/api/v2/account/demo/campaign/"+id+"/conversations", jwt, "", "")
		rep = shape(t, "status", status, http.StatusOK, data,
			"campaignName", "campaignStatus", "conversations", "parleyCampaignStatus", "proactiveCampaignId")
		convs, _ := rep["conversations"].([]any)
		if len(convs) != 1 {
			t.Fatalf("status: %s", data)
		}
		conv = convs[0].(map[string]any)
		if rep["campaignStatus"] == "FINISHED" && conv["status"] == "DELIVERED" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("status after the send: %s, want FINISHED and DELIVERED", data)
		}
	}
	conv = fields(t, "conversation", conv, "consumerContent", "conversationId", "errorMessage", "id", "parleyStatus", "providerMessageId", "status", "updatedAt")
	if rep["proactiveCampaignId"] != id || rep["campaignName"] != "Proactive example" || conv["id"] != consumer["id"] ||
		conv["conversationId"] != nil || conv["errorMessage"] != nil || conv["parleyStatus"] != string(parley.StatusSent) {
		t.Errorf("status %s", data)
	}

	// LivePerson's error bodies on its routes.
	status, _, data = lpCall(t, s, "GET", "/api/v2/account/demo/campaign/nope/conversations", jwt, "", "")
	lpError(t, "status of no campaign", status, http.StatusNotFound, data, http.StatusNotFound)
	status, _, data = lpCall(t, s, "POST", "/api/v2/account/demo/campaign", jwt, "application/json", strings.Replace(string(fixture), `"skill": "sales",`, "", 1))
	lpError(t, "create without a skill", status, http.StatusBadRequest, data, http.StatusBadRequest)
	status, _, data = lpCall(t, s, "POST", "/api/v2/account/demo/campaign", "not-a-jwt", "application/json", string(fixture))
	lpError(t, "create with a bad token", status, http.StatusUnauthorized, data, 0)
}

// lpCall sends a request as a LivePerson client does, with the bearer
// token jwt (none if ""), honouring Retry-After, and returns the answer.
func lpCall(t *testing.T, s *server, method, path, jwt, contentType, body string) (int, http.Header, []byte) {
	t.Helper()
	for {
		req, err := http.NewRequest(method, "http://"+s.addr+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if jwt != "" {
			req.Header.Set("Authorization", "Bearer "+jwt)
		}
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		wait, err := strconv.Atoi(resp.Header.Get("Retry-After"))
		if resp.StatusCode != http.StatusTooManyRequests || err != nil {
			return resp.StatusCode, resp.Header, data
		}
		time.Sleep(time.Duration(wait) * time.Second)
	}
}

// shape requires an answer of status want whose JSON object has exactly
// keys, and returns it.
func shape(t *testing.T, what string, status, want int, data []byte, keys ...string) map[string]any {
	t.Helper()
	if status != want {
		t.Fatalf("%s: %d %s, want %d", what, status, data, want)
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("%s: %v: %s", what, err, data)
	}
	return fields(t, what, v, keys...)
}

// fields requires v to be a JSON object with exactly keys.
func fields(t *testing.T, what string, v any, keys ...string) map[string]any {
	t.Helper()
	m, ok := v.(map[string]any)
	if got := slices.Sorted(maps.Keys(m)); !ok || !slices.Equal(got, keys) {
		t.Fatalf("%s has fields %v, want %v: %v", what, got, keys, v)
	}
	return m
}

// lpError requires LivePerson's error body: status want, code its code
// (0 for a failed authentication), a message, Parley's code alongside.
func lpError(t *testing.T, what string, status, want int, data []byte, code int) {
	t.Helper()
	var e map[string]any
	if status != want || json.Unmarshal(data, &e) != nil {
		t.Fatalf("%s: %d %s, want %d", what, status, data, want)
	}
	keys := []string{"code", "message", "parleyCode"}
	if _, ok := e["field"]; ok {
		keys = []string{"code", "field", "message", "parleyCode"}
	}
	fields(t, what, e, keys...)
	if e["code"] != float64(code) || e["message"] == "" || e["parleyCode"] == "" {
		t.Errorf("%s: %s, want code %d", what, data, code)
	}
}

// TestLivePersonExamplesOnServe sends every example request of
// LivePerson's Proactive Messaging API page verbatim (the fixtures of
// internal/httpapi/testdata/liveperson), with the template or API handoff
// each names configured (handoffs brought along under LivePerson's ids),
// and reads them back through LivePerson's Outbound Configuration API:
// status codes, each answer's fields, and the per-consumer codes.
// LivePerson's examples use two numbers no numbering plan has
// (+1 234 456 678 899, +1 101 295 9736), which Parley refuses as
// INVALID_NUMBER; a copy with a valid number shows the code LivePerson
// documents for it.
func TestLivePersonExamplesOnServe(t *testing.T) { eachDay(t, testLivePersonExamplesOnServe) }

func testLivePersonExamplesOnServe(t *testing.T, clock parley.Clock) {
	s := start(t, embeddedConfig(t), clock)
	defer s.stop()
	jwt := lpAppJWT(t, s)
	for _, tpl := range []string{
		`{"id":"1111111111111","name":"ticket","language":"en","header":"video","body":"Your ticket for {{1}}\n\nTime - {{2}}\nVenue - {{3}}\nSeats - {{4}} - {{5}}"}`,
		`{"id":"943679028015322","name":"outbound","language":"en_US","body":"Hello, this is {{1}}"}`,
		`{"id":"555000111","name":"order","language":"en_US","body":"Hi {{1}}, order {{2}} ships {{3}}"}`,
	} {
		s.post(t, "/api/v2/account/demo/templates", tpl, http.StatusCreated, nil)
	}
	s.post(t, "/api/v2/account/demo/handoffs", `{"id":"666555567888","title":"SMS example","channels":[
		{"channel":"sms","outboundNumber":"+12025550100","text":"{{1}}"}]}`, http.StatusCreated, nil)
	s.post(t, "/api/v2/account/demo/handoffs", `{"id":"1234567890","title":"Handoff example","lookbackMinutes":1500,"channels":[
		{"channel":"whatsapp","outboundNumber":"+12025550100","templateId":"555000111"},{"channel":"sms"}]}`, http.StatusCreated, nil)

	type consumer struct{ phone, code string }
	for _, ex := range []struct {
		fixture, from, to string // the fixture, and a change to it ("" for none)
		accepted          []string
		failed            []consumer
	}{
		{fixture: "create-wa-rich-request.json", accepted: []string{"+12345678891"}, failed: []consumer{{"+1234456678899", "INVALID_NUMBER"}}},
		{"create-wa-rich-request.json", `"1234456678899"`, `"12025550143"`, []string{"+12345678891"}, []consumer{{"+12025550143", "MISSING_VARIABLE=5"}}},
		{fixture: "create-sms-request.json", accepted: []string{"+12345678891"}, failed: []consumer{{"+1234456678899", "INVALID_NUMBER"}}},
		{"create-sms-request.json", `"1234456678899"`, `"12025550143"`, []string{"+12345678891", "+12025550143"}, nil},
		{fixture: "create-handoff-request.json", accepted: []string{"+12345678891"}, failed: []consumer{{"+1234456678899", "INVALID_NUMBER"}}},
		{fixture: "create-old-version-request.json", failed: []consumer{{"+11012959736", "INVALID_NUMBER"}}},
		{"create-old-version-request.json", `"1012959736"`, `"2025550142"`, []string{"+12025550142"}, nil},
	} {
		name := ex.fixture + " " + ex.to
		body, err := os.ReadFile("../../internal/httpapi/testdata/liveperson/" + ex.fixture)
		if err != nil {
			t.Fatal(err)
		}
		if ex.from != "" {
			body = []byte(strings.ReplaceAll(string(body), ex.from, ex.to))
		}
		status, _, data := lpCall(t, s, "POST", "/api/v2/account/demo/campaign", jwt, "application/json", string(body))
		answer := shape(t, name, status, http.StatusAccepted, data,
			"acceptedConsumers", "failedConsumers", "leCampaignId", "leEngagementId", "proactiveCampaignId", "requestTraceId")
		if id := answer["proactiveCampaignId"]; (len(ex.accepted) == 0) != (id == nil) || answer["requestTraceId"] == "" {
			t.Errorf("%s: ids %s", name, data)
		}
		var sent struct {
			Consumers []map[string]json.RawMessage `json:"consumers"`
		}
		if err := json.Unmarshal(body, &sent); err != nil {
			t.Fatal(err)
		}
		accepted, _ := answer["acceptedConsumers"].([]any)
		if len(accepted) != len(ex.accepted) {
			t.Fatalf("%s: accepted %s, want %v", name, data, ex.accepted)
		}
		for i, a := range accepted {
			keys := []string{"consumerContent", "id", "index", "phoneNumber"}
			c := fields(t, name+" accepted consumer", a, keys...)
			if c["phoneNumber"] != ex.accepted[i] || c["id"] == "" {
				t.Errorf("%s: accepted consumer %v, want %s", name, c, ex.accepted[i])
			}
			if cc, ok := sent.Consumers[int(c["index"].(float64))]["consumerContent"]; ok && !sameJSON(t, cc, c["consumerContent"]) {
				t.Errorf("%s: consumerContent %v, want it as sent: %s", name, c["consumerContent"], cc)
			}
		}
		failed, _ := answer["failedConsumers"].([]any)
		if len(failed) != len(ex.failed) {
			t.Fatalf("%s: failed %s, want %v", name, data, ex.failed)
		}
		for i, f := range failed {
			keys := []string{"consumerContent", "detail", "errorMessage", "index", "phone", "variables"}
			fc := f.(map[string]any)
			if _, rich := fc["headerVariables"]; rich {
				keys = append(keys, "headerVariables")
			}
			if ex.failed[i].code != "INVALID_NUMBER" {
				keys = append(keys, "countryCode")
			}
			slices.Sort(keys)
			fc = fields(t, name+" failed consumer", f, keys...)
			in := sent.Consumers[int(fc["index"].(float64))]
			if fc["phone"] != ex.failed[i].phone || fc["errorMessage"] != ex.failed[i].code ||
				!sameJSON(t, in["variables"], fc["variables"]) || (in["headerVariables"] != nil && !sameJSON(t, in["headerVariables"], fc["headerVariables"])) ||
				(fc["countryCode"] != nil && fc["countryCode"] != "US") {
				t.Errorf("%s: failed consumer %v, want %+v with its values as sent", name, fc, ex.failed[i])
			}
		}
	}

	// LivePerson's Outbound Configuration API lists the two handoffs, then
	// by channel each one's configuration of it.
	status, _, data := lpCall(t, s, "GET", "/api/account/demo/app/prmsg/handoffs/list?v=1", jwt, "application/json", "")
	var list []any
	if status != http.StatusOK || json.Unmarshal(data, &list) != nil || len(list) != 2 {
		t.Fatalf("outbound configurations: %d %s", status, data)
	}
	for _, h := range list {
		c := fields(t, "outbound configuration", h, "channels", "createdAt", "id", "lookbackPeriodDay", "lookbackPeriodHour", "name", "routeAllWithinLookback", "updatedAt")
		if c["id"] != "1234567890" && c["id"] != "666555567888" {
			t.Errorf("outbound configuration %v", c)
		}
	}
	for channel, want := range map[string][]string{"sms-twilio": {"1234567890", "666555567888"}, "wa": {"1234567890"}, "inapp": nil, "googlercs": nil} {
		status, _, data := lpCall(t, s, "GET", "/api/account/demo/app/prmsg/handoffs/list/channel/"+channel+"?v=1", jwt, "application/json", "")
		var got []any
		if status != http.StatusOK || json.Unmarshal(data, &got) != nil || len(got) != len(want) {
			t.Fatalf("outbound configurations of %s: %d %s, want %v", channel, status, data, want)
		}
		for i, h := range got {
			keys := []string{"createdAt", "id", "language", "lookbackPeriodDay", "lookbackPeriodHour", "messageComponents", "name", "outboundnumber", "routeAllWithinLookback", "type", "updatedAt"}
			if channel == "wa" {
				keys = append(keys, "templatename")
				slices.Sort(keys)
			}
			c := fields(t, "outbound configuration of "+channel, h, keys...)
			if c["id"] != want[i] || c["type"] != channel || c["outboundnumber"] != "+12025550100" {
				t.Errorf("outbound configuration of %s: %v, want handoff %s", channel, c, want[i])
			}
		}
	}
}

// lpAppJWT creates API client credentials and gets an AppJWT for them, as
// a LivePerson client does.
func lpAppJWT(t *testing.T, s *server) string {
	t.Helper()
	var client httpapi.ClientResponse
	s.post(t, "/api/v2/account/demo/clients", `{"name":"lp","role":"campaign_manager"}`, http.StatusCreated, &client)
	form := "client_id=" + url.QueryEscape(client.ClientID) + "&client_secret=" + url.QueryEscape(client.ClientSecret)
	status, _, data := lpCall(t, s, "POST", "/sentinel/api/account/demo/app/token?v=1.0&grant_type=client_credentials", "",
		"application/x-www-form-urlencoded", form)
	token := shape(t, "AppJWT", status, http.StatusOK, data, "access_token", "expires_in", "token_type")
	return token["access_token"].(string)
}

// sameJSON reports whether sent (raw JSON) and got (decoded) are the same
// value.
func sameJSON(t *testing.T, sent json.RawMessage, got any) bool {
	t.Helper()
	var want any
	if err := json.Unmarshal(sent, &want); err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(want)
	b, _ := json.Marshal(got)
	return string(a) == string(b)
}
