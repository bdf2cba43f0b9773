package cm

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// TokenParam is the query parameter that carries an account's webhook
// secret in the URLs registered with CM.
//
// CM signs neither inbound messages nor status reports, and its webhook
// settings take only a URL, so the secret travels in that URL
// (https://…/webhooks/cm/{accountId}?token=…): HTTPS keeps it off the wire,
// and the handler checks it with VerifyToken before reading the body. A
// handler behind a proxy that injects a header may pass the header's value
// to VerifyToken instead; the check is the same.
const TokenParam = "token"

// VerifyToken reports whether got is the expected webhook secret. It
// compares SHA-256 digests in constant time, so neither the position of the
// first difference nor the secret's length leaks. An empty expected secret
// never verifies: an account without a secret accepts no webhooks.
func VerifyToken(expected, got string) bool {
	if expected == "" {
		return false
	}
	e, g := sha256.Sum256([]byte(expected)), sha256.Sum256([]byte(got))
	return subtle.ConstantTimeCompare(e[:], g[:]) == 1
}

// maxWebhook bounds the webhook bodies the parsers accept.
const maxWebhook = 1 << 20

// ToCM writes an E.164 number the way CM's API documents numbers: "00",
// then country code and subscriber number. ok is false when n is not
// "+" and 1–15 digits with a non-zero country code.
func ToCM(n string) (cm string, ok bool) {
	digits, found := strings.CutPrefix(n, "+")
	if !found || !isE164Digits(digits) {
		return "", false
	}
	return "00" + digits, true
}

// FromCM reads a number CM sent: "00"-prefixed international numbers
// become E.164; anything else (short codes, sender names, numbers already
// with "+") is returned trimmed but otherwise as it came.
func FromCM(n string) string {
	n = strings.TrimSpace(n)
	if digits, ok := strings.CutPrefix(n, "00"); ok && isE164Digits(digits) {
		return "+" + digits
	}
	return n
}

func isE164Digits(s string) bool {
	if len(s) == 0 || len(s) > 15 || s[0] == '0' {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Inbound is a message a consumer sent to one of our numbers (MO).
type Inbound struct {
	// Reference is the reference of the outbound message this replies to,
	// when CM could link one.
	Reference string
	// MessageContext names the message the consumer replied to, on channels
	// that have one.
	MessageContext string
	// From is the consumer: E.164 when CM sent an international number.
	From string
	// To is our number or short code the message was sent to.
	To   string
	Body string
	// Channel is CM's channel name: "SMS", "WhatsApp", …
	Channel string
	// Groupings are the custom groupings of the replied-to message; Send
	// sets them to the account, campaign and recipient ids.
	Groupings [3]string
	// Time is when CM received the message, in UTC; zero when CM gave no
	// readable time.
	Time time.Time
}

// moPayload is CM's inbound webhook body. From and To are objects with a
// number in the current format and plain strings in the older one, which
// also carried the text as body instead of message.text.
type moPayload struct {
	Reference      string     `json:"reference"`
	MessageContext string     `json:"messageContext"`
	From           party      `json:"from"`
	To             party      `json:"to"`
	Message        *moMessage `json:"message"`
	Body           string     `json:"body"`
	Groupings      []string   `json:"groupings"`
	TimeUTC        string     `json:"timeUtc"`
	Channel        string     `json:"channel"`
}

type moMessage struct {
	Text string `json:"text"`
}

// party is a sender or recipient: {"number": …} or a bare string.
type party struct {
	Number string
}

// UnmarshalJSON accepts both shapes of a party.
func (p *party) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &p.Number); err == nil {
		return nil
	}
	var o struct {
		Number string `json:"number"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return fmt.Errorf("party is neither a number nor an object: %w", err)
	}
	p.Number = o.Number
	return nil
}

// ParseInbound reads the JSON body CM posts to the inbound (MO) webhook.
// Errors are EINVALID *parley.Error naming the offending field.
func ParseInbound(body []byte) (Inbound, error) {
	if err := checkSize(body); err != nil {
		return Inbound{}, err
	}
	var p moPayload
	if err := json.Unmarshal(body, &p); err != nil {
		return Inbound{}, parley.Wrap(parley.EINVALID, err, "inbound message is not CM's JSON")
	}
	from := FromCM(p.From.Number)
	if from == "" {
		return Inbound{}, parley.FieldErrorf("from.number", "inbound message has no sender")
	}
	in := Inbound{
		Reference: p.Reference, MessageContext: p.MessageContext,
		From: from, To: FromCM(p.To.Number), Body: p.Body,
		Channel: p.Channel, Time: parseTime(p.TimeUTC),
	}
	if p.Message != nil {
		in.Body = p.Message.Text
	}
	if in.Channel == "" {
		in.Channel = "SMS"
	}
	copy(in.Groupings[:], p.Groupings)
	return in, nil
}

// MessageID names the message for deduplication: CM gives an inbound
// message no id of its own, and delivers it again, unchanged, until it is
// acknowledged. It is "cm" and a hash of everything CM sent that tells
// messages apart (sender, recipient, time, text, channel, and the message
// replied to), or "" when CM gave no time, since two messages of the same
// text could then not be told apart.
func (in Inbound) MessageID() string {
	if in.Time.IsZero() {
		return ""
	}
	h := sha256.New()
	for _, f := range []string{in.From, in.To, in.Time.UTC().Format(time.RFC3339Nano), in.Body, in.Channel, in.Reference, in.MessageContext} {
		fmt.Fprintf(h, "%d:%s;", len(f), f)
	}
	return "cm" + hex.EncodeToString(h.Sum(nil))[:32]
}

// IsStatusReport tells the two kinds of body CM posts apart, for a webhook
// URL that takes both: status reports are XML, or JSON with a top-level
// "messages" object; inbound messages are JSON without one.
func IsStatusReport(body []byte) bool {
	t := bytes.TrimSpace(body)
	if len(t) > 0 && t[0] == '<' {
		return true
	}
	var top struct {
		Messages json.RawMessage `json:"messages"`
	}
	return json.Unmarshal(t, &top) == nil && len(top.Messages) > 0 && string(top.Messages) != "null"
}

// Status is the STATUS code of a CM status report.
type Status int

// CM's status codes.
const (
	// StatusAccepted: the operator accepted the message; delivery pending.
	StatusAccepted Status = 0
	// StatusRejected: CM or the operator refused the message.
	StatusRejected Status = 1
	// StatusDelivered: the operator confirmed delivery to the handset.
	StatusDelivered Status = 2
	// StatusFailed: the message was not delivered and will not be.
	StatusFailed Status = 3
	// StatusRead: the consumer read it (channels other than SMS).
	StatusRead Status = 4
)

var statusNames = [...]string{"accepted", "rejected", "delivered", "failed", "read"}

// String names the status.
func (s Status) String() string {
	if s >= 0 && int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Final reports whether no later status report will change the outcome.
func (s Status) Final() bool {
	return s >= StatusRejected && s <= StatusRead
}

// Failed reports whether the message did not reach the consumer.
func (s Status) Failed() bool {
	return s == StatusRejected || s == StatusFailed
}

// StatusReport is one delivery report (DLR) for a message we sent.
type StatusReport struct {
	// Reference is the reference Send returned for the message.
	Reference string
	// To is the recipient, E.164 when international.
	To     string
	Status Status
	// ErrorCode is CM's standard error code for a failure, "" when none.
	ErrorCode string
	// ErrorDescription is CM's text for ErrorCode.
	ErrorDescription string
	Operator         string
	// Time is when CM registered the status, in UTC; zero when CM gave no
	// readable time.
	Time time.Time
}

// dlrJSON is CM's JSON status report webhook body; msg is one report, or a
// list of them.
type dlrJSON struct {
	Messages struct {
		Msg dlrList `json:"msg"`
	} `json:"messages"`
}

// dlrXML is the XML form of the same reports.
type dlrXML struct {
	XMLName xml.Name `xml:"MESSAGES"`
	Msg     []dlrMsg `xml:"MSG"`
}

// dlrMsg is one report; the JSON and XML forms nest the same fields.
type dlrMsg struct {
	Received  string    `json:"received" xml:"RECEIVED,attr"`
	To        string    `json:"to" xml:"TO"`
	Reference string    `json:"reference" xml:"REFERENCE"`
	Status    dlrStatus `json:"status" xml:"STATUS"`
	Operator  string    `json:"operator" xml:"OPERATOR"`
}

type dlrStatus struct {
	Code             flexString `json:"code" xml:"CODE"`
	ErrorCode        flexString `json:"errorCode" xml:"ERRORCODE"`
	ErrorDescription string     `json:"errorDescription" xml:"ERRORDESCRIPTION"`
}

// dlrList is a JSON msg that is either one report or an array of them.
type dlrList []dlrMsg

// UnmarshalJSON accepts a single report or an array.
func (l *dlrList) UnmarshalJSON(b []byte) error {
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '[' {
		return json.Unmarshal(t, (*[]dlrMsg)(l))
	}
	var m dlrMsg
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*l = dlrList{m}
	return nil
}

// flexString is a JSON value CM may send as a string or a number.
type flexString string

// UnmarshalJSON accepts a string, a number or null.
func (f *flexString) UnmarshalJSON(b []byte) error {
	var v any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return err
	}
	switch v := v.(type) {
	case nil:
		*f = ""
	case string:
		*f = flexString(v)
	case json.Number:
		*f = flexString(v.String())
	default:
		return fmt.Errorf("want a string or a number, got %T", v)
	}
	return nil
}

// ParseStatusReports reads a status report webhook body in either format
// CM offers, JSON or XML, told apart by the first character. Errors are
// EINVALID *parley.Error naming the offending field.
func ParseStatusReports(body []byte) ([]StatusReport, error) {
	if err := checkSize(body); err != nil {
		return nil, err
	}
	msgs, err := decodeReports(bytes.TrimSpace(body))
	if err != nil {
		return nil, err
	}
	if len(msgs) == 0 {
		return nil, parley.FieldErrorf("messages.msg", "status report holds no message")
	}
	out := make([]StatusReport, len(msgs))
	for i, m := range msgs {
		if out[i], err = m.report(i); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func decodeReports(body []byte) ([]dlrMsg, error) {
	if len(body) > 0 && body[0] == '<' {
		var x dlrXML
		if err := xml.Unmarshal(body, &x); err != nil {
			return nil, parley.Wrap(parley.EINVALID, err, "status report is not CM's XML")
		}
		return x.Msg, nil
	}
	var j dlrJSON
	if err := json.Unmarshal(body, &j); err != nil {
		return nil, parley.Wrap(parley.EINVALID, err, "status report is not CM's JSON")
	}
	return j.Messages.Msg, nil
}

// report validates one decoded report; i names it in errors.
func (m dlrMsg) report(i int) (StatusReport, error) {
	code, err := strconv.Atoi(strings.TrimSpace(string(m.Status.Code)))
	if err != nil || code < 0 {
		return StatusReport{}, parley.FieldErrorf(fmt.Sprintf("messages.msg[%d].status.code", i), "status code %q is not a CM status", string(m.Status.Code))
	}
	return StatusReport{
		Reference: strings.TrimSpace(m.Reference), To: FromCM(m.To), Status: Status(code),
		ErrorCode:        strings.TrimSpace(string(m.Status.ErrorCode)),
		ErrorDescription: m.Status.ErrorDescription, Operator: m.Operator,
		Time: parseTime(m.Received),
	}, nil
}

func checkSize(body []byte) error {
	if len(body) > maxWebhook {
		return parley.Errorf(parley.EINVALID, "webhook body of %d bytes exceeds %d", len(body), maxWebhook)
	}
	return nil
}

// timeLayouts are the forms CM writes times in: UTC without a zone, with
// or without the "T", or RFC 3339. Fractional seconds parse with any of them.
var timeLayouts = []string{"2006-01-02T15:04:05", "2006-01-02 15:04:05", time.RFC3339}

// parseTime reads a CM time as UTC; the zero time when s is not one.
func parseTime(s string) time.Time {
	s = strings.TrimSpace(s)
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}
