package parley

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parleyhq/parley/internal/egress"
	"github.com/parleyhq/parley/internal/phone"
)

// Account holds an account's messaging settings.
type Account struct {
	ID string `json:"id"`
	// OptOutText is appended to every SMS; empty means the default.
	OptOutText string `json:"optOutText,omitempty"`
	// HelpText answers a consumer's HELP; empty means the default.
	HelpText string `json:"helpText,omitempty"`
	// OptOutConfirmText answers a consumer's first opt-out keyword (STOP…);
	// empty means the default.
	OptOutConfirmText string `json:"optOutConfirmText,omitempty"`
	// OptInConfirmText answers an opt-in keyword (START…) that takes the
	// consumer off the opt-out list; empty means the default.
	OptInConfirmText string `json:"optInConfirmText,omitempty"`
	// DefaultSkill receives replies outside any campaign's lookback.
	DefaultSkill string `json:"defaultSkill,omitempty"`
	// DefaultCountry is the ISO 3166 alpha-2 country (US, GB…) recipients'
	// numbers written without a country code are read in; a campaign may
	// name its own. Empty: such numbers must carry their country code.
	DefaultCountry string `json:"defaultCountry,omitempty"`
	// TimeZone is the IANA zone the account's analytics count days and
	// hours in; empty means UTC.
	TimeZone  string    `json:"timeZone,omitempty"`
	UpdatedAt time.Time `json:"updatedAt"`
	// ConnectorURL receives the account's conversations, signed with
	// ConnectorSecret (see package connector); empty means none are pushed.
	ConnectorURL    string `json:"connectorUrl,omitempty"`
	ConnectorSecret Secret `json:"connectorSecret,omitempty"`
	// DailyRecipientLimit is how many recipients the account's campaigns
	// may take per channel and day (UTC); consumers past it are refused
	// (DAILY_LIMIT_REACHED). 0 means DefaultDailyRecipientLimit.
	DailyRecipientLimit int `json:"dailyRecipientLimit,omitempty"`
	// Channels are the outbound channels in priority order, each enabled
	// or not (see ChannelSetting); empty until the account sets them.
	Channels []ChannelSetting `json:"channels,omitempty"`
	// DeviceCheck makes Connect to Messaging check that a consumer's
	// number is a mobile one before offering SMS or WhatsApp; off by
	// default, when the IVR is trusted to have checked.
	DeviceCheck bool `json:"deviceCheck"`
	// OutboundSkills are the routing skills outbound messages may route
	// replies to.
	OutboundSkills []string `json:"outboundSkills,omitempty"`
}

// Bounds of an account's daily recipient limit: LivePerson's 100,000 by
// default.
const (
	DefaultDailyRecipientLimit = 100_000
	MaxDailyRecipientLimit     = 100_000_000
)

// DailyLimit is the account's daily recipient limit, its default filled in.
func (a Account) DailyLimit() int {
	if a.DailyRecipientLimit == 0 {
		return DefaultDailyRecipientLimit
	}
	return a.DailyRecipientLimit
}

// MaxOptOutText bounds the opt-out text: LivePerson reserves 42 characters
// of a 140-character SMS for it.
const MaxOptOutText = 42

// Validate checks the settings a brand may set; p is the egress policy the
// connector URL will be reached with. The opt-out text must tell the
// consumer how to stop (name STOP) and leave room for the message.
func (a Account) Validate(p egress.Policy) error {
	if err := CheckOptOutText("optOutText", a.OptOutText); err != nil {
		return err
	}
	if utf8.RuneCountInString(a.HelpText) > 160 {
		return FieldErrorf("helpText", "helpText is longer than one SMS (160 characters)")
	}
	if utf8.RuneCountInString(a.OptOutConfirmText) > 160 {
		return FieldErrorf("optOutConfirmText", "optOutConfirmText is longer than one SMS (160 characters)")
	}
	if utf8.RuneCountInString(a.OptInConfirmText) > 160 {
		return FieldErrorf("optInConfirmText", "optInConfirmText is longer than one SMS (160 characters)")
	}
	if a.DailyRecipientLimit < 0 || a.DailyRecipientLimit > MaxDailyRecipientLimit {
		return FieldErrorf("dailyRecipientLimit", "dailyRecipientLimit is %d; it must be from 1 to %d (0 for the default, %d)", a.DailyRecipientLimit, MaxDailyRecipientLimit, DefaultDailyRecipientLimit)
	}
	if err := CheckCountry("defaultCountry", a.DefaultCountry); err != nil {
		return err
	}
	if _, err := a.Location(); err != nil {
		return err
	}
	if err := a.validateOutbound(); err != nil {
		return err
	}
	return a.validateConnector(p)
}

// CheckOptOutText returns an EINVALID error on field unless text is empty
// (the default) or an opt-out text that tells the consumer how to stop
// (names STOP) within MaxOptOutText characters.
func CheckOptOutText(field, text string) error {
	if text == "" {
		return nil
	}
	if n := utf8.RuneCountInString(text); n > MaxOptOutText {
		return FieldErrorf(field, "%s is %d characters; at most %d", field, n, MaxOptOutText)
	}
	if !strings.Contains(strings.ToUpper(text), "STOP") {
		return FieldErrorf(field, "%s must tell consumers to reply STOP to opt out", field)
	}
	return nil
}

// CheckCountry returns an EINVALID error on field unless code is empty or
// a country phone numbers are read in: ISO 3166 alpha-2, in capitals.
func CheckCountry(field, code string) error {
	if code == "" || phone.Region(code) {
		return nil
	}
	return FieldErrorf(field, "%s %q is not a country code phone numbers can be read in: ISO 3166 alpha-2, in capitals (US, GB, DE…)", field, code)
}

// Location is the account's TimeZone; UTC when it names none. It is
// EINVALID (field timeZone) when the zone is unknown.
func (a Account) Location() (*time.Location, error) {
	if a.TimeZone == "" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(a.TimeZone)
	if err != nil || a.TimeZone == "Local" || strings.HasPrefix(a.TimeZone, "/") {
		return nil, FieldErrorf("timeZone", "timeZone %q is not an IANA time zone such as Europe/Paris", a.TimeZone)
	}
	return loc, nil
}
