package httpapi

import (
	"cmp"
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/message"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/settings/handoffs"
)

// Handoffs keeps accounts' API handoffs (package settings/handoffs).
type Handoffs interface {
	Create(ctx context.Context, accountID string, h parley.Handoff) (parley.Handoff, error)
	Update(ctx context.Context, accountID, id string, h parley.Handoff) (parley.Handoff, error)
	Get(ctx context.Context, accountID, id string) (parley.Handoff, error)
	Versions(ctx context.Context, accountID, id string) ([]parley.Handoff, error)
	Version(ctx context.Context, accountID, id string, version int) (parley.Handoff, error)
	Delete(ctx context.Context, accountID, id string) error
	List(ctx context.Context, accountID string, q handoffs.Query) (handoffs.Page, error)
}

const (
	handoffsPath = "/api/v2/account/{accountId}/handoffs"
	handoffPath  = handoffsPath + "/{handoffId}"
	// lpHandoffsPath is LivePerson's Outbound Configuration API listing.
	lpHandoffsPath = "/api/account/{accountId}/app/prmsg/handoffs/list"
	// lpChannelHandoffsPath is its listing by channel.
	lpChannelHandoffsPath = lpHandoffsPath + "/channel/{channelName}"
)

func handoffRoutes() []Route {
	return []Route{
		{http.MethodPost, handoffsPath, needHandoffs((*Server).createHandoff)},
		{http.MethodGet, handoffsPath, needHandoffs((*Server).listHandoffs)},
		{http.MethodGet, handoffPath, needHandoffs((*Server).getHandoff)},
		{http.MethodPut, handoffPath, needHandoffs((*Server).updateHandoff)},
		{http.MethodDelete, handoffPath, needHandoffs((*Server).deleteHandoff)},
		{http.MethodGet, handoffPath + "/versions", needHandoffs((*Server).handoffVersions)},
		{http.MethodGet, handoffPath + "/versions/{version}", needHandoffs((*Server).handoffVersion)},
		{http.MethodGet, lpHandoffsPath, needHandoffs((*Server).lpHandoffs)},
		{http.MethodGet, lpChannelHandoffsPath, needHandoffs((*Server).lpChannelHandoffs)},
	}
}

func needHandoffs(h func(*Server, http.ResponseWriter, *http.Request)) func(*Server, http.ResponseWriter, *http.Request) {
	return func(s *Server, w http.ResponseWriter, r *http.Request) {
		if s.Handoffs == nil {
			s.fail(w, r, parley.Errorf(parley.ENOTFOUND, "this server keeps no API handoffs"))
			return
		}
		h(s, w, r)
	}
}

// readHandoff decodes a handoff from the request body.
func (s *Server) readHandoff(w http.ResponseWriter, r *http.Request) (parley.Handoff, bool) {
	data, err := readBody(r, w, maxBody)
	var h parley.Handoff
	if err == nil {
		err = decodeJSON(data, &h, "")
	}
	if err != nil {
		s.fail(w, r, err)
		return parley.Handoff{}, false
	}
	return h, true
}

func (s *Server) createHandoff(w http.ResponseWriter, r *http.Request) {
	h, ok := s.readHandoff(w, r)
	if !ok {
		return
	}
	saved, err := s.Handoffs.Create(r.Context(), r.PathValue("accountId"), h)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, saved)
}

func (s *Server) updateHandoff(w http.ResponseWriter, r *http.Request) {
	h, ok := s.readHandoff(w, r)
	if !ok {
		return
	}
	saved, err := s.Handoffs.Update(r.Context(), r.PathValue("accountId"), r.PathValue("handoffId"), h)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, saved)
}

func (s *Server) getHandoff(w http.ResponseWriter, r *http.Request) {
	h, err := s.Handoffs.Get(r.Context(), r.PathValue("accountId"), r.PathValue("handoffId"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h)
}

func (s *Server) deleteHandoff(w http.ResponseWriter, r *http.Request) {
	if err := s.Handoffs.Delete(r.Context(), r.PathValue("accountId"), r.PathValue("handoffId")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handoffVersions(w http.ResponseWriter, r *http.Request) {
	vs, err := s.Handoffs.Versions(r.Context(), r.PathValue("accountId"), r.PathValue("handoffId"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, vs)
}

func (s *Server) handoffVersion(w http.ResponseWriter, r *http.Request) {
	v, err := strconv.Atoi(r.PathValue("version"))
	if err != nil || v < 1 {
		s.fail(w, r, parley.FieldErrorf("version", "version %q is not a whole number from 1", r.PathValue("version")))
		return
	}
	h, err := s.Handoffs.Version(r.Context(), r.PathValue("accountId"), r.PathValue("handoffId"), v)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h)
}

// handoffPage is the answer of GET .../handoffs.
type handoffPage struct {
	Handoffs []parley.Handoff `json:"handoffs"`
	Total    int              `json:"total"`
	Limit    int              `json:"limit"`
	Offset   int              `json:"offset"`
}

// lpChannelNames are LivePerson's names of the channels, which the channel
// filter takes besides Parley's.
var lpChannelNames = map[string]parley.Channel{"sms-twilio": parley.ChannelSMS, "wa": parley.ChannelWhatsApp, "inapp": parley.ChannelInApp}

// lpUnsentChannels are LivePerson's channels Parley sends on none of: no
// handoff has them, so their listing is empty.
var lpUnsentChannels = []string{"apple-twilio", "googlercs"}

// listHandoffs answers a page: ?title= and ?channel= filter, ?sort=
// orders (a leading "-" descends), ?limit= and ?offset= page.
func (s *Server) listHandoffs(w http.ResponseWriter, r *http.Request) {
	q, err := handoffQuery(r, handoffs.DefaultLimit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.Handoffs.List(r.Context(), r.PathValue("accountId"), q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, handoffPage{Handoffs: p.Handoffs, Total: p.Total, Limit: q.Limit, Offset: q.Offset})
}

func handoffQuery(r *http.Request, defaultLimit int) (handoffs.Query, error) {
	v := r.URL.Query()
	q := handoffs.Query{Title: v.Get("title"), Limit: defaultLimit}
	q.Channel = parley.Channel(v.Get("channel"))
	if c, ok := lpChannelNames[v.Get("channel")]; ok {
		q.Channel = c
	}
	q.Sort, q.Desc = strings.CutPrefix(v.Get("sort"), "-")
	for _, p := range []struct {
		name string
		to   *int
		min  int
	}{{"limit", &q.Limit, 1}, {"offset", &q.Offset, 0}} {
		raw := v.Get(p.name)
		if raw == "" {
			continue
		}
		n, err := strconv.Atoi(raw)
		if err != nil || n < p.min {
			return q, parley.FieldErrorf(p.name, "%s %q is not a whole number from %d", p.name, raw, p.min)
		}
		*p.to = n
	}
	return q, nil
}

// lpHandoff is a handoff in LivePerson's Outbound Configuration API shape.
type lpHandoff struct {
	lpHandoffHead
	Channels []lpHandoffChannel `json:"channels"`
}

// lpHandoffHead is what LivePerson's listings say of a handoff besides its
// channels.
type lpHandoffHead struct {
	ID                     string    `json:"id"`
	Name                   string    `json:"name"`
	LookbackPeriodDay      int       `json:"lookbackPeriodDay"`
	LookbackPeriodHour     int       `json:"lookbackPeriodHour"`
	RouteAllWithinLookback bool      `json:"routeAllWithinLookback"`
	CreatedAt              time.Time `json:"createdAt"`
	UpdatedAt              time.Time `json:"updatedAt"`
}

// lpHandoffChannel is one channel of an lpHandoff, in priority order.
type lpHandoffChannel struct {
	Type              string        `json:"type"` // sms-twilio, wa or inapp
	AppNames          []string      `json:"appNames,omitempty"`
	Language          string        `json:"language"`
	TemplateName      string        `json:"templatename,omitempty"`
	OutboundNumber    string        `json:"outboundnumber,omitempty"`
	MessageComponents []lpComponent `json:"messageComponents"`
}

// lpComponent is one message component of a channel.
type lpComponent struct {
	Type        string `json:"type"`
	SubType     string `json:"sub_type,omitempty"`
	Index       *int   `json:"index,omitempty"`
	Content     string `json:"content,omitempty"`
	MessageText string `json:"messageText,omitempty"`
	URL         string `json:"url,omitempty"`
	PhoneNumber string `json:"phone_number,omitempty"`
	// SameForNotification is an in-app text's: the push notification says
	// what the message says.
	SameForNotification *bool    `json:"isSameMessageForNotification,omitempty"`
	Variables           []string `json:"variables,omitempty"`
	OptOut              string   `json:"optOut,omitempty"`
}

// lpHandoffs answers LivePerson's GET /api/account/{id}/app/prmsg/handoffs/list?v=1:
// the account's handoffs in its shape, ?limit= from ?offset=.
func (s *Server) lpHandoffs(w http.ResponseWriter, r *http.Request) {
	out, ok := s.lpHandoffPage(w, r, "")
	if ok {
		writeJSON(w, http.StatusOK, out)
	}
}

// lpChannelHandoff is one channel of a handoff as LivePerson's listing by
// channel answers it: the channel's configuration, with the handoff's id,
// name and lookback beside it.
type lpChannelHandoff struct {
	lpHandoffHead
	lpHandoffChannel
}

// lpChannelHandoffs answers LivePerson's GET
// /api/account/{id}/app/prmsg/handoffs/list/channel/{channelName}?v=1:
// the configuration of channelName (wa, sms-twilio, inapp; apple-twilio
// and googlercs, which no handoff has) of each handoff that sends on it,
// ?limit= of them from ?offset=.
func (s *Server) lpChannelHandoffs(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("channelName")
	out := []lpChannelHandoff{}
	if slices.Contains(lpUnsentChannels, name) {
		if _, err := lpListQuery(r); err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	ch, known := lpChannelNames[name]
	if !known {
		s.fail(w, r, parley.FieldErrorf("channelName", "channel %q is not one of wa, sms-twilio, inapp, apple-twilio, googlercs", name))
		return
	}
	hs, ok := s.lpHandoffPage(w, r, ch)
	if !ok {
		return
	}
	for _, h := range hs {
		for _, c := range h.Channels {
			if c.Type == name {
				out = append(out, lpChannelHandoff{h.lpHandoffHead, c})
			}
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// lpListQuery reads the parameters of LivePerson's listings: v (1, the
// one version served, when given), ?limit= and ?offset=.
func lpListQuery(r *http.Request) (handoffs.Query, error) {
	if v := r.URL.Query().Get("v"); v != "" && v != "1" {
		return handoffs.Query{}, parley.FieldErrorf("v", "v %q is not a version this API serves; it serves 1", v)
	}
	q, err := handoffQuery(r, handoffs.MaxLimit)
	return handoffs.Query{Limit: q.Limit, Offset: q.Offset}, err
}

// lpHandoffPage reads the page of the account's handoffs (those sending on
// channel, when set) a LivePerson listing asks for, in LivePerson's shape;
// on failure it has answered.
func (s *Server) lpHandoffPage(w http.ResponseWriter, r *http.Request, channel parley.Channel) ([]lpHandoff, bool) {
	accountID := r.PathValue("accountId")
	q, err := lpListQuery(r)
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	q.Channel = channel
	p, err := s.Handoffs.List(r.Context(), accountID, q)
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	acct, err := s.Accounts.Settings(r.Context(), accountID)
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	out := make([]lpHandoff, 0, len(p.Handoffs))
	for _, h := range p.Handoffs {
		lp, err := s.lpHandoff(r.Context(), acct, h)
		if err != nil {
			s.fail(w, r, err)
			return nil, false
		}
		out = append(out, lp)
	}
	return out, true
}

func (s *Server) lpHandoff(ctx context.Context, acct parley.Account, h parley.Handoff) (lpHandoff, error) {
	lb := h.Lookback()
	out := lpHandoff{lpHandoffHead: lpHandoffHead{
		ID: h.ID, Name: h.Title, RouteAllWithinLookback: true, CreatedAt: h.CreatedAt, UpdatedAt: h.UpdatedAt,
		LookbackPeriodDay: int(lb / (24 * time.Hour)), LookbackPeriodHour: int(lb % (24 * time.Hour) / time.Hour),
	}}
	var tpl parley.WhatsAppTemplate
	if wa, ok := h.Channel(parley.ChannelWhatsApp); ok {
		var err error
		if tpl, err = s.Templates.Get(ctx, h.AccountID, wa.TemplateID); err != nil {
			return lpHandoff{}, err
		}
	}
	for _, c := range h.Channels {
		switch c.Channel {
		case parley.ChannelSMS:
			text := cmp.Or(c.Text, tpl.Body) // the fallback sends the template's text
			optOut := cmp.Or(c.OptOutText, acct.OptOutText, message.DefaultOptOut)
			out.Channels = append(out.Channels, lpHandoffChannel{Type: "sms-twilio", Language: "en", OutboundNumber: c.OutboundNumber,
				MessageComponents: []lpComponent{{Type: "body", Content: lpContent(text), Variables: lpVariables(text), OptOut: optOut}}})
		case parley.ChannelWhatsApp:
			out.Channels = append(out.Channels, lpHandoffChannel{Type: "wa", Language: tpl.Language, TemplateName: tpl.Name,
				OutboundNumber: c.OutboundNumber, MessageComponents: lpTemplateComponents(tpl)})
		case parley.ChannelInApp:
			same := true
			out.Channels = append(out.Channels, lpHandoffChannel{Type: "inapp", AppNames: c.Apps, Language: "en",
				MessageComponents: []lpComponent{{Type: "text", MessageText: lpContent(c.Text), SameForNotification: &same, Variables: lpVariables(c.Text)}}})
		}
	}
	return out, nil
}

// lpTemplateComponents are a WhatsApp template's header, body, footer and
// buttons as LivePerson lists them.
func lpTemplateComponents(t parley.WhatsAppTemplate) []lpComponent {
	var out []lpComponent
	switch h := t.MediaHeader(); {
	case h != "":
		out = append(out, lpComponent{Type: "header", SubType: h, Content: "${{1}}", Variables: []string{"1"}})
	case t.Header == "text":
		out = append(out, lpComponent{Type: "header", SubType: "text", Content: lpContent(t.HeaderText), Variables: lpVariables(t.HeaderText)})
	}
	out = append(out, lpComponent{Type: "body", Content: lpContent(t.Body), Variables: lpVariables(t.Body)})
	if t.Footer != "" {
		out = append(out, lpComponent{Type: "footer", Content: t.Footer})
	}
	for i, b := range t.Buttons {
		c := lpComponent{Type: "button", SubType: b.Kind, Index: &i, Content: b.Text, URL: lpContent(b.URL), PhoneNumber: b.Phone}
		if b.Dynamic() {
			c.Variables = []string{"1"}
		}
		out = append(out, c)
	}
	return out
}

// lpContent writes Parley's {{n}} placeholders as LivePerson's ${{n}}.
func lpContent(text string) string {
	for _, n := range message.Placeholders(text) {
		p := "{{" + strconv.Itoa(n) + "}}"
		text = strings.ReplaceAll(text, p, "$"+p)
	}
	return text
}

// lpVariables names the placeholders of text, as LivePerson does.
func lpVariables(text string) []string {
	out := []string{}
	for _, n := range message.Placeholders(text) {
		out = append(out, strconv.Itoa(n))
	}
	return out
}
