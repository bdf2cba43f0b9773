package campaign

import (
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/parleyhq/parley/internal/message"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/tz"
	"github.com/parleyhq/parley/internal/window"
)

// In-app campaigns reach a brand's app users by consumer id, through push
// notifications. An in-app consumer has no phone number to take a time zone
// from, so its zone is, in order: its own timezone, the draft's timezone,
// or — only when the campaign's window is open around the clock, where the
// zone cannot matter — UTC. A consumer with none of these is refused
// (UNKNOWN_TIMEZONE) rather than messaged at an unknown local hour.

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
