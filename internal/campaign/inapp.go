package campaign

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/parleyhq/parley/internal/message"
	"github.com/parleyhq/parley/internal/obs"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/run"
	"github.com/parleyhq/parley/internal/tz"
	"github.com/parleyhq/parley/internal/window"
)

// In-app campaigns reach a brand's app users by consumer id, through push
// notifications. An in-app consumer has no phone number to take a time zone
// from, so its zone is, in order: its own timezone, the draft's timezone,
// or — only when the campaign's window is open around the clock, where the
// zone cannot matter — UTC. A consumer with none of these is refused
// (UNKNOWN_TIMEZONE) rather than messaged at an unknown local hour.

// A consumer the account has registered no device (push token) for cannot
// be reached: intake refuses it (NO_DEVICE) when the list is short enough
// to check (see MaxDeviceChecks), and the send fails it otherwise.

// Devices gives the push tokens an account registered for a consumer
// (store.Devices is one).
type Devices interface {
	DeviceTokens(ctx context.Context, accountID, consumerID string, apps []string) ([]string, error)
}

// MaxDeviceChecks bounds the in-app consumers whose devices intake checks,
// one read each, deviceReaders at a time: every campaign call
// (parley.MaxConsumersPerCall consumers at most) and lists as short. A
// longer list (an upload holds up to 100,000) is not checked at intake, as
// that many reads would not fit in a request; its consumers without a
// device are FAILED NO_DEVICE when their message is sent.
const MaxDeviceChecks = parley.MaxConsumersPerCall

// deviceReaders is how many device reads intake runs at once.
const deviceReaders = 8

// refuseWithoutDevice returns cs with the in-app consumers the account has
// no device registered for failed NO_DEVICE, when Devices is set and at
// most MaxDeviceChecks distinct valid consumer ids are to be checked; cs
// itself is not changed.
func (s *Service) refuseWithoutDevice(ctx context.Context, c parley.Campaign, cs []Consumer) ([]Consumer, error) {
	if s.Devices == nil || c.Channel != parley.ChannelInApp {
		return cs, nil
	}
	var ids []string
	for _, cons := range cs {
		if cons.Error == "" && cons.SMS == "" && parley.ConsumerIDProblem(cons.ConsumerID) == "" && !slices.Contains(ids, cons.ConsumerID) {
			if ids = append(ids, cons.ConsumerID); len(ids) > MaxDeviceChecks {
				s.Log.InfoContext(ctx, "too many in-app consumers to check their devices at intake; the send checks them", obs.IDs(c.AccountID, c.ID, ""),
					"max", MaxDeviceChecks)
				return cs, nil
			}
		}
	}
	var mu sync.Mutex
	none := map[string]bool{}
	err := run.Each(ctx, deviceReaders, ids, func(ctx context.Context, id string) error {
		tokens, err := s.Devices.DeviceTokens(ctx, c.AccountID, id, c.Apps)
		if err != nil {
			return fmt.Errorf("read the devices of consumer %s: %w", id, err)
		}
		if len(tokens) == 0 {
			mu.Lock()
			none[id] = true
			mu.Unlock()
		}
		return nil
	})
	if err != nil || len(none) == 0 {
		return cs, err
	}
	cs = slices.Clone(cs)
	for i := range cs {
		if cons := &cs[i]; cons.Error == "" && cons.SMS == "" && none[cons.ConsumerID] {
			cons.Error = parley.CodeNoDevice
			cons.Detail = fmt.Sprintf("%s: the account has no device registered for consumer %s, so no in-app message can reach them; %s",
				cons.where(i), cons.ConsumerID, parley.RegisterPushToken(c.AccountID, cons.ConsumerID))
		}
	}
	return cs, nil
}

// utc is the zone of an in-app consumer of a campaign without a window.
const utc = "UTC"

// zone loads an IANA time zone by name; "Local" and "" are not names of
// one.
func zone(name string) (*time.Location, error) {
	if name == "" || name == "Local" {
		return nil, fmt.Errorf("time zone %q: not an IANA zone name", name)
	}
	locs, err := tz.Locations([]string{name})
	if err != nil {
		return nil, err
	}
	return locs[0], nil
}

// identity is what makes two recipients of one campaign the same consumer.
func identity(r parley.Recipient) string {
	if r.Channel == parley.ChannelInApp {
		return r.ConsumerID
	}
	return r.Phone
}

// inAppRecipient checks an in-app consumer: its id, its time zone and its
// plain text, which carries no opt-out text and is bound only by
// message.MaxLength (no SMS segments).
func inAppRecipient(c parley.Campaign, cons Consumer, seen map[string]string, where string, draftZone string) (parley.Recipient, string, string) {
	if cons.SMS != "" {
		return parley.Recipient{}, parley.CodeInvalidConsumerID,
			fmt.Sprintf("%s has a phone number; an inapp campaign reaches consumers by consumerId (consumerContent.inapp), never by phone", where)
	}
	if why := parley.ConsumerIDProblem(cons.ConsumerID); why != "" {
		return parley.Recipient{}, parley.CodeInvalidConsumerID, fmt.Sprintf("%s: %s", where, why)
	}
	if first, dup := seen[cons.ConsumerID]; dup {
		return parley.Recipient{}, parley.CodeDuplicateConsumerID, fmt.Sprintf("%s repeats the consumer id of %s", where, first)
	}
	zones, code, detail := inAppZones(c, cons, where, draftZone)
	if code != "" {
		return parley.Recipient{}, code, detail
	}
	body, missing := cons.Text, []int(nil)
	if body == "" {
		body, missing = message.Render(c.Message, cons.Variables)
	}
	if len(missing) > 0 {
		return parley.Recipient{}, fmt.Sprintf("%s=%d", parley.CodeMissingVariable, missing[0]),
			fmt.Sprintf("%s has no value for {{%d}}", where, missing[0])
	}
	if n := utf8.RuneCountInString(body); n > message.MaxLength {
		return parley.Recipient{}, parley.CodeTooLong, fmt.Sprintf("%s: the message is %d characters; at most %d", where, n, message.MaxLength)
	}
	return parley.Recipient{
		AccountID: c.AccountID, CampaignID: c.ID, Channel: parley.ChannelInApp, ConsumerID: cons.ConsumerID,
		Zones: zones, Variables: cons.Variables, Body: body,
	}, "", ""
}

// inAppZones returns the zone an in-app consumer is messaged in.
func inAppZones(c parley.Campaign, cons Consumer, where, draftZone string) ([]string, string, string) {
	switch {
	case cons.Timezone != "":
		if _, err := zone(cons.Timezone); err != nil {
			return nil, parley.CodeInvalidTimezone, fmt.Sprintf("%s: timezone %q is not an IANA time zone such as Europe/Paris", where, cons.Timezone)
		}
		return []string{cons.Timezone}, "", ""
	case draftZone != "":
		return []string{draftZone}, "", ""
	case c.Schedule.Window == window.Always:
		return []string{utc}, "", ""
	}
	return nil, parley.CodeUnknownZone, fmt.Sprintf(
		"%s: no time zone is known for this consumer, so the delivery window %s cannot be kept; give the consumer's timezone, the campaign's timezone, or a deliveryWindow of 00:00-24:00",
		where, c.Schedule.Window)
}
