package whatsapp

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/parley"
)

const testWABA = "102290129340398"

// graphTemplates imitates the Graph API's template management the way Meta
// checks it: the version prefix, the bearer token, the WABA in the path,
// a JSON body with a valid name, language, category and components (a
// body, examples for every variable, Meta's lengths and button rules),
// unique names per language; it answers Meta's shapes, errors included.
type graphTemplates struct {
	*httptest.Server
	t     *testing.T
	token string

	mu        sync.Mutex
	templates map[string]templateRequest // by id
	ids       map[string]string          // id by name + "/" + language
	next      int
	requests  []string // method and path of each request
	// answer, when set, answers the next request instead (then clears).
	answer func(w http.ResponseWriter)
}

var (
	metaName     = regexp.MustCompile(`^[a-z0-9_]{1,512}$`)
	metaVariable = regexp.MustCompile(`\{\{([0-9]+)\}\}`)
)

func newGraphTemplates(t *testing.T) *graphTemplates {
	g := &graphTemplates{t: t, token: testToken, templates: map[string]templateRequest{}, ids: map[string]string{}, next: 594425479261596}
	g.Server = httptest.NewServer(http.HandlerFunc(g.serve))
	t.Cleanup(g.Close)
	return g
}

func (g *graphTemplates) gateway() *Gateway {
	return &Gateway{BaseURL: g.URL, Version: testVersion, Token: g.token, HTTP: g.Client()}
}

func graphErr(w http.ResponseWriter, status, code, subcode int, msg, userMsg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	e := map[string]any{"message": msg, "type": "OAuthException", "code": code, "fbtrace_id": "AbCdEf123"}
	if subcode != 0 {
		e["error_subcode"] = subcode
	}
	if userMsg != "" {
		e["error_user_title"], e["error_user_msg"] = "Invalid parameter", userMsg
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"error": e})
}

func graphJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func (g *graphTemplates) serve(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.requests = append(g.requests, r.Method+" "+r.URL.Path)
	if a := g.answer; a != nil {
		g.answer = nil
		a(w)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+g.token {
		graphErr(w, http.StatusUnauthorized, 190, 0, "Invalid OAuth access token - Cannot parse access token", "")
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/"+testVersion+"/")
	if !ok {
		graphErr(w, http.StatusBadRequest, 2500, 0, "Unknown path components: "+r.URL.Path, "")
		return
	}
	switch {
	case r.Method == http.MethodPost && rest == testWABA+"/message_templates":
		g.create(w, r)
	case r.Method == http.MethodDelete && rest == testWABA+"/message_templates":
		g.delete(w, r)
	case r.Method == http.MethodPost && g.templates[rest].Name != "":
		g.edit(w, r, rest)
	case strings.HasSuffix(rest, "/message_templates"):
		graphErr(w, http.StatusBadRequest, 100, 33, "Unsupported post request. Object with ID '"+strings.TrimSuffix(rest, "/message_templates")+"' does not exist", "")
	default:
		g.t.Errorf("Graph request %s %s", r.Method, r.URL.Path)
		graphErr(w, http.StatusBadRequest, 100, 0, "Unsupported request", "")
	}
}

func (g *graphTemplates) read(w http.ResponseWriter, r *http.Request) (templateRequest, bool) {
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/json" {
		g.t.Errorf("template request with Content-Type %q", ct)
	}
	var req templateRequest
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		graphErr(w, http.StatusBadRequest, 100, 0, "Invalid parameter", err.Error())
		return req, false
	}
	return req, true
}

func (g *graphTemplates) create(w http.ResponseWriter, r *http.Request) {
	req, ok := g.read(w, r)
	if !ok {
		return
	}
	switch {
	case !metaName.MatchString(req.Name):
		graphErr(w, http.StatusBadRequest, 100, 0, "Invalid parameter", "name must be lower case letters, digits and underscores")
		return
	case req.Language == "":
		graphErr(w, http.StatusBadRequest, 100, 0, "Invalid parameter", "language is required")
		return
	case g.ids[req.Name+"/"+req.Language] != "":
		graphErr(w, http.StatusBadRequest, 100, 2388024, "Invalid parameter", "Content in this language already exists")
		return
	}
	if !g.checkDefinition(w, req) {
		return
	}
	id := fmt.Sprint(g.next)
	g.next++
	g.templates[id], g.ids[req.Name+"/"+req.Language] = req, id
	status := "PENDING"
	if req.Category == "UTILITY" {
		status = "APPROVED" // Meta approves some utility templates at once
	}
	graphJSON(w, map[string]string{"id": id, "status": status, "category": req.Category})
}

func (g *graphTemplates) edit(w http.ResponseWriter, r *http.Request, id string) {
	req, ok := g.read(w, r)
	if !ok {
		return
	}
	if req.Name != "" || req.Language != "" {
		graphErr(w, http.StatusBadRequest, 100, 0, "Invalid parameter", "name and language cannot be edited")
		return
	}
	old := g.templates[id]
	req.Name, req.Language = old.Name, old.Language
	if !g.checkDefinition(w, req) {
		return
	}
	g.templates[id] = req
	graphJSON(w, map[string]bool{"success": true})
}

func (g *graphTemplates) delete(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	id, name := q.Get("hsm_id"), q.Get("name")
	t, ok := g.templates[id]
	if !ok || t.Name != name {
		graphErr(w, http.StatusNotFound, 100, 0, "Message template not found", "")
		return
	}
	delete(g.templates, id)
	delete(g.ids, t.Name+"/"+t.Language)
	graphJSON(w, map[string]bool{"success": true})
}

// checkDefinition refuses what Meta refuses in a category and components.
func (g *graphTemplates) checkDefinition(w http.ResponseWriter, req templateRequest) bool {
	refuse := func(subcode int, msg string) bool {
		graphErr(w, http.StatusBadRequest, 100, subcode, "Invalid parameter", msg)
		return false
	}
	switch req.Category {
	case "MARKETING", "UTILITY", "AUTHENTICATION":
	default:
		return refuse(0, "category must be MARKETING, UTILITY or AUTHENTICATION")
	}
	if req.Category == "AUTHENTICATION" {
		return g.checkAuthentication(w, req)
	}
	bodies := 0
	for _, c := range req.Components {
		switch c.Type {
		case "HEADER":
			if c.Format == "TEXT" && (c.Text == "" || utf8.RuneCountInString(c.Text) > 60) {
				return refuse(0, "header text is required and at most 60 characters")
			}
			if f := c.Format; (f == "IMAGE" || f == "VIDEO" || f == "DOCUMENT") && (c.Example == nil || len(c.Example.HeaderHandle) != 1) {
				return refuse(0, "a media header needs its header_handle example")
			}
		case "BODY":
			bodies++
			vars := len(metaVariable.FindAllString(c.Text, -1))
			text := strings.TrimSpace(c.Text)
			switch {
			case text == "" || utf8.RuneCountInString(c.Text) > 1024:
				return refuse(0, "body text is required and at most 1024 characters")
			case vars > 0 && (strings.HasPrefix(text, "{{") || strings.HasSuffix(text, "}}")):
				return refuse(2388299, "Variables can't be at the start or end of the template")
			case vars > 0 && (c.Example == nil || len(c.Example.BodyText) != 1 || len(c.Example.BodyText[0]) != vars):
				return refuse(0, "body_text examples must give one value per variable")
			}
		case "FOOTER":
			if utf8.RuneCountInString(c.Text) > 60 {
				return refuse(0, "footer text is at most 60 characters")
			}
		case "BUTTONS":
			if len(c.Buttons) == 0 || len(c.Buttons) > 10 {
				return refuse(0, "1 to 10 buttons")
			}
			for _, b := range c.Buttons {
				if b.Type != "COPY_CODE" && (b.Text == "" || utf8.RuneCountInString(b.Text) > 25) {
					return refuse(0, "button text is required and at most 25 characters")
				}
				if b.Type == "URL" && strings.Contains(b.URL, "{{") {
					ex, ok := b.Example.([]any)
					if !ok || len(ex) != 1 {
						return refuse(0, "a dynamic URL button needs its example")
					}
				}
				if b.Type == "PHONE_NUMBER" && b.PhoneNumber == "" {
					return refuse(0, "phone_number is required")
				}
			}
		default:
			return refuse(0, "unknown component type "+c.Type)
		}
	}
	if bodies != 1 {
		return refuse(0, "exactly one BODY component is required")
	}
	return true
}

// checkAuthentication refuses what Meta refuses in an AUTHENTICATION
// template: custom text, a header, media or URLs, a button other than the
// one-time code's.
func (g *graphTemplates) checkAuthentication(w http.ResponseWriter, req templateRequest) bool {
	for _, c := range req.Components {
		ok := true
		switch c.Type {
		case "BODY", "FOOTER":
			ok = c.Text == "" && c.Example == nil && (c.Type == "BODY" || (c.CodeExpirationMinutes >= 1 && c.CodeExpirationMinutes <= 90))
		case "BUTTONS":
			ok = len(c.Buttons) == 1 && c.Buttons[0].Type == "OTP" && c.Buttons[0].OTPType == "COPY_CODE"
		default:
			ok = false
		}
		if !ok {
			graphErr(w, http.StatusBadRequest, 100, 0, "Invalid parameter", "custom authentication templates aren't allowed")
			return false
		}
	}
	return true
}

// richTemplate is a template with every kind of component.
func richTemplate() parley.WhatsAppTemplate {
	return parley.WhatsAppTemplate{AccountID: "A", ID: "T1", Name: "order_update", Language: "en_US", Category: parley.CategoryMarketing,
		BusinessAccountID: testWABA, OutboundNumber: "+12025550100",
		Header: parley.MediaImage, HeaderExample: "4::aW1hZ2UvanBlZw==:ARb",
		Body: "Hi {{1}}, order {{2}} shipped.", BodyExamples: []string{"Ann", "A-17"}, Footer: "Reply STOP to opt out",
		Buttons: []parley.TemplateButton{
			{Kind: parley.ButtonURL, Text: "Track", URL: "https://e.com/t/{{1}}", Example: "https://e.com/t/A-17"},
			{Kind: parley.ButtonPhone, Text: "Call us", Phone: "+12025550100"},
		}}
}

func TestSubmitTemplateWireFormat(t *testing.T) {
	g := newGraphTemplates(t)
	tpl := richTemplate()
	if err := tpl.Validate(); err != nil {
		t.Fatalf("the test template is invalid: %v", err)
	}
	sub, err := g.gateway().SubmitTemplate(t.Context(), tpl)
	if err != nil {
		t.Fatal(err)
	}
	if sub.ProviderID != "594425479261596" || sub.Status != parley.TemplatePending || sub.Category != "MARKETING" {
		t.Errorf("submission = %+v", sub)
	}
	got := g.templates[sub.ProviderID]
	want := templateRequest{Name: "order_update", Language: "en_US", Category: "MARKETING", Components: []templateComponent{
		{Type: "HEADER", Format: "IMAGE", Example: &templateExample{HeaderHandle: []string{"4::aW1hZ2UvanBlZw==:ARb"}}},
		{Type: "BODY", Text: "Hi {{1}}, order {{2}} shipped.", Example: &templateExample{BodyText: [][]string{{"Ann", "A-17"}}}},
		{Type: "FOOTER", Text: "Reply STOP to opt out"},
		{Type: "BUTTONS", Buttons: []templateButton{
			{Type: "URL", Text: "Track", URL: "https://e.com/t/{{1}}", Example: []any{"https://e.com/t/A-17"}},
			{Type: "PHONE_NUMBER", Text: "Call us", PhoneNumber: "+12025550100"},
		}},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Meta received\n %+v\nwant\n %+v", got, want)
	}

	// A utility template Meta approves at once answers APPROVED.
	utility := parley.WhatsAppTemplate{Name: "receipt", Language: "en", Category: parley.CategoryUtility, BusinessAccountID: testWABA,
		Header: "text", HeaderText: "Receipt", Body: "Thanks, {{1}}.", BodyExamples: []string{"Ann"},
		Buttons: []parley.TemplateButton{{Kind: parley.ButtonCopyCode, Example: "SAVE10"}}}
	sub, err = g.gateway().SubmitTemplate(t.Context(), utility)
	if err != nil || sub.Status != parley.TemplateApproved {
		t.Fatalf("utility submission = %+v, %v; want APPROVED", sub, err)
	}
	comps := g.templates[sub.ProviderID].Components
	if !reflect.DeepEqual(comps[0], templateComponent{Type: "HEADER", Format: "TEXT", Text: "Receipt"}) ||
		!reflect.DeepEqual(comps[2].Buttons, []templateButton{{Type: "COPY_CODE", Example: "SAVE10"}}) {
		t.Errorf("utility components = %+v", comps)
	}
}

func TestSubmitAuthenticationTemplate(t *testing.T) {
	g := newGraphTemplates(t)
	tpl := parley.WhatsAppTemplate{Name: "login_code", Language: "en_US", Category: parley.CategoryAuthentication,
		BusinessAccountID: testWABA, OutboundNumber: "+12025550100", SecurityRecommendation: true, CodeExpirationMinutes: 10,
		Buttons: []parley.TemplateButton{{Kind: parley.ButtonCopyCode, Text: "Copy code"}}}
	if err := tpl.Validate(); err != nil {
		t.Fatalf("the test template is invalid: %v", err)
	}
	sub, err := g.gateway().SubmitTemplate(t.Context(), tpl)
	if err != nil {
		t.Fatal(err)
	}
	want := []templateComponent{
		{Type: "BODY", AddSecurityRecommendation: true},
		{Type: "FOOTER", CodeExpirationMinutes: 10},
		{Type: "BUTTONS", Buttons: []templateButton{{Type: "OTP", OTPType: "COPY_CODE", Text: "Copy code"}}},
	}
	if got := g.templates[sub.ProviderID]; got.Category != "AUTHENTICATION" || !reflect.DeepEqual(got.Components, want) {
		t.Errorf("Meta received %+v", got)
	}
}

func TestTemplateErrors(t *testing.T) {
	g := newGraphTemplates(t)
	gw := g.gateway()
	if _, err := gw.SubmitTemplate(t.Context(), richTemplate()); err != nil {
		t.Fatal(err)
	}
	startsWithVar := richTemplate()
	startsWithVar.Name, startsWithVar.Body = "other", "{{1}}, order {{2}} shipped."
	otherWABA := richTemplate()
	otherWABA.Name, otherWABA.BusinessAccountID = "third", "999"
	badToken := *gw
	badToken.Token = "expired"
	answer := func(status, code int) func(w http.ResponseWriter) {
		return func(w http.ResponseWriter) { graphErr(w, status, code, 0, "Meta says no", "") }
	}
	tests := []struct {
		name   string
		gw     *Gateway
		tpl    parley.WhatsAppTemplate
		answer func(w http.ResponseWriter)
		code   string
		field  string
		says   string
	}{
		{"name taken in this language", gw, richTemplate(), nil, parley.ECONFLICT, "name", "Content in this language already exists"},
		{"variable first", gw, startsWithVar, nil, parley.EINVALID, "body", "start or end"},
		{"unknown WABA", gw, otherWABA, nil, parley.EINVALID, "wabaId", "does not exist"},
		{"expired token", &badToken, otherWABA, nil, parley.EUNPROCESSABLE, "", "credentials"},
		{"throttled", gw, otherWABA, answer(http.StatusBadRequest, 80007), parley.ETOOMANY, "", "Meta says no"},
		{"Meta down", gw, otherWABA, answer(http.StatusServiceUnavailable, 2), parley.EUNAVAILABLE, "", "Meta says no"},
		{"not JSON", gw, otherWABA, func(w http.ResponseWriter) { w.WriteHeader(http.StatusBadGateway) }, parley.EUNAVAILABLE, "", "502"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g.mu.Lock()
			g.answer = tt.answer
			g.mu.Unlock()
			_, err := tt.gw.SubmitTemplate(t.Context(), tt.tpl)
			if parley.ErrorCode(err) != tt.code || parley.ErrorField(err) != tt.field || !strings.Contains(fmt.Sprint(err), tt.says) {
				t.Errorf("SubmitTemplate = %v (code %s, field %q); want %s on %q saying %q", err, parley.ErrorCode(err), parley.ErrorField(err), tt.code, tt.field, tt.says)
			}
			if strings.Contains(fmt.Sprint(err), testToken) {
				t.Errorf("the error shows the token: %v", err)
			}
		})
	}
}

func TestEditAndDeleteTemplate(t *testing.T) {
	g := newGraphTemplates(t)
	gw := g.gateway()
	tpl := richTemplate()
	sub, err := gw.SubmitTemplate(t.Context(), tpl)
	if err != nil {
		t.Fatal(err)
	}
	tpl.MetaID = sub.ProviderID
	tpl.Body, tpl.BodyExamples = "Hello {{1}}, your order shipped.", []string{"Ann"}
	if sub, err = gw.EditTemplate(t.Context(), tpl); err != nil || sub.Status != parley.TemplatePending || sub.ProviderID != tpl.MetaID {
		t.Fatalf("EditTemplate = %+v, %v", sub, err)
	}
	if got := g.templates[tpl.MetaID].Components[1].Text; got != tpl.Body {
		t.Errorf("Meta's body after the edit = %q", got)
	}
	if err := gw.DeleteTemplate(t.Context(), tpl); err != nil {
		t.Fatal(err)
	}
	if len(g.templates) != 0 {
		t.Errorf("Meta still has %v", g.templates)
	}
	if err := gw.DeleteTemplate(t.Context(), tpl); err != nil {
		t.Errorf("deleting a template Meta no longer has: %v", err)
	}
	want := []string{"POST /v26.0/" + testWABA + "/message_templates", "POST /v26.0/" + tpl.MetaID,
		"DELETE /v26.0/" + testWABA + "/message_templates", "DELETE /v26.0/" + testWABA + "/message_templates"}
	if !reflect.DeepEqual(g.requests, want) {
		t.Errorf("requests = %v, want %v", g.requests, want)
	}
	never := richTemplate() // never submitted: nothing to delete at Meta
	if err := gw.DeleteTemplate(t.Context(), never); err != nil || len(g.requests) != 4 {
		t.Errorf("DeleteTemplate of an unsubmitted template = %v after %d requests", err, len(g.requests))
	}
}

func hookTemplate(event, id, reason string, at int64) string {
	return fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":%q,"time":%d,"changes":[{"field":"message_template_status_update","value":{
		"event":%q,"message_template_id":%s,"message_template_name":"order_update","message_template_language":"en_US","reason":%q,
		"message_template_category":"MARKETING"}}]}]}`, testWABA, at, event, id, reason)
}

func TestWebhookTemplateStatus(t *testing.T) {
	cfg := hookConfig()
	body := hookTemplate("REJECTED", "594425479261596", "INVALID_FORMAT", 1795453200)
	ev, err := Provider{}.Webhook(cfg, hookPost(hookSecret, body))
	if err != nil {
		t.Fatal(err)
	}
	want := []gateway.TemplateUpdate{{AccountID: "A", BusinessAccountID: testWABA, ProviderID: "594425479261596", Name: "order_update",
		Language: "en_US", Event: "REJECTED", Review: parley.TemplateReview{Status: parley.TemplateRejected, Reason: "INVALID_FORMAT", At: time.Unix(1795453200, 0).UTC()}}}
	if !reflect.DeepEqual(ev.Templates, want) || len(ev.Messages)+len(ev.Statuses) != 0 {
		t.Errorf("events = %+v, want templates %+v", ev, want)
	}
	// Approval says NONE as its reason; an event that says nothing about
	// sending maps to no status.
	for event, st := range map[string]parley.TemplateStatus{"APPROVED": parley.TemplateApproved, "FLAGGED": "", "PAUSED": parley.TemplatePaused} {
		ev, err := Provider{}.Webhook(cfg, hookPost(hookSecret, hookTemplate(event, "7", "NONE", 1795453201)))
		if err != nil || len(ev.Templates) != 1 || ev.Templates[0].Review.Status != st || ev.Templates[0].Review.Reason != "" {
			t.Errorf("%s: events %+v, %v; want status %q without reason", event, ev.Templates, err, st)
		}
	}
	// Signed with another secret, or not at all, nothing is read.
	if _, err := (Provider{}).Webhook(cfg, hookPost("another-secret", body)); parley.ErrorCode(err) != parley.EFORBIDDEN {
		t.Errorf("wrong signature: %v, want EFORBIDDEN", err)
	}
	if err := (Provider{}).Signed(hookPost("", body)); parley.ErrorCode(err) != parley.EUNAUTHORIZED {
		t.Errorf("unsigned: %v, want EUNAUTHORIZED", err)
	}
	for name, bad := range map[string]string{
		"no template id": strings.Replace(body, `"message_template_id":594425479261596,`, "", 1),
		"no event":       strings.Replace(body, `"event":"REJECTED",`, "", 1),
		"bad time":       strings.Replace(body, `"time":1795453200`, `"time":-5`, 1),
		"bad WABA":       strings.Replace(body, `"id":"`+testWABA+`"`, `"id":"x1"`, 1),
	} {
		if _, err := (Provider{}).Webhook(cfg, hookPost(hookSecret, bad)); parley.ErrorCode(err) != parley.EINVALID || parley.ErrorField(err) == "" {
			t.Errorf("%s: %v, want EINVALID naming the field", name, err)
		}
	}
}
