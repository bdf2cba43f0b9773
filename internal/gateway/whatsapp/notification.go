package whatsapp

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// Notification is what one webhook POST carried: of the "messages" field,
// the consumers' messages and the status updates of messages the business
// sent; of the "message_template_status_update" field, the changes of its
// templates' review status. Changes of other fields (account updates,
// template quality) are skipped.
type Notification struct {
	Inbound   []Inbound
	Statuses  []Status
	Templates []TemplateEvent
}

// Fields of the changes this package reads.
const (
	fieldMessages       = "messages"
	fieldTemplateStatus = "message_template_status_update"
)

// TemplateEvent is a change of a template's status at Meta.
type TemplateEvent struct {
	BusinessAccountID string // the entry's id: the template's WABA
	TemplateID        string // message_template_id
	Name              string // message_template_name
	Language          string // message_template_language
	Category          string // message_template_category, when sent
	// Event is Meta's word: APPROVED, REJECTED, PAUSED, DISABLED,
	// PENDING, FLAGGED, REINSTATED, PENDING_DELETION…
	Event string
	// Reason is Meta's reason, "" for its "NONE".
	Reason string
	// Time is the entry's time; zero when it has none.
	Time time.Time
}

// reviewEvents are the template events that say whether a template may
// be sent, and the status each means. Other events (FLAGGED, IN_APPEAL,
// LIMIT_EXCEEDED…) change nothing.
var reviewEvents = map[string]parley.TemplateStatus{
	"PENDING": parley.TemplatePending, "APPROVED": parley.TemplateApproved, "REJECTED": parley.TemplateRejected,
	"PAUSED": parley.TemplatePaused, "DISABLED": parley.TemplateDisabled,
	// A flagged template cleared again is approved; one being deleted
	// can no longer be sent.
	"REINSTATED": parley.TemplateApproved, "PENDING_DELETION": parley.TemplateDisabled, "DELETED": parley.TemplateDisabled,
}

// Review is what the event means: its status is "" for an event that
// says nothing about whether the template may be sent.
func (e TemplateEvent) Review() parley.TemplateReview {
	return parley.TemplateReview{Status: reviewEvents[e.Event], Reason: e.Reason, At: e.Time}
}

// Inbound message types this package reads the text of; every other type
// (image, audio, location, reaction, unsupported…) is recorded by type, with
// a media caption as its text when there is one.
const (
	TypeText        = "text"
	TypeButton      = "button"      // a template's quick-reply button
	TypeInteractive = "interactive" // a reply button or list row
)

// Inbound is a message a consumer sent to one of the business's numbers.
type Inbound struct {
	ID            string // WhatsApp message id (wamid), the key to dedupe on
	PhoneNumberID string // the business number's phone-number id
	To            string // the business number, E.164
	// From is the consumer's E.164 number; empty when WhatsApp withholds it
	// from a user with a username, and UserID identifies them instead.
	From      string
	UserID    string // business-scoped user id (BSUID), when Meta sends one
	Name      string // the consumer's WhatsApp profile name
	Timestamp time.Time
	Type      string // Meta's message type: TypeText, TypeButton, TypeInteractive, image…
	// Text is what the consumer wrote or chose: a text body, a button's or
	// list row's title, or a media caption.
	Text string
	// Payload is the machine value of a choice: a quick-reply payload, or the
	// id of a reply button or list row.
	Payload string
	// ContextID is the wamid of the message this one answers, when the
	// consumer replied to or tapped a button of a specific message.
	ContextID string
	Errors    []ErrorInfo // why Meta could not read it (type "unsupported")
}

// Delivery statuses Meta reports. Others (such as "played" for voice) are
// passed on as they come.
const (
	StatusSent      = "sent"
	StatusDelivered = "delivered"
	StatusRead      = "read"
	StatusFailed    = "failed"
)

// Status is a change in the delivery of a message the business sent.
type Status struct {
	ID            string // wamid of the outbound message, as Send returned it
	PhoneNumberID string
	From          string // the business number, E.164
	To            string // the consumer's E.164 number; empty when withheld
	UserID        string // the consumer's business-scoped user id
	Status        string // StatusSent, StatusDelivered, StatusRead, StatusFailed…
	Timestamp     time.Time
	Errors        []ErrorInfo // why a failed message failed
	// CallbackData is the biz_opaque_callback_data the message was sent
	// with: Send sets it to the recipient's parley.Message.CallbackRef.
	CallbackData string
}

// ErrorInfo is an error Meta reports in a webhook.
type ErrorInfo struct {
	Code    string // Graph error code, e.g. "131026"
	Title   string
	Message string
	Details string
	// Kind is what the code means for the recipient, by the rules Send
	// applies: a failed status with FailIneligible may fall back to SMS.
	Kind parley.FailKind
}

// objectWhatsApp is the object of every WhatsApp Business Account webhook.
const objectWhatsApp = "whatsapp_business_account"

// maxUnix is the last second of year 9999, the latest timestamp accepted.
const maxUnix = 253402300799

// ParseNotification reads the body of a webhook POST, already verified with
// VerifySignature. A body that is not a WhatsApp Business Account
// notification, or a message or status without its id, timestamp or
// sender, is an EINVALID *parley.Error naming the field.
func ParseNotification(body []byte) (Notification, error) {
	var raw struct {
		Object string `json:"object"`
		Entry  []struct {
			ID      string          `json:"id"`
			Time    json.RawMessage `json:"time"`
			Changes []struct {
				Field string          `json:"field"`
				Value json.RawMessage `json:"value"`
			} `json:"changes"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return Notification{}, parley.Wrap(parley.EINVALID, err, "webhook body is not a notification")
	}
	if raw.Object != objectWhatsApp {
		return Notification{}, parley.FieldErrorf("object", "is %q, not %s", raw.Object, objectWhatsApp)
	}
	var n Notification
	for i, e := range raw.Entry {
		for j, c := range e.Changes {
			path := fmt.Sprintf("entry[%d].changes[%d].value", i, j)
			var err error
			switch c.Field {
			case fieldMessages:
				err = n.add(path, c.Value)
			case fieldTemplateStatus:
				err = n.addTemplate(fmt.Sprintf("entry[%d]", i), path, e.ID, e.Time, c.Value)
			}
			if err != nil {
				return Notification{}, err
			}
		}
	}
	return n, nil
}

// addTemplate appends the template event of one change of entry (its id
// and time given).
func (n *Notification) addTemplate(entry, path, wabaID string, at json.RawMessage, raw json.RawMessage) error {
	var v struct {
		Event    string      `json:"event"`
		ID       json.Number `json:"message_template_id"`
		Name     string      `json:"message_template_name"`
		Language string      `json:"message_template_language"`
		Reason   string      `json:"reason"`
		Category string      `json:"message_template_category"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return &parley.Error{Code: parley.EINVALID, Field: path, Message: "is not a message_template_status_update value", Err: err}
	}
	id := v.ID.String()
	switch {
	case wabaID == "" || strings.Trim(wabaID, "0123456789") != "":
		return parley.FieldErrorf(entry+".id", "%q is not a WhatsApp Business Account id", wabaID)
	case id == "" || strings.Trim(id, "0123456789") != "":
		return parley.FieldErrorf(path+".message_template_id", "%q is not a template id", id)
	case v.Event == "":
		return parley.FieldErrorf(path+".event", "is missing")
	}
	ev := TemplateEvent{BusinessAccountID: wabaID, TemplateID: id, Name: v.Name, Language: v.Language,
		Category: v.Category, Event: strings.ToUpper(v.Event), Reason: v.Reason}
	if ev.Reason == "NONE" {
		ev.Reason = ""
	}
	if len(at) > 0 && string(at) != "null" {
		t, ok := unixTime(strings.Trim(string(at), `"`))
		if !ok {
			return parley.FieldErrorf(entry+".time", "%.40s is not a Unix time in seconds", at)
		}
		ev.Time = t
	}
	n.Templates = append(n.Templates, ev)
	return nil
}

// value is the value of a "messages" change.
type value struct {
	Metadata struct {
		DisplayPhoneNumber string `json:"display_phone_number"`
		PhoneNumberID      string `json:"phone_number_id"`
	} `json:"metadata"`
	Contacts []contact    `json:"contacts"`
	Messages []rawInbound `json:"messages"`
	Statuses []rawStatus  `json:"statuses"`
}

type contact struct {
	Profile struct {
		Name string `json:"name"`
	} `json:"profile"`
	WaID   string `json:"wa_id"`
	UserID string `json:"user_id"`
}

type rawInbound struct {
	From       string `json:"from"`
	FromUserID string `json:"from_user_id"`
	ID         string `json:"id"`
	Timestamp  string `json:"timestamp"`
	Type       string `json:"type"`
	Context    *struct {
		ID string `json:"id"`
	} `json:"context"`
	Text *struct {
		Body string `json:"body"`
	} `json:"text"`
	Button *struct {
		Payload string `json:"payload"`
		Text    string `json:"text"`
	} `json:"button"`
	Interactive *struct {
		Type        string `json:"type"`
		ButtonReply *reply `json:"button_reply"`
		ListReply   *reply `json:"list_reply"`
	} `json:"interactive"`
	Image    *media     `json:"image"`
	Video    *media     `json:"video"`
	Document *media     `json:"document"`
	Errors   []rawError `json:"errors"`
}

type reply struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

type media struct {
	Caption string `json:"caption"`
}

type rawStatus struct {
	ID              string     `json:"id"`
	Status          string     `json:"status"`
	Timestamp       string     `json:"timestamp"`
	RecipientID     string     `json:"recipient_id"`
	RecipientUserID string     `json:"recipient_user_id"`
	CallbackData    string     `json:"biz_opaque_callback_data"`
	Errors          []rawError `json:"errors"`
}

type rawError struct {
	Code      int    `json:"code"`
	Title     string `json:"title"`
	Message   string `json:"message"`
	ErrorData struct {
		Details string `json:"details"`
	} `json:"error_data"`
}

// add appends the messages and statuses of one change.
func (n *Notification) add(path string, raw json.RawMessage) error {
	var v value
	if err := json.Unmarshal(raw, &v); err != nil {
		return &parley.Error{Code: parley.EINVALID, Field: path, Message: "is not a messages value", Err: err}
	}
	if len(v.Messages)+len(v.Statuses) > 0 && v.Metadata.PhoneNumberID == "" {
		return parley.FieldErrorf(path+".metadata.phone_number_id", "is missing")
	}
	for i, m := range v.Messages {
		in, err := v.inbound(fmt.Sprintf("%s.messages[%d]", path, i), m)
		if err != nil {
			return err
		}
		n.Inbound = append(n.Inbound, in)
	}
	for i, s := range v.Statuses {
		st, err := v.status(fmt.Sprintf("%s.statuses[%d]", path, i), s)
		if err != nil {
			return err
		}
		n.Statuses = append(n.Statuses, st)
	}
	return nil
}

// inbound reads one consumer message.
func (v value) inbound(path string, m rawInbound) (Inbound, error) {
	from, err := consumer(path, "from", m.From, m.FromUserID)
	if err != nil {
		return Inbound{}, err
	}
	at, err := stamp(path, m.ID, m.Timestamp)
	if err != nil {
		return Inbound{}, err
	}
	in := Inbound{
		ID: m.ID, PhoneNumberID: v.Metadata.PhoneNumberID, To: business(v.Metadata.DisplayPhoneNumber),
		From: from, UserID: m.FromUserID, Name: v.name(m.From, m.FromUserID), Timestamp: at, Type: m.Type,
		Errors: errorInfos(m.Errors),
	}
	if m.Context != nil {
		in.ContextID = m.Context.ID
	}
	in.Text, in.Payload = m.content()
	return in, nil
}

// content is the text and payload of a message, by its type.
func (m rawInbound) content() (text, payload string) {
	switch {
	case m.Type == TypeText && m.Text != nil:
		return m.Text.Body, ""
	case m.Type == TypeButton && m.Button != nil:
		return m.Button.Text, m.Button.Payload
	case m.Type == TypeInteractive && m.Interactive != nil:
		for _, r := range []*reply{m.Interactive.ButtonReply, m.Interactive.ListReply} {
			if r != nil {
				return r.Title, r.ID
			}
		}
	}
	for _, c := range []*media{m.Image, m.Video, m.Document} {
		if c != nil && c.Caption != "" {
			return c.Caption, ""
		}
	}
	return "", ""
}

// status reads one delivery status.
func (v value) status(path string, s rawStatus) (Status, error) {
	to, err := consumer(path, "recipient_id", s.RecipientID, s.RecipientUserID)
	if err != nil {
		return Status{}, err
	}
	at, err := stamp(path, s.ID, s.Timestamp)
	if err != nil {
		return Status{}, err
	}
	if s.Status == "" {
		return Status{}, parley.FieldErrorf(path+".status", "is missing")
	}
	return Status{
		ID: s.ID, PhoneNumberID: v.Metadata.PhoneNumberID, From: business(v.Metadata.DisplayPhoneNumber),
		To: to, UserID: s.RecipientUserID, Status: s.Status, Timestamp: at, Errors: errorInfos(s.Errors),
		CallbackData: s.CallbackData,
	}, nil
}

// stamp checks the id and reads the Unix-seconds timestamp every message
// and status carries.
func stamp(path, id, timestamp string) (time.Time, error) {
	if id == "" {
		return time.Time{}, parley.FieldErrorf(path+".id", "is missing")
	}
	t, ok := unixTime(timestamp)
	if !ok {
		return time.Time{}, parley.FieldErrorf(path+".timestamp", "%q is not a Unix time in seconds", timestamp)
	}
	return t, nil
}

// unixTime reads a Unix time in seconds, from 1970 to the end of year 9999.
func unixTime(s string) (time.Time, bool) {
	sec, err := strconv.ParseInt(s, 10, 64)
	if err != nil || sec <= 0 || sec > maxUnix {
		return time.Time{}, false
	}
	return time.Unix(sec, 0).UTC(), true
}

// consumer returns the consumer's number in E.164 form from the digits
// WhatsApp sends; a consumer known only by user id has none.
func consumer(path, field, waID, userID string) (string, error) {
	if waID == "" && userID == "" {
		return "", parley.FieldErrorf(path+"."+field, "is missing, and there is no user id")
	}
	if waID == "" {
		return "", nil
	}
	if strings.Trim(waID, "0123456789") != "" {
		return "", parley.FieldErrorf(path+"."+field, "%q is not a phone number", waID)
	}
	return "+" + waID, nil
}

// business returns the business's display number in E.164 form, keeping
// only its digits: Meta sends digits, but this number is informative only.
func business(display string) string {
	d := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, display)
	if d == "" {
		return ""
	}
	return "+" + d
}

// name is the profile name of the contact who sent a message.
func (v value) name(waID, userID string) string {
	for _, c := range v.Contacts {
		if (waID != "" && c.WaID == waID) || (userID != "" && c.UserID == userID) {
			return c.Profile.Name
		}
	}
	return ""
}

// errorInfos converts reported errors, nil when there are none.
func errorInfos(raw []rawError) []ErrorInfo {
	var out []ErrorInfo
	for _, e := range raw {
		out = append(out, ErrorInfo{
			Code: strconv.Itoa(e.Code), Title: e.Title, Message: e.Message, Details: e.ErrorData.Details,
			Kind: webhookKind(e.Code),
		})
	}
	return out
}
