package campaign

import (
	"errors"
	"fmt"
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
	Name           string
	Skill          string
	TemplateID     string
	OutboundNumber string
	Consent        bool
	Channel        parley.Channel // sms when empty
	Message        string
	Window         *WindowSpec // the default window when nil
	StartTime      time.Time   // zero: from acceptance
	EndTime        time.Time   // zero: no end
	// LookbackMinutes is the reply-routing lookback; 0 means the default.
	LookbackMinutes int
	Consumers       []Consumer
	// FromFile says Consumers came from an uploaded file, which may hold up
	// to recipient.MaxCSVRecipients rather than MaxConsumersPerCall.
	FromFile bool
}

// WindowSpec is a delivery window as the API carries it.
type WindowSpec struct {
	Start, End string // "HH:MM"
	Days       []string
}

// Consumer is one addressee of a draft.
type Consumer struct {
	SMS       string
	Variables map[string]string
	// Text, when set, is this consumer's own message instead of the draft's.
	Text string
	// Line is the consumer's line in an uploaded or typed list (0 for the
	// JSON consumers[] array).
	Line int
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

func (d Draft) validate(now time.Time, optOut string) error {
	required := []struct{ field, value string }{
		{"campaignName", d.Name}, {"skill", d.Skill}, {"templateId", d.TemplateID}, {"outboundNumber", d.OutboundNumber},
	}
	for _, r := range required {
		if strings.TrimSpace(r.value) == "" {
			return parley.FieldErrorf(r.field, "%s is required", r.field)
		}
	}
	switch {
	case !d.Consent:
		return parley.FieldErrorf("consent", "consent must be true: the brand confirms every consumer opted in to this channel")
	case d.Channel != "" && d.Channel != parley.ChannelSMS:
		return parley.FieldErrorf("channel", "channel %q cannot be sent yet; this release sends sms", d.Channel)
	case d.TemplateID != parley.PlainSMSTemplateID:
		return parley.FieldErrorf("templateId", "templateId %q is not known; use %s for a plain SMS campaign", d.TemplateID, parley.PlainSMSTemplateID)
	case strings.TrimSpace(d.Message) == "":
		return parley.FieldErrorf("message", "message is required for a plain SMS campaign")
	case len(message.Placeholders(d.Message)) == 0 && utf8.RuneCountInString(message.WithOptOut(d.Message, optOut)) > message.SMSLimit:
		return parley.FieldErrorf("message", "message with its opt-out text is %d characters; at most %d",
			utf8.RuneCountInString(message.WithOptOut(d.Message, optOut)), message.SMSLimit)
	case utf8.RuneCountInString(d.Message) > message.MaxLength:
		return parley.FieldErrorf("message", "message is %d characters; at most %d", utf8.RuneCountInString(d.Message), message.MaxLength)
	case len(d.Consumers) == 0:
		return parley.FieldErrorf("consumers", "at least one consumer is required")
	case len(d.Consumers) > parley.MaxConsumersPerCall && !d.FromFile:
		return parley.FieldErrorf("consumers", "%d consumers in one call; at most %d", len(d.Consumers), parley.MaxConsumersPerCall)
	case !d.EndTime.IsZero() && !d.EndTime.After(now):
		return parley.FieldErrorf("endTime", "endTime %s has already passed", d.EndTime.Format(time.RFC3339))
	case !d.EndTime.IsZero() && !d.EndTime.After(d.StartTime):
		return parley.FieldErrorf("endTime", "endTime must be after startTime")
	}
	if _, ok := phone.Normalize(d.OutboundNumber); !ok {
		return parley.FieldErrorf("outboundNumber", "outboundNumber %q is not a valid phone number with country code", d.OutboundNumber)
	}
	_, err := d.lookback()
	return err
}

// schedule returns the draft's sending policy. SMS can never be sent outside
// 08:00–21:00 local, whatever the brand asks for.
func (d Draft) schedule() (window.Schedule, error) {
	s := window.Schedule{Window: window.Default, StartAt: d.StartTime, EndAt: d.EndTime}
	if d.Window == nil {
		return s, nil
	}
	w, err := window.Parse("deliveryWindow", d.Window.Start, d.Window.End, d.Window.Days)
	var fe *window.FieldError
	if errors.As(err, &fe) {
		return s, parley.FieldErrorf(fe.Field, "%s", fe.Message)
	}
	if !w.WithinSMS() {
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
