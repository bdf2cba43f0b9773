package twilio

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/parley"
)

// Programmable Voice: telephone campaigns place calls through the Calls
// resource of the same 2010-04-01 REST API, with the same credentials.
//
// A campaign call is placed with a status callback for every progress event
// (initiated, ringing, answered, completed) and, for predictive and
// progressive campaigns, asynchronous answering-machine detection: Twilio
// connects the call at once and posts its verdict (AnsweredBy) to a
// separate callback a few seconds later. The TwiML Twilio fetches at answer
// holds the line (HoldTwiML) while Parley waits for the verdict and a free
// operator; it then redirects the live call with new TwiML: BridgeTwiML to
// the operator, or AbandonTwiML (the recorded message, then hang up) when
// no operator was free within the grace. Every callback is verified with
// VerifiedForm before any of its fields is read.

// Call is a call to place.
type Call struct {
	To   string // E.164
	From string // a caller id of the campaign: a Twilio number or verified caller id
	// AnswerURL is where Twilio fetches the TwiML when the call is
	// answered (POST, signed).
	AnswerURL string
	// StatusCallback receives the call's progress events (POST, signed).
	StatusCallback string
	// AMDCallback, when set, turns on asynchronous answering-machine
	// detection and receives its verdict (POST, signed).
	AMDCallback string
	// RingTimeout is how long the call may ring unanswered; zero is
	// Twilio's default (60 s). Twilio takes 5 to 600 seconds.
	RingTimeout time.Duration
}

// callResource is the part of Twilio's Call resource this package reads.
type callResource struct {
	SID    string `json:"sid"`
	Status string `json:"status"`
}

// statusEvents are the progress events a campaign call reports.
var statusEvents = []string{"initiated", "ringing", "answered", "completed"}

// form encodes c as the Calls resource takes it.
func (c Call) form() (url.Values, error) {
	switch {
	case c.To == "" || c.From == "":
		return nil, fmt.Errorf("a call needs To and From")
	case c.AnswerURL == "":
		return nil, fmt.Errorf("a call needs the URL of its answer TwiML")
	case c.RingTimeout != 0 && (c.RingTimeout < 5*time.Second || c.RingTimeout > 600*time.Second):
		return nil, fmt.Errorf("ring timeout %v is outside Twilio's 5 to 600 seconds", c.RingTimeout)
	}
	f := url.Values{"To": {c.To}, "From": {c.From}, "Url": {c.AnswerURL}, "Method": {http.MethodPost}}
	if c.StatusCallback != "" {
		f.Set("StatusCallback", c.StatusCallback)
		f.Set("StatusCallbackMethod", http.MethodPost)
		f["StatusCallbackEvent"] = statusEvents
	}
	if c.AMDCallback != "" {
		f.Set("MachineDetection", "Enable")
		f.Set("AsyncAmd", "true")
		f.Set("AsyncAmdStatusCallback", c.AMDCallback)
		f.Set("AsyncAmdStatusCallbackMethod", http.MethodPost)
	}
	if c.RingTimeout != 0 {
		f.Set("Timeout", strconv.Itoa(int(c.RingTimeout/time.Second)))
	}
	return f, nil
}

// PlaceCall creates a Call resource for c and returns its SID. Failures
// are *parley.SendError values, as Send's are.
func (g *Gateway) PlaceCall(ctx context.Context, c Call) (string, error) {
	form, err := c.form()
	if err != nil {
		return "", &parley.SendError{Provider: provider, Code: "BAD_CALL", Kind: parley.FailPermanent, Reason: err.Error(), Err: err}
	}
	var created callResource
	if err := g.postForm(ctx, g.callsURL(".json"), form, &created); err != nil {
		return "", err
	}
	if created.SID == "" {
		return "", &parley.SendError{Provider: provider, Code: "BAD_RESPONSE", Kind: parley.FailTransient,
			Reason: "Twilio accepted the call but returned no sid"}
	}
	return created.SID, nil
}

// Redirect makes the live call sid run twiml now (BridgeTwiML,
// AbandonTwiML). A call that has already ended is Twilio error 21220.
func (g *Gateway) Redirect(ctx context.Context, sid, twiml string) error {
	return g.updateCall(ctx, sid, url.Values{"Twiml": {twiml}})
}

// EndCall hangs up call sid, ringing or live.
func (g *Gateway) EndCall(ctx context.Context, sid string) error {
	return g.updateCall(ctx, sid, url.Values{"Status": {"completed"}})
}

func (g *Gateway) updateCall(ctx context.Context, sid string, form url.Values) error {
	if !validSID(sid) {
		return &parley.SendError{Provider: provider, Code: "BAD_CALL", Kind: parley.FailPermanent, Reason: fmt.Sprintf("%q is not a call SID", sid)}
	}
	var updated callResource
	return g.postForm(ctx, g.callsURL("/"+sid+".json"), form, &updated)
}

// postForm posts form to target and decodes the JSON answer into out.
func (g *Gateway) postForm(ctx context.Context, target string, form url.Values, out any) error {
	req, err := g.newRequest(ctx, http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return g.do(req, out)
}

// callsURL returns the Calls resource URL of the account followed by
// suffix (".json" or "/{Sid}.json").
func (g *Gateway) callsURL(suffix string) string {
	return g.baseURL() + apiVersion + "/Accounts/" + url.PathEscape(g.Credentials.AccountSID) + "/Calls" + suffix
}

// TwiML of campaign calls.

const twimlHeader = `<?xml version="1.0" encoding="UTF-8"?>`

// HoldTwiML keeps an answered call open, silent, for at most d (at least a
// second), while Parley waits for the machine-detection verdict and an
// operator; Redirect replaces it.
func HoldTwiML(d time.Duration) string {
	return fmt.Sprintf(`%s<Response><Pause length="%d"/></Response>`, twimlHeader, max(int(d/time.Second), 1))
}

// BridgeTwiML connects the answered call to the operator: a Twilio Client
// identity ("client:<identity>"), a SIP URI ("sip:…") or a phone number
// (E.164), showing callerID. The call ends when the operator hangs up.
func BridgeTwiML(operator, callerID string) string {
	var target string
	switch {
	case strings.HasPrefix(operator, "client:"):
		target = "<Client>" + escape(strings.TrimPrefix(operator, "client:")) + "</Client>"
	case strings.HasPrefix(operator, "sip:"):
		target = "<Sip>" + escape(operator) + "</Sip>"
	default:
		target = "<Number>" + escape(operator) + "</Number>"
	}
	return fmt.Sprintf(`%s<Response><Dial callerId="%s">%s</Dial></Response>`, twimlHeader, escape(callerID), target)
}

// AbandonTwiML plays the campaign's recorded message (an audio URL, or
// text spoken when it is not a URL) and hangs up: the answer to a live
// person no operator could take within the grace.
func AbandonTwiML(message string) string {
	verb := "<Say>" + escape(message) + "</Say>"
	if isHTTPURL(message) {
		verb = "<Play>" + escape(message) + "</Play>"
	}
	return fmt.Sprintf(`%s<Response>%s<Hangup/></Response>`, twimlHeader, verb)
}

func escape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // a strings.Builder does not fail
	return b.String()
}

// Voice webhooks.

// CallStatus is a Twilio call status.
type CallStatus string

// The call statuses.
const (
	CallQueued     CallStatus = "queued"
	CallInitiated  CallStatus = "initiated"
	CallRinging    CallStatus = "ringing"
	CallInProgress CallStatus = "in-progress" // answered
	CallCompleted  CallStatus = "completed"
	CallBusy       CallStatus = "busy"
	CallNoAnswer   CallStatus = "no-answer"
	CallFailed     CallStatus = "failed"
	CallCanceled   CallStatus = "canceled"
)

// Ended reports whether the status is final.
func (s CallStatus) Ended() bool {
	switch s {
	case CallCompleted, CallBusy, CallNoAnswer, CallFailed, CallCanceled:
		return true
	}
	return false
}

// CallEvent is a progress event of a call, as Twilio posts it to the
// StatusCallback.
type CallEvent struct {
	CallSID    string
	AccountSID string
	Status     CallStatus
	// Sequence orders the events of one call (SequenceNumber, from 0):
	// Twilio may deliver them out of order or twice.
	Sequence int
	// Duration is the call's duration once it completed (CallDuration).
	Duration time.Duration
	To, From string
}

// AnsweredBy is answering-machine detection's verdict.
type AnsweredBy string

// The verdicts.
const (
	AnsweredByHuman   AnsweredBy = "human"
	AnsweredByUnknown AnsweredBy = "unknown"
	AnsweredByFax     AnsweredBy = "fax"
	// Machine verdicts: at the start of the greeting, or at its end (after
	// the beep, silence or anything else), with MachineDetection
	// DetectMessageEnd.
	AnsweredByMachineStart      AnsweredBy = "machine_start"
	AnsweredByMachineEndBeep    AnsweredBy = "machine_end_beep"
	AnsweredByMachineEndSilence AnsweredBy = "machine_end_silence"
	AnsweredByMachineEndOther   AnsweredBy = "machine_end_other"
)

// Machine reports whether the verdict is not a person: a machine or a fax.
// An unknown verdict counts as a person, who must not be hung up on.
func (a AnsweredBy) Machine() bool {
	switch a {
	case AnsweredByHuman, AnsweredByUnknown:
		return false
	}
	return true
}

// AMDResult is the verdict of asynchronous answering-machine detection.
type AMDResult struct {
	CallSID    string
	AccountSID string
	AnsweredBy AnsweredBy
	// Detection is how long detection took (MachineDetectionDuration).
	Detection time.Duration
}

// maxCallSeconds bounds CallDuration: four hours, Twilio's longest call.
const maxCallSeconds = 4 * 3600

// ParseCallEvent reads the form of a call status callback. A missing or
// malformed field is an EINVALID error naming it.
func ParseCallEvent(form url.Values) (CallEvent, error) {
	p := formReader{form: form}
	e := CallEvent{
		CallSID:    p.sid("CallSid", true),
		AccountSID: p.sid("AccountSid", true),
		Status:     CallStatus(p.token("CallStatus", true, isCallStatusByte)),
		To:         p.text("To", false),
		From:       p.text("From", false),
	}
	e.Sequence = p.number("SequenceNumber", 1<<30)
	e.Duration = time.Duration(p.number("CallDuration", maxCallSeconds)) * time.Second
	if p.err != nil {
		return CallEvent{}, p.err
	}
	return e, nil
}

// ParseAMD reads the form of an asynchronous machine-detection callback.
func ParseAMD(form url.Values) (AMDResult, error) {
	p := formReader{form: form}
	r := AMDResult{
		CallSID:    p.sid("CallSid", true),
		AccountSID: p.sid("AccountSid", true),
		AnsweredBy: AnsweredBy(p.token("AnsweredBy", true, isStatusByte)),
	}
	r.Detection = time.Duration(p.number("MachineDetectionDuration", 3600_000)) * time.Millisecond
	if p.err != nil {
		return AMDResult{}, p.err
	}
	return r, nil
}

// number reads an optional whole number from 0 to most; 0 when absent.
func (p *formReader) number(field string, most int) int {
	v := p.token(field, false, isDigit)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n > most {
		p.fail(field, "is not a whole number from 0 to %d", most)
		return 0
	}
	return n
}

func isCallStatusByte(b byte) bool { return isStatusByte(b) || b == '-' }

// VerifiedForm returns the form of a voice webhook (the answer URL, the
// status callback or the machine-detection callback) once its
// X-Twilio-Signature has been checked against the account's auth token and
// the form names the account's Twilio account; nothing of the form is
// interpreted before. requestURL is the full URL Twilio requested.
func VerifiedForm(creds Credentials, accountID, requestURL string, body []byte, signature string) (url.Values, error) {
	if creds.AuthToken == "" {
		return nil, noAuthToken(accountID)
	}
	if signature == "" {
		return nil, gateway.Unsigned(SignatureHeader)
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, parley.Errorf(parley.EINVALID, "the body is not a form")
	}
	if !ValidSignature(creds.AuthToken.Reveal(), requestURL, form, signature) {
		return nil, gateway.BadSignature(SignatureHeader, accountID)
	}
	if sid := form.Get("AccountSid"); sid != creds.AccountSID {
		return nil, gateway.Refused("the request is for Twilio account %q, not the one account %s is configured with", sid, accountID)
	}
	return form, nil
}

// noAuthToken refuses the webhooks of an account without an auth token.
func noAuthToken(accountID string) error {
	return gateway.Refused("account %s has no Twilio auth token to verify webhooks with (twilio.authToken)", accountID)
}
