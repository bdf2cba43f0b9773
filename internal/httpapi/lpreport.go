package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/parleyhq/parley/internal/campaign"
	"github.com/parleyhq/parley/internal/lpreport"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Paths of LivePerson's Outbound Reporting API.
const (
	lpAnalyticsPath         = "/api/account/{accountId}/app/{app}/analytics/{$}"
	lpCampaignReportPath    = "/api/account/{accountId}/app/prmsg/campaigns/{campaignId}/"
	lpCampaignPagePath      = lpCampaignReportPath + "{$}"
	lpCampaignAnalyticsPath = lpCampaignReportPath + "analytics/{$}"
	lpTransactionsPath      = "/api/account/{accountId}/app/{app}/transactions/{$}"
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
		{http.MethodGet, lpCampaignPagePath, (*Server).lpCampaignReport},
		{http.MethodPost, lpTransactionsPath, (*Server).lpTransactions},
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
	s.writeLPAnalytics(w, r, parley.AppProactive, c.ID, win, lpreport.Filters{}, false)
}

func (s *Server) writeLPAnalytics(w http.ResponseWriter, r *http.Request, app, campaignID string, win lpreport.Window, f lpreport.Filters, echo bool) {
	accountID := r.PathValue("accountId")
	rows, err := s.Counters.CountRows(r.Context(), f.Query(accountID, app, campaignID, win))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	start, end := win.Millis()
	out := lpreport.Analytics{
		RequestMetadata: lpreport.Metadata{AccountID: accountID, App: app, AttemptedStartTime: start, AttemptedEndTime: end},
		Analytics:       lpreport.Rows(rows, f.Grouping()),
	}
	if echo {
		out.RequestMetadata.Filters = &f
	}
	writeJSON(w, http.StatusOK, out)
}

// lpCampaignReportParams are the query parameters of a campaign report:
// LivePerson documents none (its report is one page); Parley pages it by
// offset, as its page object reads.
var lpCampaignReportParams = []string{"offset", "limit"}

// lpCampaignReport answers GET …/app/prmsg/campaigns/{id}/: each recipient's
// status, error and the conversation its reply opened, limit (default 100,
// at most MaxRecipientPage) rows from offset (a recipient sequence number,
// 0 for the first page).
func (s *Server) lpCampaignReport(w http.ResponseWriter, r *http.Request) {
	v, err := queryValues(r.URL.Query(), lpCampaignReportParams)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	limit, err := parseLimit(v["limit"], DefaultRecipientPage, MaxRecipientPage)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	offset := 0
	if o := v["offset"]; o != "" {
		if offset, err = strconv.Atoi(o); err != nil || offset < 0 {
			s.fail(w, r, parley.FieldErrorf("offset", "offset %q is not a whole number from 0", o))
			return
		}
	}
	c, err := s.Campaigns.Campaign(r.Context(), r.PathValue("accountId"), r.PathValue("campaignId"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page, err := s.Campaigns.Recipients(r.Context(), c, nil, offset, limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	opened, err := s.openedBy(r.Context(), c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := lpreport.CampaignReport{
		RequestMetadata: lpreport.CampaignMetadata{AccountID: c.AccountID, App: "prmsg", ProactiveCampaignID: c.ID},
		Page:            lpreport.Page{Count: len(page.Recipients), PreviousOffset: -1, CurrentOffset: offset, NextOffset: -1},
		ConsumersReport: make([]lpreport.Consumer, 0, len(page.Recipients)),
	}
	if offset > 0 {
		out.Page.PreviousOffset = max(offset-limit, 0)
	}
	if page.Next > 0 {
		out.Page.NextOffset = page.Next
	}
	for _, rc := range page.Recipients {
		out.ConsumersReport = append(out.ConsumersReport, lpreport.ConsumerOf(rc, opened[rc.ID]))
	}
	writeJSON(w, http.StatusOK, out)
}

// errPageFull stops the walk of a transaction request once its page is
// full.
var errPageFull = errors.New("page full")

// lpTransactions answers POST …/app/{app}/transactions/?v=2.0: one row per
// recipient attempted within attemptedStartTime and attemptedEndTime (at
// most 24 hours apart) that passes the body's filters, limit rows from
// offset. A recipient is attempted when its campaign is accepted, so the
// walk reads the campaigns created in the window (prmsg: Proactive
// campaigns; c2m: Connect to Messaging deflections), oldest recipient
// first within each, newest campaign first.
func (s *Server) lpTransactions(w http.ResponseWriter, r *http.Request) {
	app, accountID := r.PathValue("app"), r.PathValue("accountId")
	if err := lpreport.CheckApp(app); err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	if v := q.Get("v"); v != lpreport.TransactionVersion {
		s.fail(w, r, parley.FieldErrorf("v", "v must be %s (the version 1.0 API is deprecated), not %q", lpreport.TransactionVersion, v))
		return
	}
	win, err := lpreport.ParseWindow(q, lpreport.MaxTransactionWindow, true, lpreport.Window{}, "v")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data, err := readBody(r, w, lpreport.MaxBody)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	req, err := lpreport.ParseTransactionRequest(data)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rows := []lpreport.Transaction{}
	skip := req.Offset
	err = s.eachAttempted(r.Context(), accountID, app, win, func(c parley.Campaign, rs []parley.Recipient) error {
		var opened map[string]string
		for _, rc := range rs {
			if !req.Filters.Matches(rc) {
				continue
			}
			if skip > 0 {
				skip--
				continue
			}
			if opened == nil {
				if opened, err = s.openedBy(r.Context(), c); err != nil {
					return err
				}
			}
			rows = append(rows, lpreport.TransactionOf(c, rc, opened[rc.ID], ""))
			if len(rows) == req.Limit {
				return errPageFull
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, errPageFull) {
		s.fail(w, r, err)
		return
	}
	start, end := win.Millis()
	writeJSON(w, http.StatusOK, lpreport.Transactions{
		RequestMetadata: lpreport.TransactionMetadata{AccountID: accountID, App: app, AttemptedStartTime: start, AttemptedEndTime: end, Filters: req.Filters},
		Page:            lpreport.TransactionPage{Count: len(rows), Offset: req.Offset, Limit: req.Limit},
		Transactions:    rows,
	})
}

// eachAttempted hands fn, page by page, the recipients of the account's
// campaigns of app created within win, until fn fails.
func (s *Server) eachAttempted(ctx context.Context, accountID, app string, win lpreport.Window, fn func(parley.Campaign, []parley.Recipient) error) error {
	filter := store.CampaignFilter{CreatedFrom: win.Start, CreatedTo: win.End}
	for pos := (store.CampaignPosition{}); ; {
		page, err := s.Campaigns.List(ctx, accountID, campaign.ListQuery{Filter: filter, After: pos, Limit: store.MaxCampaignPage})
		if err != nil {
			return err
		}
		for _, c := range page.Campaigns {
			if (app == "c2m") != (c.CallID != "") {
				continue
			}
			if _, err := s.Campaigns.EachRecipient(ctx, c, func(rs []parley.Recipient) error { return fn(c, rs) }); err != nil {
				return err
			}
		}
		if page.Next.IsZero() {
			return nil
		}
		pos = page.Next
	}
}
