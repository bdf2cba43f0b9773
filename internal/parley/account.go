package parley

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Account holds an account's messaging settings.
type Account struct {
	ID string `json:"id"`
	// OptOutText is appended to every SMS; empty means the default.
	OptOutText string `json:"optOutText,omitempty"`
	// HelpText answers a consumer's HELP; empty means the default.
	HelpText string `json:"helpText,omitempty"`
	// DefaultSkill receives replies outside any campaign's lookback.
	DefaultSkill string    `json:"defaultSkill,omitempty"`
	UpdatedAt    time.Time `json:"updatedAt"`
}

// MaxOptOutText bounds the opt-out text: LivePerson reserves 42 characters
// of a 140-character SMS for it.
const MaxOptOutText = 42

// Validate checks the settings a brand may set. The opt-out text must tell
// the consumer how to stop (name STOP) and leave room for the message.
func (a Account) Validate() error {
	if a.OptOutText != "" {
		if n := utf8.RuneCountInString(a.OptOutText); n > MaxOptOutText {
			return FieldErrorf("optOutText", "optOutText is %d characters; at most %d", n, MaxOptOutText)
		}
		if !strings.Contains(strings.ToUpper(a.OptOutText), "STOP") {
			return FieldErrorf("optOutText", "optOutText must tell consumers to reply STOP to opt out")
		}
	}
	if utf8.RuneCountInString(a.HelpText) > 160 {
		return FieldErrorf("helpText", "helpText is longer than one SMS (160 characters)")
	}
	return nil
}
