package parley

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/parleyhq/parley/internal/message"
	"github.com/parleyhq/parley/internal/phone"
)

// Handoff is an API handoff (LivePerson's outbound configuration): a named
// set of the channels a campaign sends on, in priority order, with per
// channel the sending number and what is sent, and the lookback replies
// are routed within. A campaign names it by ID as its templateId; each
// edit saves a new Version and the earlier ones stay readable.
type Handoff struct {
	AccountID string `json:"accountId"`
	// ID is "H" and 15 digits, given by Parley; or, for a brand bringing
	// its handoffs from LivePerson, the id LivePerson gave it (see
	// CheckImportedHandoffID), so that its clients' templateIds keep
	// naming them.
	ID string `json:"id"`
	// Title is unique in the account (ignoring case); letters, digits and
	// spaces.
	Title string `json:"title"`
	// Version is 1 when the handoff is created, one more at every edit.
	Version int `json:"version"`
	// LookbackMinutes is how long after a send a reply is routed to the
	// campaign's skill: 60 (1 hour) to 43200 (30 days).
	LookbackMinutes int `json:"lookbackMinutes"`
	// Channels in priority order: sms, whatsapp, whatsapp then sms (the
	// SMS fallback), or inapp alone.
	Channels  []HandoffChannel `json:"channels"`
	CreatedAt time.Time        `json:"createdAt"`
	UpdatedAt time.Time        `json:"updatedAt"`
}

// HandoffChannel is one channel of a handoff.
type HandoffChannel struct {
	Channel Channel `json:"channel"` // sms, whatsapp or inapp
	// OutboundNumber is the number sent from (sms, whatsapp), in E.164.
	OutboundNumber string `json:"outboundNumber,omitempty"`
	// Text is what an sms or inapp channel sends, with {{1}}…{{n}}
	// filled from each consumer's variables.
	Text string `json:"text,omitempty"`
	// OptOutText is appended to the SMS text; the account's when empty.
	OptOutText string `json:"optOutText,omitempty"`
	// TemplateID names the account's approved WhatsApp template (whatsapp).
	TemplateID string `json:"templateId,omitempty"`
	// Apps are the brand's apps an inapp channel sends through.
	Apps []string `json:"apps,omitempty"`
}

// Handoff limits.
const (
	MaxHandoffTitle = 100
	MaxHandoffApps  = 3
	// HandoffIDDigits is how many digits follow the "H" of a handoff id.
	HandoffIDDigits = 15
)

// IsHandoffID reports whether id has the shape of a handoff id: "H" and
// HandoffIDDigits digits.
func IsHandoffID(id string) bool {
	digits, ok := strings.CutPrefix(id, "H")
	if !ok || len(digits) != HandoffIDDigits {
		return false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// MaxImportedHandoffID bounds an imported handoff id: LivePerson's
// templateId is at most 32 characters.
const MaxImportedHandoffID = 32

// CheckImportedHandoffID checks the id a brand gives a handoff it brings
// from LivePerson: 1 to MaxImportedHandoffID ASCII letters and digits.
func CheckImportedHandoffID(id string) error {
	if id == "" || len(id) > MaxImportedHandoffID {
		return FieldErrorf("id", "id %q: a handoff's own id is 1 to %d letters and digits", id, MaxImportedHandoffID)
	}
	for _, c := range id {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return FieldErrorf("id", "id %q has %q; a handoff's own id is letters and digits", id, c)
		}
	}
	return nil
}

// MayNameHandoff reports whether a campaign's templateId may name a
// handoff: one of Parley's ids or an imported one.
func MayNameHandoff(templateID string) bool {
	return IsHandoffID(templateID) || CheckImportedHandoffID(templateID) == nil
}

// Lookback is the handoff's lookback; DefaultLookback when unset.
func (h Handoff) Lookback() time.Duration {
	if h.LookbackMinutes == 0 {
		return DefaultLookback
	}
	return time.Duration(h.LookbackMinutes) * time.Minute
}

// Channel returns the handoff's configuration of channel c, if it has one.
func (h Handoff) Channel(c Channel) (HandoffChannel, bool) {
	i := slices.IndexFunc(h.Channels, func(hc HandoffChannel) bool { return hc.Channel == c })
	if i < 0 {
		return HandoffChannel{}, false
	}
	return h.Channels[i], true
}

// Mode is the campaign channel the handoff sends on: sms, whatsapp,
// inapp, or prioritized for WhatsApp with the SMS fallback.
func (h Handoff) Mode() Channel {
	if len(h.Channels) == 2 {
		return ChannelPrioritized
	}
	if len(h.Channels) == 0 {
		return ""
	}
	return h.Channels[0].Channel
}

// TitleKey is the form titles are compared in for uniqueness.
func TitleKey(title string) string { return strings.ToLower(strings.TrimSpace(title)) }

// Validate checks a handoff's own rules; accountOptOut is the account's
// opt-out text, which an SMS channel without its own appends. Whether its
// WhatsApp template exists and is approved is for the caller to check.
func (h Handoff) Validate(accountOptOut string) error {
	if err := checkTitle(h.Title); err != nil {
		return err
	}
	if lb := h.Lookback(); lb < MinLookback || lb > MaxLookback {
		return FieldErrorf("lookbackMinutes", "lookbackMinutes %d is outside 60 (1 hour) to 43200 (30 days)", h.LookbackMinutes)
	}
	if err := checkChannelOrder(h.Channels); err != nil {
		return err
	}
	for i, c := range h.Channels {
		if err := c.validate(fmt.Sprintf("channels[%d]", i), h, accountOptOut); err != nil {
			return err
		}
	}
	return nil
}

func checkTitle(title string) error {
	t := strings.TrimSpace(title)
	switch n := utf8.RuneCountInString(t); {
	case n == 0:
		return FieldErrorf("title", "title is required")
	case n > MaxHandoffTitle:
		return FieldErrorf("title", "title is %d characters; at most %d", n, MaxHandoffTitle)
	case strings.ContainsAny(t, "<>"):
		return FieldErrorf("title", "title may not contain < or >")
	}
	for _, r := range t {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != ' ' {
			return FieldErrorf("title", "title may hold letters, digits and spaces only, not %q", r)
		}
	}
	return nil
}

// checkChannelOrder allows the channel lists Parley sends: sms, whatsapp,
// whatsapp then sms, or inapp alone.
func checkChannelOrder(cs []HandoffChannel) error {
	names := make([]Channel, len(cs))
	for i, c := range cs {
		names[i] = c.Channel
	}
	switch {
	case len(cs) == 0:
		return FieldErrorf("channels", "channels is required: sms, whatsapp, whatsapp then sms, or inapp")
	case slices.Contains(names, ChannelInApp) && len(cs) > 1:
		return FieldErrorf("channels", "inapp is exclusive of sms and whatsapp")
	case len(cs) > 2 || (len(cs) == 2 && names[0] == names[1]):
		return FieldErrorf("channels", "channels %v: each channel once; sms, whatsapp, whatsapp then sms, or inapp", names)
	case len(cs) == 2 && !slices.Equal(names, []Channel{ChannelWhatsApp, ChannelSMS}):
		return FieldErrorf("channels", "channels %v: a second channel is the SMS fallback of whatsapp, so whatsapp comes first", names)
	}
	for i, n := range names {
		if n != ChannelSMS && n != ChannelWhatsApp && n != ChannelInApp {
			return FieldErrorf(fmt.Sprintf("channels[%d].channel", i), "channel %q is not one of sms, whatsapp, inapp", n)
		}
	}
	return nil
}

func (c HandoffChannel) validate(field string, h Handoff, accountOptOut string) error {
	refuse := func(name string, set bool) error {
		if set {
			return FieldErrorf(field+"."+name, "%s is not set on a %s channel", name, c.Channel)
		}
		return nil
	}
	fallback := c.Channel == ChannelSMS && h.Mode() == ChannelPrioritized
	var errs []error
	switch c.Channel {
	case ChannelInApp:
		errs = []error{refuse("outboundNumber", c.OutboundNumber != ""), refuse("templateId", c.TemplateID != ""),
			refuse("optOutText", c.OptOutText != ""), checkApps(field, c.Apps), checkText(field, c.Text, "", false)}
	case ChannelWhatsApp:
		errs = []error{refuse("text", c.Text != ""), refuse("optOutText", c.OptOutText != ""), refuse("apps", len(c.Apps) > 0),
			checkNumber(field, c.OutboundNumber)}
		if strings.TrimSpace(c.TemplateID) == "" {
			errs = append(errs, FieldErrorf(field+".templateId", "templateId (an approved WhatsApp template) is required"))
		}
	case ChannelSMS:
		errs = []error{refuse("templateId", c.TemplateID != ""), refuse("apps", len(c.Apps) > 0),
			CheckOptOutText(field+".optOutText", c.OptOutText)}
		if fallback {
			errs = append(errs, c.checkFallback(field, h))
		} else {
			errs = append(errs, checkNumber(field, c.OutboundNumber), checkText(field, c.Text, cmp.Or(c.OptOutText, accountOptOut), true))
		}
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// checkFallback checks the SMS fallback of a WhatsApp channel: it sends the
// template's text from the same number, as LivePerson's fallback does.
func (c HandoffChannel) checkFallback(field string, h Handoff) error {
	wa, _ := h.Channel(ChannelWhatsApp)
	switch {
	case c.Text != "":
		return FieldErrorf(field+".text", "the SMS fallback sends the WhatsApp template's text; text is not set on it")
	case c.OutboundNumber == "":
		return nil
	}
	if err := checkNumber(field, c.OutboundNumber); err != nil {
		return err
	}
	n, _ := phone.Normalize(c.OutboundNumber)
	if w, _ := phone.Normalize(wa.OutboundNumber); n != w {
		return FieldErrorf(field+".outboundNumber", "the SMS fallback is sent from the WhatsApp number; leave outboundNumber out or make it %s", wa.OutboundNumber)
	}
	return nil
}

func checkNumber(field, number string) error {
	if _, ok := phone.Normalize(number); !ok {
		return FieldErrorf(field+".outboundNumber", "outboundNumber %q is not a valid phone number with country code", number)
	}
	return nil
}

func checkApps(field string, apps []string) error {
	switch {
	case len(apps) == 0:
		return FieldErrorf(field+".apps", "apps is required: the brand's apps the message is sent through")
	case len(apps) > MaxHandoffApps:
		return FieldErrorf(field+".apps", "%d apps; at most %d", len(apps), MaxHandoffApps)
	}
	for i, a := range apps {
		if strings.TrimSpace(a) == "" {
			return FieldErrorf(fmt.Sprintf("%s.apps[%d]", field, i), "an app name is required")
		}
		if slices.Index(apps, a) != i {
			return FieldErrorf(fmt.Sprintf("%s.apps[%d]", field, i), "app %q is listed twice", a)
		}
	}
	return nil
}

// checkText checks a channel's text; an SMS text without placeholders must
// fit message.SMSLimit with optOut appended (one with placeholders is
// checked per consumer, once filled).
func checkText(field, text, optOut string, sms bool) error {
	field += ".text"
	if r, pos, bad := message.Unsafe(text); bad {
		return FieldErrorf(field, "text has %s; remove it", message.DescribeUnsafe(r, pos))
	}
	switch n := utf8.RuneCountInString(text); {
	case strings.TrimSpace(text) == "":
		return FieldErrorf(field, "text is required")
	case n > message.MaxLength:
		return FieldErrorf(field, "text is %d characters; at most %d", n, message.MaxLength)
	case sms && len(message.Placeholders(text)) == 0 && utf8.RuneCountInString(message.WithOptOut(text, optOut)) > message.SMSLimit:
		return FieldErrorf(field, "text with its opt-out text is %d characters; at most %d",
			utf8.RuneCountInString(message.WithOptOut(text, optOut)), message.SMSLimit)
	}
	return nil
}

// Normalized returns h with its title trimmed, its lookback defaulted and
// its numbers in E.164 (a valid handoff's numbers parse).
func (h Handoff) Normalized() Handoff {
	h.Title = strings.TrimSpace(h.Title)
	if h.LookbackMinutes == 0 {
		h.LookbackMinutes = int(DefaultLookback / time.Minute)
	}
	h.Channels = slices.Clone(h.Channels)
	for i, c := range h.Channels {
		if n, ok := phone.Normalize(c.OutboundNumber); ok {
			h.Channels[i].OutboundNumber = n
		}
	}
	if wa, ok := h.Channel(ChannelWhatsApp); ok && h.Mode() == ChannelPrioritized {
		h.Channels[1].OutboundNumber = wa.OutboundNumber
	}
	return h
}
