package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/analytics"
	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/campaign"
	"github.com/parleyhq/parley/internal/clocktest"
	"github.com/parleyhq/parley/internal/httpapi"
	"github.com/parleyhq/parley/internal/obs"
	"github.com/parleyhq/parley/internal/testworld"
)

// newReportWorld is a list world whose server also keeps analytics and
// counters (both reporting APIs).
func newReportWorld(t *testing.T) (*listWorld, *httpapi.Server) {
	t.Helper()
	s, q := testworld.Open(t)
	clock := clocktest.New(comingWednesday())
	tokens := testTokens(t, clock, s)
	srv := &httpapi.Server{
		Campaigns: &campaign.Service{Store: s, Queue: q, Log: obs.Discard(), Clock: clock},
		Analytics: &analytics.Service{Counters: s, Accounts: s, Campaigns: s, Clock: clock},
		Counters:  s,
		Auth:      tokens, Operators: tokens.Operators(), Clock: clock, Log: obs.Discard(),
	}
	return &listWorld{store: s, clock: clock, tokens: tokens, h: srv.Handler()}, srv
}

// TestAnalyticsRoutes checks who may read analytics and that bad
// parameters are refused naming the parameter.
func TestAnalyticsRoutes(t *testing.T) {
	w, _ := newReportWorld(t)
	id := w.create(t, "renewals", "sales", 3)
	tests := []struct {
		name, path string
		role       auth.Role
		want       int
		field      string
	}{
		{"admin, account", "/api/v2/account/acct1/analytics?range=last90", auth.RoleAdmin, http.StatusOK, ""},
		{"campaign manager, campaign", "/api/v2/account/acct1/campaign/" + id + "/analytics", auth.RoleCampaignManager, http.StatusOK, ""},
		{"support reads", "/api/v2/account/acct1/analytics?skill=sales&channel=sms", auth.RoleSupport, http.StatusOK, ""},
		{"agent", "/api/v2/account/acct1/analytics", auth.RoleAgent, http.StatusForbidden, ""},
		{"agent manager", "/api/v2/account/acct1/campaign/" + id + "/analytics", auth.RoleAgentManager, http.StatusForbidden, ""},
		{"another account", "/api/v2/account/acct2/analytics", auth.RoleAdmin, http.StatusForbidden, ""},
		{"unknown campaign", "/api/v2/account/acct1/campaign/nope/analytics", auth.RoleAdmin, http.StatusNotFound, ""},
		{"unknown range", "/api/v2/account/acct1/analytics?range=lastYear", auth.RoleAdmin, http.StatusBadRequest, "range"},
		{"bad date", "/api/v2/account/acct1/analytics?from=12/01/2026", auth.RoleAdmin, http.StatusBadRequest, "from"},
		{"unknown channel", "/api/v2/account/acct1/analytics?channel=fax", auth.RoleAdmin, http.StatusBadRequest, "channel"},
		{"unknown parameter", "/api/v2/account/acct1/analytics?campaign=x", auth.RoleAdmin, http.StatusBadRequest, "campaign"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, data := w.call(t, "GET", tt.path, "", tt.role, "reader")
			if resp.StatusCode != tt.want {
				t.Fatalf("%d %s, want %d", resp.StatusCode, data, tt.want)
			}
			if tt.field != "" && !strings.Contains(string(data), `"field":"`+tt.field+`"`) {
				t.Errorf("problem %s does not name %s", data, tt.field)
			}
		})
	}
	var rep analytics.Report
	w.get(t, "/api/v2/account/acct1/campaign/"+id+"/analytics", auth.RoleSupport, &rep)
	if rep.Counts.Attempted != 3 || rep.Counts.Eligible+rep.Counts.Skipped != 3 || rep.CampaignID != id {
		t.Errorf("a new campaign of 3: %+v", rep)
	}
}
