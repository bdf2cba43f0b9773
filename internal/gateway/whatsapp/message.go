package whatsapp

import (
	"strconv"
	"unicode/utf8"

	"github.com/parleyhq/parley/internal/parley"
)

// Limits the Cloud API documents for what this gateway sends.
const (
	maxTextBody = 4096 // characters of a text message body
	maxButtons  = 10   // buttons of a template
	// MaxCallbackData is the longest biz_opaque_callback_data the Cloud
	// API takes.
	MaxCallbackData = 512
)

// codeInvalidMessage is the SendError code of a message refused before it
// reached Meta.
const codeInvalidMessage = "INVALID_MESSAGE"

// message is the JSON body of POST /{version}/{phone-number-id}/messages.
type message struct {
	MessagingProduct string    `json:"messaging_product"` // always "whatsapp"
	RecipientType    string    `json:"recipient_type"`    // "individual"
	To               string    `json:"to"`
	Type             string    `json:"type"` // "text" or "template"
	Text             *text     `json:"text,omitempty"`
	Template         *template `json:"template,omitempty"`
	// BizOpaqueCallbackData is the recipient's reference
	// (parley.Message.CallbackRef); Meta returns it, unread, with every
	// status of the message.
	BizOpaqueCallbackData string `json:"biz_opaque_callback_data,omitempty"`
}

type text struct {
	Body string `json:"body"`
}

type template struct {
	Name       string      `json:"name"`
	Language   language    `json:"language"`
	Components []component `json:"components,omitempty"`
}

type language struct {
	Code string `json:"code"`
}

// component fills the variables of one part of a template: the header,
// the body, or one button (SubType and Index set).
type component struct {
	Type       string      `json:"type"`
	SubType    string      `json:"sub_type,omitempty"`
	Index      string      `json:"index,omitempty"`
	Parameters []parameter `json:"parameters"`
}

// parameter is one variable value: text, a quick-reply payload, or a
// header's media link.
type parameter struct {
	Type     string `json:"type"`
	Text     string `json:"text,omitempty"`
	Payload  string `json:"payload,omitempty"`
	Image    *link  `json:"image,omitempty"`
	Video    *link  `json:"video,omitempty"`
	Document *link  `json:"document,omitempty"`
}

type link struct {
	Link string `json:"link"`
}

// newMessage builds the Cloud API message for m, refusing what Meta would
// refuse for certain.
func newMessage(m parley.Message) (message, error) {
	to, err := e164(m.To)
	if err != nil {
		return message{}, err
	}
	msg := message{MessagingProduct: "whatsapp", RecipientType: "individual", To: to}
	if ref := m.CallbackRef(); utf8.RuneCountInString(ref) <= MaxCallbackData {
		msg.BizOpaqueCallbackData = ref
	}
	if m.Template == nil {
		if err := checkText(m.Body); err != nil {
			return message{}, err
		}
		msg.Type, msg.Text = "text", &text{Body: m.Body}
		return msg, nil
	}
	t, err := newTemplate(*m.Template)
	if err != nil {
		return message{}, err
	}
	msg.Type, msg.Template = "template", &t
	return msg, nil
}

func checkText(body string) error {
	switch n := utf8.RuneCountInString(body); {
	case n == 0:
		return invalid(codeInvalidMessage, "empty text body")
	case n > maxTextBody:
		return invalid(codeInvalidMessage, "text body has %d characters, more than %d", n, maxTextBody)
	}
	return nil
}

// newTemplate fills t's header, body and button variables.
func newTemplate(t parley.Template) (template, error) {
	if t.Name == "" || t.Language == "" {
		return template{}, invalid(codeInvalidMessage, "template needs a name and a language")
	}
	out := template{Name: t.Name, Language: language{Code: t.Language}}
	if t.Header != nil {
		h, err := header(*t.Header)
		if err != nil {
			return template{}, err
		}
		out.Components = append(out.Components, h)
	}
	if len(t.Body) > 0 {
		b, err := body(t.Body)
		if err != nil {
			return template{}, err
		}
		out.Components = append(out.Components, b)
	}
	for _, b := range t.Buttons {
		c, err := button(b)
		if err != nil {
			return template{}, err
		}
		out.Components = append(out.Components, c)
	}
	return out, nil
}

// header is the header component carrying a media link.
func header(m parley.Media) (component, error) {
	if m.URL == "" {
		return component{}, invalid(codeInvalidMessage, "template header has no media link")
	}
	p := parameter{Type: m.Type}
	l := &link{Link: m.URL}
	switch m.Type {
	case parley.MediaImage:
		p.Image = l
	case parley.MediaVideo:
		p.Video = l
	case parley.MediaDocument:
		p.Document = l
	default:
		return component{}, invalid(codeInvalidMessage, "template header media type %q is not image, video or document", m.Type)
	}
	return component{Type: "header", Parameters: []parameter{p}}, nil
}

// body is the body component with one text parameter per {{n}}, in order.
func body(values []string) (component, error) {
	ps := make([]parameter, len(values))
	for i, v := range values {
		if v == "" {
			return component{}, invalid(codeInvalidMessage, "template body variable {{%d}} is empty", i+1)
		}
		ps[i] = parameter{Type: "text", Text: v}
	}
	return component{Type: "body", Parameters: ps}, nil
}

// button is the component of one button with a per-recipient value: the
// variable part of a dynamic URL, or a quick reply's payload.
func button(b parley.Button) (component, error) {
	if b.Index < 0 || b.Index >= maxButtons {
		return component{}, invalid(codeInvalidMessage, "template button index %d is outside 0..%d", b.Index, maxButtons-1)
	}
	if b.Value == "" {
		return component{}, invalid(codeInvalidMessage, "template button %d has no value", b.Index)
	}
	c := component{Type: "button", SubType: b.Kind, Index: strconv.Itoa(b.Index)}
	switch b.Kind {
	case parley.ButtonURL:
		c.Parameters = []parameter{{Type: "text", Text: b.Value}}
	case parley.ButtonQuickReply:
		c.Parameters = []parameter{{Type: "payload", Payload: b.Value}}
	default:
		return component{}, invalid(codeInvalidMessage, "template button %d of kind %q takes no value", b.Index, b.Kind)
	}
	return c, nil
}
