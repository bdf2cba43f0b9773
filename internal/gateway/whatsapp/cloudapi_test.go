package whatsapp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

// cloudAPI imitates the Cloud API's messages edge: it checks a request the
// way Meta does (token, version and phone-number id in the path, JSON
// content, a well-formed message for its type, the template's registered
// variables) and answers with Meta's success and error shapes.
type cloudAPI struct {
	*httptest.Server
	token     string
	version   string
	phoneID   string
	templates map[string]templateDef // by name + "/" + language
	// notOnWhatsApp lists numbers that have no WhatsApp account.
	notOnWhatsApp map[string]bool
	// openWindows lists numbers with an open customer service window, the only
	// ones free-form text may reach.
	openWindows map[string]bool

	mu       sync.Mutex
	calls    int
	accepted []json.RawMessage
}

// templateDef is what Meta knows of an approved template.
type templateDef struct {
	header  string   // media format of the header, "" for none
	params  int      // body variables
	buttons []string // button types by index: url (dynamic), quick_reply, phone_number
}

const (
	testToken   = "EAAJtestTOKENsecret0123456789"
	testVersion = "v26.0"
	testPhoneID = "106540352242922"
)

func newCloudAPI(t *testing.T) *cloudAPI {
	t.Helper()
	a := &cloudAPI{
		token: testToken, version: testVersion, phoneID: testPhoneID,
		templates: map[string]templateDef{
			"order_update/en_US": {header: "image", params: 2, buttons: []string{"url", "quick_reply"}},
			"welcome/en":         {},
			"webinar/de":         {header: "video", params: 1},
			"invoice/pt_BR":      {header: "document", params: 1, buttons: []string{"phone_number", "quick_reply"}},
		},
		notOnWhatsApp: map[string]bool{"+442079460000": true},
		openWindows:   map[string]bool{"+14155550123": true},
	}
	a.Server = httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.Close)
	return a
}

// gateway returns a Gateway configured for this server.
func (a *cloudAPI) gateway() *Gateway {
	return &Gateway{BaseURL: a.URL, Version: a.version, Token: a.token, HTTP: a.Client()}
}

// requests returns how many requests reached the server.
func (a *cloudAPI) requests() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.calls
}

// last returns the body of the last accepted message.
func (a *cloudAPI) last(t *testing.T) json.RawMessage {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.accepted) == 0 {
		t.Fatal("no message was accepted")
	}
	return a.accepted[len(a.accepted)-1]
}

// failure is a refusal in Meta's terms.
type failure struct {
	status  int
	code    int
	subcode int
	title   string
	details string
}

func (f *failure) write(w http.ResponseWriter) {
	e := map[string]any{
		"message": fmt.Sprintf("(#%d) %s", f.code, f.title), "type": "OAuthException", "code": f.code,
		"fbtrace_id": "AbCdEfGhIjK",
	}
	if f.details != "" {
		e["error_data"] = map[string]any{"messaging_product": "whatsapp", "details": f.details}
	}
	if f.subcode != 0 {
		e["error_subcode"] = f.subcode
	}
	if f.code == 190 || f.code == 2500 {
		e["message"] = f.title // Graph platform errors carry no "(#code)" prefix
	}
	writeJSON(w, f.status, map[string]any{"error": e})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func invalidParam(details string) *failure {
	return &failure{status: 400, code: 100, title: "Invalid parameter", details: details}
}

func (a *cloudAPI) serve(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	a.calls++
	a.mu.Unlock()
	body, f := a.check(r)
	if f != nil {
		f.write(w)
		return
	}
	to := body.To
	a.mu.Lock()
	a.accepted = append(a.accepted, body.raw)
	n := len(a.accepted)
	a.mu.Unlock()
	msg := map[string]any{"id": "wamid.HBgLMTQxNTU1NTAxMjMVAgARGBI" + strconv.Itoa(n)}
	if body.Type == "template" {
		msg["message_status"] = "accepted"
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"messaging_product": "whatsapp",
		"contacts":          []any{map[string]any{"input": to, "wa_id": strings.TrimPrefix(to, "+")}},
		"messages":          []any{msg},
	})
}

// check applies Meta's checks in the order the Graph API does: path and
// token first, then the message.
func (a *cloudAPI) check(r *http.Request) (*wireMessage, *failure) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) != 3 || parts[2] != "messages" || parts[0] != a.version {
		return nil, &failure{status: 400, code: 2500, title: "Unknown path components: " + r.URL.Path}
	}
	if r.Header.Get("Authorization") != "Bearer "+a.token {
		return nil, &failure{status: 401, code: 190, title: "Invalid OAuth access token - Cannot parse access token"}
	}
	if parts[1] != a.phoneID {
		return nil, &failure{status: 400, code: 100, subcode: 33, title: "Unsupported post request. Object with ID '" +
			parts[1] + "' does not exist, cannot be loaded due to missing permissions, or does not support this operation"}
	}
	if r.Method != http.MethodPost {
		return nil, invalidParam("only POST sends a message")
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return nil, invalidParam("the body must be JSON")
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return nil, invalidParam("unreadable body")
	}
	var m wireMessage
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, invalidParam(err.Error())
	}
	m.raw = raw
	return &m, a.checkMessage(m)
}

// wireMessage is the request body as Meta documents it, decoded strictly.
type wireMessage struct {
	MessagingProduct string        `json:"messaging_product"`
	RecipientType    string        `json:"recipient_type,omitempty"`
	To               string        `json:"to"`
	Type             string        `json:"type,omitempty"`
	Text             *wireText     `json:"text,omitempty"`
	Template         *wireTemplate `json:"template,omitempty"`
	// BizOpaqueCallbackData is returned in the statuses, at most 512
	// characters.
	BizOpaqueCallbackData string `json:"biz_opaque_callback_data,omitempty"`
	raw                   json.RawMessage
}

type wireText struct {
	Body       string `json:"body"`
	PreviewURL bool   `json:"preview_url,omitempty"`
}

type wireTemplate struct {
	Name     string `json:"name"`
	Language struct {
		Code   string `json:"code"`
		Policy string `json:"policy,omitempty"`
	} `json:"language"`
	Components []wireComponent `json:"components,omitempty"`
}

type wireComponent struct {
	Type       string      `json:"type"`
	SubType    string      `json:"sub_type,omitempty"`
	Index      string      `json:"index,omitempty"`
	Parameters []wireParam `json:"parameters"`
}

type wireParam struct {
	Type     string     `json:"type"`
	Text     *string    `json:"text,omitempty"`
	Payload  *string    `json:"payload,omitempty"`
	Image    *wireMedia `json:"image,omitempty"`
	Video    *wireMedia `json:"video,omitempty"`
	Document *wireMedia `json:"document,omitempty"`
}

type wireMedia struct {
	Link string `json:"link,omitempty"`
	ID   string `json:"id,omitempty"`
}

func (a *cloudAPI) checkMessage(m wireMessage) *failure {
	switch {
	case utf8.RuneCountInString(m.BizOpaqueCallbackData) > 512:
		return invalidParam("biz_opaque_callback_data is longer than 512 characters")
	case m.MessagingProduct != "whatsapp":
		return invalidParam("messaging_product must be whatsapp")
	case m.RecipientType != "" && m.RecipientType != "individual":
		return invalidParam("recipient_type must be individual")
	case !wellFormedNumber(m.To):
		return invalidParam("to must be a phone number")
	case a.notOnWhatsApp[m.To]:
		return &failure{status: 400, code: 131026, title: "Message undeliverable",
			details: "Message failed to send because the recipient is not a WhatsApp user"}
	}
	switch m.Type {
	case "text":
		return a.checkText(m)
	case "template":
		if m.Text != nil || m.Template == nil {
			return invalidParam("a template message carries template and nothing else")
		}
		return a.checkTemplate(*m.Template)
	}
	return &failure{status: 400, code: 131051, title: "Unsupported message type"}
}

func wellFormedNumber(to string) bool {
	d := strings.TrimPrefix(to, "+")
	return d != "" && strings.Trim(d, "0123456789") == ""
}

func (a *cloudAPI) checkText(m wireMessage) *failure {
	switch {
	case m.Template != nil || m.Text == nil:
		return invalidParam("a text message carries text and nothing else")
	case m.Text.Body == "" || len([]rune(m.Text.Body)) > 4096:
		return invalidParam("text.body must have 1 to 4096 characters")
	case !a.openWindows[m.To]:
		return &failure{status: 400, code: 131047, title: "Re-engagement message",
			details: "Message failed to send because more than 24 hours have passed since the customer last replied to this number."}
	}
	return nil
}

func (a *cloudAPI) checkTemplate(t wireTemplate) *failure {
	def, ok := a.templates[t.Name+"/"+t.Language.Code]
	if !ok {
		return &failure{status: 404, code: 132001, title: "Template name does not exist in the translation",
			details: fmt.Sprintf("template name (%s) does not exist in %s", t.Name, t.Language.Code)}
	}
	seen := map[string]bool{}
	for _, c := range t.Components {
		key := c.Type + c.Index
		if seen[key] {
			return invalidParam("component " + key + " appears twice")
		}
		seen[key] = true
		if f := checkComponent(def, c); f != nil {
			return f
		}
	}
	return checkRequired(def, seen)
}

// checkRequired refuses a template that leaves a registered variable empty.
func checkRequired(def templateDef, seen map[string]bool) *failure {
	if def.header != "" && !seen["header"] {
		return &failure{status: 400, code: 132012, title: "Parameter format does not match format in the created template",
			details: "header: Format mismatch, expected " + strings.ToUpper(def.header) + ", received UNKNOWN"}
	}
	if def.params > 0 && !seen["body"] {
		return countMismatch("body", 0, def.params)
	}
	for i, kind := range def.buttons {
		if kind == "url" && !seen["button"+strconv.Itoa(i)] {
			return &failure{status: 400, code: 131008, title: "Required parameter is missing",
				details: fmt.Sprintf("buttons: button at index %d of type Url requires a parameter", i)}
		}
	}
	return nil
}

func countMismatch(part string, got, want int) *failure {
	return &failure{status: 400, code: 132000, title: "Number of parameters does not match the expected number of params",
		details: fmt.Sprintf("%s: number of localizable_params (%d) does not match the expected number of params (%d)", part, got, want)}
}

func checkComponent(def templateDef, c wireComponent) *failure {
	switch c.Type {
	case "header":
		return checkHeader(def, c)
	case "body":
		if len(c.Parameters) != def.params {
			return countMismatch("body", len(c.Parameters), def.params)
		}
		for _, p := range c.Parameters {
			if f := checkParam(p, "text"); f != nil {
				return f
			}
		}
		return nil
	case "button":
		return checkButton(def, c)
	}
	return invalidParam("unknown component type " + c.Type)
}

func checkHeader(def templateDef, c wireComponent) *failure {
	if len(c.Parameters) != 1 {
		return countMismatch("header", len(c.Parameters), 1)
	}
	if c.Parameters[0].Type != def.header {
		return &failure{status: 400, code: 132012, title: "Parameter format does not match format in the created template",
			details: "header: Format mismatch, expected " + strings.ToUpper(def.header) + ", received " + strings.ToUpper(c.Parameters[0].Type)}
	}
	return checkParam(c.Parameters[0], def.header)
}

func checkButton(def templateDef, c wireComponent) *failure {
	i, err := strconv.Atoi(c.Index)
	if err != nil || i < 0 || i >= len(def.buttons) {
		return invalidParam("buttons: index " + strconv.Quote(c.Index) + " names no button of the template")
	}
	want := map[string]string{"url": "text", "quick_reply": "payload"}[def.buttons[i]]
	if c.SubType != def.buttons[i] || want == "" {
		return &failure{status: 400, code: 131009, title: "Parameter value is not valid",
			details: fmt.Sprintf("buttons: button at index %d is of type %s and takes no %s parameter", i, def.buttons[i], c.SubType)}
	}
	if len(c.Parameters) != 1 {
		return countMismatch("buttons", len(c.Parameters), 1)
	}
	return checkParam(c.Parameters[0], want)
}

// checkParam requires exactly the value field of the parameter's type.
func checkParam(p wireParam, want string) *failure {
	if p.Type != want {
		return invalidParam("parameter type " + p.Type + ", want " + want)
	}
	set := map[string]bool{
		"text": p.Text != nil, "payload": p.Payload != nil,
		"image": p.Image != nil, "video": p.Video != nil, "document": p.Document != nil,
	}
	for field, ok := range set {
		if ok != (field == want) {
			return invalidParam("parameter of type " + want + " carries " + field)
		}
	}
	switch want {
	case "text":
		if *p.Text == "" {
			return &failure{status: 400, code: 131008, title: "Required parameter is missing", details: "text parameter is empty"}
		}
	case "payload":
		if *p.Payload == "" {
			return &failure{status: 400, code: 131008, title: "Required parameter is missing", details: "payload is empty"}
		}
	default:
		m := map[string]*wireMedia{"image": p.Image, "video": p.Video, "document": p.Document}[want]
		if !strings.HasPrefix(m.Link, "https://") && m.ID == "" {
			return &failure{status: 400, code: 131009, title: "Parameter value is not valid", details: want + ".link must be an https URL"}
		}
	}
	return nil
}
