package httpapi

import (
	"context"
	"net/http"

	"github.com/parleyhq/parley/internal/lpreport"
	"github.com/parleyhq/parley/internal/parley"
)

// Paths of LivePerson's Outbound Reporting API.
const (
	lpAnalyticsPath         = "/api/account/{accountId}/app/{app}/analytics/"
	lpCampaignAnalyticsPath = "/api/account/{accountId}/app/prmsg/campaigns/{campaignId}/analytics/"
)

// Counters reads the lifecycle counters (store.Counters is one).
type Counters interface {
	CountRows(ctx context.Context, q parley.CountQuery) ([]parley.CountRow, error)
}

// lpReportRoutes are the routes of LivePerson's Outbound Reporting API.
func lpReportRoutes() []Route {
	return []Route{
		{http.MethodGet, lpAnalyticsPath, needCounters((*Server).lpAnalytics)},
		{http.MethodPost, lpAnalyticsPath, needCounters((*Server).lpAnalytics)},
		{http.MethodGet, lpCampaignAnalyticsPath, needCounters((*Server).lpCampaignAnalytics)},
	}
}

func needCounters(h func(*Server, http.ResponseWriter, *http.Request)) func(*Server, http.ResponseWriter, *http.Request) {
	return func(s *Server, w http.ResponseWriter, r *http.Request) {
		if s.Counters == nil {
			s.fail(w, r, parley.Errorf(parley.ENOTFOUND, "this server keeps no counters"))
			return
		}
		h(s, w, r)
	}
}

// lpAnalytics answers an account's analytics, GET or POST (with a body of
// filters), over attemptedStartTime and attemptedEndTime (≤ 60 days).
func (s *Server) lpAnalytics(w http.ResponseWriter, r *http.Request) {
	app := r.PathValue("app")
	if err := lpreport.CheckApp(app); err != nil {
		s.fail(w, r, err)
		return
	}
	win, err := lpreport.ParseWindow(r.URL.Query(), lpreport.MaxAnalyticsWindow, true, lpreport.Window{})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var f lpreport.Filters
	if r.Method == http.MethodPost {
		data, err := readBody(r, w, lpreport.MaxBody)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if f, err = lpreport.ParseFilters(data); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	s.writeLPAnalytics(w, r, app, "", win, f, r.Method == http.MethodPost)
}

// lpCampaignAnalytics answers a Proactive campaign's analytics; without
// attemptedStartTime and attemptedEndTime, from the campaign's creation
// to now.
func (s *Server) lpCampaignAnalytics(w http.ResponseWriter, r *http.Request) {
	c, err := s.Campaigns.Campaign(r.Context(), r.PathValue("accountId"), r.PathValue("campaignId"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	def := lpreport.Window{Start: parley.HourOf(c.CreatedAt), End: s.now().UTC()}
	win, err := lpreport.ParseWindow(r.URL.Query(), lpreport.MaxAnalyticsWindow, false, def)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeLPAnalytics(w, r, "prmsg", c.ID, win, lpreport.Filters{}, false)
}

func (s *Server) writeLPAnalytics(w http.ResponseWriter, r *http.Request, app, campaignID string, win lpreport.Window, f lpreport.Filters, echo bool) {
	accountID := r.PathValue("accountId")
	rows, err := s.Counters.CountRows(r.Context(), f.Query(accountID, campaignID, win))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	start, end := win.Millis()
	out := lpreport.Analytics{
		RequestMetadata: lpreport.Metadata{AccountID: accountID, App: app, AttemptedStartTime: start, AttemptedEndTime: end},
		Analytics:       lpreport.Rows(rows),
	}
	if echo {
		out.RequestMetadata.Filters = &f
	}
	writeJSON(w, http.StatusOK, out)
}
