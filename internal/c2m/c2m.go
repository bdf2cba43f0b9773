package c2m

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/parleyhq/parley/internal/campaign"
	"github.com/parleyhq/parley/internal/obs"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/phone"
	"github.com/parleyhq/parley/internal/store"
)

// Ports of the service, each satisfied by the store or a service.
type (
	// Accounts reads account settings (store.Accounts is one).
	Accounts interface {
		Account(ctx context.Context, accountID string) (parley.Account, error)
	}
	// Handoffs reads API handoffs (store.Handoffs is one).
	Handoffs interface {
		Handoff(ctx context.Context, accountID, id string) (parley.Handoff, error)
	}
	// OptOuts says whether a number is opted out of a channel
	// (*optout.Service is one).
	OptOuts interface {
		OptedOut(ctx context.Context, accountID string, channel parley.Channel, phone string) (bool, error)
	}
	// Campaigns accepts the deflection campaign an invite sends
	// (*campaign.Service is one).
	Campaigns interface {
		Create(ctx context.Context, accountID string, d campaign.Draft) (campaign.Accepted, error)
	}
	// Conversations says whether an agent has a conversation open with a
	// consumer, which holds back every outbound message to them
	// (*conversation.Service is one).
	Conversations interface {
		OpenConversation(ctx context.Context, accountID, consumer string) (bool, error)
	}
)

// Service answers eligibility and invite requests.
type Service struct {
	Accounts  Accounts
	Handoffs  Handoffs
	OptOuts   OptOuts
	Devices   campaign.Devices
	Calls     store.Calls
	Campaigns Campaigns
	// Conversations, when set, makes an invite to a consumer an agent is
	// talking to CodeCannotSend, as the dispatcher would skip its message.
	Conversations Conversations
	Clock         parley.Clock
	Log           *slog.Logger
	// NewCallID names calls; a random UUID v4 when nil.
	NewCallID func() string
}

// Field limits, as LivePerson documents them.
const (
	MaxPhoneLength     = 15
	MaxSkillLength     = parley.MaxSkillLength
	MaxHandoffIDLength = 16
	MaxIVRNumberLength = 64
	MaxVariables       = 20
)

// EligibilityRequest is an IVR's eligibility request.
type EligibilityRequest struct {
	Skill               string            `json:"skill"`
	ConsumerPhoneNumber string            `json:"consumerPhoneNumber"`
	HandoffID           string            `json:"handoffId"`
	ConsumerID          string            `json:"consumerId,omitempty"`
	SDEs                json.RawMessage   `json:"sdes,omitempty"`
	TemplateVariables   map[string]string `json:"templateVariables,omitempty"`
	IVRNumber           string            `json:"ivrNumber,omitempty"`
}

// Eligibility is the answer to an eligibility request.
type Eligibility struct {
	AvailableChannels      []string `json:"availableChannels"`
	RecommendedChannelName string   `json:"recommendedChannelName"`
	Eligible               bool     `json:"eligible"`
	CallID                 string   `json:"callId"`
}

// InviteRequest is an IVR's invite request.
type InviteRequest struct {
	CallID          string `json:"callId"`
	OverrideChannel string `json:"overrideChannel,omitempty"`
	OverrideMessage string `json:"overrideMessage,omitempty"`
	OverrideSkill   string `json:"overrideSkill,omitempty"`
}

// Invited is the answer to an invite.
type Invited struct {
	CallID string `json:"callId"`
}

func (r EligibilityRequest) validate() error {
	required := []struct{ field, value string }{{"skill", r.Skill}, {"consumerPhoneNumber", r.ConsumerPhoneNumber}, {"handoffId", r.HandoffID}}
	for _, f := range required {
		if strings.TrimSpace(f.value) == "" {
			return invalid(f.field, "%s is required", f.field)
		}
	}
	switch {
	case len(r.Skill) > MaxSkillLength:
		return invalid("skill", "skill is %d characters; at most %d", len(r.Skill), MaxSkillLength)
	case len(r.HandoffID) > MaxHandoffIDLength:
		return invalid("handoffId", "handoffId is %d characters; at most %d", len(r.HandoffID), MaxHandoffIDLength)
	case len(r.IVRNumber) > MaxIVRNumberLength:
		return invalid("ivrNumber", "ivrNumber is %d characters; at most %d", len(r.IVRNumber), MaxIVRNumberLength)
	case r.ConsumerID != "" && parley.ConsumerIDProblem(r.ConsumerID) != "":
		return invalid("consumerId", "consumerId: %s", parley.ConsumerIDProblem(r.ConsumerID))
	case len(r.TemplateVariables) > MaxVariables:
		return invalid("templateVariables", "%d templateVariables; at most %d", len(r.TemplateVariables), MaxVariables)
	}
	if _, err := parley.FlattenSDEs("sdes", r.SDEs); err != nil {
		return &Error{Code: CodeInvalidRequest, Err: &parley.Error{Code: parley.EINVALID, Field: parley.ErrorField(err), Message: parley.ErrorMessage(err)}}
	}
	e164, ok := phone.Normalize(r.ConsumerPhoneNumber)
	if !strings.HasPrefix(r.ConsumerPhoneNumber, "+") || len(r.ConsumerPhoneNumber) > MaxPhoneLength || !ok || e164 != r.ConsumerPhoneNumber {
		return &Error{Code: CodeInvalidPhone, Err: parley.FieldErrorf("consumerPhoneNumber",
			"consumerPhoneNumber %q is not a valid phone number in E.164 (a leading + and the country code, at most %d characters)", r.ConsumerPhoneNumber, MaxPhoneLength)}
	}
	return nil
}

// Eligibility checks which channels the caller can be messaged on, keeps
// the call's context under a new callId (a UUID v4) for CallTTL, and
// answers them with the callId.
func (s *Service) Eligibility(ctx context.Context, accountID string, req EligibilityRequest) (Eligibility, error) {
	if err := req.validate(); err != nil {
		return Eligibility{}, err
	}
	a, err := s.settings(ctx, accountID, req.Skill, "skill")
	if err != nil {
		return Eligibility{}, err
	}
	h, err := s.handoff(ctx, accountID, req.HandoffID)
	if err != nil {
		return Eligibility{}, err
	}
	consumer, err := s.consumer(ctx, accountID, h, req)
	if err != nil {
		return Eligibility{}, err
	}
	available, err := Available(a, h, consumer)
	if err != nil {
		return Eligibility{}, err
	}
	now := s.Clock.Now()
	sdes, _ := parley.FlattenSDEs("sdes", req.SDEs) // validated
	id := uuid.NewString()                          // version 4
	if s.NewCallID != nil {
		id = s.NewCallID()
	}
	call := parley.Call{
		AccountID: accountID, ID: id, HandoffID: h.ID, Skill: strings.TrimSpace(req.Skill),
		Consumer: req.ConsumerPhoneNumber, ConsumerID: req.ConsumerID,
		IVR:       parley.IVRContext{CallID: id, IVRNumber: req.IVRNumber, TemplateVariables: req.TemplateVariables},
		SDEs:      sdes,
		Available: available, CreatedAt: now, ExpiresAt: now.Add(parley.CallTTL),
	}
	if err := s.Calls.PutCall(ctx, call); err != nil {
		return Eligibility{}, fmt.Errorf("keep call %s: %w", id, err)
	}
	s.log().InfoContext(ctx, "eligibility", obs.IDs(accountID, id, ""), "handoff", h.ID, "consumer", phone.Mask(call.Consumer),
		"available", available)
	answer := Eligibility{AvailableChannels: make([]string, len(available)), RecommendedChannelName: WireName(call.Recommended()),
		Eligible: len(available) > 0, CallID: id}
	for i, c := range available {
		answer.AvailableChannels[i] = WireName(c)
	}
	return answer, nil
}

// settings reads the account's settings and checks that skill is enabled
// for outbound (field names the skill's field in errors).
func (s *Service) settings(ctx context.Context, accountID, skill, field string) (parley.Account, error) {
	a, err := s.Accounts.Account(ctx, accountID)
	if err != nil {
		return parley.Account{}, fmt.Errorf("read settings of %s: %w", accountID, err)
	}
	if !a.OutboundConfigured() {
		return parley.Account{}, refuse(CodeNoSetting, parley.EINVALID,
			"account %s has no outbound settings: enable its channels first (PATCH /api/v2/account/%s/settings with channels)", accountID, accountID)
	}
	if !a.SkillEnabled(skill) {
		code := CodeNoEngagement
		if field == "overrideSkill" {
			code = CodeOverrideSkill
		}
		return parley.Account{}, &Error{Code: code, Err: parley.FieldErrorf(field,
			"No engagement found for skill %s: it is not one of the account's outboundSkills", strings.TrimSpace(skill))}
	}
	return a, nil
}

// handoff reads the handoff an eligibility request names.
func (s *Service) handoff(ctx context.Context, accountID, id string) (parley.Handoff, error) {
	if !parley.IsHandoffID(id) {
		return parley.Handoff{}, &Error{Code: CodeNoHandoff, Err: parley.FieldErrorf("handoffId", "handoffId %q is no handoff of this account", id)}
	}
	h, err := s.Handoffs.Handoff(ctx, accountID, id)
	if parley.ErrorCode(err) == parley.ENOTFOUND {
		return parley.Handoff{}, &Error{Code: CodeNoHandoff, Err: parley.FieldErrorf("handoffId", "handoffId %q is no handoff of this account", id)}
	}
	if err != nil {
		return parley.Handoff{}, fmt.Errorf("read handoff %s: %w", id, err)
	}
	return h, nil
}

// consumer gathers what the rules need to know of the caller: the line
// type (read only with the device check on), the opt-outs of the
// handoff's channels and, for in-app, whether a device is registered.
func (s *Service) consumer(ctx context.Context, accountID string, h parley.Handoff, req EligibilityRequest) (Consumer, error) {
	c := Consumer{Line: phone.TypeOf(req.ConsumerPhoneNumber), OptedOut: map[parley.Channel]bool{}, ConsumerID: req.ConsumerID}
	for _, hc := range h.Channels {
		out, err := s.OptOuts.OptedOut(ctx, accountID, hc.Channel, req.ConsumerPhoneNumber)
		if err != nil {
			return Consumer{}, err
		}
		c.OptedOut[hc.Channel] = out
		if hc.Channel == parley.ChannelInApp && req.ConsumerID != "" {
			tokens, err := s.Devices.DeviceTokens(ctx, accountID, req.ConsumerID, hc.Apps)
			if err != nil {
				return Consumer{}, fmt.Errorf("read devices: %w", err)
			}
			c.HasDevice = len(tokens) > 0
		}
	}
	return c, nil
}

// Invite sends the deflection message of an eligible call: on its
// recommended channel, or the one the request overrides it with (one of
// the call's available channels), to its skill or the overriding one (one
// of the account's outbound skills), with the SMS text overridden when
// asked. It is sent at once, through the campaign path (a one-consumer
// campaign whose id is the callId, paced and dispatched as every
// campaign), and never twice: a retried invite, concurrent or not, finds
// the campaign there and answers as the first did.
func (s *Service) Invite(ctx context.Context, accountID string, req InviteRequest) (Invited, error) {
	if strings.TrimSpace(req.CallID) == "" {
		return Invited{}, invalid("callId", "callId is required: the callId an eligibility request answered")
	}
	if u, err := uuid.Parse(req.CallID); err != nil || u.String() != req.CallID {
		return Invited{}, invalid("callId", "callId %q is not a UUID as eligibility answers it", req.CallID)
	}
	if n := utf8.RuneCountInString(req.OverrideMessage); n > parley.MaxOverrideMessage {
		return Invited{}, invalid("overrideMessage", "overrideMessage is %d characters; at most %d", n, parley.MaxOverrideMessage)
	}
	now := s.Clock.Now()
	call, err := s.Calls.Call(ctx, accountID, req.CallID)
	if parley.ErrorCode(err) == parley.ENOTFOUND || (err == nil && call.InvitedAt.IsZero() && call.Expired(now)) {
		return Invited{}, refuse(CodeNotFound, parley.ENOTFOUND, "call %s is not found: unknown, or its eligibility is older than %s", req.CallID, parley.CallTTL)
	}
	if err != nil {
		return Invited{}, fmt.Errorf("read call %s: %w", req.CallID, err)
	}
	skill, field := call.Skill, "skill"
	if strings.TrimSpace(req.OverrideSkill) != "" {
		skill, field = strings.TrimSpace(req.OverrideSkill), "overrideSkill"
	}
	if _, err := s.settings(ctx, accountID, skill, field); err != nil {
		return Invited{}, err
	}
	ch, err := chosen(call, req)
	if err != nil {
		return Invited{}, err
	}
	h, err := s.handoff(ctx, accountID, call.HandoffID)
	if err != nil {
		return Invited{}, err
	}
	mode := Mode(h, ch, call.Available)
	if req.OverrideMessage != "" && mode != parley.ChannelSMS {
		return Invited{}, invalid("overrideMessage", "overrideMessage is sent through SMS only; this invite sends %s (set overrideChannel sms to send it)", WireName(ch))
	}
	if out, err := s.OptOuts.OptedOut(ctx, accountID, mode, call.Consumer); err != nil {
		return Invited{}, err
	} else if out {
		return Invited{}, refuse(CodeCannotSend, parley.EINVALID, "Message cannot be sent: the consumer opted out of %s", WireName(ch))
	}
	if err := s.busy(ctx, call, ch); err != nil {
		return Invited{}, err
	}
	if call.InvitedAt.IsZero() {
		call.InvitedAt = now
	}
	call.ExpiresAt = call.InvitedAt.Add(h.Lookback() + parley.CallGrace)
	if err := s.Calls.PutCall(ctx, call); err != nil {
		return Invited{}, fmt.Errorf("keep call %s: %w", call.ID, err)
	}
	cons := campaign.Consumer{SMS: call.Consumer, Variables: call.IVR.TemplateVariables, Text: req.OverrideMessage, SDEs: call.SDEs}
	if ch == parley.ChannelInApp {
		cons = campaign.Consumer{ConsumerID: call.ConsumerID, Variables: call.IVR.TemplateVariables, SDEs: call.SDEs}
	}
	_, err = s.Campaigns.Create(ctx, accountID, campaign.Draft{
		ID: call.ID, CallID: call.ID, IVRNumber: call.IVR.IVRNumber, Name: "Connect to Messaging " + call.ID, Skill: skill, TemplateID: call.HandoffID,
		Channel: mode, Consent: true, Consumers: []campaign.Consumer{cons},
	})
	var rejected *campaign.RejectedError
	switch {
	case parley.ErrorCode(err) == parley.ECONFLICT:
		s.log().InfoContext(ctx, "invite retried; the message was sent once", obs.IDs(accountID, call.ID, ""))
	case errors.As(err, &rejected) && len(rejected.Failed) > 0:
		f := rejected.Failed[0]
		return Invited{}, refuse(CodeCannotSend, parley.EINVALID, "Message cannot be sent: %s (%s)", f.Detail, f.Error)
	case parley.ErrorCode(err) == parley.EINVALID:
		return Invited{}, &Error{Code: CodeCannotSend, Err: &parley.Error{Code: parley.EINVALID, Field: parley.ErrorField(err),
			Message: "Message cannot be sent: " + parley.ErrorMessage(err)}}
	case err != nil:
		return Invited{}, err
	default:
		s.log().InfoContext(ctx, "invited", obs.IDs(accountID, call.ID, ""), "channel", mode, "skill", skill)
	}
	return Invited{CallID: call.ID}, nil
}

// busy refuses an invite, not yet sent, to a consumer an agent has a
// conversation open with: its message would never go out.
func (s *Service) busy(ctx context.Context, call parley.Call, ch parley.Channel) error {
	if s.Conversations == nil || !call.InvitedAt.IsZero() {
		return nil
	}
	consumer := call.Consumer
	if ch == parley.ChannelInApp {
		consumer = call.ConsumerID
	}
	open, err := s.Conversations.OpenConversation(ctx, call.AccountID, consumer)
	if err != nil {
		return err
	}
	if open {
		return refuse(CodeCannotSend, parley.EINVALID, "Message cannot be sent: an agent has a conversation open with the consumer")
	}
	return nil
}

// chosen is the channel an invite sends on: the override, which must be
// one of the call's available channels, else the recommended one.
func chosen(call parley.Call, req InviteRequest) (parley.Channel, error) {
	if strings.TrimSpace(req.OverrideChannel) == "" {
		if ch := call.Recommended(); ch != "" {
			return ch, nil
		}
		return "", refuse(CodeCannotSend, parley.EINVALID, "Message cannot be sent: the consumer of call %s is eligible on no channel", call.ID)
	}
	ch, ok := ParseChannel(req.OverrideChannel)
	if !ok {
		return "", invalid("overrideChannel", "overrideChannel %q is not one of sms (or twilio), wa, inapp", req.OverrideChannel)
	}
	if slices.Contains(call.Available, ch) {
		return ch, nil
	}
	return "", &Error{Code: CodeOverrideChannel, Err: parley.FieldErrorf("overrideChannel",
		"Overridden channel is not available: %s is not one of the call's available channels", WireName(ch))}
}

func (s *Service) log() *slog.Logger {
	if s.Log == nil {
		return obs.Discard()
	}
	return s.Log
}
