package campaign

import (
	"cmp"
	"context"
	"fmt"
	"strings"

	"github.com/parleyhq/parley/internal/parley"
)

// Handoffs is what the service needs of the account's API handoffs
// (store.Handoffs is one).
type Handoffs interface {
	Handoff(ctx context.Context, accountID, id string) (parley.Handoff, error)
}

// applyHandoff maps the API handoff a draft's templateId names onto the
// draft: its channels (WhatsApp then SMS is prioritized), its sending
// number unless the draft names one, its text, its SMS opt-out text and
// its lookback unless the draft sets one. A draft may narrow a
// prioritized handoff to one of its channels: whatsapp alone, or sms
// alone, which sends the template's text from the WhatsApp number as the
// fallback would. It returns the draft and the id of the WhatsApp template
// to send: the handoff's, or the templateId itself when it names no
// handoff.
func (s *Service) applyHandoff(ctx context.Context, accountID string, d Draft) (Draft, string, error) {
	if s.Handoffs == nil || !parley.MayNameHandoff(d.TemplateID) {
		return d, d.TemplateID, nil
	}
	h, err := s.Handoffs.Handoff(ctx, accountID, d.TemplateID)
	narrows := h.Mode() == parley.ChannelPrioritized && (d.Channel == parley.ChannelWhatsApp || d.Channel == parley.ChannelSMS)
	switch {
	case parley.ErrorCode(err) == parley.ENOTFOUND:
		return d, d.TemplateID, nil // perhaps a WhatsApp template of that id, or plain SMS
	case err != nil:
		return d, "", fmt.Errorf("read handoff %s: %w", d.TemplateID, err)
	case d.Channel != "" && d.Channel != h.Mode() && !narrows:
		return d, "", parley.FieldErrorf("channel", "channel %q differs from handoff %s's channels, which send %s", d.Channel, h.ID, h.Mode())
	case strings.TrimSpace(d.Message) != "":
		return d, "", parley.FieldErrorf("message", "handoff %s gives the text; leave message out and give each consumer's variables", h.ID)
	}
	d.handoffID = h.ID
	first := h.Channels[0]
	if !narrows {
		d.Channel = h.Mode()
	}
	d.OutboundNumber = cmp.Or(strings.TrimSpace(d.OutboundNumber), first.OutboundNumber)
	d.Message = first.Text
	if d.LookbackMinutes == 0 {
		d.LookbackMinutes = h.LookbackMinutes
	}
	if app, ok := h.Channel(parley.ChannelInApp); ok {
		d.Apps = app.Apps
	}
	if sms, ok := h.Channel(parley.ChannelSMS); ok {
		d.OptOutText = sms.OptOutText
	}
	wa, ok := h.Channel(parley.ChannelWhatsApp)
	switch {
	case ok && d.Channel == parley.ChannelSMS:
		t, err := s.Store.Template(ctx, accountID, wa.TemplateID)
		if err != nil {
			return d, "", fmt.Errorf("read template %s of handoff %s: %w", wa.TemplateID, h.ID, err)
		}
		d.Message = t.Body
		return d, parley.PlainSMSTemplateID, nil
	case ok:
		return d, wa.TemplateID, nil
	}
	return d, parley.PlainSMSTemplateID, nil
}
