package twilio

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/dialer"
	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/phonecampaign"
)

// The voice webhooks of an account, each under VoicePath: the TwiML Twilio
// fetches when a call is answered, the call's progress events, and the
// verdict of answering-machine detection. Their URLs carry the campaign in
// CampaignParam; Twilio signs the whole URL, so it comes back as authentic
// as the form.
const (
	VoiceAnswer = "answer"
	VoiceStatus = "status"
	VoiceAMD    = "amd"
	// CampaignParam names the campaign of a call in its webhook URLs.
	CampaignParam = "campaign"
)

// VoiceEvents are the voice webhooks' events, in path order.
var VoiceEvents = []string{VoiceAnswer, VoiceStatus, VoiceAMD}

// VoicePath is the route of an account's voice webhook event.
func VoicePath(event string) string { return gateway.WebhookPath(Name) + "/voice/" + event }

// voiceURL is the URL of a campaign's voice webhook event under publicURL.
func voiceURL(publicURL, accountID, campaignID, event string) string {
	return gateway.WebhookURL(publicURL, Name, accountID) + "/voice/" + event + "?" + url.Values{CampaignParam: {campaignID}}.Encode()
}

// HoldFor is how long the answer TwiML holds a call while Parley waits for
// the machine-detection verdict (Twilio's default detection timeout is
// 30 s) and then at most dialer.Grace for an operator. A redirect replaces
// it long before; if none comes the call ends.
const HoldFor = 30*time.Second + dialer.Grace + 8*time.Second

// DefaultAbandonMessage is spoken to a person no operator could take.
const DefaultAbandonMessage = "Sorry, all of our operators are busy. We will call you again later. Goodbye."

// callSIDForm is a Call resource SID; the sandbox's calls have others.
var callSIDForm = regexp.MustCompile(`^CA[0-9a-fA-F]{32}$`)

// ChannelConfigs reads an account's channel configuration with its
// credentials (store.Channels is one).
type ChannelConfigs interface {
	ChannelConfig(ctx context.Context, accountID string, channel parley.Channel) (parley.ChannelConfig, error)
}

// Voice is the voice gateway of telephone campaigns: an account whose SMS
// channel sends through Twilio places its calls through the same Twilio
// account, with the same credentials; other accounts go to Fallback (the
// simulated gateway of parley serve), or are refused without one. The
// calls it places ask for their progress events and asynchronous
// answering-machine detection at the account's voice webhooks.
type Voice struct {
	Configs ChannelConfigs
	// Fallback places the calls of accounts without Twilio, and steers
	// the calls it placed; nil refuses them.
	Fallback phonecampaign.VoiceGateway
	// PublicURL is the base URL Twilio reaches the webhooks at.
	PublicURL string
	// HTTP is the client requests go through (an egress client).
	HTTP  *http.Client
	Clock parley.Clock
	// AbandonMessage is the recorded message: an audio URL played, or text
	// spoken; empty means DefaultAbandonMessage.
	AbandonMessage string
	// RingTimeout is how long a call rings unanswered; zero is Twilio's
	// 60 s.
	RingTimeout time.Duration
}

var _ phonecampaign.VoiceGateway = (*Voice)(nil)

// errNoVoice refuses the calls of an account with no way to place them.
func errNoVoice(accountID, why string) error {
	return &parley.SendError{Provider: provider, Code: "NO_VOICE", Kind: parley.FailConfig,
		Reason: fmt.Sprintf("account %s cannot place calls: %s", accountID, why)}
}

// gateway returns the Twilio client of the account, or nil when the
// account does not send through Twilio.
func (v *Voice) gateway(ctx context.Context, accountID string) (*Gateway, error) {
	cfg, err := v.Configs.ChannelConfig(ctx, accountID, parley.ChannelSMS)
	switch {
	case parley.ErrorCode(err) == parley.ENOTFOUND || (err == nil && cfg.Provider != Name):
		return nil, nil
	case err != nil:
		se := &parley.SendError{Provider: provider, Code: "CONFIG_UNAVAILABLE", Kind: parley.FailTransient,
			Reason: fmt.Sprintf("the sms configuration of account %s could not be read", accountID)}
		return nil, fmt.Errorf("%w: %w", se, err)
	}
	creds, err := CredentialsOf(cfg.Credentials)
	if err != nil {
		return nil, errNoVoice(accountID, "its sms channel names Twilio without Twilio credentials")
	}
	return &Gateway{BaseURL: cfg.BaseURL, Credentials: creds, HTTP: v.HTTP, Clock: v.Clock}, nil
}

// PlaceCall implements phonecampaign.VoiceGateway.
func (v *Voice) PlaceCall(ctx context.Context, p phonecampaign.PlaceCall) (string, error) {
	g, err := v.gateway(ctx, p.AccountID)
	switch {
	case err != nil:
		return "", err
	case g == nil && v.Fallback != nil:
		return v.Fallback.PlaceCall(ctx, p)
	case g == nil:
		return "", errNoVoice(p.AccountID, "its sms channel does not send through Twilio, whose Programmable Voice places the calls")
	case v.PublicURL == "":
		return "", errNoVoice(p.AccountID, "no public URL (PARLEY_PUBLIC_URL) for Twilio to fetch the call's TwiML and post its events to")
	}
	return g.PlaceCall(ctx, Call{To: p.To, From: p.From, RingTimeout: v.RingTimeout,
		AnswerURL:      voiceURL(v.PublicURL, p.AccountID, p.CampaignID, VoiceAnswer),
		StatusCallback: voiceURL(v.PublicURL, p.AccountID, p.CampaignID, VoiceStatus),
		AMDCallback:    voiceURL(v.PublicURL, p.AccountID, p.CampaignID, VoiceAMD)})
}

// steer runs f on the Twilio client of a call Twilio placed, or returns
// fallback's answer for a call the fallback placed.
func (v *Voice) steer(ctx context.Context, call dialer.Call, fallback func(phonecampaign.VoiceGateway) error, f func(*Gateway) error) error {
	if !callSIDForm.MatchString(call.ProviderID) {
		if v.Fallback == nil {
			return errNoVoice(call.AccountID, fmt.Sprintf("%q is not a Twilio call", call.ProviderID))
		}
		return fallback(v.Fallback)
	}
	g, err := v.gateway(ctx, call.AccountID)
	if err != nil {
		return err
	}
	if g == nil {
		return errNoVoice(call.AccountID, "its sms channel no longer sends through Twilio")
	}
	return f(g)
}

// Bridge implements phonecampaign.VoiceGateway: the live call is
// redirected to TwiML that dials the operator, showing the campaign's
// caller id.
func (v *Voice) Bridge(ctx context.Context, call dialer.Call, operatorID string) error {
	return v.steer(ctx, call, func(f phonecampaign.VoiceGateway) error { return f.Bridge(ctx, call, operatorID) },
		func(g *Gateway) error {
			return g.Redirect(ctx, call.ProviderID, BridgeTwiML(OperatorTarget(operatorID), call.From))
		})
}

// Abandon implements phonecampaign.VoiceGateway: the recorded message
// plays at once and the call ends.
func (v *Voice) Abandon(ctx context.Context, call dialer.Call) error {
	msg := v.AbandonMessage
	if msg == "" {
		msg = DefaultAbandonMessage
	}
	return v.steer(ctx, call, func(f phonecampaign.VoiceGateway) error { return f.Abandon(ctx, call) },
		func(g *Gateway) error { return g.Redirect(ctx, call.ProviderID, AbandonTwiML(msg)) })
}

// Hangup implements phonecampaign.VoiceGateway.
func (v *Voice) Hangup(ctx context.Context, call dialer.Call) error {
	return v.steer(ctx, call, func(f phonecampaign.VoiceGateway) error { return f.Hangup(ctx, call) },
		func(g *Gateway) error { return g.EndCall(ctx, call.ProviderID) })
}

// OperatorTarget is where BridgeTwiML dials operator id: a phone number
// (E.164) or SIP URI as it is, else the Twilio Client identity of that
// name (the operator's softphone).
func OperatorTarget(id string) string {
	if parley.IsE164(id) || strings.HasPrefix(id, "sip:") || strings.HasPrefix(id, "client:") {
		return id
	}
	return "client:" + id
}

// AnswerTwiML is the answer to Twilio's TwiML fetch of an answered call:
// hold the line, silent, until Parley redirects it.
func AnswerTwiML() string { return HoldTwiML(HoldFor) }

// VoiceUpdate is what a verified voice webhook reports about a call, in
// the dialing runtime's words.
type VoiceUpdate struct {
	CallSID string
	// Answered is set by a machine-detection verdict: Answer is
	// dialer.AnswerHuman or dialer.AnswerMachine. Ended is set when the
	// call ended: Answer says why, when it was never answered.
	Answered, Ended bool
	Answer          dialer.Answer
	// Duration is how long the call lasted, once ended.
	Duration time.Duration
}

// ParseVoiceWebhook reads the verified form of voice webhook event
// (VoiceAnswer, VoiceStatus or VoiceAMD). A progress event that is not the
// end of the call (initiated, ringing, answered) reports nothing: the
// machine-detection verdict says who answered. A missing or malformed
// field is an EINVALID error naming it.
func ParseVoiceWebhook(event string, form url.Values) (VoiceUpdate, error) {
	switch event {
	case VoiceAnswer:
		p := formReader{form: form}
		u := VoiceUpdate{CallSID: p.sid("CallSid", true)}
		return u, p.err
	case VoiceStatus:
		e, err := ParseCallEvent(form)
		if err != nil {
			return VoiceUpdate{}, err
		}
		u := VoiceUpdate{CallSID: e.CallSID, Ended: e.Status.Ended(), Duration: e.Duration}
		switch e.Status {
		case CallBusy:
			u.Answer = dialer.AnswerBusy
		case CallNoAnswer:
			u.Answer = dialer.AnswerNoAnswer
		case CallFailed, CallCanceled:
			u.Answer = dialer.AnswerFailed
		case CallCompleted:
			// Completed before any verdict: the call was answered and hung
			// up during detection (or never connected, without duration).
			u.Answer = dialer.AnswerHuman
			if e.Duration == 0 {
				u.Answer = dialer.AnswerNoAnswer
			}
		}
		return u, nil
	case VoiceAMD:
		r, err := ParseAMD(form)
		if err != nil {
			return VoiceUpdate{}, err
		}
		u := VoiceUpdate{CallSID: r.CallSID, Answered: true, Answer: dialer.AnswerHuman}
		if r.AnsweredBy.Machine() {
			u.Answer = dialer.AnswerMachine
		}
		return u, nil
	}
	return VoiceUpdate{}, parley.Errorf(parley.ENOTFOUND, "%q is not a voice webhook (answer, status, amd)", event)
}
