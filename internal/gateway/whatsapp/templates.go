package whatsapp

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/parley"
)

var _ gateway.TemplateSubmitter = (*Gateway)(nil)

// templateRequest is the JSON body of POST /{version}/{waba-id}/message_templates
// (create) and of POST /{version}/{template-id} (edit, without name and
// language).
type templateRequest struct {
	Name       string              `json:"name,omitempty"`
	Language   string              `json:"language,omitempty"`
	Category   string              `json:"category"`
	Components []templateComponent `json:"components"`
}

// templateComponent is one part of a template's definition: HEADER, BODY,
// FOOTER or BUTTONS.
type templateComponent struct {
	Type    string           `json:"type"`
	Format  string           `json:"format,omitempty"` // a header's: TEXT, IMAGE, VIDEO, DOCUMENT, LOCATION
	Text    string           `json:"text,omitempty"`
	Example *templateExample `json:"example,omitempty"`
	Buttons []templateButton `json:"buttons,omitempty"`
	// An AUTHENTICATION template's body and footer are Meta's preset,
	// shaped by these two.
	AddSecurityRecommendation bool `json:"add_security_recommendation,omitempty"`
	CodeExpirationMinutes     int  `json:"code_expiration_minutes,omitempty"`
}

// templateExample holds the sample values Meta's reviewers see.
type templateExample struct {
	HeaderText   []string   `json:"header_text,omitempty"`
	HeaderHandle []string   `json:"header_handle,omitempty"`
	BodyText     [][]string `json:"body_text,omitempty"`
}

// templateButton is one button of a BUTTONS component. Example is a
// dynamic URL's full sample URL (a list) or a copy-code button's code (a
// string).
type templateButton struct {
	Type        string `json:"type"`               // QUICK_REPLY, URL, PHONE_NUMBER, COPY_CODE, OTP
	OTPType     string `json:"otp_type,omitempty"` // an OTP button's: COPY_CODE
	Text        string `json:"text,omitempty"`
	URL         string `json:"url,omitempty"`
	PhoneNumber string `json:"phone_number,omitempty"`
	Example     any    `json:"example,omitempty"`
}

// templateResponse is Meta's answer to a created template.
type templateResponse struct {
	ID       string `json:"id"`
	Status   string `json:"status"`
	Category string `json:"category"`
}

// headerFormats are Meta's header formats by parley header.
var headerFormats = map[string]string{
	"text": "TEXT", parley.MediaImage: "IMAGE", parley.MediaVideo: "VIDEO", parley.MediaDocument: "DOCUMENT",
	parley.HeaderLocation: "LOCATION",
}

// buttonTypes are Meta's button types by parley button kind.
var buttonTypes = map[string]string{
	parley.ButtonQuickReply: "QUICK_REPLY", parley.ButtonURL: "URL", parley.ButtonPhone: "PHONE_NUMBER",
	parley.ButtonCopyCode: "COPY_CODE",
}

// templateComponents is t's definition as Meta's components.
func templateComponents(t parley.WhatsAppTemplate) []templateComponent {
	if t.Category == parley.CategoryAuthentication {
		return authComponents(t)
	}
	var out []templateComponent
	if t.Header != "" {
		h := templateComponent{Type: "HEADER", Format: headerFormats[t.Header], Text: t.HeaderText}
		switch {
		case t.Header == "text" && t.HeaderExample != "":
			h.Example = &templateExample{HeaderText: []string{t.HeaderExample}}
		case t.MediaHeader() != "":
			h.Example = &templateExample{HeaderHandle: []string{t.HeaderExample}}
		}
		out = append(out, h)
	}
	body := templateComponent{Type: "BODY", Text: t.Body}
	if len(t.BodyExamples) > 0 {
		body.Example = &templateExample{BodyText: [][]string{t.BodyExamples}}
	}
	out = append(out, body)
	if t.Footer != "" {
		out = append(out, templateComponent{Type: "FOOTER", Text: t.Footer})
	}
	if len(t.Buttons) > 0 {
		bs := templateComponent{Type: "BUTTONS"}
		for _, b := range t.Buttons {
			tb := templateButton{Type: buttonTypes[b.Kind], Text: b.Text, URL: b.URL, PhoneNumber: b.Phone}
			switch {
			case b.Kind == parley.ButtonCopyCode:
				tb.Text, tb.Example = "", b.Example
			case b.Dynamic():
				tb.Example = []string{b.Example}
			}
			bs.Buttons = append(bs.Buttons, tb)
		}
		out = append(out, bs)
	}
	return out
}

// authComponents are the components of an AUTHENTICATION template: Meta's
// preset body and footer, and the one-time code's copy-code button.
func authComponents(t parley.WhatsAppTemplate) []templateComponent {
	out := []templateComponent{{Type: "BODY", AddSecurityRecommendation: t.SecurityRecommendation}}
	if t.CodeExpirationMinutes > 0 {
		out = append(out, templateComponent{Type: "FOOTER", CodeExpirationMinutes: t.CodeExpirationMinutes})
	}
	text := ""
	if len(t.Buttons) > 0 {
		text = t.Buttons[0].Text
	}
	return append(out, templateComponent{Type: "BUTTONS", Buttons: []templateButton{{Type: "OTP", OTPType: "COPY_CODE", Text: text}}})
}

// SubmitTemplate creates t in its WhatsApp Business Account:
// POST /{version}/{waba-id}/message_templates with the template's name,
// language, category and components. Meta answers its id, status
// (PENDING, or APPROVED at once) and category.
func (g *Gateway) SubmitTemplate(ctx context.Context, t parley.WhatsAppTemplate) (gateway.TemplateSubmission, error) {
	if !phoneNumberID.MatchString(t.BusinessAccountID) {
		return gateway.TemplateSubmission{}, parley.FieldErrorf("wabaId", "wabaId %q is not a WhatsApp Business Account id", t.BusinessAccountID)
	}
	req := templateRequest{Name: t.Name, Language: t.Language, Category: t.Category, Components: templateComponents(t)}
	raw, err := g.graph(ctx, http.MethodPost, url.PathEscape(t.BusinessAccountID)+"/message_templates", nil, req)
	if err != nil {
		return gateway.TemplateSubmission{}, err
	}
	var resp templateResponse
	if err := json.Unmarshal(raw, &resp); err != nil || resp.ID == "" {
		return gateway.TemplateSubmission{}, parley.Errorf(parley.EUNAVAILABLE, "the Graph API accepted template %s without its id; submit it again", t.Name)
	}
	status := parley.TemplateStatus(strings.ToUpper(resp.Status))
	if _, ok := reviewEvents[string(status)]; !ok {
		status = parley.TemplatePending
	}
	return gateway.TemplateSubmission{ProviderID: resp.ID, Status: status, Category: resp.Category}, nil
}

// EditTemplate submits t's category and components again for review:
// POST /{version}/{template-id}. Meta answers {"success": true} and
// reviews the template anew.
func (g *Gateway) EditTemplate(ctx context.Context, t parley.WhatsAppTemplate) (gateway.TemplateSubmission, error) {
	if !phoneNumberID.MatchString(t.MetaID) {
		return gateway.TemplateSubmission{}, parley.Errorf(parley.ECONFLICT, "template %s has no Meta template id to edit", t.ID)
	}
	req := templateRequest{Category: t.Category, Components: templateComponents(t)}
	raw, err := g.graph(ctx, http.MethodPost, url.PathEscape(t.MetaID), nil, req)
	if err != nil {
		return gateway.TemplateSubmission{}, err
	}
	if err := success(raw, "edit", t); err != nil {
		return gateway.TemplateSubmission{}, err
	}
	return gateway.TemplateSubmission{ProviderID: t.MetaID, Status: parley.TemplatePending, Category: t.Category}, nil
}

// DeleteTemplate deletes t at Meta:
// DELETE /{version}/{waba-id}/message_templates?hsm_id={template-id}&name={name}
// (that language only). A template Meta no longer has is deleted already.
func (g *Gateway) DeleteTemplate(ctx context.Context, t parley.WhatsAppTemplate) error {
	if t.MetaID == "" {
		return nil // never reached Meta
	}
	q := url.Values{"hsm_id": {t.MetaID}, "name": {t.Name}}
	raw, err := g.graph(ctx, http.MethodDelete, url.PathEscape(t.BusinessAccountID)+"/message_templates", q, nil)
	if parley.ErrorCode(err) == parley.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	return success(raw, "delete", t)
}

// success checks Meta's {"success": true}.
func success(raw []byte, what string, t parley.WhatsAppTemplate) error {
	var ok struct {
		Success bool `json:"success"`
	}
	if json.Unmarshal(raw, &ok) != nil || !ok.Success {
		return parley.Errorf(parley.EUNAVAILABLE, "the Graph API did not confirm the %s of template %s; try again", what, t.Name)
	}
	return nil
}

// graph performs one Graph API call of template management at
// /{version}/{path} with the gateway's token, and returns the answer's
// body, or its error as a *parley.Error (templateError).
func (g *Gateway) graph(ctx context.Context, method, path string, query url.Values, body any) ([]byte, error) {
	if g.Token == "" {
		return nil, parley.Errorf(parley.EUNPROCESSABLE, "the whatsapp channel has no access token to manage templates with")
	}
	u := g.baseURL() + "/" + url.PathEscape(g.version()) + "/" + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("whatsapp: encode template: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, fmt.Errorf("whatsapp: build request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+g.Token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	client := g.HTTP
	if client == nil {
		client = defaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, parley.Wrap(parley.EUNAVAILABLE, transportError("NETWORK", "no response from the Graph API", err), "the Graph API could not be reached")
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, parley.Wrap(parley.EUNAVAILABLE, err, "the Graph API's answer was cut short")
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, templateError(resp.StatusCode, raw)
	}
	return raw, nil
}

// Graph error subcodes (with code 100) of template management, and the
// template field each is about.
var templateSubcodes = map[int]struct {
	field    string
	conflict bool
}{
	2388023: {field: "name", conflict: true}, // the name in this language is being deleted
	2388024: {field: "name", conflict: true}, // the name exists in this language
	2388293: {field: "body"},                 // too many variables for the body's length
	2388299: {field: "body"},                 // a variable starts or ends the body
}

// templateError turns a Graph error answer to a template call into a
// *parley.Error that says what to change: a field error for what Meta
// found wrong with the template, ECONFLICT for a name taken, ETOOMANY when
// throttled, EUNPROCESSABLE when the channel's token may not manage the
// account's templates, EUNAVAILABLE when Meta failed. Meta's own words
// (error_user_msg, else message) and the fbtrace_id support asks for are
// kept.
func templateError(status int, raw []byte) error {
	var env struct {
		Error *struct {
			graphError
			UserTitle string `json:"error_user_title"`
			UserMsg   string `json:"error_user_msg"`
		} `json:"error"`
	}
	if json.Unmarshal(raw, &env) != nil || env.Error == nil {
		code := parley.EUNAVAILABLE
		if status < 500 && status != http.StatusTooManyRequests {
			code = parley.EINVALID
		}
		return parley.Errorf(code, "the Graph API answered %d %s", status, http.StatusText(status))
	}
	e := env.Error
	says := cmp.Or(e.UserMsg, e.Message)
	if e.UserTitle != "" {
		says = e.UserTitle + ": " + says
	}
	says = fmt.Sprintf("Meta refused the template (code %s): %s", e.code(), says)
	if e.TraceID != "" {
		says += " (fbtrace_id " + e.TraceID + ")"
	}
	if sc, ok := templateSubcodes[e.Subcode]; ok && e.Code == 100 {
		if sc.conflict {
			return &parley.Error{Code: parley.ECONFLICT, Field: sc.field, Message: says}
		}
		return parley.FieldErrorf(sc.field, "%s", says)
	}
	r, known := classify(e.Code, e.Subcode)
	switch {
	case e.Code == 100 && e.Subcode == subcodeObjectMissing:
		return parley.FieldErrorf("wabaId", "%s; check wabaId and that the whatsapp channel's token may manage its templates", says)
	case status == http.StatusNotFound:
		return parley.Errorf(parley.ENOTFOUND, "%s", says)
	case known && r.kind == parley.FailThrottled, status == http.StatusTooManyRequests:
		return parley.Errorf(parley.ETOOMANY, "%s", says)
	case known && r.kind == parley.FailConfig:
		return parley.Errorf(parley.EUNPROCESSABLE, "%s; check the account's whatsapp channel credentials", says)
	case (known && r.kind == parley.FailTransient) || e.Transient || status >= 500:
		return parley.Errorf(parley.EUNAVAILABLE, "%s", says)
	}
	return parley.Errorf(parley.EINVALID, "%s", says)
}
