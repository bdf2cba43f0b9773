package dispatch

import (
	"context"
	"errors"

	"github.com/parleyhq/parley/internal/obs"
	"github.com/parleyhq/parley/internal/parley"
)

// Consent says whether a consumer opted out of a channel.
type Consent interface {
	OptedOut(ctx context.Context, accountID string, channel parley.Channel, phone string) (bool, error)
}

// Conversations knows the consumers an agent is talking to, and takes the
// outbound context that replies are routed by.
type Conversations interface {
	OpenConversation(ctx context.Context, accountID, consumer string) (bool, error)
	RecordOutbound(ctx context.Context, o parley.OutboundContext) error
}

// consumer is who a recipient is to the opt-out list and conversations: the
// phone number, or an in-app consumer's id.
func consumer(r parley.Recipient) string {
	if r.Phone != "" {
		return r.Phone
	}
	return r.ConsumerID
}

// recheck looks again, just before a claimed recipient is sent, at what may
// have changed since intake: an opt-out (SKIPPED, OPTED_OUT) or a
// conversation an agent has open with the consumer (SKIPPED,
// OPEN_CONVERSATION). send is false when the recipient is settled.
func (d *Dispatcher) recheck(ctx context.Context, c parley.Campaign, r parley.Recipient) (send bool, err error) {
	if d.Consent != nil && r.Phone != "" {
		out, err := d.Consent.OptedOut(ctx, r.AccountID, c.Channel, r.Phone)
		if err != nil {
			return false, d.requeue(ctx, r, err)
		}
		if out {
			d.Log.InfoContext(ctx, "opted out since intake; skipped", obs.Recipient(r))
			return false, d.record(ctx, r, parley.StatusSkipped, "", parley.CodeOptedOut)
		}
	}
	if d.Conversations != nil {
		open, err := d.Conversations.OpenConversation(ctx, r.AccountID, consumer(r))
		if err != nil {
			return false, d.requeue(ctx, r, err)
		}
		if open {
			d.Log.InfoContext(ctx, "an agent's conversation with the consumer is open; skipped", obs.Recipient(r))
			return false, d.record(ctx, r, parley.StatusSkipped, "", parley.CodeOpenConversation)
		}
	}
	return true, nil
}

// requeue gives a claimed recipient back (QUEUED) after a failed check, so
// the job's retry claims it again.
func (d *Dispatcher) requeue(ctx context.Context, r parley.Recipient, cause error) error {
	return errors.Join(cause, d.record(ctx, r, parley.StatusQueued, "", ""))
}

// remember records the outbound context of a sent message, which replies
// are routed by. A failure is logged: the message went out, and a reply
// then goes to the account's default skill.
func (d *Dispatcher) remember(ctx context.Context, c parley.Campaign, r parley.Recipient, m parley.Message, providerID string) {
	if d.Conversations == nil {
		return
	}
	err := d.Conversations.RecordOutbound(ctx, parley.OutboundContext{
		AccountID: r.AccountID, Consumer: consumer(r), CampaignID: c.ID, CampaignName: c.Name, RecipientID: r.ID,
		Skill: c.Skill, Channel: m.Channel, Sender: m.From, Body: m.Body, CustomerInfo: r.Variables, ProviderMessageID: providerID,
		CallID: c.CallID, SentAt: d.Clock.Now(), Lookback: c.Lookback,
	})
	if err != nil {
		d.Log.ErrorContext(ctx, "outbound context not recorded; a reply will go to the default skill", obs.Recipient(r), "err", err)
	}
}
