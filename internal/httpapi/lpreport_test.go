package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/httpapi"
	"github.com/parleyhq/parley/internal/lpreport"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestLPReportAnalytics sends LivePerson's Outbound Reporting requests
// (its documented filter body verbatim) and checks the rows field for
// field, the limits and error bodies LivePerson documents, and the roles.
func TestLPReportAnalytics(t *testing.T) {
	w, srv := newReportWorld(t)
	clock := w.clock
	start := clock.Now().Add(-time.Hour).UnixMilli()
	sales := w.create(t, "renewals", "sales", 3)
	w.create(t, "dunning", "billing", 2)
	end := clock.Now().Add(time.Hour).UnixMilli()
	window := fmt.Sprintf("attemptedStartTime=%d&attemptedEndTime=%d", start, end)
	day := clock.Now().UTC().Format("01-02-2006")

	var all lpreport.Analytics
	w.get(t, "/api/account/acct1/app/prmsg/analytics/?"+window, auth.RoleSupport, &all)
	if m := all.RequestMetadata; m.AccountID != "acct1" || m.App != "prmsg" || m.AttemptedStartTime != start || m.AttemptedEndTime != end || m.Filters != nil {
		t.Errorf("requestMetadata %+v", m)
	}
	want := []lpreport.Row{
		{Channel: "sms", Skill: "billing", TransactionDay: day, Attempted: 2},
		{Channel: "sms", Skill: "sales", TransactionDay: day, Attempted: 3},
	}
	if len(all.Analytics) != len(want) {
		t.Fatalf("analytics %+v, want %+v", all.Analytics, want)
	}
	for i, r := range all.Analytics {
		// A new campaign's recipients are attempted, and each is either
		// eligible or skipped.
		if r.Channel != want[i].Channel || r.Skill != want[i].Skill || r.TransactionDay != day ||
			r.Attempted != want[i].Attempted || r.Eligible+r.Skipped != want[i].Attempted || r.Sent != 0 {
			t.Errorf("row %d = %+v, want %+v", i, r, want[i])
		}
	}

	// A Connect to Messaging deflection through LivePerson's documented
	// handoff id: the c2m app's one row, grouped and named by handoff and
	// source when the body filters by them.
	deflection, drs := storetest.Fixture("acct1", "call1", 1)
	deflection.Skill, deflection.CallID, deflection.TemplateID, deflection.HandoffID, deflection.Source = "billing", "call1", "H123456", "H123456", parley.SourceAPI
	deflection.CreatedAt = clock.Now()
	if err := w.store.CreateCampaign(t.Context(), deflection, drs); err != nil {
		t.Fatal(err)
	}
	var c2m lpreport.Analytics
	w.get(t, "/api/account/acct1/app/c2m/analytics/?"+window, auth.RoleSupport, &c2m)
	if len(c2m.Analytics) != 1 || c2m.Analytics[0].Attempted != 1 || c2m.Analytics[0].HandoffID != "" {
		t.Errorf("c2m analytics %+v, want the deflection's one row, not grouped by handoff", c2m.Analytics)
	}
	var again lpreport.Analytics
	w.get(t, "/api/account/acct1/app/prmsg/analytics/?"+window, auth.RoleSupport, &again)
	if len(again.Analytics) != 2 {
		t.Errorf("prmsg analytics %+v, want the two Proactive rows alone", again.Analytics)
	}

	body, err := os.ReadFile("testdata/liveperson/reporting-analytics-request.json")
	if err != nil {
		t.Fatal(err)
	}
	resp, data := w.call(t, "POST", "/api/account/acct1/app/c2m/analytics/?"+window, string(body), auth.RoleAdmin, "reader")
	var filtered map[string]any
	if err := json.Unmarshal(data, &filtered); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("POST: %d %s", resp.StatusCode, data)
	}
	meta := filtered["requestMetadata"].(map[string]any)
	f := meta["filters"].(map[string]any)
	if meta["app"] != "c2m" || fmt.Sprint(f["channels"]) != "[sms]" || fmt.Sprint(f["skills"]) != "[billing]" ||
		fmt.Sprint(f["handoffids"]) != "[H123456 H987655]" || fmt.Sprint(f["source"]) != "[API UI LPWF]" {
		t.Errorf("requestMetadata %v", meta)
	}
	rows := filtered["analytics"].([]any)
	if len(rows) != 1 {
		t.Fatalf("filtered rows %v", rows)
	}
	row := rows[0].(map[string]any)
	for _, k := range []string{"channel", "skill", "transactionday", "attempted", "eligible", "skipped", "sent", "failed",
		"delivered", "read", "conversationscreated", "conversationsclosed", "csat", "error_aggregation", "handoffid", "source"} {
		if _, ok := row[k]; !ok {
			t.Errorf("row has no %s: %v", k, row)
		}
	}
	if row["skill"] != "billing" || row["attempted"] != float64(1) || row["handoffid"] != "H123456" || row["source"] != "API" || row["csat"] != nil {
		t.Errorf("filtered row %v", row)
	}
	for _, tt := range []struct {
		body string
		want []lpreport.Row
	}{
		{`{"source": ["UI"]}`, nil},
		{`{"source": ["api"], "skills": ["sales"]}`, []lpreport.Row{{Channel: "sms", Skill: "sales", Source: "API", TransactionDay: day, Attempted: 3}}},
		{`{"handoffids": ["H123456"]}`, nil}, // no Proactive recipient has a handoff
	} {
		resp, data := w.call(t, "POST", "/api/account/acct1/app/prmsg/analytics/?"+window, tt.body, auth.RoleAdmin, "reader")
		var got lpreport.Analytics
		if err := json.Unmarshal(data, &got); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("POST %s: %d %s", tt.body, resp.StatusCode, data)
		}
		if len(got.Analytics) != len(tt.want) {
			t.Errorf("POST %s: rows %+v, want %+v", tt.body, got.Analytics, tt.want)
			continue
		}
		for i, r := range got.Analytics {
			if r.Skill != tt.want[i].Skill || r.Source != tt.want[i].Source || r.Attempted != tt.want[i].Attempted || r.HandoffID != "" {
				t.Errorf("POST %s: row %+v, want %+v", tt.body, r, tt.want[i])
			}
		}
	}

	var one lpreport.Analytics
	w.get(t, "/api/account/acct1/app/prmsg/campaigns/"+sales+"/analytics/", auth.RoleCampaignManager, &one)
	if len(one.Analytics) != 1 || one.Analytics[0].Skill != "sales" || one.Analytics[0].Attempted != 3 {
		t.Errorf("campaign analytics %+v", one.Analytics)
	}

	// The campaign report, over more than one page, with every field
	// LivePerson's example shows (nulls where nothing happened).
	resp, data = w.call(t, "GET", "/api/account/acct1/app/prmsg/campaigns/"+sales+"/?limit=2", "", auth.RoleSupport, "reader")
	var rep map[string]any
	if err := json.Unmarshal(data, &rep); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("campaign report: %d %s", resp.StatusCode, data)
	}
	page := rep["page"].(map[string]any)
	if page["count"] != float64(2) || page["previousOffset"] != float64(-1) || page["currentOffset"] != float64(0) || page["nextOffset"] == float64(-1) {
		t.Fatalf("first page %v", page)
	}
	seen := map[string]bool{}
	for _, c := range rep["consumersReport"].([]any) {
		row := c.(map[string]any)
		for _, k := range []string{"id", "errorCode", "errorMessage", "errorSource", "status", "consumerId", "conversationId"} {
			if _, ok := row[k]; !ok {
				t.Errorf("consumer row has no %s: %v", k, row)
			}
		}
		if row["conversationId"] != nil || row["status"] == "" {
			t.Errorf("consumer row %v", row)
		}
		seen[row["id"].(string)] = true
	}
	var next lpreport.CampaignReport
	w.get(t, fmt.Sprintf("/api/account/acct1/app/prmsg/campaigns/%s/?limit=2&offset=%v", sales, page["nextOffset"]), auth.RoleSupport, &next)
	if next.Page.Count != 1 || next.Page.NextOffset != -1 || next.Page.PreviousOffset != 0 || len(next.ConsumersReport) != 1 || seen[next.ConsumersReport[0].ID] {
		t.Errorf("second page %+v", next)
	}
	if next.RequestMetadata.ProactiveCampaignID != sales || next.RequestMetadata.App != "prmsg" {
		t.Errorf("requestMetadata %+v", next.RequestMetadata)
	}

	long := fmt.Sprintf("attemptedStartTime=%d&attemptedEndTime=%d", start, start+61*24*3600*1000)
	tests := []struct {
		name, method, path, body string
		role                     auth.Role
		want                     int
		field                    string
	}{
		{"agent", "GET", "/api/account/acct1/app/prmsg/analytics/?" + window, "", auth.RoleAgent, http.StatusForbidden, ""},
		{"another account", "GET", "/api/account/acct2/app/prmsg/analytics/?" + window, "", auth.RoleAdmin, http.StatusForbidden, ""},
		{"no start", "GET", fmt.Sprintf("/api/account/acct1/app/prmsg/analytics/?attemptedEndTime=%d", end), "", auth.RoleAdmin, http.StatusBadRequest, "attemptedStartTime"},
		{"not millis", "GET", "/api/account/acct1/app/prmsg/analytics/?attemptedStartTime=yesterday&attemptedEndTime=1", "", auth.RoleAdmin, http.StatusBadRequest, "attemptedStartTime"},
		{"over 60 days", "GET", "/api/account/acct1/app/prmsg/analytics/?" + long, "", auth.RoleAdmin, http.StatusBadRequest, "attemptedEndTime"},
		{"end before start", "GET", fmt.Sprintf("/api/account/acct1/app/prmsg/analytics/?attemptedStartTime=%d&attemptedEndTime=%d", end, start), "", auth.RoleAdmin, http.StatusBadRequest, "attemptedEndTime"},
		{"unknown app", "GET", "/api/account/acct1/app/ivr/analytics/?" + window, "", auth.RoleAdmin, http.StatusBadRequest, "app"},
		{"unknown parameter", "GET", "/api/account/acct1/app/prmsg/analytics/?" + window + "&v=2.0", "", auth.RoleAdmin, http.StatusBadRequest, "v"},
		{"unknown source", "POST", "/api/account/acct1/app/prmsg/analytics/?" + window, `{"source": ["IVR"]}`, auth.RoleAdmin, http.StatusBadRequest, "source"},
		{"unknown channel", "POST", "/api/account/acct1/app/prmsg/analytics/?" + window, `{"channels": ["fax"]}`, auth.RoleAdmin, http.StatusBadRequest, "channels"},
		{"unknown field", "POST", "/api/account/acct1/app/prmsg/analytics/?" + window, `{"skill": ["x"]}`, auth.RoleAdmin, http.StatusBadRequest, "skill"},
		{"not a list", "POST", "/api/account/acct1/app/prmsg/analytics/?" + window, `{"skills": "x"}`, auth.RoleAdmin, http.StatusBadRequest, "skills"},
		{"too large", "POST", "/api/account/acct1/app/prmsg/analytics/?" + window, `{"skills": ["` + strings.Repeat("x", lpreport.MaxBody) + `"]}`, auth.RoleAdmin, http.StatusRequestEntityTooLarge, ""},
		{"unknown campaign", "GET", "/api/account/acct1/app/prmsg/campaigns/nope/analytics/", "", auth.RoleAdmin, http.StatusNotFound, ""},
		{"unknown campaign's report", "GET", "/api/account/acct1/app/prmsg/campaigns/nope/", "", auth.RoleAdmin, http.StatusNotFound, ""},
		{"report, agent", "GET", "/api/account/acct1/app/prmsg/campaigns/" + sales + "/", "", auth.RoleAgent, http.StatusForbidden, ""},
		{"report, bad offset", "GET", "/api/account/acct1/app/prmsg/campaigns/" + sales + "/?offset=-3", "", auth.RoleAdmin, http.StatusBadRequest, "offset"},
		{"report, limit over", "GET", "/api/account/acct1/app/prmsg/campaigns/" + sales + "/?limit=1001", "", auth.RoleAdmin, http.StatusBadRequest, "limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, data := w.call(t, tt.method, tt.path, tt.body, tt.role, "reader")
			if resp.StatusCode != tt.want {
				t.Fatalf("%d %s, want %d", resp.StatusCode, data, tt.want)
			}
			var e httpapi.LPError
			if err := json.Unmarshal(data, &e); err != nil || e.Message == "" || e.Code != tt.want {
				t.Fatalf("error body %s is not LivePerson's {code, message}", data)
			}
			if e.Field != tt.field {
				t.Errorf("field %q, want %q: %s", e.Field, tt.field, data)
			}
		})
	}

	t.Run("no token", func(t *testing.T) {
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/api/account/acct1/app/prmsg/analytics/?"+window, nil))
		var e httpapi.LPError
		if rec.Code != http.StatusUnauthorized || json.Unmarshal(rec.Body.Bytes(), &e) != nil || e.Code != 0 {
			t.Errorf("%d %s, want 401 with code 0", rec.Code, rec.Body)
		}
	})
}

// TestLPReportSource checks that a campaign created in the web tool (its
// session cookie) is counted under source UI, and one created with a
// bearer token under API.
func TestLPReportSource(t *testing.T) {
	w, _ := newReportWorld(t)
	start := w.clock.Now().Add(-time.Hour).UnixMilli()
	w.create(t, "by the API", "sales", 1)
	tok, err := w.tokens.Issue(t.Context(), auth.Principal{AccountID: "acct1", Role: auth.RoleCampaignManager, Subject: "ann@example.com"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	session := &http.Cookie{Name: "__Host-parley_session", Value: tok.AccessToken}
	send := func(method, path, body string, header map[string]string) (*http.Response, []byte) {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.AddCookie(session)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		w.h.ServeHTTP(rec, req)
		return rec.Result(), rec.Body.Bytes()
	}
	resp, data := send("GET", "/auth/session", "", nil)
	var s httpapi.SessionResponse
	if err := json.Unmarshal(data, &s); err != nil || resp.StatusCode != http.StatusOK || s.CSRFToken == "" {
		t.Fatalf("session: %d %s", resp.StatusCode, data)
	}
	resp, data = send("POST", "/api/v2/account/acct1/campaign", `{"campaignName": "in the web tool", "skill": "sales", "templateId": "1234567890",
		"outboundNumber": "+12025550100", "consent": true, "message": "Hi {{1}}", "consumers": [
		{"consumerContent": {"sms": "+12025550191"}, "variables": {"1": "Ann"}}, {"consumerContent": {"sms": "+12025550192"}, "variables": {"1": "Bob"}}]}`,
		map[string]string{httpapi.CSRFHeader: s.CSRFToken, "Content-Type": "application/json"})
	var created httpapi.CreateCampaignResponse
	if err := json.Unmarshal(data, &created); err != nil || resp.StatusCode != http.StatusAccepted || created.ProactiveCampaignID == nil {
		t.Fatalf("create in the web tool: %d %s", resp.StatusCode, data)
	}
	c, err := w.store.Campaign(t.Context(), "acct1", *created.ProactiveCampaignID)
	if err != nil || c.Source != parley.SourceUI {
		t.Fatalf("campaign %+v, %v; want source UI", c, err)
	}
	window := fmt.Sprintf("attemptedStartTime=%d&attemptedEndTime=%d", start, w.clock.Now().Add(time.Hour).UnixMilli())
	resp, data = w.call(t, "POST", "/api/account/acct1/app/prmsg/analytics/?"+window, `{"source": ["UI", "API"]}`, auth.RoleSupport, "reader")
	var got lpreport.Analytics
	if err := json.Unmarshal(data, &got); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("analytics: %d %s", resp.StatusCode, data)
	}
	if len(got.Analytics) != 2 || got.Analytics[0].Source != "API" || got.Analytics[0].Attempted != 1 || got.Analytics[1].Source != "UI" || got.Analytics[1].Attempted != 2 {
		t.Errorf("rows by source %+v, want API 1 and UI 2", got.Analytics)
	}
}
