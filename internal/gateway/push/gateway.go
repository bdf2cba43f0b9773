package push

import (
	"context"
	"errors"

	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

var _ gateway.Sender = (*Gateway)(nil)

// Gateway failure codes of its own.
const (
	// CodeNoDevice: the consumer has no registered device that FCM still
	// knows, so the in-app channel cannot reach them (gateway.NoDevice).
	CodeNoDevice = parley.CodeNoDevice
	// CodeTokenStore: the device tokens could not be read.
	CodeTokenStore = "TOKEN_STORE"
	// CodeTokenRemoval: an unregistered token could not be forgotten.
	CodeTokenRemoval = "TOKEN_REMOVAL"
)

// Gateway sends in-app messages as push notifications to every device a
// consumer registered.
type Gateway struct {
	Client *Client
	// Tokens keeps the FCM registration tokens of each consumer's devices.
	Tokens store.Devices
	// Title is the notification title; none when empty.
	Title string
}

// Send pushes m.Body to each device of the consumer m.To (the brand's
// consumer id), with the account, campaign and recipient ids as data.
// Tokens FCM answers UNREGISTERED are removed from the store. Send
// succeeds with the first message name when any device accepted; with no
// devices left it fails FailIneligible with CodeNoDevice; otherwise it
// returns the most severe failure. A throttled or configuration failure
// stops the round, since every other device would meet it too.
func (g *Gateway) Send(ctx context.Context, m parley.Message) (string, error) {
	tokens, err := g.Tokens.DeviceTokens(ctx, m.AccountID, m.To, m.Apps)
	if err != nil {
		return "", causedBy(sendErr(CodeTokenStore, err.Error(), parley.FailTransient), err)
	}
	n := Notification{Title: g.Title, Body: m.Body, Data: map[string]string{
		"accountId": m.AccountID, "campaignId": m.CampaignID, "recipientId": m.RecipientID,
	}}
	var first string
	var worst *parley.SendError
	for _, token := range tokens {
		name, err := g.Client.Send(ctx, token, n)
		if err == nil {
			if first == "" {
				first = name
			}
			continue
		}
		se := g.forget(ctx, m, token, asSendError(err))
		worst = moreSevere(worst, se)
		if se != nil && (se.Kind == parley.FailThrottled || se.Kind == parley.FailConfig) {
			break
		}
	}
	switch {
	case first != "":
		return first, nil
	case worst == nil:
		return "", gateway.NoDevice(Name, m)
	}
	return "", worst
}

// forget removes token when FCM no longer knows it. It returns the failure
// that still counts: nil for a removed token, a removal failure, or se.
func (g *Gateway) forget(ctx context.Context, m parley.Message, token string, se *parley.SendError) *parley.SendError {
	if se.Kind != parley.FailIneligible || se.Code != CodeUnregistered {
		return se
	}
	if err := g.Tokens.RemoveDeviceToken(ctx, m.AccountID, m.To, token); err != nil {
		return causedBy(sendErr(CodeTokenRemoval, err.Error(), parley.FailTransient), err)
	}
	return nil
}

// severity ranks failure kinds for a send to several devices: a failure
// that may clear on retry outranks one that fails the recipient, since a
// retry may still reach another device; and a systemic failure (throttled,
// misconfigured) outranks one of a single device.
var severity = map[parley.FailKind]int{
	parley.FailIneligible: 0,
	parley.FailPermanent:  1,
	parley.FailTransient:  2,
	parley.FailThrottled:  3,
	parley.FailConfig:     4,
}

// moreSevere returns whichever of a and b ranks higher; the earlier on a tie.
func moreSevere(a, b *parley.SendError) *parley.SendError {
	if a == nil || b != nil && severity[b.Kind] > severity[a.Kind] {
		return b
	}
	return a
}

// asSendError returns err as a *parley.SendError, wrapping any other error
// as transient.
func asSendError(err error) *parley.SendError {
	var se *parley.SendError
	if errors.As(err, &se) {
		return se
	}
	return causedBy(sendErr(CodeNetwork, err.Error(), parley.FailTransient), err)
}
