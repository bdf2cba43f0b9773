package parley

import (
	"slices"
	"time"
)

// OutboundContext is what a reply to a sent message is routed by: the
// campaign's skill while its lookback lasts, and what the agent sees. The
// dispatcher records one per message sent, so it is kept small (see Fit).
type OutboundContext struct {
	AccountID    string  `json:"accountId"`
	Consumer     string  `json:"consumer"`
	CampaignID   string  `json:"campaignId"`
	CampaignName string  `json:"campaignName,omitempty"`
	RecipientID  string  `json:"recipientId,omitempty"`
	Skill        string  `json:"skill"`
	Channel      Channel `json:"channel"`
	// Sender is the outbound number (as campaigns name it) the message went
	// out from: the campaign's outboundNumber, which a reply is matched to
	// by the sender the consumer wrote to (gateway.InboundMessage.Sender).
	// "" when the campaign named none, or for contexts recorded before
	// senders were.
	Sender            string            `json:"sender,omitempty"`
	Body              string            `json:"body,omitempty"`
	CustomerInfo      map[string]string `json:"customerInfo,omitempty"`
	ProviderMessageID string            `json:"providerMessageId,omitempty"`
	// CallID names the Connect to Messaging call the message deflected;
	// its IVR context goes with the conversation a reply opens.
	CallID string    `json:"callId,omitempty"`
	SentAt time.Time `json:"sentAt"`
	// Lookback is how long replies go to Skill; see ClampLookback.
	Lookback time.Duration `json:"lookback"`
}

// Size budgets of an outbound context, which keep its stored item under
// 1 KB: the body and campaign name are cut, customer info beyond the budget
// is left out, and so is a sender longer than its budget (an E.164 number
// never is; only an in-app campaign's app name can be), which a cut one
// would not match.
const (
	MaxContextBody   = 360
	MaxContextName   = 96
	MaxContextSkill  = 64
	MaxContextSender = 64
	MaxContextInfo   = 160 // bytes of keys and values
)

// ClampLookback bounds a lookback to MinLookback..MaxLookback; zero means
// DefaultLookback.
func ClampLookback(d time.Duration) time.Duration {
	switch {
	case d == 0:
		return DefaultLookback
	case d < MinLookback:
		return MinLookback
	case d > MaxLookback:
		return MaxLookback
	}
	return d
}

// Retained is how long a context is kept: its lookback, and at least the
// consumer's history (HistoryRetention), which it is the sent message of.
func (o OutboundContext) Retained() time.Time {
	return o.SentAt.Add(max(ClampLookback(o.Lookback), HistoryRetention))
}

// Expires is the last instant a reply is routed by the context.
func (o OutboundContext) Expires() time.Time { return o.SentAt.Add(ClampLookback(o.Lookback)) }

// Routes reports whether a reply at at is inside the context's lookback.
func (o OutboundContext) Routes(at time.Time) bool { return !at.After(o.Expires()) }

// Fit returns the context within the size budgets, its lookback clamped.
func (o OutboundContext) Fit() OutboundContext {
	o.Body = TruncateUTF8(o.Body, MaxContextBody)
	o.CampaignName = TruncateUTF8(o.CampaignName, MaxContextName)
	o.Skill = TruncateUTF8(o.Skill, MaxContextSkill)
	o.Lookback = ClampLookback(o.Lookback)
	if len(o.Sender) > MaxContextSender {
		o.Sender = ""
	}
	if len(o.CustomerInfo) > 0 {
		keys := make([]string, 0, len(o.CustomerInfo))
		for k := range o.CustomerInfo {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		info, used := map[string]string{}, 0
		for _, k := range keys {
			if n := len(k) + len(o.CustomerInfo[k]); used+n <= MaxContextInfo {
				info[k] = o.CustomerInfo[k]
				used += n
			}
		}
		o.CustomerInfo = info
	}
	return o
}

// Validate checks what routing needs: account, consumer and send time.
func (o OutboundContext) Validate() error {
	switch {
	case o.AccountID == "":
		return FieldErrorf("accountId", "an outbound context needs its account")
	case o.Consumer == "":
		return FieldErrorf("consumer", "an outbound context needs its consumer")
	case o.SentAt.IsZero():
		return FieldErrorf("sentAt", "an outbound context needs its send time")
	}
	return nil
}
