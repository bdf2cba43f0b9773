// Package c2m is Connect to Messaging (IVR deflection), wire-compatible
// with LivePerson's Connect To Messaging API 2.0: an IVR asks whether a
// caller can be messaged (Eligibility: the channels the caller can be
// reached on, the recommended one, and a callId under which the call's
// context is kept), then has the deflection message sent (Invite): at once,
// never to an opted-out consumer, paced and sent through the same
// campaign, dispatch and gateway path as every campaign, and once per
// callId however often the invite is retried.
package c2m

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/phone"
)

// LivePerson's Connect to Messaging error codes (errorCode), each answered
// with its HTTP status.
const (
	CodeInvalidRequest   = 1000 // 400
	CodeInvalidPhone     = 1001 // 400
	CodeInvalidVersion   = 1002 // 400
	CodeNotFound         = 1004 // 404
	CodeMethodNotAllowed = 1005 // 405
	CodeUnsupportedMedia = 1015 // 415
	CodeTooMany          = 1029 // 429
	CodeUnauthorized     = 1100 // 401
	CodeForbidden        = 1101 // 403
	CodeNoEngagement     = 1300 // 400: the skill is not enabled for outbound
	CodeCannotSend       = 1400 // 400
	CodeNoHandoff        = 1500 // 400
	CodeNoHandoffChannel = 1501 // 400: none of the handoff's channels is enabled
	CodeNoSetting        = 1600 // 400: the account has set no outbound channels
	CodeOverrideChannel  = 1900 // 400
	CodeOverrideSkill    = 1901 // 400
	CodeInternal         = 5000 // 5xx
)

// Version is the API version the routes take (?v=2.0).
const Version = "2.0"

// Error is a refusal with its LivePerson error code; it wraps the
// *parley.Error that gives its kind (and so its HTTP status) and message.
type Error struct {
	Code int
	Err  *parley.Error
}

// Error implements error.
func (e *Error) Error() string { return fmt.Sprintf("c2m %d: %v", e.Code, e.Err) }

// Unwrap returns the *parley.Error.
func (e *Error) Unwrap() error { return e.Err }

// refuse returns an *Error of code, kind and message.
func refuse(code int, kind, format string, args ...any) *Error {
	return &Error{Code: code, Err: parley.Errorf(kind, format, args...)}
}

func invalid(field, format string, args ...any) *Error {
	return &Error{Code: CodeInvalidRequest, Err: parley.FieldErrorf(field, format, args...)}
}

// CodeOf returns the LivePerson error code err carries, and whether it
// carries one.
func CodeOf(err error) (int, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e.Code, true
	}
	return 0, false
}

// WireName is a channel as LivePerson's answers name it: sms, wa, inapp.
func WireName(c parley.Channel) string {
	if c == parley.ChannelWhatsApp {
		return "wa"
	}
	return string(c)
}

// ParseChannel reads an overrideChannel: sms (or twilio, the same), wa
// (or whatsapp), inapp, in any case.
func ParseChannel(s string) (parley.Channel, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "sms", "twilio":
		return parley.ChannelSMS, true
	case "wa", "whatsapp":
		return parley.ChannelWhatsApp, true
	case "inapp":
		return parley.ChannelInApp, true
	}
	return "", false
}

// Consumer is what the eligibility rules know of the caller.
type Consumer struct {
	// Line is the type of the caller's number, from its numbering plan.
	Line phone.LineType
	// OptedOut are the channels the caller's number is opted out of.
	OptedOut map[parley.Channel]bool
	// ConsumerID is the brand's id of an in-app consumer, and HasDevice
	// whether the account registered a device for it.
	ConsumerID string
	HasDevice  bool
}

// Available returns the channels of handoff h the caller can be messaged
// on, in the handoff's priority order (the first is the recommendation),
// under the account's settings a:
//   - a channel the settings do not enable is never offered, and a handoff
//     none of whose channels is enabled is CodeNoHandoffChannel;
//   - with the device check on, SMS and WhatsApp need a number that can
//     take them (a mobile, or a fixed-line-or-mobile one);
//   - in-app needs the consumer's id and a device registered for it;
//   - a channel the caller's number is opted out of is not offered.
func Available(a parley.Account, h parley.Handoff, c Consumer) ([]parley.Channel, error) {
	out := []parley.Channel{}
	enabled := 0
	for _, hc := range h.Channels {
		if !a.ChannelEnabled(hc.Channel) {
			continue
		}
		enabled++
		if reachable(a, hc.Channel, c) {
			out = append(out, hc.Channel)
		}
	}
	if enabled == 0 {
		return nil, refuse(CodeNoHandoffChannel, parley.EINVALID,
			"handoff %s sends on %s, which the account's settings do not enable", h.ID, channelList(h))
	}
	return out, nil
}

func reachable(a parley.Account, ch parley.Channel, c Consumer) bool {
	if c.OptedOut[ch] {
		return false
	}
	if ch == parley.ChannelInApp {
		return c.ConsumerID != "" && c.HasDevice
	}
	return !a.DeviceCheck || c.Line.Textable()
}

func channelList(h parley.Handoff) string {
	names := make([]string, len(h.Channels))
	for i, c := range h.Channels {
		names[i] = WireName(c.Channel)
	}
	return strings.Join(names, ", ")
}

// Mode is the campaign channel an invite sends on: ch, or prioritized
// (WhatsApp with the SMS fallback) when ch is WhatsApp and SMS is
// available too for a handoff that falls back to it.
func Mode(h parley.Handoff, ch parley.Channel, available []parley.Channel) parley.Channel {
	if ch == parley.ChannelWhatsApp && h.Mode() == parley.ChannelPrioritized && slices.Contains(available, parley.ChannelSMS) {
		return parley.ChannelPrioritized
	}
	return ch
}
