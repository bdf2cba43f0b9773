// Package optout keeps each account's opt-out list and answers consumers'
// keywords: STOP and its synonyms put a number on the list for the channel
// it wrote on, START takes it off, HELP gets the account's help text. The
// list is consulted when a campaign is accepted and again before each send.
//
// Scoping: an entry names one channel (sms or whatsapp) or all channels.
// A keyword applies to the channel it arrived on: an opt-out by SMS bars
// SMS, including a prioritized campaign's SMS fallback; an opt-out on
// WhatsApp bars WhatsApp. STOPALL is treated as STOP: a consumer can only
// speak for the channel they wrote on. Only the brand (through the API or
// an import) adds an all-channels entry, and only the brand removes it.
//
// Answers: each keyword that changes the list gets the account's
// confirmation text, once. An opt-out of a number already opted out of
// that channel, or an opt-in of one that was not, changes nothing and gets
// no answer, so a consumer who repeats STOP is not messaged again. HELP is
// answered every time. An opt-in that removes the channel's entry while
// the brand's all-channels entry still bars the number gets no answer
// either: the consumer stays opted out, and a welcome would mislead.
package optout

import (
	"strings"
	"unicode"
)

// Keyword is what a consumer's message asks for.
type Keyword int

// The keyword kinds. None is an ordinary message.
const (
	None Keyword = iota
	OptOut
	OptIn
	Help
)

// String names the keyword kind.
func (k Keyword) String() string {
	switch k {
	case OptOut:
		return "OPT_OUT"
	case OptIn:
		return "OPT_IN"
	case Help:
		return "HELP"
	}
	return "NONE"
}

// keywords maps each keyword, upper case, to its kind. CTIA's "OPT OUT" is
// two words; it and OPT-OUT are one keyword written three ways.
var keywords = map[string]Keyword{
	"STOP": OptOut, "STOPALL": OptOut, "UNSUBSCRIBE": OptOut, "CANCEL": OptOut, "END": OptOut,
	"QUIT": OptOut, "REVOKE": OptOut, "OPTOUT": OptOut, "OPT-OUT": OptOut, "OPT OUT": OptOut,
	"ARRET": OptOut, "ARRÊT": OptOut, "REMOVE": OptOut, "TD": OptOut,
	"START": OptIn, "UNSTOP": OptIn, "YES": OptIn,
	"HELP": Help, "INFO": Help,
}

// maxKeyword bounds the trimmed bodies worth classifying: every keyword
// with its punctuation is shorter.
const maxKeyword = 64

// Classify tells whether body is a keyword. It ignores case, surrounding
// white space and trailing full stops or exclamation marks ("Stop!" is a
// keyword), but the keyword must be the whole message: "stop please" and
// "yes, tomorrow" are ordinary messages.
func Classify(body string) Keyword {
	s := strings.TrimSpace(body)
	if len(s) > maxKeyword {
		return None
	}
	s = strings.TrimRightFunc(s, func(r rune) bool {
		return r == '.' || r == '!' || unicode.IsSpace(r)
	})
	s = strings.Join(strings.Fields(s), " ")
	return keywords[strings.ToUpper(s)]
}
