package httpapi

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"mime/multipart"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/campaign"
	"github.com/parleyhq/parley/internal/campaign/upload"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/phone"
)

// Request size limits: a JSON body, and an upload with up to 100,000
// recipients and their values.
const (
	maxBody   = 1 << 20
	maxUpload = 32 << 20
)

// CreateCampaignRequest is the LivePerson Proactive 2.0 campaign request.
type CreateCampaignRequest struct {
	CampaignName   string `json:"campaignName"`
	Skill          string `json:"skill"`
	TemplateID     string `json:"templateId"`
	OutboundNumber string `json:"outboundNumber"`
	Consent        *bool  `json:"consent"`
	Channel        string `json:"channel,omitempty"`
	Message        string `json:"message"`
	// Timezone is the IANA time zone of an inapp campaign's consumers that
	// give none of their own.
	Timezone       string          `json:"timezone,omitempty"`
	DeliveryWindow *DeliveryWindow `json:"deliveryWindow,omitempty"`
	StartTime      string          `json:"startTime,omitempty"` // RFC 3339
	EndTime        string          `json:"endTime,omitempty"`   // RFC 3339
	// LookbackMinutes routes replies to the campaign's skill for this long
	// after the send (60 to 43200; 30 days when absent).
	LookbackMinutes int `json:"lookbackMinutes,omitempty"`
	// DefaultCountry is the ISO 3166 alpha-2 country consumers' numbers
	// without a country code are read in; the account's when absent.
	DefaultCountry string            `json:"defaultCountry,omitempty"`
	Consumers      []json.RawMessage `json:"consumers,omitempty"`
	// ManualRecipients is the web tool's typed list: one recipient per
	// line, the phone number first, then the values (at most 100 lines).
	ManualRecipients string `json:"manualRecipients,omitempty"`
}

// DeliveryWindow is the local time of day and the days of week a campaign
// may reach consumers: {"start":"08:00","end":"21:00","days":["MON",…]}.
type DeliveryWindow struct {
	Start string   `json:"start"`
	End   string   `json:"end"`
	Days  []string `json:"days,omitempty"`
}

// ConsumerRequest is one element of consumers[].
type ConsumerRequest struct {
	ConsumerContent *ConsumerContent `json:"consumerContent,omitempty"`
	// ConsumerID is the brand's id of an in-app consumer, as Connect to
	// Messaging names it: the same as consumerContent.inapp.
	ConsumerID string `json:"consumerId,omitempty"`
	// Timezone is an in-app consumer's IANA time zone.
	Timezone string `json:"timezone,omitempty"`
	// Variables are the values of the message's {{n}} placeholders. A
	// value that is not a JSON string fails this consumer alone
	// (VARIABLE_NOT_STRING=<n>), as LivePerson answers it.
	Variables map[string]json.RawMessage `json:"variables,omitempty"`
	// HeaderURL and ButtonVariable are a WhatsApp template's media header
	// link and dynamic URL button value (H1 and BU1 in an upload).
	HeaderURL      string `json:"headerUrl,omitempty"`
	ButtonVariable string `json:"buttonVariable,omitempty"`

	// LivePerson's own fields, which its clients send. The older form of
	// a number is consumerCountryCode with consumerPhoneNumber;
	// headerVariables gives a template's media header by type (image,
	// video or document); sdes are engagement attributes, which the
	// conversation a reply opens shows the agent (parley.FlattenSDEs).
	ConsumerCountryCode string                     `json:"consumerCountryCode,omitempty"`
	ConsumerPhoneNumber string                     `json:"consumerPhoneNumber,omitempty"`
	HeaderVariables     map[string]json.RawMessage `json:"headerVariables,omitempty"`
	SDEs                json.RawMessage            `json:"sdes,omitempty"`
}

// phone is the consumer's number as given: consumerContent's, else
// LivePerson's older country code and number.
func (c ConsumerRequest) phone() string {
	var cc ConsumerContent
	if c.ConsumerContent != nil {
		cc = *c.ConsumerContent
	}
	if n := cmp.Or(cc.WhatsApp, cc.SMS); n != "" || c.ConsumerPhoneNumber == "" {
		return n
	}
	if cc := strings.TrimPrefix(strings.TrimSpace(c.ConsumerCountryCode), "+"); cc != "" {
		return "+" + cc + c.ConsumerPhoneNumber
	}
	return c.ConsumerPhoneNumber
}

// inApp is the consumer id of consumerContent.inapp, if any.
func (c ConsumerRequest) inApp() string {
	if c.ConsumerContent == nil {
		return ""
	}
	return c.ConsumerContent.InApp
}

// variables splits the consumer's variables into strings and the name of
// the first (in name order) that is not a JSON string, if any.
func (c ConsumerRequest) variables() (vars map[string]string, notString string) {
	if c.Variables == nil {
		return nil, ""
	}
	vars = make(map[string]string, len(c.Variables))
	for _, k := range slices.Sorted(maps.Keys(c.Variables)) {
		var v string
		if err := json.Unmarshal(c.Variables[k], &v); err != nil || bytes.Equal(bytes.TrimSpace(c.Variables[k]), []byte("null")) {
			if notString == "" {
				notString = k
			}
			continue
		}
		vars[k] = v
	}
	return vars, notString
}

// header is the template's media header link: headerUrl, else the one of
// headerVariables with its type; or LivePerson's code (with why) for
// headerVariables that give several, or one that is not a JSON string.
func (c ConsumerRequest) header(field string) (kind, link, code, detail string) {
	switch n := len(c.HeaderVariables); {
	case n == 0:
		return "", c.HeaderURL, "", ""
	case n > 1 || c.HeaderURL != "":
		return "", "", upload.CodeTooManyHeaderVariables, fmt.Sprintf("%s: give one header value, as headerVariables.image, .video or .document", field)
	}
	for k, raw := range c.HeaderVariables {
		if err := json.Unmarshal(raw, &link); err != nil || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
			return "", "", upload.CodeHeaderNotString, fmt.Sprintf("%s: headerVariables.%s must be a JSON string: the header's https URL", field, k)
		}
		kind = k
	}
	return kind, link, "", ""
}

// ConsumerContent addresses a consumer on a channel: a phone number, or
// for in-app the brand's consumer id.
type ConsumerContent struct {
	SMS      string `json:"sms,omitempty"`
	WhatsApp string `json:"wa,omitempty"`
	InApp    string `json:"inapp,omitempty"`
}

// content addresses a consumer in an answer: by consumer id when it has one.
func content(phone, consumerID string) *ConsumerContent {
	if consumerID != "" {
		return &ConsumerContent{InApp: consumerID}
	}
	return &ConsumerContent{SMS: phone}
}

// draftRequest is a decoded campaign request: the draft, and the
// consumers[] entries as sent, which the answer echoes.
type draftRequest struct {
	campaign.Draft
	consumers []ConsumerRequest
}

// echo is what an outcome's answer repeats of the request: the consumer's
// consumerContent and variables as sent (for consumers[]); the content
// the outcome addresses when it sent none (LivePerson's older form,
// consumerId) or came from a list.
func (d draftRequest) echo(o campaign.Outcome) (*ConsumerContent, map[string]json.RawMessage) {
	if o.Line == 0 && o.Index < len(d.consumers) {
		c := d.consumers[o.Index]
		return cmp.Or(c.ConsumerContent, content(o.Phone, o.ConsumerID)), c.Variables
	}
	return content(o.Phone, o.ConsumerID), nil
}

// lpPhone is a consumer's number as LivePerson answers it: E.164 when it
// is a valid number, else as written, with a + before a number written as
// digits alone (LivePerson's +1234456678899 for 1234456678899).
func lpPhone(raw string) string {
	if e164, ok := phone.Normalize(raw); ok {
		return e164
	}
	if raw != "" && strings.Trim(raw, "0123456789") == "" {
		return "+" + raw
	}
	return raw
}

// CreateCampaignResponse answers a campaign request with LivePerson's
// fields. Parley has no Conversational Cloud campaign or engagement:
// leCampaignId and leEngagementId name the Parley campaign replies are
// routed by (its id). When no consumer was accepted nothing is created,
// the three ids are null and acceptedConsumers is empty.
type CreateCampaignResponse struct {
	ProactiveCampaignID *string            `json:"proactiveCampaignId"`
	LECampaignID        *string            `json:"leCampaignId"`
	LEEngagementID      *string            `json:"leEngagementId"`
	RequestTraceID      string             `json:"requestTraceId"`
	FailedConsumers     []FailedConsumer   `json:"failedConsumers"`
	AcceptedConsumers   []AcceptedConsumer `json:"acceptedConsumers"`
}

// AcceptedConsumer is a consumer that will be messaged: LivePerson's id
// and phoneNumber (E.164; absent for in-app), and Parley's index, line
// and consumerContent (as sent, when it was).
type AcceptedConsumer struct {
	ID              string           `json:"id"`
	PhoneNumber     string           `json:"phoneNumber,omitempty"`
	Index           int              `json:"index"`
	Line            int              `json:"line,omitempty"`
	ConsumerContent *ConsumerContent `json:"consumerContent,omitempty"`
}

// FailedConsumer is a consumer that was rejected, and why: LivePerson's
// phone (E.164 when it is a valid number, else as written), countryCode
// (the ISO region of a valid number), errorMessage (its code), variables
// and headerVariables (as sent), and Parley's index, line, consumerContent
// and detail.
type FailedConsumer struct {
	Phone           string                     `json:"phone,omitempty"`
	CountryCode     string                     `json:"countryCode,omitempty"`
	ErrorMessage    string                     `json:"errorMessage"`
	Variables       map[string]json.RawMessage `json:"variables,omitempty"`
	HeaderVariables map[string]json.RawMessage `json:"headerVariables,omitempty"`
	Index           int                        `json:"index"`
	Line            int                        `json:"line,omitempty"`
	ConsumerContent *ConsumerContent           `json:"consumerContent,omitempty"`
	Detail          string                     `json:"detail"`
}

// ParseResponse previews a campaign without creating it: each recipient's
// message as it will be sent and when, and every error.
type ParseResponse struct {
	Accepted int `json:"accepted"`
	Failed   int `json:"failed"`
	// Offset and Limit say which of the recipients and of the failures
	// are listed; Truncated, that either list goes on past them.
	Offset          int                `json:"offset"`
	Limit           int                `json:"limit"`
	Truncated       bool               `json:"truncated"`
	Recipients      []PreviewRecipient `json:"recipients"`
	FailedConsumers []FailedConsumer   `json:"failedConsumers"`
}

// PreviewRecipient is one accepted recipient of a preview.
type PreviewRecipient struct {
	Index           int              `json:"index"`
	Line            int              `json:"line,omitempty"`
	ConsumerContent *ConsumerContent `json:"consumerContent"`
	Message         string           `json:"message"`
	Encoding        string           `json:"encoding,omitempty"` // SMS only
	Characters      int              `json:"characters"`         // in the encoding's units
	Segments        int              `json:"segments,omitempty"` // SMS only
	Status          string           `json:"status"`
	ScheduledFor    string           `json:"scheduledFor"`
}

// ConversationsResponse is a campaign's status with one entry per
// recipient, in LivePerson's vocabulary (see lpCampaignStatus), with
// Parley's own status in parleyCampaignStatus.
type ConversationsResponse struct {
	ProactiveCampaignID  string         `json:"proactiveCampaignId"`
	CampaignName         string         `json:"campaignName"`
	CampaignStatus       string         `json:"campaignStatus"`
	ParleyCampaignStatus string         `json:"parleyCampaignStatus"`
	Conversations        []Conversation `json:"conversations"`
	// NextCursor continues a paged request; absent on its last page and
	// on LivePerson's request.
	NextCursor string `json:"nextCursor,omitempty"`
}

// Conversation is the delivery state of one recipient: LivePerson's id,
// status (see lpStatus), conversationId (once a reply opened one) and
// errorMessage (null unless it failed), and Parley's finer parleyStatus.
type Conversation struct {
	ID                string           `json:"id"`
	Status            string           `json:"status"`
	ConversationID    *string          `json:"conversationId"`
	ErrorMessage      *string          `json:"errorMessage"`
	ParleyStatus      string           `json:"parleyStatus"`
	ConsumerContent   *ConsumerContent `json:"consumerContent"`
	ProviderMessageID string           `json:"providerMessageId,omitempty"`
	// ScheduledFor is when a recipient not yet sent will go out.
	ScheduledFor string `json:"scheduledFor,omitempty"`
	UpdatedAt    string `json:"updatedAt"`
}

// timestamp formats t for the API: UTC, milliseconds.
func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

// parseTime reads an optional RFC 3339 field.
func parseTime(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, parley.FieldErrorf(field, "%s %q is not an RFC 3339 date-time such as 2026-12-01T09:00:00-05:00", field, s)
	}
	return t, nil
}

func readBody(r *http.Request, w http.ResponseWriter, limit int64) ([]byte, error) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, parley.Errorf(parley.ETOOLARGE, "the request body exceeds %d bytes, the most this route takes; upload large recipient lists as a multipart CSV", limit)
	}
	return data, err
}

// draft decodes a campaign request into a campaign.Draft. The recipients
// come from consumers[], manualRecipients or, for an upload, csv.
func draft(data []byte, csv io.Reader) (draftRequest, error) {
	var req CreateCampaignRequest
	if err := decodeJSON(data, &req, ""); err != nil {
		return draftRequest{}, err
	}
	if req.Consent == nil {
		return draftRequest{}, parley.FieldErrorf("consent", "consent is required and must be true")
	}
	d := campaign.Draft{
		Name: req.CampaignName, Skill: req.Skill, TemplateID: req.TemplateID, OutboundNumber: req.OutboundNumber,
		Consent: *req.Consent, Channel: parley.Channel(req.Channel), Message: req.Message, LookbackMinutes: req.LookbackMinutes,
		DefaultCountry: req.DefaultCountry,
		Timezone:       req.Timezone, Manual: req.ManualRecipients, CSV: csv,
	}
	if w := req.DeliveryWindow; w != nil {
		d.Window = &campaign.WindowSpec{Start: w.Start, End: w.End, Days: w.Days}
	}
	var err error
	if d.StartTime, err = parseTime("startTime", req.StartTime); err != nil {
		return draftRequest{}, err
	}
	if d.EndTime, err = parseTime("endTime", req.EndTime); err != nil {
		return draftRequest{}, err
	}
	if len(req.Consumers) > parley.MaxConsumersPerCall {
		return draftRequest{}, parley.FieldErrorf("consumers", "%d consumers in one call; at most %d", len(req.Consumers), parley.MaxConsumersPerCall)
	}
	if req.Consumers != nil {
		d.Consumers = []campaign.Consumer{}
	}
	out := draftRequest{}
	for i, raw := range req.Consumers {
		var c ConsumerRequest
		field := fmt.Sprintf("consumers[%d]", i)
		if err := decodeJSON(raw, &c, field); err != nil {
			return draftRequest{}, err
		}
		if c.ConsumerID != "" && c.inApp() != "" && c.ConsumerID != c.inApp() {
			return draftRequest{}, parley.FieldErrorf(field+".consumerId", "%s.consumerId and %s.consumerContent.inapp name different consumers; give one", field, field)
		}
		cons := campaign.Consumer{
			SMS: c.phone(), ConsumerID: cmp.Or(c.inApp(), c.ConsumerID), Timezone: c.Timezone, URL: c.ButtonVariable,
		}
		var headerCode, headerDetail string
		cons.HeaderType, cons.Header, headerCode, headerDetail = c.header(field)
		sdes, err := parley.FlattenSDEs(field+".sdes", c.SDEs)
		if err != nil {
			return draftRequest{}, err
		}
		cons.SDEs = sdes
		var notString string
		if cons.Variables, notString = c.variables(); notString != "" {
			cons.Error = fmt.Sprintf("%s=%s", CodeVariableNotString, notString)
			cons.Detail = fmt.Sprintf("%s: variable %s must be a JSON string: quote it", field, notString)
		} else if headerCode != "" {
			cons.Error, cons.Detail = headerCode, headerDetail
		}
		d.Consumers = append(d.Consumers, cons)
		out.consumers = append(out.consumers, c)
	}
	out.Draft = d
	return out, nil
}

// CodeVariableNotString is LivePerson's code of a consumer whose variable
// is not a JSON string, answered as VARIABLE_NOT_STRING=<name>.
const CodeVariableNotString = "VARIABLE_NOT_STRING"

// readDraft decodes a request body: JSON, or multipart/form-data with a
// "campaign" part (the JSON without consumers) and a "recipients" part (a
// CSV file).
func (s *Server) readDraft(w http.ResponseWriter, r *http.Request) (draftRequest, error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		data, err := readBody(r, w, maxBody)
		if err != nil {
			return draftRequest{}, err
		}
		return draft(data, nil)
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxUpload)
	if err := r.ParseMultipartForm(maxUpload); err != nil {
		return draftRequest{}, uploadError(err)
	}
	meta, err := formPart(r.MultipartForm, "campaign")
	if err != nil {
		return draftRequest{}, err
	}
	files := r.MultipartForm.File["recipients"]
	if len(files) != 1 {
		return draftRequest{}, parley.FieldErrorf("recipients", "the upload needs exactly one recipients part (the CSV file)")
	}
	f, err := files[0].Open()
	if err != nil {
		return draftRequest{}, parley.Wrap(parley.EUNAVAILABLE, err, "open the uploaded recipients file")
	}
	return draft(meta, f) // the form's files are removed when the request is done
}

// formPart returns a multipart part's content, as a field or a file.
func formPart(form *multipart.Form, name string) ([]byte, error) {
	if v := form.Value[name]; len(v) == 1 {
		return []byte(v[0]), nil
	}
	if fs := form.File[name]; len(fs) == 1 {
		f, err := fs[0].Open()
		if err != nil {
			return nil, parley.Wrap(parley.EUNAVAILABLE, err, "open the %s part", name)
		}
		defer f.Close()
		return io.ReadAll(io.LimitReader(f, maxBody))
	}
	return nil, parley.FieldErrorf(name, "the upload needs exactly one %s part (the campaign JSON without consumers)", name)
}

func uploadError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return &parley.Error{Code: parley.ETOOLARGE, Field: "recipients", Message: fmt.Sprintf("the upload exceeds %d MiB; split the recipient list", maxUpload>>20)}
	}
	return parley.FieldErrorf("recipients", "the upload is not valid multipart/form-data: %v", err)
}

// Bounds of uploads, which hold a whole recipient list in memory while
// they are read and checked.
const (
	// MaxUploadsAtOnce is how many multipart uploads (create or parse) a
	// process reads at once; others wait up to uploadWait, then get 429.
	MaxUploadsAtOnce = 2
	uploadWait       = 10 * time.Second
	// MaxParseResults bounds the recipients and the failures a parse
	// answers; offset and limit page through the rest.
	MaxParseResults = 1000
)

// uploadSlots admits MaxUploadsAtOnce multipart requests at once.
type uploadSlots chan struct{}

// takeDraft admits a request (admitDraft) and reads its draft; release
// gives back what admitting took, once the request is done.
func (s *Server) takeDraft(w http.ResponseWriter, r *http.Request, gate Gate) (d draftRequest, release func(), err error) {
	if release, err = s.admitDraft(r, gate); err != nil {
		return draftRequest{}, nil, err
	}
	if d, err = s.readDraft(w, r); err != nil {
		release()
		return draftRequest{}, nil, err
	}
	return d, release, nil
}

// admitDraft holds a request to gate's budget (when set) and, for an
// upload, takes one of the process's upload slots; release gives it back.
func (s *Server) admitDraft(r *http.Request, gate Gate) (release func(), err error) {
	if gate != nil {
		if err := gate.Admit(r.Context(), r.PathValue("accountId")); err != nil {
			return nil, err
		}
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "multipart/form-data" {
		return func() {}, nil
	}
	t := time.NewTimer(uploadWait)
	defer t.Stop()
	select {
	case s.uploads <- struct{}{}:
		return func() { <-s.uploads }, nil
	case <-t.C:
		return nil, parley.TooMany(time.Second, "%d uploads are being read; retry in 1 s", MaxUploadsAtOnce)
	case <-r.Context().Done():
		return nil, parley.Wrap(parley.EUNAVAILABLE, r.Context().Err(), "the request ended while waiting to be read")
	}
}

func (s *Server) createCampaign(w http.ResponseWriter, r *http.Request) {
	d, release, err := s.takeDraft(w, r, nil) // the budget is taken once the draft is valid
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer release()
	if p, ok := auth.FromContext(r.Context()); ok {
		d.CreatedBy = p.Subject
	}
	d.Source = requestSource(r)
	acc, err := s.Campaigns.Create(r.Context(), r.PathValue("accountId"), d.Draft)
	var rejected *campaign.RejectedError
	resp := CreateCampaignResponse{RequestTraceID: uuid.NewString(), AcceptedConsumers: []AcceptedConsumer{}}
	switch {
	case errors.As(err, &rejected):
		// LivePerson answers its normal body: no consumer accepted.
		resp.FailedConsumers = d.failedConsumers(rejected.Failed)
		writeJSON(w, http.StatusAccepted, resp)
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	id := acc.Campaign.ID
	resp.ProactiveCampaignID, resp.LECampaignID, resp.LEEngagementID = &id, &id, &id
	resp.FailedConsumers = d.failedConsumers(acc.Failed)
	for _, o := range acc.Accepted {
		cc, _ := d.echo(o)
		resp.AcceptedConsumers = append(resp.AcceptedConsumers, AcceptedConsumer{
			ID: o.RecipientID, PhoneNumber: o.Phone, Index: o.Index, Line: o.Line, ConsumerContent: cc,
		})
	}
	writeJSON(w, http.StatusAccepted, resp)
}

// parseCampaign previews a draft. Its answer holds the totals and at most
// MaxParseResults recipients and failures each, from ?offset= (default 0)
// and at most ?limit= (default and most MaxParseResults).
func (s *Server) parseCampaign(w http.ResponseWriter, r *http.Request) {
	offset, limit, err := page(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d, release, err := s.takeDraft(w, r, s.ParseGate)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer release()
	prev, err := s.Campaigns.Parse(r.Context(), r.PathValue("accountId"), d.Draft)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	accepted, failed := pageOf(prev.Accepted, offset, limit), pageOf(prev.Failed, offset, limit)
	resp := ParseResponse{
		Accepted: len(prev.Accepted), Failed: len(prev.Failed), Offset: offset, Limit: limit,
		Truncated:  offset+len(accepted) < len(prev.Accepted) || offset+len(failed) < len(prev.Failed),
		Recipients: []PreviewRecipient{}, FailedConsumers: d.failedConsumers(failed),
	}
	for _, o := range accepted {
		resp.Recipients = append(resp.Recipients, PreviewRecipient{
			Index: o.Index, Line: o.Line, ConsumerContent: content(o.Phone, o.ConsumerID), Message: o.Body,
			Encoding: string(o.Encoding), Characters: o.Units, Segments: o.Segments,
			Status: string(o.Status), ScheduledFor: timestamp(o.DueAt),
		})
	}
	writeJSON(w, http.StatusOK, resp)
}

func (d draftRequest) failedConsumers(os []campaign.Outcome) []FailedConsumer {
	out := []FailedConsumer{}
	for _, o := range os {
		cc, vars := d.echo(o)
		f := FailedConsumer{
			Phone: lpPhone(o.Phone), ErrorMessage: o.Error, Variables: vars,
			Index: o.Index, Line: o.Line, ConsumerContent: cc, Detail: o.Detail,
		}
		f.CountryCode = phone.RegionOf(f.Phone)
		if o.Line == 0 && o.Index < len(d.consumers) {
			f.HeaderVariables = d.consumers[o.Index].HeaderVariables
		}
		out = append(out, f)
	}
	return out
}

// conversations answers LivePerson's campaign status route: without query
// parameters (LivePerson's request) the campaign's status and every
// recipient in one answer; with limit, cursor or status, one page of the
// recipients (those in the statuses named) and a nextCursor, the
// campaign's status then being its phase (no recipient is counted).
func (s *Server) conversations(w http.ResponseWriter, r *http.Request) {
	statuses, after, limit, paged, err := conversationPaging(r.URL.Query())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var resp ConversationsResponse
	var recipients []parley.Recipient
	var c parley.Campaign
	if paged {
		if c, err = s.Campaigns.Campaign(r.Context(), r.PathValue("accountId"), r.PathValue("campaignId")); err != nil {
			s.fail(w, r, err)
			return
		}
		page, err := s.Campaigns.Recipients(r.Context(), c, statuses, after, limit)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		phase := c.Phase(s.now())
		resp = ConversationsResponse{CampaignStatus: lpPhase(phase), ParleyCampaignStatus: phase, NextCursor: recipientCursor(page.Next)}
		recipients = page.Recipients
	} else {
		rep, err := s.Campaigns.Report(r.Context(), r.PathValue("accountId"), r.PathValue("campaignId"))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		c, recipients = rep.Campaign, rep.Recipients
		resp = ConversationsResponse{CampaignStatus: lpCampaignStatus(rep.Status), ParleyCampaignStatus: rep.Status}
	}
	opened, err := s.openedBy(r.Context(), c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	resp.ProactiveCampaignID, resp.CampaignName, resp.Conversations = c.ID, c.Name, make([]Conversation, 0, len(recipients))
	mask := consumerMask(r.Context())
	for _, rc := range recipients {
		conv := Conversation{
			ID: rc.ID, Status: lpStatus(rc.Status), ParleyStatus: string(rc.Status),
			ConsumerContent:   content(mask(rc.Phone), mask(rc.ConsumerID)),
			ProviderMessageID: rc.ProviderMessageID, UpdatedAt: timestamp(rc.UpdatedAt),
		}
		if rc.ErrorMessage != "" {
			conv.ErrorMessage = &rc.ErrorMessage
		}
		if id, ok := opened[rc.ID]; ok {
			conv.ConversationID = &id
		}
		if !rc.Status.Final() && !rc.DueAt.IsZero() {
			conv.ScheduledFor = timestamp(rc.DueAt)
		}
		resp.Conversations = append(resp.Conversations, conv)
	}
	writeJSON(w, http.StatusOK, resp)
}

// ControlResponse answers a pause, resume or cancel.
type ControlResponse struct {
	ProactiveCampaignID string `json:"proactiveCampaignId"`
	CampaignStatus      string `json:"campaignStatus"`
}

// control makes the handler of a campaign state change.
func control(change func(Campaigns, context.Context, string, string) (parley.Campaign, error)) func(*Server, http.ResponseWriter, *http.Request) {
	return func(s *Server, w http.ResponseWriter, r *http.Request) {
		c, err := change(s.Campaigns, r.Context(), r.PathValue("accountId"), r.PathValue("campaignId"))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		d, err := s.Campaigns.Detail(r.Context(), c.AccountID, c.ID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, ControlResponse{ProactiveCampaignID: c.ID, CampaignStatus: d.Status})
	}
}

// page reads ?offset= and ?limit= of a parse.
func page(r *http.Request) (offset, limit int, err error) {
	q := r.URL.Query()
	offset, limit = 0, MaxParseResults
	if v := q.Get("offset"); v != "" {
		if offset, err = strconv.Atoi(v); err != nil || offset < 0 {
			return 0, 0, parley.FieldErrorf("offset", "offset %q is not a whole number from 0", v)
		}
	}
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > MaxParseResults {
			return 0, 0, parley.FieldErrorf("limit", "limit %q is not a whole number from 1 to %d", v, MaxParseResults)
		}
	}
	return offset, limit, nil
}

// pageOf is os[offset:offset+limit], as far as os goes.
func pageOf(os []campaign.Outcome, offset, limit int) []campaign.Outcome {
	if offset >= len(os) {
		return nil
	}
	return os[offset:min(len(os), offset+limit)]
}
