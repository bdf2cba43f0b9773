package parley

import "time"

// ChannelAll is the channel of an opt-out entry that bars a number from
// every channel. Only the API and imports create such entries; a consumer's
// keyword opts out of the channel it was sent on.
const ChannelAll Channel = "all"

// ChannelVoice is the channel of telephone campaigns on the opt-out list: an
// entry for it (or for ChannelAll) puts a number on the account's
// do-not-call list, and bars no message.
const ChannelVoice Channel = "voice"

// Where an opt-out entry came from.
const (
	OptOutByKeyword = "keyword" // the consumer sent an opt-out keyword
	OptOutByAPI     = "api"     // the brand added it through the API
	OptOutByImport  = "import"  // the brand imported it from a file
)

// OptOut is one entry of an account's opt-out list: Phone may not be
// messaged on Channel (ChannelSMS, ChannelWhatsApp, or ChannelAll for every
// channel).
type OptOut struct {
	AccountID string    `json:"accountId"`
	Channel   Channel   `json:"channel"`
	Phone     string    `json:"phone"` // E.164
	Source    string    `json:"source"`
	CreatedAt time.Time `json:"createdAt"`
}

// Covers reports whether the entry bars the number from channel.
func (o OptOut) Covers(channel Channel) bool {
	return o.Channel == ChannelAll || o.Channel == channel
}
