package httpapi

import (
	"context"
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

// lpTransactions answers POST …/app/{app}/transactions/: one row per
// recipient attempted within attemptedStartTime and attemptedEndTime (at
// most 24 hours apart) that passes the body's filters (see lpreport.Walk),
// in LivePerson's version 1.0 (no v, or v=1.0: pages of
// TransactionPageV1 rows continued by nextPage tokens) or 2.0 (v=2.0:
// limit rows from offset).
func (s *Server) lpTransactions(w http.ResponseWriter, r *http.Request) {
	app, accountID := r.PathValue("app"), r.PathValue("accountId")
	if err := lpreport.CheckApp(app); err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	win, err := lpreport.ParseWindow(q, lpreport.MaxTransactionWindow, true, lpreport.Window{}, "v")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	version, err := lpreport.ParseVersion(q.Get("v"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data, err := readBody(r, w, lpreport.MaxBody)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	walk := lpreport.Walk{AccountID: accountID, App: app, Window: win}
	var v2 lpreport.TransactionRequest
	token := ""
	if version == lpreport.Version2 {
		v2, err = lpreport.ParseTransactionRequest(data)
		walk.Filters, walk.Skip, walk.Limit = v2.Filters, v2.Offset, v2.Limit
	} else {
		walk.Filters, token, err = lpreport.ParseTransactionRequestV1(data)
		walk.Limit = lpreport.TransactionPageV1
		if err == nil {
			walk.From, err = walk.ParsePageToken(token)
		}
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page, err := walk.Page(r.Context(), campaignSource{s.Campaigns})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rows, err := s.transactionRows(r.Context(), accountID, page.Hits)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	start, end := win.Millis()
	meta := lpreport.TransactionMetadata{AccountID: accountID, App: app, AttemptedStartTime: start, AttemptedEndTime: end, Filters: walk.Filters}
	if version == lpreport.Version2 {
		writeJSON(w, http.StatusOK, lpreport.Transactions{
			RequestMetadata: meta, Page: lpreport.TransactionPage{Count: len(rows), Offset: v2.Offset, Limit: v2.Limit}, Transactions: rows,
		})
		return
	}
	for i := range rows {
		rows[i].MessageStatus = "" // version 2.0's
	}
	out := lpreport.TransactionsV1{RequestMetadata: meta, Page: lpreport.TokenPage{Count: len(rows), CurrentPage: walk.PageToken(walk.From)}, Transactions: rows}
	if page.More {
		out.Page.NextPage = walk.PageToken(page.Next)
	}
	writeJSON(w, http.StatusOK, out)
}

// transactionRows are the rows of hits, with the conversation each
// recipient's reply opened.
func (s *Server) transactionRows(ctx context.Context, accountID string, hits []lpreport.Hit) ([]lpreport.Transaction, error) {
	var cs []parley.Campaign
	for i, h := range hits {
		if i == 0 || h.Campaign.ID != hits[i-1].Campaign.ID {
			cs = append(cs, h.Campaign)
		}
	}
	opened, err := s.openedByEach(ctx, accountID, cs)
	if err != nil {
		return nil, err
	}
	rows := make([]lpreport.Transaction, 0, len(hits))
	for _, h := range hits {
		rows = append(rows, lpreport.TransactionOf(h.Campaign, h.Recipient, opened[h.Campaign.ID][h.Recipient.ID]))
	}
	return rows, nil
}

// campaignSource is the campaign service as a transaction walk reads it.
type campaignSource struct{ Campaigns }

// ListCampaigns lists the account's campaigns after pos that pass f.
func (c campaignSource) ListCampaigns(ctx context.Context, accountID string, f store.CampaignFilter, after store.CampaignPosition, limit int) (store.CampaignPage, error) {
	return c.List(ctx, accountID, campaign.ListQuery{Filter: f, After: after, Limit: limit})
}

// Recipients lists at most limit of c's recipients after afterSeq.
func (c campaignSource) Recipients(ctx context.Context, cp parley.Campaign, afterSeq, limit int) ([]parley.Recipient, error) {
	page, err := c.Campaigns.Recipients(ctx, cp, nil, afterSeq, limit)
	return page.Recipients, err
}
