package campaign

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parleyhq/parley/internal/message"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/phone"
	"github.com/parleyhq/parley/internal/window"
)

// Draft is a campaign as a brand submits it.
type Draft struct {
	// ID is the campaign's id; a new one when empty.
	ID string
	// CallID makes the draft a Connect to Messaging deflection of that
	// call: sent at once, whatever the hour (the consumer is on the
	// phone), so its window is open around the clock on every channel,
	// and an SMS text the IVR overrides may take up to
	// parley.MaxOverrideMessage characters.
	CallID string
	// IVRNumber is the number the deflected consumer called (the IVR's
	// ivrNumber), which the campaign keeps for reporting.
	IVRNumber      string
	Name           string
	Skill          string
	TemplateID     string
	OutboundNumber string
	Consent        bool
	Channel        parley.Channel // sms when empty
	Message        string
	// OptOutText is appended to the SMS; the account's when empty (an API
	// handoff's own, when the templateId names one).
	OptOutText string
	// Apps are the apps an in-app campaign sends through: its API
	// handoff's.
	Apps []string
	// Timezone is the IANA time zone of the in-app consumers that name
	// none of their own; an in-app consumer has no phone number to tell it.
	Timezone  string
	Window    *WindowSpec // the default window when nil
	StartTime time.Time   // zero: from acceptance
	EndTime   time.Time   // zero: no end
	// LookbackMinutes is the reply-routing lookback; 0 means the default.
	LookbackMinutes int
	// DefaultCountry is the ISO 3166 alpha-2 country the recipients'
	// numbers written without a country code are read in; the account's
	// when empty.
	DefaultCountry string
	// The recipients come from exactly one of: Consumers (the API's
	// consumers[], at most MaxConsumersPerCall), Manual (lines typed by
	// hand) or CSV (an uploaded file of up to upload.MaxCSVRecipients).
	Consumers []Consumer
	Manual    string
	CSV       io.Reader
	// CreatedBy is who submits the campaign (the authenticated caller);
	// the campaign keeps it.
	CreatedBy string

	// handoffID is the API handoff TemplateID names, once applyHandoff
	// found it.
	handoffID string
}

// WindowSpec is a delivery window as the API carries it.
type WindowSpec struct {
	Start, End string // "HH:MM"
	Days       []string
}

// Consumer is one addressee of a draft: a phone number (SMS), or for an
// in-app campaign the brand's consumer id.
type Consumer struct {
	SMS        string
	ConsumerID string
	// Timezone is an in-app consumer's IANA time zone; the draft's when
	// empty.
	Timezone  string
	Variables map[string]string
	// SDEs are the consumer's engagement attributes, flat (see
	// parley.FlattenSDEs); the recipient keeps them for the agent.
	SDEs map[string]string
	// Text, when set, is this consumer's own message instead of the draft's.
	Text string
	// Line is the consumer's line in an uploaded or typed list (0 for the
	// JSON consumers[] array).
	Line int
	// Header and URL are a template's media header link (H1) and dynamic
	// URL button variable (BU1).
	Header, URL string
	// HeaderType is the media type a consumers[] entry gave Header as
	// (LivePerson's headerVariables: image, video or document); "" for
	// Parley's headerUrl, which takes the template's.
	HeaderType string
	// Error and Detail are set when the list's line was already refused.
	Error, Detail string
}

// where names the consumer in error details: its line or its index.
func (c Consumer) where(i int) string {
	if c.Line > 0 {
		return fmt.Sprintf("line %d", c.Line)
	}
	return fmt.Sprintf("consumers[%d]", i)
}

// channels are the values a draft's Channel may take ("" is sms, or
// whatsapp for a template).
var channels = []parley.Channel{"", parley.ChannelSMS, parley.ChannelWhatsApp, parley.ChannelPrioritized, parley.ChannelInApp}

func (d Draft) validate(now time.Time, optOut string, tpl *parley.WhatsAppTemplate) error {
	required := []struct{ field, value string }{
		{"campaignName", d.Name}, {"skill", d.Skill}, {"templateId", d.TemplateID}, {"outboundNumber", d.OutboundNumber},
	}
	if d.Channel == parley.ChannelInApp {
		required = required[:3] // the app sends; there is no number to send from
	}
	for _, r := range required {
		if strings.TrimSpace(r.value) == "" {
			return parley.FieldErrorf(r.field, "%s is required", r.field)
		}
	}
	if r, pos, bad := message.Unsafe(d.Message); bad {
		return parley.FieldErrorf("message", "message has %s; remove it", message.DescribeUnsafe(r, pos))
	}
	switch {
	case !d.Consent:
		return parley.FieldErrorf("consent", "consent must be true: the brand confirms every consumer opted in to this channel")
	case !slices.Contains(channels, d.Channel):
		return parley.FieldErrorf("channel", "channel %q is not one of sms, whatsapp, prioritized or inapp", d.Channel)
	case d.Timezone != "" && d.Channel != parley.ChannelInApp:
		return parley.FieldErrorf("timezone", "timezone is for inapp campaigns; an SMS or WhatsApp consumer's time zones come from the phone number")
	}
	if err := parley.CheckCountry("defaultCountry", d.DefaultCountry); err != nil {
		return err
	}
	if d.Channel == parley.ChannelInApp {
		return d.validateInApp(now, tpl)
	}
	if tpl != nil {
		if err := d.validateTemplate(*tpl); err != nil {
			return err
		}
		return d.validateCommon(now)
	}
	switch {
	case d.Channel != "" && d.Channel != parley.ChannelSMS:
		return parley.FieldErrorf("channel", "channel %q needs a WhatsApp templateId; templateId %s is plain SMS", d.Channel, parley.PlainSMSTemplateID)
	case strings.TrimSpace(d.Message) == "":
		return parley.FieldErrorf("message", "message is required for a plain SMS campaign")
	case len(message.Placeholders(d.Message)) == 0 && utf8.RuneCountInString(message.WithOptOut(d.Message, optOut)) > message.SMSLimit:
		return parley.FieldErrorf("message", "message with its opt-out text is %d characters; at most %d",
			utf8.RuneCountInString(message.WithOptOut(d.Message, optOut)), message.SMSLimit)
	case utf8.RuneCountInString(d.Message) > message.MaxLength:
		return parley.FieldErrorf("message", "message is %d characters; at most %d", utf8.RuneCountInString(d.Message), message.MaxLength)
	}
	return d.validateCommon(now)
}

// validateInApp checks an in-app draft: plain text (LivePerson's App
// Messaging sends text and emoji only), exclusive of SMS and WhatsApp, and
// without the SMS limits: no opt-out text, no 140-character or segment
// limit, only the overall MaxLength.
func (d Draft) validateInApp(now time.Time, tpl *parley.WhatsAppTemplate) error {
	switch n := utf8.RuneCountInString(d.Message); {
	case tpl != nil:
		return parley.FieldErrorf("templateId", "an inapp campaign sends plain text; templateId %s is a WhatsApp template, which is sent on whatsapp or prioritized", tpl.ID)
	case strings.TrimSpace(d.Message) == "":
		return parley.FieldErrorf("message", "message is required for an inapp campaign")
	case n > message.MaxLength:
		return parley.FieldErrorf("message", "message is %d characters; at most %d", n, message.MaxLength)
	}
	if d.Timezone != "" {
		if _, err := zone(d.Timezone); err != nil {
			return parley.FieldErrorf("timezone", "timezone %q is not an IANA time zone such as America/New_York", d.Timezone)
		}
	}
	return d.validateCommon(now)
}

// validateTemplate checks a draft that sends a WhatsApp template.
func (d Draft) validateTemplate(tpl parley.WhatsAppTemplate) error {
	switch d.Channel {
	case "", parley.ChannelWhatsApp:
	case parley.ChannelPrioritized:
		if tpl.Rich() {
			return parley.FieldErrorf("channel", "a prioritized campaign falls back to SMS, which cannot carry template %s's header, footer or buttons", tpl.ID)
		}
	default:
		return parley.FieldErrorf("channel", "template %s is sent on whatsapp or prioritized, not %q", tpl.ID, d.Channel)
	}
	return nil
}

// validateCommon checks what every draft must get right.
func (d Draft) validateCommon(now time.Time) error {
	switch {
	case !d.EndTime.IsZero() && !d.EndTime.After(now):
		return parley.FieldErrorf("endTime", "endTime %s has already passed", d.EndTime.Format(time.RFC3339))
	case !d.EndTime.IsZero() && !d.EndTime.After(d.StartTime):
		return parley.FieldErrorf("endTime", "endTime must be after startTime")
	}
	if _, ok := phone.Normalize(d.OutboundNumber); !ok && d.Channel != parley.ChannelInApp {
		return parley.FieldErrorf("outboundNumber", "outboundNumber %q is not a valid phone number with country code", d.OutboundNumber)
	}
	_, err := d.lookback()
	return err
}

// schedule returns the draft's sending policy. SMS (including a prioritized
// campaign's fallback) can never be sent outside 08:00–21:00 local, whatever
// the brand asks for; WhatsApp and in-app may widen the window, up to
// 00:00–24:00 every day (no window at all).
func (d Draft) schedule(channel parley.Channel) (window.Schedule, error) {
	s := window.Schedule{Window: window.Default, StartAt: d.StartTime, EndAt: d.EndTime}
	if d.CallID != "" {
		s.Window = window.Always
		return s, nil
	}
	if d.Window == nil {
		return s, nil
	}
	w, err := window.Parse("deliveryWindow", d.Window.Start, d.Window.End, d.Window.Days)
	var fe *window.FieldError
	if errors.As(err, &fe) {
		return s, parley.FieldErrorf(fe.Field, "%s", fe.Message)
	}
	if (channel == parley.ChannelSMS || channel == parley.ChannelPrioritized) && !w.WithinSMS() {
		return s, parley.FieldErrorf("deliveryWindow", "SMS may only be sent between 08:00 and 21:00 in the consumer's local time; %s reaches outside it", w)
	}
	s.Window = w
	return s, nil
}

func (d Draft) lookback() (time.Duration, error) {
	if d.LookbackMinutes == 0 {
		return parley.DefaultLookback, nil
	}
	lb := time.Duration(d.LookbackMinutes) * time.Minute
	if lb < parley.MinLookback || lb > parley.MaxLookback {
		return 0, parley.FieldErrorf("lookbackMinutes", "lookbackMinutes %d is outside 60 (1 hour) to 43200 (30 days)", d.LookbackMinutes)
	}
	return lb, nil
}
