package httpapi

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/campaign"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/phone"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/window"
)

// Paths of the campaign list, detail and download routes.
const (
	campaignsPath        = "/api/v2/account/{accountId}/campaign"
	campaignPath         = campaignsPath + "/{campaignId}"
	campaignsExportPath  = campaignsPath + "/export.csv"
	recipientsExportPath = campaignPath + "/recipients.csv"
)

// campaignListRoutes are the routes that find, open and download campaigns.
func campaignListRoutes() []Route {
	return []Route{
		{http.MethodGet, campaignsPath, (*Server).listCampaigns},
		{http.MethodGet, campaignPath, (*Server).getCampaign},
		{http.MethodGet, campaignsExportPath, (*Server).exportCampaigns},
		{http.MethodGet, recipientsExportPath, (*Server).exportRecipients},
	}
}

// Campaign listing page sizes.
const (
	DefaultCampaignPage = 25
	// DefaultRecipientPage is the page of a paged conversations request
	// that names no limit.
	DefaultRecipientPage = 100
	// MaxRecipientPage bounds one page of recipients.
	MaxRecipientPage = store.MaxPage
)

// campaignQueryParams are the query parameters a campaign listing takes.
var campaignQueryParams = []string{"limit", "cursor", "status", "channel", "skill", "createdFrom", "createdTo"}

// queryValues returns q's parameters, refusing any not in allowed and any
// given twice (a list is comma-separated).
func queryValues(q url.Values, allowed []string) (map[string]string, error) {
	out := map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(q)) {
		if !slices.Contains(allowed, k) {
			return nil, parley.FieldErrorf(k, "%s is not a parameter of this route; it takes %s", k, strings.Join(allowed, ", "))
		}
		if len(q[k]) > 1 {
			return nil, parley.FieldErrorf(k, "%s is given %d times; give it once (a list is comma-separated)", k, len(q[k]))
		}
		out[k] = q[k][0]
	}
	return out, nil
}

// parseLimit reads ?limit= (1..most; def when absent).
func parseLimit(v string, def, most int) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > most {
		return 0, parley.FieldErrorf("limit", "limit %q is not a whole number from 1 to %d", v, most)
	}
	return n, nil
}

// splitList splits a comma-separated parameter, dropping empty items.
func splitList(v string) []string {
	var out []string
	for item := range strings.SplitSeq(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// listedChannels are the channels a campaign may have.
var listedChannels = []parley.Channel{parley.ChannelSMS, parley.ChannelWhatsApp, parley.ChannelInApp, parley.ChannelPrioritized}

// campaignQuery reads the query of a campaign listing: limit (1..100,
// default 25), cursor, status (comma-separated phases), channel, skill,
// createdFrom (inclusive) and createdTo (exclusive), RFC 3339.
func campaignQuery(q url.Values) (campaign.ListQuery, error) {
	v, err := queryValues(q, campaignQueryParams)
	if err != nil {
		return campaign.ListQuery{}, err
	}
	var lq campaign.ListQuery
	if lq.Limit, err = parseLimit(v["limit"], DefaultCampaignPage, store.MaxCampaignPage); err != nil {
		return lq, err
	}
	if lq.After, err = parseCampaignCursor(v["cursor"]); err != nil {
		return lq, err
	}
	for _, s := range splitList(v["status"]) {
		p := strings.ToUpper(s)
		if !parley.ValidPhase(p) {
			return lq, parley.FieldErrorf("status", "status %q is not one of %s", s, strings.Join(parley.Phases, ", "))
		}
		if !slices.Contains(lq.Phases, p) {
			lq.Phases = append(lq.Phases, p)
		}
	}
	if ch := strings.ToLower(strings.TrimSpace(v["channel"])); ch != "" {
		if !slices.Contains(listedChannels, parley.Channel(ch)) {
			return lq, parley.FieldErrorf("channel", "channel %q is not one of sms, whatsapp, inapp, prioritized", v["channel"])
		}
		lq.Filter.Channel = parley.Channel(ch)
	}
	lq.Filter.Skill = strings.TrimSpace(v["skill"])
	if lq.Filter.CreatedFrom, err = parseTime("createdFrom", v["createdFrom"]); err != nil {
		return lq, err
	}
	if lq.Filter.CreatedTo, err = parseTime("createdTo", v["createdTo"]); err != nil {
		return lq, err
	}
	if f := lq.Filter; !f.CreatedFrom.IsZero() && !f.CreatedTo.IsZero() && !f.CreatedFrom.Before(f.CreatedTo) {
		return lq, parley.FieldErrorf("createdTo", "createdTo %s must be after createdFrom %s", v["createdTo"], v["createdFrom"])
	}
	return lq, nil
}

// CampaignSummary is one campaign of a listing.
type CampaignSummary struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Channel string `json:"channel"`
	Skill   string `json:"skill"`
	// Status is the campaign's phase (parley.Phases).
	Status     string `json:"status"`
	Recipients int    `json:"recipients"`
	CreatedBy  string `json:"createdBy,omitempty"`
	CreatedAt  string `json:"createdAt"`
	// LaunchAt is the campaign's first allowed send.
	LaunchAt    string `json:"launchAt,omitempty"`
	CompletedAt string `json:"completedAt,omitempty"`
}

// CampaignList is a page of an account's campaigns, newest first.
type CampaignList struct {
	Campaigns []CampaignSummary `json:"campaigns"`
	// NextCursor continues the listing; absent on the last page.
	NextCursor string `json:"nextCursor,omitempty"`
}

// optionalTime formats t for the API, "" when zero.
func optionalTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return timestamp(t)
}

func summary(c parley.Campaign, now time.Time) CampaignSummary {
	return CampaignSummary{
		ID: c.ID, Name: c.Name, Channel: string(c.Channel), Skill: c.Skill, Status: c.Phase(now),
		Recipients: c.Recipients, CreatedBy: c.CreatedBy, CreatedAt: timestamp(c.CreatedAt),
		LaunchAt: optionalTime(c.LaunchAt), CompletedAt: optionalTime(c.CompletedAt),
	}
}

func (s *Server) listCampaigns(w http.ResponseWriter, r *http.Request) {
	q, err := campaignQuery(r.URL.Query())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page, err := s.Campaigns.List(r.Context(), r.PathValue("accountId"), q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	now := s.now()
	out := CampaignList{Campaigns: []CampaignSummary{}, NextCursor: campaignCursor(page.Next)}
	for _, c := range page.Campaigns {
		out.Campaigns = append(out.Campaigns, summary(c, now))
	}
	writeJSON(w, http.StatusOK, out)
}

// CampaignDetail is a campaign as stored, with its live counters.
type CampaignDetail struct {
	CampaignSummary
	// LPStatus is the campaign's status as the LivePerson routes answer
	// it (campaignStatus of …/conversations).
	LPStatus       string `json:"lpStatus"`
	TemplateID     string `json:"templateId"`
	OutboundNumber string `json:"outboundNumber,omitempty"`
	Message        string `json:"message"`
	OptOutText     string `json:"optOutText,omitempty"`
	DefaultCountry string `json:"defaultCountry,omitempty"`
	// Consent is the brand's statement that the consumers opted in.
	Consent         bool                     `json:"consent"`
	LookbackMinutes int                      `json:"lookbackMinutes"`
	FannedOut       int                      `json:"fannedOut"`
	Schedule        ScheduleView             `json:"schedule"`
	Template        *parley.WhatsAppTemplate `json:"template,omitempty"`
	// Counts is how many recipients are in each status.
	Counts map[string]int `json:"counts"`
}

// ScheduleView is a campaign's schedule as the create request spells it.
type ScheduleView struct {
	DeliveryWindow DeliveryWindow `json:"deliveryWindow"`
	StartTime      string         `json:"startTime,omitempty"`
	EndTime        string         `json:"endTime,omitempty"`
}

// weekdays are the days of a window, in the API's order.
var weekdays = []struct {
	name string
	day  time.Weekday
}{{"MON", time.Monday}, {"TUE", time.Tuesday}, {"WED", time.Wednesday}, {"THU", time.Thursday}, {"FRI", time.Friday}, {"SAT", time.Saturday}, {"SUN", time.Sunday}}

func scheduleView(sch window.Schedule) ScheduleView {
	w := sch.Window
	if w == (window.Window{}) {
		w = window.Default
	}
	dw := DeliveryWindow{Start: fmt.Sprintf("%02d:%02d", w.Start/60, w.Start%60), End: fmt.Sprintf("%02d:%02d", w.End/60, w.End%60), Days: []string{}}
	for _, d := range weekdays {
		if w.Days[d.day] {
			dw.Days = append(dw.Days, d.name)
		}
	}
	return ScheduleView{DeliveryWindow: dw, StartTime: optionalTime(sch.StartAt), EndTime: optionalTime(sch.EndAt)}
}

func (s *Server) getCampaign(w http.ResponseWriter, r *http.Request) {
	d, err := s.Campaigns.Detail(r.Context(), r.PathValue("accountId"), r.PathValue("campaignId"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	c := d.Campaign
	out := CampaignDetail{
		CampaignSummary: summary(c, s.now()), LPStatus: lpCampaignStatus(d.Status),
		TemplateID: c.TemplateID, OutboundNumber: c.OutboundNumber, Message: c.Message, OptOutText: c.OptOutText,
		DefaultCountry: c.DefaultCountry, Consent: c.Consent, LookbackMinutes: int(c.Lookback / time.Minute),
		FannedOut: c.FannedOut, Schedule: scheduleView(c.Schedule), Template: c.Template, Counts: map[string]int{},
	}
	out.Status = d.Phase
	for st, n := range d.Counts {
		out.Counts[string(st)] = n
	}
	writeJSON(w, http.StatusOK, out)
}

// consumerMask is how the caller sees consumers' numbers and ids: in full
// when its role may (auth.ViewNumbers), else masked with the mask logs
// use. A request without a principal (a server without an authenticator:
// tests of other routes) sees them in full.
func consumerMask(ctx context.Context) func(string) string {
	p, ok := auth.FromContext(ctx)
	if !ok || p.Role.Can(auth.ViewNumbers) {
		return func(s string) string { return s }
	}
	return phone.Mask
}

// conversationQueryParams are the query parameters that page a
// conversations request; LivePerson's request names none of them (any
// other parameter is ignored, as it always was on this route).
var conversationQueryParams = []string{"limit", "cursor", "status"}

// conversationPaging reads a conversations request's paging: ok is false
// when it names none of conversationQueryParams (LivePerson's request:
// every recipient in one answer).
func conversationPaging(q url.Values) (statuses []parley.RecipientStatus, after, limit int, ok bool, err error) {
	paging := url.Values{}
	for _, k := range conversationQueryParams {
		if vs, named := q[k]; named {
			paging[k] = vs
		}
	}
	if len(paging) == 0 {
		return nil, 0, 0, false, nil
	}
	v, err := queryValues(paging, conversationQueryParams)
	if err != nil {
		return nil, 0, 0, false, err
	}
	if limit, err = parseLimit(v["limit"], DefaultRecipientPage, MaxRecipientPage); err != nil {
		return nil, 0, 0, false, err
	}
	if after, err = parseRecipientCursor(v["cursor"]); err != nil {
		return nil, 0, 0, false, err
	}
	for _, st := range splitList(v["status"]) {
		rs := parley.RecipientStatus(strings.ToUpper(st))
		if !slices.Contains(recipientStatuses, rs) {
			return nil, 0, 0, false, parley.FieldErrorf("status", "status %q is not a recipient status; one of %s", st, statusList())
		}
		if !slices.Contains(statuses, rs) {
			statuses = append(statuses, rs)
		}
	}
	return statuses, after, limit, true, nil
}

// recipientStatuses are the statuses a recipient may be in.
var recipientStatuses = []parley.RecipientStatus{
	parley.StatusScheduled, parley.StatusQueued, parley.StatusSending, parley.StatusSent, parley.StatusDelivered,
	parley.StatusRead, parley.StatusUndelivered, parley.StatusFailed, parley.StatusSkipped, parley.StatusExpired,
	parley.StatusCancelled, parley.StatusUnknown,
}

func statusList() string {
	names := make([]string, len(recipientStatuses))
	for i, s := range recipientStatuses {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}

// lpPhase is a campaign's phase in LivePerson's campaign status words:
// IN_PROGRESS for RUNNING, the others as they are.
func lpPhase(phase string) string {
	if phase == parley.PhaseRunning {
		return parley.CampaignInProgress
	}
	return phase
}
