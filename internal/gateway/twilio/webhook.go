package twilio

import (
	"net/url"
	"strconv"
	"unicode/utf8"

	"github.com/parleyhq/parley/internal/parley"
)

// MaxMedia is the most media items Twilio attaches to one message.
const MaxMedia = 10

// Inbound is a message a consumer sent to one of our Twilio numbers, as
// Twilio posts it to the incoming-message webhook.
type Inbound struct {
	MessageSID          string
	AccountSID          string
	MessagingServiceSID string // set when the number belongs to a Messaging Service
	From                string
	To                  string
	Body                string // may be empty when the message carries media
	Media               []Media
}

// Media is one media item of an incoming message.
type Media struct {
	URL         string
	ContentType string
}

// MessageStatus is a Twilio message status.
type MessageStatus string

// Message statuses a status callback may report. Twilio may add others;
// they are passed through unchanged.
const (
	StatusAccepted    MessageStatus = "accepted"
	StatusScheduled   MessageStatus = "scheduled"
	StatusQueued      MessageStatus = "queued"
	StatusSending     MessageStatus = "sending"
	StatusSent        MessageStatus = "sent"
	StatusDelivered   MessageStatus = "delivered"
	StatusUndelivered MessageStatus = "undelivered"
	StatusFailed      MessageStatus = "failed"
	StatusRead        MessageStatus = "read"
	StatusCanceled    MessageStatus = "canceled"
)

// Status is a delivery status callback for a message we sent.
type Status struct {
	MessageSID    string
	AccountSID    string
	MessageStatus MessageStatus
	// ErrorCode is Twilio's error code for an undelivered or failed
	// message (see DeliveryFailure), "" otherwise.
	ErrorCode string
	To        string
	From      string
}

// ParseInbound reads the form of an incoming-message webhook. A missing
// or malformed field is an EINVALID error naming it.
func ParseInbound(form url.Values) (Inbound, error) {
	p := formReader{form: form}
	in := Inbound{
		MessageSID:          p.sid("MessageSid", true),
		AccountSID:          p.sid("AccountSid", true),
		MessagingServiceSID: p.sid("MessagingServiceSid", false),
		From:                p.text("From", true),
		To:                  p.text("To", true),
		Body:                p.text("Body", false),
	}
	in.Media = p.media()
	if p.err != nil {
		return Inbound{}, p.err
	}
	return in, nil
}

// ParseStatus reads the form of a status callback. A missing or malformed
// field is an EINVALID error naming it. Statuses this package does not list
// are accepted when they look like one (lower-case letters and
// underscores).
func ParseStatus(form url.Values) (Status, error) {
	p := formReader{form: form}
	s := Status{
		MessageSID:    p.sid("MessageSid", true),
		AccountSID:    p.sid("AccountSid", true),
		MessageStatus: MessageStatus(p.token("MessageStatus", true, isStatusByte)),
		ErrorCode:     p.token("ErrorCode", false, isDigit),
		To:            p.text("To", false),
		From:          p.text("From", false),
	}
	if p.err != nil {
		return Status{}, p.err
	}
	return s, nil
}

// Values encodes the message as Twilio posts it; ParseInbound reads it
// back unchanged. The sandbox uses it to inject replies.
func (in Inbound) Values() url.Values {
	v := url.Values{
		"MessageSid": {in.MessageSID}, "AccountSid": {in.AccountSID},
		"From": {in.From}, "To": {in.To}, "Body": {in.Body},
		"NumMedia": {strconv.Itoa(len(in.Media))},
	}
	if in.MessagingServiceSID != "" {
		v.Set("MessagingServiceSid", in.MessagingServiceSID)
	}
	for i, m := range in.Media {
		v.Set("MediaUrl"+strconv.Itoa(i), m.URL)
		if m.ContentType != "" {
			v.Set("MediaContentType"+strconv.Itoa(i), m.ContentType)
		}
	}
	return v
}

// Values encodes the callback as Twilio posts it; ParseStatus reads it
// back unchanged.
func (s Status) Values() url.Values {
	v := url.Values{"MessageSid": {s.MessageSID}, "AccountSid": {s.AccountSID}, "MessageStatus": {string(s.MessageStatus)}}
	for name, value := range map[string]string{"ErrorCode": s.ErrorCode, "To": s.To, "From": s.From} {
		if value != "" {
			v.Set(name, value)
		}
	}
	return v
}

// maxToken bounds the length of SIDs, statuses and error codes.
const maxToken = 64

// formReader reads webhook fields, keeping the first error.
type formReader struct {
	form url.Values
	err  error
}

// fail records a field error unless one is already recorded.
func (p *formReader) fail(field, format string, args ...any) {
	if p.err == nil {
		p.err = parley.FieldErrorf(field, format, args...)
	}
}

// text returns a field that must be valid UTF-8 and, when required,
// non-empty.
func (p *formReader) text(field string, required bool) string {
	v := p.form.Get(field)
	switch {
	case v == "" && required:
		p.fail(field, "is required")
	case !utf8.ValidString(v):
		p.fail(field, "is not valid UTF-8")
	default:
		return v
	}
	return ""
}

// token returns a field made only of bytes ok accepts, at most maxToken
// long, and non-empty when required.
func (p *formReader) token(field string, required bool, ok func(byte) bool) string {
	v := p.form.Get(field)
	switch {
	case v == "" && required:
		p.fail(field, "is required")
	case len(v) > maxToken:
		p.fail(field, "is longer than %d characters", maxToken)
	case !onlyBytes(v, ok):
		p.fail(field, "has an unexpected character")
	default:
		return v
	}
	return ""
}

// sid returns a Twilio SID field.
func (p *formReader) sid(field string, required bool) string {
	return p.token(field, required, isAlnum)
}

// media returns the NumMedia media items.
func (p *formReader) media() []Media {
	n := 0
	if v := p.form.Get("NumMedia"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 0 || n > MaxMedia {
			p.fail("NumMedia", "must be a whole number from 0 to %d", MaxMedia)
			return nil
		}
	}
	var media []Media
	for i := range n {
		media = append(media, p.mediaItem(strconv.Itoa(i)))
	}
	return media
}

// mediaItem returns the media item with index i.
func (p *formReader) mediaItem(i string) Media {
	m := Media{URL: p.text("MediaUrl"+i, true), ContentType: p.text("MediaContentType"+i, false)}
	if m.URL != "" && !isHTTPURL(m.URL) {
		p.fail("MediaUrl"+i, "is not an http(s) URL")
	}
	return m
}

// isHTTPURL reports whether s is an absolute http or https URL with a host.
func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// isAlnum accepts the characters of a SID.
func isAlnum(b byte) bool { return isDigit(b) || 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' }

// isDigit accepts the characters of an error code.
func isDigit(b byte) bool { return '0' <= b && b <= '9' }

// isStatusByte accepts the characters of a message status.
func isStatusByte(b byte) bool { return 'a' <= b && b <= 'z' || b == '_' }

// onlyBytes reports whether ok accepts every byte of s.
func onlyBytes(s string, ok func(byte) bool) bool {
	for i := range len(s) {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

// validSID reports whether s looks like a Twilio SID.
func validSID(s string) bool { return s != "" && len(s) <= maxToken && onlyBytes(s, isAlnum) }
