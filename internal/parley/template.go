package parley

import (
	"cmp"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parleyhq/parley/internal/message"
)

// WhatsAppTemplate is a WhatsApp message template as an account defines it
// in Parley and submits it to Meta for review: campaigns and API handoffs
// name it by ID (LivePerson's templateId) once Meta approved it, and give
// each recipient its variable values.
type WhatsAppTemplate struct {
	AccountID string `json:"accountId"`
	ID        string `json:"id"`
	// Name and Language identify the template at Meta: the name is lower
	// case letters, digits and underscores, unique in the account with
	// its language.
	Name     string `json:"name"`
	Language string `json:"language"`
	// Category is Meta's: CategoryMarketing, CategoryUtility or
	// CategoryAuthentication.
	Category string `json:"category"`
	// BusinessAccountID is the WhatsApp Business Account (WABA) the
	// template is submitted to; OutboundNumber the account's WhatsApp
	// sending number (a sender of its whatsapp channel) whose access
	// token submits it.
	BusinessAccountID string `json:"wabaId"`
	OutboundNumber    string `json:"outboundNumber"`
	// Header is "", "text", MediaImage, MediaVideo, MediaDocument or
	// HeaderLocation; a media header takes a per-recipient https link
	// (column H1).
	Header     string `json:"header,omitempty"`
	HeaderText string `json:"headerText,omitempty"` // with at most one {{1}}
	// HeaderExample is what Meta's reviewers see in the header: the value
	// of a text header's {{1}}, or the handle of a sample file uploaded
	// with Meta's Resumable Upload API for a media header.
	HeaderExample string           `json:"headerExample,omitempty"`
	Body          string           `json:"body"` // with {{1}}…{{n}}
	BodyExamples  []string         `json:"bodyExamples,omitempty"`
	Footer        string           `json:"footer,omitempty"`
	Buttons       []TemplateButton `json:"buttons,omitempty"`
	// SecurityRecommendation and CodeExpirationMinutes (1 to 90) shape an
	// AUTHENTICATION template, whose text is Meta's preset ("<code> is
	// your verification code."): it adds "For your security, do not share
	// this code." and "This code expires in <n> minutes.".
	SecurityRecommendation bool `json:"securityRecommendation,omitempty"`
	CodeExpirationMinutes  int  `json:"codeExpirationMinutes,omitempty"`

	// Status is where Meta's review stands; only TemplateApproved
	// templates are sent. Parley sets it, with the rest below.
	Status TemplateStatus `json:"status"`
	// MetaID is the template's id at Meta, once submitted.
	MetaID string `json:"metaTemplateId,omitempty"`
	// Reason is Meta's reason for the latest status (a rejection's), ""
	// when it gave none.
	Reason string `json:"reason,omitempty"`
	// ReviewedAt is when Meta's latest applied status update happened:
	// an update older than it changes nothing.
	ReviewedAt time.Time `json:"reviewedAt,omitzero"`
	// History lists the statuses the template went through, oldest
	// first, at most MaxTemplateHistory.
	History []TemplateStatusChange `json:"history,omitempty"`
	// Version counts the saves of the template, from 1.
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"createdAt,omitzero"`
	UpdatedAt time.Time `json:"updatedAt,omitzero"`
}

// TemplateStatus is the review status of a WhatsApp template at Meta.
type TemplateStatus string

// Template statuses, as Meta names them.
const (
	TemplatePending  TemplateStatus = "PENDING"
	TemplateApproved TemplateStatus = "APPROVED"
	TemplateRejected TemplateStatus = "REJECTED"
	TemplatePaused   TemplateStatus = "PAUSED"
	TemplateDisabled TemplateStatus = "DISABLED"
)

// TemplateStatusChange is one status a template went through.
type TemplateStatusChange struct {
	Status TemplateStatus `json:"status"`
	Reason string         `json:"reason,omitempty"`
	At     time.Time      `json:"at"`
}

// MaxTemplateHistory bounds a template's History: the oldest changes go.
const MaxTemplateHistory = 20

// Template categories, as Meta names them.
const (
	CategoryMarketing      = "MARKETING"
	CategoryUtility        = "UTILITY"
	CategoryAuthentication = "AUTHENTICATION"
)

// HeaderLocation is a header that shows a location the message carries.
const HeaderLocation = "location"

// TemplateButton is one button of a template.
type TemplateButton struct {
	Kind  string `json:"kind"` // ButtonQuickReply, ButtonURL, ButtonPhone or ButtonCopyCode
	Text  string `json:"text"`
	URL   string `json:"url,omitempty"`   // for ButtonURL; a dynamic one ends in {{1}}
	Phone string `json:"phone,omitempty"` // for ButtonPhone
	// Example is what Meta's reviewers see: the full URL of a dynamic URL
	// button, the code of a copy-code button.
	Example string `json:"example,omitempty"`
}

// ButtonCopyCode copies a coupon code the template carries.
const ButtonCopyCode = "copy_code"

// Dynamic reports whether a URL button takes a per-recipient value.
func (b TemplateButton) Dynamic() bool { return b.Kind == ButtonURL && strings.Contains(b.URL, "{{") }

// Template limits, as Meta and LivePerson set them.
const (
	MaxQuickReplies    = 3
	MaxCallToAction    = 2
	MaxTemplateBody    = 1024
	MaxTemplateName    = 512
	MaxTemplateHeader  = 60
	MaxTemplateFooter  = 60
	MaxButtonText      = 25
	MaxButtonURL       = 2000
	MaxButtonPhone     = 20
	MaxCopyCode        = 15
	MaxTemplateExample = 1024 // bounds each example value
)

var (
	templateName     = regexp.MustCompile(`^[a-z0-9_]+$`)
	templateLanguage = regexp.MustCompile(`^[a-z]{2,3}(_[A-Z]{2}|_[A-Za-z]{4})?$`)
	digits           = regexp.MustCompile(`^[0-9]{1,32}$`)
)

// Validate checks a template definition against Meta's and LivePerson's
// rules, the first broken one an EINVALID error naming its field: a name
// of lower case letters, digits and underscores; a language code such as
// en_US; a category; the WABA id and the sending number; a body of at most
// 1,024 characters whose variables run {{1}}..{{n}}, neither first nor
// last, each with its example; a header of a known format (text of at
// most 60 characters with at most one variable, or media with its sample
// handle); a footer of at most 60 characters without variables; at most
// three quick replies, or at most two call-to-action buttons of which at
// most one URL and one phone number, never both kinds; a dynamic URL with
// exactly one variable, {{1}}, at its end; https links only.
func (t WhatsAppTemplate) Validate() error {
	name := utf8.RuneCountInString(t.Name)
	switch {
	case strings.TrimSpace(t.Name) == "":
		return FieldErrorf("name", "name is the template's name at Meta and is required")
	case name > MaxTemplateName:
		return FieldErrorf("name", "name is %d characters; at most %d", name, MaxTemplateName)
	case !templateName.MatchString(t.Name):
		return FieldErrorf("name", "name %q may hold only lower case letters, digits and underscores", t.Name)
	case strings.TrimSpace(t.Language) == "":
		return FieldErrorf("language", "language (such as en_US) is required")
	case !templateLanguage.MatchString(t.Language):
		return FieldErrorf("language", "language %q is not a WhatsApp language code such as en or en_US", t.Language)
	}
	switch t.Category {
	case CategoryMarketing, CategoryUtility, CategoryAuthentication:
	case "":
		return FieldErrorf("category", "category is required: %s, %s or %s", CategoryMarketing, CategoryUtility, CategoryAuthentication)
	default:
		return FieldErrorf("category", "category %q is not one of %s, %s, %s", t.Category, CategoryMarketing, CategoryUtility, CategoryAuthentication)
	}
	switch {
	case !digits.MatchString(t.BusinessAccountID):
		return FieldErrorf("wabaId", "wabaId %q is not a WhatsApp Business Account id (digits)", t.BusinessAccountID)
	case !IsE164(t.OutboundNumber):
		return FieldErrorf("outboundNumber", "outboundNumber %q is not an E.164 WhatsApp sending number", t.OutboundNumber)
	case t.Category == CategoryAuthentication:
		return t.validateAuthentication()
	case t.SecurityRecommendation || t.CodeExpirationMinutes != 0:
		return FieldErrorf("codeExpirationMinutes", "securityRecommendation and codeExpirationMinutes shape AUTHENTICATION templates only")
	}
	if err := t.validateBody(); err != nil {
		return err
	}
	if err := t.validateHeader(); err != nil {
		return err
	}
	switch footer := utf8.RuneCountInString(t.Footer); {
	case footer > MaxTemplateFooter:
		return FieldErrorf("footer", "footer is %d characters; at most %d", footer, MaxTemplateFooter)
	case strings.Contains(t.Footer, "{{"):
		return FieldErrorf("footer", "a footer takes no variables")
	}
	return validateButtons(t.Buttons)
}

// MaxCodeExpiration bounds an AUTHENTICATION template's
// codeExpirationMinutes.
const MaxCodeExpiration = 90

// validateAuthentication checks an AUTHENTICATION template as Meta takes
// one: its preset text (no body, header or footer of its own, no media or
// URL) and one copy-code button, whose text is optional.
func (t WhatsAppTemplate) validateAuthentication() error {
	switch {
	case t.Body != "" || len(t.BodyExamples) > 0:
		return FieldErrorf("body", "an AUTHENTICATION template's text is Meta's preset (\"<code> is your verification code.\"); leave body and bodyExamples out")
	case t.Header != "" || t.HeaderText != "" || t.HeaderExample != "":
		return FieldErrorf("header", "an AUTHENTICATION template has no header")
	case t.Footer != "":
		return FieldErrorf("footer", "an AUTHENTICATION template's footer is Meta's; set codeExpirationMinutes instead")
	case t.CodeExpirationMinutes < 0 || t.CodeExpirationMinutes > MaxCodeExpiration:
		return FieldErrorf("codeExpirationMinutes", "codeExpirationMinutes is %d; 1 to %d, or 0 for none", t.CodeExpirationMinutes, MaxCodeExpiration)
	case len(t.Buttons) != 1 || t.Buttons[0].Kind != ButtonCopyCode:
		return FieldErrorf("buttons", "an AUTHENTICATION template has one button, of kind copy_code (the one-time code)")
	case utf8.RuneCountInString(t.Buttons[0].Text) > MaxButtonText:
		return FieldErrorf("buttons[0].text", "a button's text is %d characters; at most %d", utf8.RuneCountInString(t.Buttons[0].Text), MaxButtonText)
	case t.Buttons[0].URL != "" || t.Buttons[0].Phone != "" || t.Buttons[0].Example != "":
		return FieldErrorf("buttons[0]", "the one-time code button takes only its text")
	}
	return nil
}

// validateBody checks the body and its examples.
func (t WhatsAppTemplate) validateBody() error {
	body := strings.TrimSpace(t.Body)
	n := utf8.RuneCountInString(t.Body)
	switch {
	case body == "":
		return FieldErrorf("body", "body is required")
	case n > MaxTemplateBody:
		return FieldErrorf("body", "body is %d characters; at most %d", n, MaxTemplateBody)
	}
	vars := message.Placeholders(t.Body)
	for i, v := range slices.Sorted(slices.Values(vars)) {
		if v != i+1 {
			return FieldErrorf("body", "body variables must run {{1}} to {{%d}} without a gap; {{%d}} is missing", len(vars), i+1)
		}
	}
	if len(vars) > 0 && (strings.HasPrefix(body, "{{") || strings.HasSuffix(body, "}}")) {
		return FieldErrorf("body", "Meta refuses a body that starts or ends with a variable")
	}
	if len(t.BodyExamples) != len(vars) {
		return FieldErrorf("bodyExamples", "body has %d variables and %d examples; Meta's reviewers need one example per variable", len(vars), len(t.BodyExamples))
	}
	for i, e := range t.BodyExamples {
		if err := example(fmt.Sprintf("bodyExamples[%d]", i), e); err != nil {
			return err
		}
	}
	return nil
}

// validateHeader checks the header and its example.
func (t WhatsAppTemplate) validateHeader() error {
	switch t.Header {
	case "", HeaderLocation:
		if t.HeaderText != "" || t.HeaderExample != "" {
			return FieldErrorf("headerText", "headerText and headerExample go with a text or media header")
		}
		return nil
	case MediaImage, MediaVideo, MediaDocument:
		if t.HeaderText != "" {
			return FieldErrorf("headerText", "a %s header has no text", t.Header)
		}
		if err := example("headerExample", t.HeaderExample); err != nil {
			return FieldErrorf("headerExample", "a %s header needs headerExample, the handle of a sample file uploaded with Meta's Resumable Upload API", t.Header)
		}
		return nil
	case "text":
	default:
		return FieldErrorf("header", "header %q is not one of text, image, video, document, location", t.Header)
	}
	n := utf8.RuneCountInString(t.HeaderText)
	vars := message.Placeholders(t.HeaderText)
	switch {
	case strings.TrimSpace(t.HeaderText) == "":
		return FieldErrorf("headerText", "a text header needs headerText")
	case n > MaxTemplateHeader:
		return FieldErrorf("headerText", "headerText is %d characters; at most %d", n, MaxTemplateHeader)
	case len(vars) > 1 || (len(vars) == 1 && vars[0] != 1) || strings.Count(t.HeaderText, "{{") > 1:
		return FieldErrorf("headerText", "a text header takes at most one variable, {{1}}")
	case len(vars) == 1:
		return example("headerExample", t.HeaderExample)
	case t.HeaderExample != "":
		return FieldErrorf("headerExample", "headerText has no variable to give an example of")
	}
	return nil
}

// example checks one example value.
func example(field, v string) error {
	switch n := utf8.RuneCountInString(v); {
	case strings.TrimSpace(v) == "":
		return FieldErrorf(field, "%s is required", field)
	case n > MaxTemplateExample:
		return FieldErrorf(field, "%s is %d characters; at most %d", field, n, MaxTemplateExample)
	}
	return nil
}

func validateButtons(bs []TemplateButton) error {
	count := map[string]int{}
	for i, b := range bs {
		field := fmt.Sprintf("buttons[%d]", i)
		switch n := utf8.RuneCountInString(b.Text); {
		case strings.TrimSpace(b.Text) == "" && b.Kind != ButtonCopyCode:
			return FieldErrorf(field+".text", "every button needs its text")
		case n > MaxButtonText:
			return FieldErrorf(field+".text", "a button's text is %d characters; at most %d", n, MaxButtonText)
		}
		count[b.Kind]++
		if err := validateButton(field, b); err != nil {
			return err
		}
	}
	cta := count[ButtonURL] + count[ButtonPhone] + count[ButtonCopyCode]
	switch {
	case count[ButtonQuickReply] > 0 && cta > 0:
		return FieldErrorf("buttons", "a template has quick replies or call-to-action buttons, not both")
	case count[ButtonQuickReply] > MaxQuickReplies:
		return FieldErrorf("buttons", "%d quick replies; at most %d", count[ButtonQuickReply], MaxQuickReplies)
	case cta > MaxCallToAction:
		return FieldErrorf("buttons", "%d call-to-action buttons; at most %d", cta, MaxCallToAction)
	case count[ButtonURL] > 1 || count[ButtonPhone] > 1 || count[ButtonCopyCode] > 1:
		return FieldErrorf("buttons", "two call-to-action buttons must be of two kinds (URL, phone number, copy code)")
	}
	return nil
}

func validateButton(field string, b TemplateButton) error {
	switch b.Kind {
	case ButtonQuickReply:
		return nil
	case ButtonPhone:
		switch {
		case strings.TrimSpace(b.Phone) == "":
			return FieldErrorf(field+".phone", "a phone-number button needs its phone")
		case len(b.Phone) > MaxButtonPhone || !IsE164(b.Phone):
			return FieldErrorf(field+".phone", "%q is not an E.164 phone number of at most %d characters", b.Phone, MaxButtonPhone)
		}
		return nil
	case ButtonCopyCode:
		if n := utf8.RuneCountInString(b.Example); strings.TrimSpace(b.Example) == "" || n > MaxCopyCode {
			return FieldErrorf(field+".example", "a copy-code button needs its example code, at most %d characters", MaxCopyCode)
		}
		return nil
	case ButtonURL:
		return validateURLButton(field, b)
	default:
		return FieldErrorf(field+".kind", "kind %q is not one of quick_reply, url, phone_number, copy_code", b.Kind)
	}
}

func validateURLButton(field string, b TemplateButton) error {
	if len(b.URL) > MaxButtonURL {
		return FieldErrorf(field+".url", "the URL is %d characters; at most %d", len(b.URL), MaxButtonURL)
	}
	link := b.URL
	if b.Dynamic() {
		if strings.Count(link, "{{") != 1 || !strings.HasSuffix(link, "{{1}}") {
			return FieldErrorf(field+".url", "a dynamic URL takes exactly one variable, {{1}}, at its end")
		}
		if !strings.HasPrefix(b.Example, strings.TrimSuffix(link, "{{1}}")) || len(b.Example) == len(link)-len("{{1}}") {
			return FieldErrorf(field+".example", "a dynamic URL needs its example: the URL with {{1}} filled in")
		}
		link = strings.TrimSuffix(link, "{{1}}") + "x"
	} else if b.Example != "" {
		return FieldErrorf(field+".example", "a static URL takes no example")
	}
	if u, err := url.Parse(link); err != nil || u.Scheme != "https" || u.Host == "" {
		return FieldErrorf(field+".url", "%q is not an https URL", b.URL)
	}
	return nil
}

// Usable is nil when campaigns and handoffs may send the template: Meta
// approved it, and it is not an AUTHENTICATION template or one with a
// header campaigns cannot fill. Otherwise it is EINVALID on field, saying
// why.
func (t WhatsAppTemplate) Usable(field string) error {
	switch {
	case t.Category == CategoryAuthentication:
		return FieldErrorf(field, "WhatsApp template %s (%s) is an AUTHENTICATION template: it carries one-time codes, which campaigns and handoffs do not send", t.ID, t.Name)
	case t.Status == TemplateApproved && t.Header == HeaderLocation:
		return FieldErrorf(field, "WhatsApp template %s (%s) has a location header, which campaigns cannot fill", t.ID, t.Name)
	case t.Status == TemplateApproved && len(message.Placeholders(t.HeaderText)) > 0:
		return FieldErrorf(field, "WhatsApp template %s (%s) has a variable in its text header, which campaigns cannot fill", t.ID, t.Name)
	case t.Status == TemplateApproved:
		return nil
	}
	why := "Meta has not approved it yet"
	switch t.Status {
	case TemplateRejected:
		why = "Meta rejected it"
	case TemplatePaused:
		why = "Meta paused it"
	case TemplateDisabled:
		why = "Meta disabled it"
	}
	if t.Reason != "" {
		why += " (" + t.Reason + ")"
	}
	return FieldErrorf(field, "WhatsApp template %s (%s) is %s: %s; only APPROVED templates can be sent", t.ID, t.Name, cmp.Or(string(t.Status), "not submitted"), why)
}

// Decided reports whether Meta has reviewed the template: any status but
// PENDING.
func (s TemplateStatus) Decided() bool { return s != TemplatePending && s != "" }

// TemplateReview is a status update of a template from Meta's review.
type TemplateReview struct {
	Status TemplateStatus
	Reason string
	// At is when the update happened at Meta.
	At time.Time
}

// Reviewed returns t with the review applied, and whether it changed
// anything. Reviews are idempotent and order-tolerant: one older than the
// latest applied (ReviewedAt) changes nothing, nor does a repeat of the
// current status, nor a late PENDING once Meta decided.
func (t WhatsAppTemplate) Reviewed(r TemplateReview) (WhatsAppTemplate, bool) {
	switch {
	case r.At.Before(t.ReviewedAt),
		r.Status == t.Status,
		r.Status == TemplatePending && t.Status.Decided():
		return t, false
	}
	t.Status, t.Reason, t.ReviewedAt = r.Status, r.Reason, r.At
	t.History = t.WithHistory(r.Status, r.Reason, r.At)
	return t, true
}

// WithHistory is t's history with one more change, the oldest dropped
// beyond MaxTemplateHistory.
func (t WhatsAppTemplate) WithHistory(s TemplateStatus, reason string, at time.Time) []TemplateStatusChange {
	h := append(slices.Clone(t.History), TemplateStatusChange{Status: s, Reason: reason, At: at})
	if len(h) > MaxTemplateHistory {
		h = h[len(h)-MaxTemplateHistory:]
	}
	return h
}

// NameKey is what makes a template unique in its account: its name and
// language.
func (t WhatsAppTemplate) NameKey() string { return t.Name + "#" + t.Language }

// URLVariable reports whether the template has a dynamic URL button, and
// its index among the buttons.
func (t WhatsAppTemplate) URLVariable() (int, bool) {
	for i, b := range t.Buttons {
		if b.Dynamic() {
			return i, true
		}
	}
	return 0, false
}

// Rich reports whether the template has more than a body: such templates
// cannot fall back to SMS.
func (t WhatsAppTemplate) Rich() bool {
	return t.Header != "" || t.Footer != "" || len(t.Buttons) > 0
}

// BodyVars is how many body variables the template takes: its highest
// {{n}}.
func (t WhatsAppTemplate) BodyVars() int {
	n := 0
	for _, p := range message.Placeholders(t.Body) {
		n = max(n, p)
	}
	return n
}

// MediaHeader is the template's header media type, "" when it has none.
func (t WhatsAppTemplate) MediaHeader() string {
	if t.Header == "text" || t.Header == HeaderLocation {
		return ""
	}
	return t.Header
}

// For fills the template with one recipient's values: body variables
// "1".."n", the header media link and the dynamic URL button's value.
func (t WhatsAppTemplate) For(r Recipient) *Template {
	out := &Template{Name: t.Name, Language: t.Language}
	for i := range t.BodyVars() {
		out.Body = append(out.Body, r.Variables[strconv.Itoa(i+1)])
	}
	if h := t.MediaHeader(); h != "" {
		out.Header = &Media{Type: h, URL: r.HeaderURL}
	}
	if i, ok := t.URLVariable(); ok {
		out.Buttons = []Button{{Index: i, Kind: ButtonURL, Value: r.ButtonValue}}
	}
	return out
}
