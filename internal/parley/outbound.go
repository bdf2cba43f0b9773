package parley

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// ChannelSetting is one channel of an account's outbound settings: whether
// Connect to Messaging may send on it. An account's settings list them in
// priority order.
type ChannelSetting struct {
	Channel Channel `json:"channel"` // sms, whatsapp or inapp
	Enabled bool    `json:"enabled"`
}

// Bounds of the outbound settings.
const (
	MaxOutboundSkills = 100
	MaxSkillLength    = 255 // LivePerson's skill limit
)

// OutboundChannels are the channels outbound settings can enable.
var OutboundChannels = []Channel{ChannelSMS, ChannelWhatsApp, ChannelInApp}

// OutboundConfigured reports whether the account has set its outbound
// channels, without which Connect to Messaging has no setting to work by.
func (a Account) OutboundConfigured() bool { return len(a.Channels) > 0 }

// ChannelEnabled reports whether the account's settings enable c.
func (a Account) ChannelEnabled(c Channel) bool {
	return slices.Contains(a.Channels, ChannelSetting{Channel: c, Enabled: true})
}

// SkillEnabled reports whether skill is one of the routing skills the
// account enabled for outbound messages (compared ignoring case).
func (a Account) SkillEnabled(skill string) bool {
	skill = strings.TrimSpace(skill)
	return skill != "" && slices.ContainsFunc(a.OutboundSkills, func(s string) bool { return strings.EqualFold(s, skill) })
}

// validateOutbound checks the outbound settings: each known channel at
// most once, skills named once each within LivePerson's length, and the
// default skill among them when any are enabled.
func (a Account) validateOutbound() error {
	for i, c := range a.Channels {
		field := fmt.Sprintf("channels[%d]", i)
		if !slices.Contains(OutboundChannels, c.Channel) {
			return FieldErrorf(field+".channel", "channel %q is not one of sms, whatsapp, inapp", c.Channel)
		}
		if slices.IndexFunc(a.Channels, func(o ChannelSetting) bool { return o.Channel == c.Channel }) != i {
			return FieldErrorf(field+".channel", "channel %s is listed twice; list each channel once, in priority order", c.Channel)
		}
	}
	if len(a.OutboundSkills) > MaxOutboundSkills {
		return FieldErrorf("outboundSkills", "%d outboundSkills; at most %d", len(a.OutboundSkills), MaxOutboundSkills)
	}
	for i, s := range a.OutboundSkills {
		field := fmt.Sprintf("outboundSkills[%d]", i)
		switch t := strings.TrimSpace(s); {
		case t == "":
			return FieldErrorf(field, "a skill name is required")
		case len(t) > MaxSkillLength:
			return FieldErrorf(field, "skill is %d characters; at most %d", len(t), MaxSkillLength)
		case slices.IndexFunc(a.OutboundSkills, func(o string) bool { return strings.EqualFold(strings.TrimSpace(o), t) }) != i:
			return FieldErrorf(field, "skill %q is listed twice", t)
		}
	}
	if a.DefaultSkill != "" && len(a.OutboundSkills) > 0 && !a.SkillEnabled(a.DefaultSkill) {
		return FieldErrorf("defaultSkill", "defaultSkill %q is not one of the outboundSkills", a.DefaultSkill)
	}
	return nil
}

// OutboundSummary is one message sent to a consumer as an agent sees it
// (LivePerson's CX widget): which skill it was routed to, on which
// channel, what it said and when.
type OutboundSummary struct {
	CampaignID   string    `json:"campaignId,omitempty"`
	CampaignName string    `json:"campaignName,omitempty"`
	CallID       string    `json:"callId,omitempty"` // set for a Connect to Messaging invite
	Skill        string    `json:"skill"`
	Channel      Channel   `json:"channel"`
	Text         string    `json:"text"`
	SentAt       time.Time `json:"sentAt"`
}

// Agent context bounds: the five newest messages of the last 30 days.
const (
	RecentOutboundCount  = 5
	RecentOutboundWindow = 30 * 24 * time.Hour
)

// RecentOutbound returns, newest first, the summaries of at most
// RecentOutboundCount of contexts (newest first) sent within
// RecentOutboundWindow before at and not after it.
func RecentOutbound(contexts []OutboundContext, at time.Time) []OutboundSummary {
	out := []OutboundSummary{}
	for _, o := range contexts {
		if o.SentAt.After(at) {
			continue
		}
		if at.Sub(o.SentAt) > RecentOutboundWindow || len(out) == RecentOutboundCount {
			break
		}
		out = append(out, OutboundSummary{CampaignID: o.CampaignID, CampaignName: o.CampaignName, CallID: o.CallID,
			Skill: o.Skill, Channel: o.Channel, Text: o.Body, SentAt: o.SentAt})
	}
	return out
}
