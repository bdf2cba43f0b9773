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
	if meta["app"] != "c2m" || fmt.Sprint(f["channels"]) != "[sms]" || fmt.Sprint(f["skills"]) != "[billing]" {
		t.Errorf("requestMetadata %v", meta)
	}
	rows := filtered["analytics"].([]any)
	if len(rows) != 1 {
		t.Fatalf("filtered rows %v", rows)
	}
	row := rows[0].(map[string]any)
	for _, k := range []string{"channel", "skill", "transactionday", "attempted", "eligible", "skipped", "sent", "failed",
		"delivered", "read", "conversationscreated", "conversationsclosed"} {
		if _, ok := row[k]; !ok {
			t.Errorf("row has no %s: %v", k, row)
		}
	}
	if row["skill"] != "billing" || row["attempted"] != float64(2) {
		t.Errorf("filtered row %v", row)
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
