package parley

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxCallbackRef bounds the callback references ParseCallbackRef reads.
const MaxCallbackRef = 256

// CallbackRef is how a sent message names its recipient to the provider,
// which echoes it back with every status of the message (in Twilio's
// StatusCallback URL, WhatsApp's biz_opaque_callback_data, CM's reference):
// "<campaignId>/<recipientId>". The account is not in it; the webhook's
// route names the account. It is "" for a message sent to no recipient
// (such as the answer to a keyword), whose statuses are not tracked.
func (m Message) CallbackRef() string {
	if m.CampaignID == "" || m.RecipientID == "" {
		return ""
	}
	return m.CampaignID + "/" + m.RecipientID
}

// ParseCallbackRef reads a CallbackRef that came back with a status of
// accountID. The recipient id is what follows the last slash. ok is false
// for anything CallbackRef does not write (empty parts, control
// characters, invalid UTF-8, longer than MaxCallbackRef).
//
// A reference only names the recipient a status claims to be about: the
// caller must still check that the recipient's message is the one the
// status is for, so a forged or stale reference changes nothing.
func ParseCallbackRef(accountID, s string) (Ref, bool) {
	i := strings.LastIndexByte(s, '/')
	if accountID == "" || i <= 0 || i == len(s)-1 || len(s) > MaxCallbackRef || !utf8.ValidString(s) || strings.ContainsFunc(s, unicode.IsControl) {
		return Ref{}, false
	}
	return Ref{AccountID: accountID, CampaignID: s[:i], RecipientID: s[i+1:]}, true
}
