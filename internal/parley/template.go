package parley

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/parleyhq/parley/internal/message"
)

// WhatsAppTemplate is a WhatsApp message template approved by Meta, as an
// account registers it with Parley: campaigns name it by ID (LivePerson's
// templateId) and give each recipient its variable values.
type WhatsAppTemplate struct {
	AccountID string `json:"accountId"`
	ID        string `json:"id"`
	// Name and Language identify the template at Meta.
	Name     string `json:"name"`
	Language string `json:"language"`
	// Header is "", "text", MediaImage, MediaVideo or MediaDocument; a media
	// header takes a per-recipient https link (column H1).
	Header     string           `json:"header,omitempty"`
	HeaderText string           `json:"headerText,omitempty"`
	Body       string           `json:"body"` // with {{1}}…{{n}}
	Footer     string           `json:"footer,omitempty"`
	Buttons    []TemplateButton `json:"buttons,omitempty"`
}

// TemplateButton is one button of a template.
type TemplateButton struct {
	Kind  string `json:"kind"` // ButtonQuickReply, ButtonURL or ButtonPhone
	Text  string `json:"text"`
	URL   string `json:"url,omitempty"`   // for ButtonURL; a dynamic one ends in {{1}}
	Phone string `json:"phone,omitempty"` // for ButtonPhone
}

// Dynamic reports whether a URL button takes a per-recipient value.
func (b TemplateButton) Dynamic() bool { return b.Kind == ButtonURL && strings.Contains(b.URL, "{{") }

// Template limits, as Meta and LivePerson set them.
const (
	MaxQuickReplies = 3
	MaxCallToAction = 2
	MaxTemplateBody = 1024
)

// Validate checks a template definition against WhatsApp's rules: a body;
// a media header of a known type; at most three quick replies, or at most
// two call-to-action buttons of which at most one URL and one phone number,
// never both kinds; a dynamic URL with exactly one variable, {{1}}, at its
// end; https links only.
func (t WhatsAppTemplate) Validate() error {
	switch {
	case strings.TrimSpace(t.Name) == "":
		return FieldErrorf("name", "name is the template's name at Meta and is required")
	case strings.TrimSpace(t.Language) == "":
		return FieldErrorf("language", "language (such as en_US) is required")
	case strings.TrimSpace(t.Body) == "":
		return FieldErrorf("body", "body is required")
	case utf8.RuneCountInString(t.Body) > MaxTemplateBody:
		return FieldErrorf("body", "body is %d characters; at most %d", utf8.RuneCountInString(t.Body), MaxTemplateBody)
	}
	switch t.Header {
	case "", MediaImage, MediaVideo, MediaDocument:
	case "text":
		if strings.TrimSpace(t.HeaderText) == "" {
			return FieldErrorf("headerText", "a text header needs headerText")
		}
	default:
		return FieldErrorf("header", "header %q is not one of text, image, video, document", t.Header)
	}
	return validateButtons(t.Buttons)
}

func validateButtons(bs []TemplateButton) error {
	count := map[string]int{}
	for i, b := range bs {
		field := fmt.Sprintf("buttons[%d]", i)
		if strings.TrimSpace(b.Text) == "" {
			return FieldErrorf(field+".text", "every button needs its text")
		}
		count[b.Kind]++
		if err := validateButton(field, b); err != nil {
			return err
		}
	}
	cta := count[ButtonURL] + count[ButtonPhone]
	switch {
	case count[ButtonQuickReply] > 0 && cta > 0:
		return FieldErrorf("buttons", "a template has quick replies or call-to-action buttons, not both")
	case count[ButtonQuickReply] > MaxQuickReplies:
		return FieldErrorf("buttons", "%d quick replies; at most %d", count[ButtonQuickReply], MaxQuickReplies)
	case cta > MaxCallToAction:
		return FieldErrorf("buttons", "%d call-to-action buttons; at most %d", cta, MaxCallToAction)
	case count[ButtonURL] > 1 || count[ButtonPhone] > 1:
		return FieldErrorf("buttons", "two call-to-action buttons must be one URL and one phone number")
	}
	return nil
}

func validateButton(field string, b TemplateButton) error {
	switch b.Kind {
	case ButtonQuickReply:
		return nil
	case ButtonPhone:
		if strings.TrimSpace(b.Phone) == "" {
			return FieldErrorf(field+".phone", "a phone-number button needs its phone")
		}
		return nil
	case ButtonURL:
		link := b.URL
		if b.Dynamic() {
			if strings.Count(link, "{{") != 1 || !strings.HasSuffix(link, "{{1}}") {
				return FieldErrorf(field+".url", "a dynamic URL takes exactly one variable, {{1}}, at its end")
			}
			link = strings.TrimSuffix(link, "{{1}}") + "x"
		}
		if u, err := url.Parse(link); err != nil || u.Scheme != "https" || u.Host == "" {
			return FieldErrorf(field+".url", "%q is not an https URL", b.URL)
		}
		return nil
	default:
		return FieldErrorf(field+".kind", "kind %q is not one of quick_reply, url, phone_number", b.Kind)
	}
}

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
	if t.Header == "text" {
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
