package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/dialer"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/phonecampaign"
	"github.com/parleyhq/parley/internal/window"
)

// PhoneCampaigns keeps telephone campaigns (*phonecampaign.Service is one).
type PhoneCampaigns interface {
	Create(ctx context.Context, accountID string, d dialer.Draft) (phonecampaign.Created, error)
	Get(ctx context.Context, accountID, id string) (dialer.Campaign, error)
	List(ctx context.Context, accountID string) ([]dialer.Campaign, error)
	Control(ctx context.Context, accountID, id, action string) (dialer.Campaign, error)
	Clone(ctx context.Context, accountID, id, name string) (phonecampaign.Created, error)
	AddContacts(ctx context.Context, accountID, id string, contactIDs []string) ([]phonecampaign.Added, error)
	Entries(ctx context.Context, accountID, id, cursor string, limit int) (phonecampaign.EntryPage, error)
	Stats(ctx context.Context, accountID, id string) (phonecampaign.Stats, error)
	Timeline(ctx context.Context, accountID, contactID, cursor string, limit int) (phonecampaign.TimelinePage, error)
}

// The telephone campaign routes.
const (
	phoneCampaignsPath = "/api/v2/account/{accountId}/phone-campaigns"
	phoneCampaignPath  = phoneCampaignsPath + "/{campaignId}"
	// contactTimelinePath is a directory contact's timeline.
	contactTimelinePath = contactPath + "/timeline"
)

func phoneCampaignRoutes() []Route {
	return []Route{
		{http.MethodPost, phoneCampaignsPath, needPhoneCampaigns((*Server).createPhoneCampaign)},
		{http.MethodGet, phoneCampaignsPath, needPhoneCampaigns((*Server).listPhoneCampaigns)},
		{http.MethodGet, phoneCampaignPath, needPhoneCampaigns((*Server).getPhoneCampaign)},
		{http.MethodPost, phoneCampaignPath + "/suspend", needPhoneCampaigns(controlPhoneCampaign("suspend"))},
		{http.MethodPost, phoneCampaignPath + "/resume", needPhoneCampaigns(controlPhoneCampaign("resume"))},
		{http.MethodPost, phoneCampaignPath + "/terminate", needPhoneCampaigns(controlPhoneCampaign("terminate"))},
		{http.MethodPost, phoneCampaignPath + "/clone", needPhoneCampaigns((*Server).clonePhoneCampaign)},
		{http.MethodPost, phoneCampaignPath + "/contacts", needPhoneCampaigns((*Server).addPhoneCampaignContacts)},
		{http.MethodGet, phoneCampaignPath + "/contacts", needPhoneCampaigns((*Server).phoneCampaignEntries)},
		{http.MethodGet, phoneCampaignPath + "/stats", needPhoneCampaigns((*Server).phoneCampaignStats)},
		{http.MethodGet, contactTimelinePath, needPhoneCampaigns((*Server).contactTimeline)},
	}
}

func needPhoneCampaigns(h func(*Server, http.ResponseWriter, *http.Request)) func(*Server, http.ResponseWriter, *http.Request) {
	return need(func(s *Server) bool { return s.PhoneCampaigns != nil }, "this server runs no telephone campaigns", h)
}

// PhoneCampaignResponse is a telephone campaign as the API shows it; its
// fields are those of the create request, with the defaults filled in.
type PhoneCampaignResponse struct {
	ID            string          `json:"id"`
	Name          string          `json:"name"`
	Mode          string          `json:"mode"`
	BCWSeconds    *int            `json:"bcwSeconds,omitempty"`
	PickupRate    *int            `json:"pickupRate,omitempty"`
	OperatorGroup string          `json:"operatorGroup"`
	Goal          string          `json:"goal"`
	Contacts      dialer.Source   `json:"contacts"`
	CallingHours  dialer.Hours    `json:"callingHours"`
	CallerIDs     []string        `json:"callerIds"`
	MaxAttempts   int             `json:"maxAttempts"`
	DropLockout   dialer.Lockout  `json:"dropLockout"`
	Rules         []dialer.Rule   `json:"rules"`
	Script        *dialer.Script  `json:"script,omitempty"`
	State         string          `json:"state"`
	ClonedFrom    string          `json:"clonedFrom,omitempty"`
	CreatedAt     string          `json:"createdAt"`
	Created       *CreatedEntries `json:"created,omitempty"`
}

// CreatedEntries says how many directory contacts a new campaign took, and
// how many its filter selected without a valid number in its phone field.
type CreatedEntries struct {
	Entries int `json:"entries"`
	Skipped int `json:"skipped"`
}

// PhoneCampaignEntry is one contact of a campaign.
type PhoneCampaignEntry struct {
	ContactID     string            `json:"contactId"`
	Phone         string            `json:"phone"`
	Status        string            `json:"status"`
	Attempts      int               `json:"attempts"`
	NextAttemptAt string            `json:"nextAttemptAt,omitempty"`
	Operator      string            `json:"operator,omitempty"`
	Result        string            `json:"result,omitempty"`
	Connected     bool              `json:"connected"`
	Refused       bool              `json:"refused"`
	Abandoned     bool              `json:"abandoned"`
	Reason        string            `json:"reason,omitempty"`
	Params        map[string]string `json:"params,omitempty"`
}

// PhoneCampaignStats are a campaign's statistics.
type PhoneCampaignStats struct {
	dialer.Counts
	AbandonRate float64             `json:"abandonRate"`
	Calls       PhoneCallCounts     `json:"calls"`
	Operators   PhoneOperatorCounts `json:"operators"`
}

// PhoneCallCounts count a campaign's calls.
type PhoneCallCounts struct {
	Placed      int     `json:"placed"`
	Live        int     `json:"live"`
	Machine     int     `json:"machine"`
	Bridged     int     `json:"bridged"`
	Abandoned   int     `json:"abandoned"`
	InFlight    int     `json:"inFlight"`
	AbandonRate float64 `json:"abandonRate"`
	TalkSeconds float64 `json:"talkSeconds"`
}

// PhoneOperatorCounts are the campaign's group's operators by state now.
type PhoneOperatorCounts struct {
	Online    int     `json:"online"`
	Busy      int     `json:"busy"`
	WrapUp    int     `json:"wrapUp"`
	Offline   int     `json:"offline"`
	Occupancy float64 `json:"occupancy"`
}

func phoneCampaignResponse(c dialer.Campaign) PhoneCampaignResponse {
	out := PhoneCampaignResponse{
		ID: c.ID, Name: c.Name, Mode: string(c.Mode), OperatorGroup: c.OperatorGroup, Goal: string(c.Goal),
		Contacts: dialer.Source{FilterID: c.FilterID, PhoneField: c.PhoneField}, CallingHours: hours(c.Hours),
		CallerIDs: c.CallerIDs, MaxAttempts: c.MaxAttempts, Rules: c.Rules, Script: c.Script, State: string(c.State), ClonedFrom: c.ClonedFrom,
		CreatedAt: timestamp(c.CreatedAt),
	}
	switch c.Mode {
	case dialer.ModePreview:
		bcw := int(c.BCW / time.Second)
		out.BCWSeconds = &bcw
	case dialer.ModePredictive:
		pickup := c.PickupPercent
		out.PickupRate = &pickup
	}
	if c.DropLockout > 0 {
		h := int(c.DropLockout / time.Hour)
		out.DropLockout = dialer.Lockout{Enabled: true, Hours: &h}
	}
	if out.Rules == nil {
		out.Rules = []dialer.Rule{}
	}
	return out
}

// hours writes a window as the API carries it.
func hours(w window.Window) dialer.Hours {
	h := dialer.Hours{Start: fmt.Sprintf("%02d:%02d", w.Start/60, w.Start%60), End: fmt.Sprintf("%02d:%02d", w.End/60, w.End%60)}
	for _, d := range []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday} {
		if w.Days[d] {
			h.Days = append(h.Days, strings.ToUpper(d.String()[:3]))
		}
	}
	return h
}

func (s *Server) createPhoneCampaign(w http.ResponseWriter, r *http.Request) {
	data, err := readBody(r, w, maxBody)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var d dialer.Draft
	if err := decodeJSON(data, &d, ""); err != nil {
		s.fail(w, r, err)
		return
	}
	created, err := s.PhoneCampaigns.Create(r.Context(), r.PathValue("accountId"), d)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeCreated(w, created)
}

func writeCreated(w http.ResponseWriter, created phonecampaign.Created) {
	resp := phoneCampaignResponse(created.Campaign)
	resp.Created = &CreatedEntries{Entries: created.Entries, Skipped: created.Skipped}
	writeJSON(w, http.StatusCreated, resp)
}

func (s *Server) listPhoneCampaigns(w http.ResponseWriter, r *http.Request) {
	cs, err := s.PhoneCampaigns.List(r.Context(), r.PathValue("accountId"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]PhoneCampaignResponse, len(cs))
	for i, c := range cs {
		out[i] = phoneCampaignResponse(c)
	}
	writeJSON(w, http.StatusOK, map[string]any{"campaigns": out})
}

func (s *Server) getPhoneCampaign(w http.ResponseWriter, r *http.Request) {
	c, err := s.PhoneCampaigns.Get(r.Context(), r.PathValue("accountId"), r.PathValue("campaignId"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, phoneCampaignResponse(c))
}

func controlPhoneCampaign(action string) func(*Server, http.ResponseWriter, *http.Request) {
	return func(s *Server, w http.ResponseWriter, r *http.Request) {
		c, err := s.PhoneCampaigns.Control(r.Context(), r.PathValue("accountId"), r.PathValue("campaignId"), action)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, phoneCampaignResponse(c))
	}
}

// ClonePhoneCampaignRequest names the clone; empty keeps the original's name.
type ClonePhoneCampaignRequest struct {
	Name string `json:"name,omitempty"`
}

func (s *Server) clonePhoneCampaign(w http.ResponseWriter, r *http.Request) {
	data, err := readBody(r, w, maxBody)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req ClonePhoneCampaignRequest
	if len(data) > 0 {
		if err := decodeJSON(data, &req, ""); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	created, err := s.PhoneCampaigns.Clone(r.Context(), r.PathValue("accountId"), r.PathValue("campaignId"), req.Name)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeCreated(w, created)
}

// AddPhoneCampaignContactsRequest adds directory contacts to a campaign.
type AddPhoneCampaignContactsRequest struct {
	ContactIDs []string `json:"contactIds"`
}

// AddedContact is what adding one contact did: added, present (the
// campaign had it) or failed, and why.
type AddedContact struct {
	ContactID string `json:"contactId"`
	Outcome   string `json:"outcome"`
	Detail    string `json:"detail,omitempty"`
}

func (s *Server) addPhoneCampaignContacts(w http.ResponseWriter, r *http.Request) {
	data, err := readBody(r, w, maxBody)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req AddPhoneCampaignContactsRequest
	if err := decodeJSON(data, &req, ""); err != nil {
		s.fail(w, r, err)
		return
	}
	added, err := s.PhoneCampaigns.AddContacts(r.Context(), r.PathValue("accountId"), r.PathValue("campaignId"), req.ContactIDs)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]AddedContact, len(added))
	for i, a := range added {
		out[i] = AddedContact(a)
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": out})
}

func (s *Server) phoneCampaignEntries(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := pageLimit(q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page, err := s.PhoneCampaigns.Entries(r.Context(), r.PathValue("accountId"), r.PathValue("campaignId"), q.Get("cursor"), limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]PhoneCampaignEntry, len(page.Entries))
	for i, e := range page.Entries {
		out[i] = PhoneCampaignEntry{ContactID: e.ContactID, Phone: e.Phone, Status: string(e.Status), Attempts: e.Attempts,
			Operator: e.Operator, Result: e.Result, Connected: e.Connected, Refused: e.Refused, Abandoned: e.Abandoned,
			Reason: e.Reason, Params: e.Params}
		if !e.NextAttemptAt.IsZero() && e.Status == dialer.EntryWaiting {
			out[i].NextAttemptAt = timestamp(e.NextAttemptAt)
		}
	}
	resp := map[string]any{"contacts": out}
	if page.Next != "" {
		resp["next"] = page.Next
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) phoneCampaignStats(w http.ResponseWriter, r *http.Request) {
	st, err := s.PhoneCampaigns.Stats(r.Context(), r.PathValue("accountId"), r.PathValue("campaignId"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	c, o := st.Calls, st.Operators
	writeJSON(w, http.StatusOK, PhoneCampaignStats{Counts: st.Counts, AbandonRate: st.AbandonRate,
		Calls: PhoneCallCounts{Placed: c.Placed, Live: c.Live, Machine: c.Machine, Bridged: c.Bridged, Abandoned: c.Abandoned,
			InFlight: c.InFlight, AbandonRate: c.CallAbandonRate, TalkSeconds: c.TalkSeconds},
		Operators: PhoneOperatorCounts{Online: o.Online, Busy: o.Busy, WrapUp: o.WrapUp, Offline: o.Offline, Occupancy: o.Occupancy}})
}

// TimelineItem is one entry of a contact's timeline: a call Parley placed
// to the contact (kind "call", with its session), or a message Parley sent
// to the contact's number or received from it (kind "message").
type TimelineItem struct {
	Kind string `json:"kind"`
	At   string `json:"at"`
	*PhoneSessionResponse
	Answer    string                 `json:"answer,omitempty"`
	Abandoned bool                   `json:"abandoned,omitempty"`
	Message   *parley.HistoryMessage `json:"message,omitempty"`
}

// defaultTimelinePage is a timeline page's size when the request names none.
const defaultTimelinePage = 50

// contactTimeline answers a page of a directory contact's timeline, newest
// first: the calls of the account's telephone campaigns to the contact and
// every message sent to its number or received from it.
func (s *Server) contactTimeline(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := defaultTimelinePage
	if q.Get("limit") != "" {
		var err error
		if limit, err = pageLimit(q); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	page, err := s.PhoneCampaigns.Timeline(r.Context(), r.PathValue("accountId"), r.PathValue("contactId"), q.Get("cursor"), limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]TimelineItem, len(page.Items))
	for i, it := range page.Items {
		out[i] = TimelineItem{Kind: "message", At: timestamp(it.At), Message: it.Message}
		if c := it.Call; c != nil {
			session := phoneSessionResponse(*c)
			out[i] = TimelineItem{Kind: "call", At: timestamp(it.At), PhoneSessionResponse: &session, Answer: string(c.Answer), Abandoned: c.Abandoned}
		}
	}
	resp := map[string]any{"items": out}
	if page.Next != "" {
		resp["next"] = page.Next
	}
	writeJSON(w, http.StatusOK, resp)
}
