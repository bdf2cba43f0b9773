package httpapi

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/parleyhq/parley/internal/analytics"
	"github.com/parleyhq/parley/internal/parley"
)

// Paths of the analytics routes.
const (
	accountAnalyticsPath  = "/api/v2/account/{accountId}/analytics"
	campaignAnalyticsPath = campaignPath + "/analytics"
)

// Analytics answers an account's and a campaign's analytics
// (*analytics.Service is one).
type Analytics interface {
	Answer(ctx context.Context, q analytics.Query) (analytics.Report, error)
}

// analyticsRoutes are the routes of the analytics pages.
func analyticsRoutes() []Route {
	return []Route{
		{http.MethodGet, accountAnalyticsPath, needAnalytics((*Server).analytics)},
		{http.MethodGet, campaignAnalyticsPath, needAnalytics((*Server).analytics)},
	}
}

func needAnalytics(h func(*Server, http.ResponseWriter, *http.Request)) func(*Server, http.ResponseWriter, *http.Request) {
	return func(s *Server, w http.ResponseWriter, r *http.Request) {
		if s.Analytics == nil {
			s.fail(w, r, parley.Errorf(parley.ENOTFOUND, "this server keeps no analytics"))
			return
		}
		h(s, w, r)
	}
}

// analyticsQueryParams are the query parameters the analytics take.
var analyticsQueryParams = []string{"from", "to", "range", "skill", "channel"}

// analyticsChannels are the channels a message is counted under.
var analyticsChannels = []parley.Channel{parley.ChannelSMS, parley.ChannelWhatsApp, parley.ChannelInApp}

// analytics answers GET …/analytics and …/campaign/{id}/analytics: from
// and to (days, YYYY-MM-DD, in the account's time zone) or range (a quick
// range), skill and channel (comma-separated lists).
func (s *Server) analytics(w http.ResponseWriter, r *http.Request) {
	v, err := queryValues(r.URL.Query(), analyticsQueryParams)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := analytics.Query{
		AccountID: r.PathValue("accountId"), CampaignID: r.PathValue("campaignId"),
		From: strings.TrimSpace(v["from"]), To: strings.TrimSpace(v["to"]), Range: strings.TrimSpace(v["range"]),
		Skills: splitList(v["skill"]),
	}
	for _, c := range splitList(v["channel"]) {
		ch := parley.Channel(strings.ToLower(c))
		if !slices.Contains(analyticsChannels, ch) {
			s.fail(w, r, parley.FieldErrorf("channel", "channel %q is not one of sms, whatsapp, inapp", c))
			return
		}
		q.Channels = append(q.Channels, ch)
	}
	rep, err := s.Analytics.Answer(r.Context(), q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}
