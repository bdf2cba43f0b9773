package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/parleyhq/parley/internal/httpapi"
	"github.com/parleyhq/parley/internal/parley"
)

// nightClock reads 09:00 UTC of the day days after today: 01:00 in
// Seattle, where no campaign may send SMS; a deflection still does.
func nightClock(days int) parley.Clock {
	now := time.Now().UTC()
	offset := time.Date(now.Year(), now.Month(), now.Day()+days, 9, 0, 0, 0, time.UTC).Sub(now)
	return parley.ClockFunc(func() time.Time { return time.Now().UTC().Add(offset) })
}

// c2mError requires LivePerson's C2M error body, {errorCode, errorMessage}
// and nothing else, of status want and code.
func c2mError(t *testing.T, what string, status, want int, data []byte, code int) {
	t.Helper()
	e := shape(t, what, status, want, data, "errorCode", "errorMessage")
	if e["errorCode"] != float64(code) || e["errorMessage"] == "" {
		t.Errorf("%s: %s, want errorCode %d", what, data, code)
	}
}

// deflection is the account set up for Connect to Messaging: its settings,
// a WhatsApp template and three handoffs.
type deflection struct {
	sms, waSMS, inApp string // handoff ids
	token             string // an admin's, as the IVR's client holds
}

func setUpDeflection(t *testing.T, s *server) deflection {
	t.Helper()
	var set parley.Account
	s.patch(t, "/api/v2/account/demo/settings", `{"channels":[{"channel":"whatsapp","enabled":true},{"channel":"sms","enabled":true},{"channel":"inapp","enabled":true}],
	  "deviceCheck":true,"outboundSkills":["sales","billing","support"],"defaultSkill":"support"}`, &set)
	if len(set.Channels) != 3 || !set.DeviceCheck || len(set.OutboundSkills) != 3 {
		t.Fatalf("settings: %+v", set)
	}
	s.post(t, "/api/v2/account/demo/templates", `{"id":"943679028015322","name":"callback","language":"en_US","category":"UTILITY","wabaId":"102290129340398","outboundNumber":"+12025550100","body":"Hi {{1}}, this is Acme: reply here to chat with us","bodyExamples":["Jane"]}`, http.StatusCreated, nil)
	handoff := func(body string) string {
		var h parley.Handoff
		s.post(t, "/api/v2/account/demo/handoffs", body, http.StatusCreated, &h)
		return h.ID
	}
	return deflection{
		sms: handoff(`{"title":"IVR sms","lookbackMinutes":120,"channels":[{"channel":"sms","outboundNumber":"+12025550100","text":"Hi {{1}}, reply here to chat with us"}]}`),
		waSMS: handoff(`{"title":"IVR whatsapp","lookbackMinutes":120,"channels":[{"channel":"whatsapp","outboundNumber":"+12025550100","templateId":"943679028015322"},
		  {"channel":"sms"}]}`),
		inApp: handoff(`{"title":"IVR app","lookbackMinutes":120,"channels":[{"channel":"inapp","apps":["acme"],"text":"Tap to chat with us"}]}`),
		token: s.token(t, "demo"),
	}
}

// patch sends a JSON merge patch as an admin of the demo account.
func (s *server) patch(t *testing.T, path, body string, v any) {
	t.Helper()
	resp := s.do(t, http.MethodPatch, path, "application/merge-patch+json", strings.NewReader(body))
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PATCH %s: %d: %s", path, resp.StatusCode, data)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatal(err)
	}
}

// eligible asks eligibility with body and returns the answer, checked field
// for field against LivePerson's.
func eligible(t *testing.T, s *server, d deflection, body string) (channels []any, recommended string, ok bool, callID string) {
	t.Helper()
	status, _, data := c2mCall(t, s, "POST", "/api/account/demo/eligibility?v=2.0", d.token, "application/json", body)
	e := shape(t, "eligibility", status, http.StatusOK, data, "availableChannels", "callId", "eligible", "recommendedChannelName")
	channels, _ = e["availableChannels"].([]any)
	recommended, _ = e["recommendedChannelName"].(string)
	ok, _ = e["eligible"].(bool)
	callID, _ = e["callId"].(string)
	if u, err := uuid.Parse(callID); err != nil || u.Version() != 4 || u.String() != callID {
		t.Fatalf("callId %q is not a UUID v4", callID)
	}
	return channels, recommended, ok, callID
}

// invite invites callID with the extra fields extra and requires the answer
// {callId}.
func invite(t *testing.T, s *server, d deflection, callID, extra string) {
	t.Helper()
	status, _, data := c2mCall(t, s, "POST", "/api/account/demo/invite?v=2.0", d.token, "application/json", `{"callId":"`+callID+`"`+extra+`}`)
	if got := shape(t, "invite", status, http.StatusOK, data, "callId"); got["callId"] != callID {
		t.Fatalf("invite answered %s, want callId %s", data, callID)
	}
}

// sentTo waits for the sandbox's messages to consumer, and requires that
// no other one follows within a moment.
func (s *server) sentTo(t *testing.T, consumer string, n int) []parley.SentMessage {
	t.Helper()
	var got []parley.SentMessage
	collect := func() {
		var ms []parley.SentMessage
		s.get(t, "/sandbox/messages", &ms)
		got = got[:0]
		for _, m := range ms {
			if m.To == consumer {
				got = append(got, m)
			}
		}
	}
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if collect(); len(got) >= n {
			break
		}
	}
	time.Sleep(300 * time.Millisecond)
	if collect(); len(got) != n {
		t.Fatalf("sandbox sent %d messages to %s, want %d: %+v", len(got), consumer, n, got)
	}
	return got
}

// conversationOf returns the consumer's newest conversation.
func (s *server) conversationOf(t *testing.T, consumer string) parley.Conversation {
	t.Helper()
	var page parley.ConversationPage
	s.get(t, "/api/v2/account/demo/conversations?consumer="+url.QueryEscape(consumer), &page)
	if len(page.Conversations) == 0 {
		t.Fatalf("no conversation of %s", consumer)
	}
	return page.Conversations[0]
}

// reply injects the consumer's answer on channel and returns the
// conversation it landed in.
func (s *server) reply(t *testing.T, from, to, body string, channel parley.Channel) parley.Conversation {
	t.Helper()
	var routed httpapi.SandboxReplyResponse
	s.post(t, "/sandbox/replies", fmt.Sprintf(`{"accountId":"demo","from":%q,"to":%q,"body":%q,"channel":%q}`, from, to, body, channel), http.StatusOK, &routed)
	if routed.ConversationID == "" {
		t.Fatalf("reply of %s opened no conversation: %+v", from, routed)
	}
	return s.conversationOf(t, from)
}

// wantDeflected requires a conversation routed by the deflection of callID
// to skill, its first line the message sent, with the IVR context and the
// recent outbound messages.
func wantDeflected(t *testing.T, c parley.Conversation, callID, skill string, sent parley.SentMessage, reply string) {
	t.Helper()
	if c.Skill != skill || c.Context.Source != parley.SourceProactive || c.Context.CampaignID != callID || len(c.Transcript) != 2 ||
		c.Transcript[0].Direction != parley.Outbound || c.Transcript[0].Body != sent.Body || c.Transcript[1].Body != reply {
		t.Fatalf("conversation %+v, want skill %s, the message sent (%q) first", c, skill, sent.Body)
	}
	if ivr := c.Context.IVR; ivr == nil || ivr.CallID != callID || ivr.IVRNumber != "180000" {
		t.Errorf("IVR context %+v, want call %s from 180000", c.Context.IVR, callID)
	}
	if r := c.Context.RecentOutbound; len(r) == 0 || r[0].CallID != callID || r[0].Skill != skill || r[0].Text != sent.Body || r[0].Channel != sent.Channel {
		t.Errorf("recent outbound %+v, want the deflection first", c.Context.RecentOutbound)
	}
}

// TestConnectToMessagingOnServe runs seed 004's journeys on parley serve,
// at an hour no campaign may send SMS to the caller: handoff, eligibility,
// invite (retried at once and concurrently: one message), the sandbox's
// SMS, the reply on the call's skill with the IVR context and the
// outbound line first, the agent context; the same through the WhatsApp
// to SMS fallback with an overridden skill, and in-app.
func TestConnectToMessagingOnServe(t *testing.T) {
	for _, d := range testDays {
		t.Run(d.name, func(t *testing.T) { testConnectToMessagingOnServe(t, nightClock(d.days)) })
	}
}

func testConnectToMessagingOnServe(t *testing.T, clock parley.Clock) {
	s := start(t, embeddedConfig(t), clock)
	defer s.stop()
	d := setUpDeflection(t, s)
	const caller = "+14259549855"
	sdes := `[{"type":"ctmrinfo","info":{"cstatus":"VIP","customerId":"138766AC"}}]`

	// SMS, at 01:00 the caller's time.
	channels, recommended, ok, callID := eligible(t, s, d, `{"consumerPhoneNumber":"`+caller+`","handoffId":"`+d.sms+`","skill":"sales",
	  "ivrNumber":"180000","templateVariables":{"1":"Jane"},"sdes":`+sdes+`}`)
	if len(channels) != 1 || channels[0] != "sms" || recommended != "sms" || !ok {
		t.Fatalf("eligibility: %v %q %v", channels, recommended, ok)
	}
	invite(t, s, d, callID, "")
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() { defer wg.Done(); invite(t, s, d, callID, "") }()
	}
	wg.Wait()
	sent := s.sentTo(t, caller, 1)[0]
	if sent.Channel != parley.ChannelSMS || sent.From != "+12025550100" || !strings.HasPrefix(sent.Body, "Hi Jane, reply here to chat with us") || sent.CampaignID != callID {
		t.Fatalf("sent %+v", sent)
	}
	invite(t, s, d, callID, "") // later still: never twice
	s.sentTo(t, caller, 1)
	c := s.reply(t, caller, "+12025550100", "Yes please", parley.ChannelSMS)
	wantDeflected(t, c, callID, "sales", sent, "Yes please")
	if c.Context.SDEs["ctmrinfo.cstatus"] != "VIP" || c.Context.SDEs["ctmrinfo.customerId"] != "138766AC" || c.Context.IVR.TemplateVariables["1"] != "Jane" {
		t.Errorf("sdes %v and variables %v, want the eligibility's", c.Context.SDEs, c.Context.IVR.TemplateVariables)
	}
	var agent httpapi.RecentOutboundResponse
	s.get(t, "/api/v2/account/demo/consumers/"+url.PathEscape(caller)+"/outbound", &agent)
	if agent.Consumer != caller || len(agent.Outbound) != 1 || agent.Outbound[0].CallID != callID || agent.Outbound[0].Skill != "sales" ||
		agent.Outbound[0].Channel != parley.ChannelSMS || agent.Outbound[0].Text != sent.Body {
		t.Errorf("agent context %+v", agent)
	}
	// Once the conversation is closed, the next message is a new inbound one.
	s.post(t, "/api/v2/account/demo/conversations/"+c.ID+"/close", "", http.StatusOK, nil)
	next := s.reply(t, caller, "+12025550100", "One more thing", parley.ChannelSMS)
	if next.ID == c.ID || next.Context.Source != parley.SourceInbound || next.Skill != "support" || next.Context.IVR != nil ||
		len(next.Context.RecentOutbound) != 1 || next.Context.RecentOutbound[0].CallID != callID {
		t.Errorf("after close: %+v, want a new inbound conversation on the default skill, the deflection in its agent context", next)
	}

	// WhatsApp, not reachable there: the SMS fallback, on the overridden skill.
	const waCaller = "+14259549866"
	s.post(t, "/sandbox/faults", `{"to":"`+waCaller+`","channel":"whatsapp","kind":"ineligible"}`, http.StatusCreated, nil)
	channels, recommended, _, waCall := eligible(t, s, d, `{"consumerPhoneNumber":"`+waCaller+`","handoffId":"`+d.waSMS+`","skill":"sales","ivrNumber":"180000","templateVariables":{"1":"Ann"}}`)
	if len(channels) != 2 || channels[0] != "wa" || channels[1] != "sms" || recommended != "wa" {
		t.Fatalf("eligibility on WhatsApp then SMS: %v %q", channels, recommended)
	}
	invite(t, s, d, waCall, `,"overrideSkill":"billing"`)
	waSent := s.sentTo(t, waCaller, 1)[0]
	if waSent.Channel != parley.ChannelSMS || !strings.HasPrefix(waSent.Body, "Hi Ann, this is Acme") {
		t.Fatalf("fallback sent %+v", waSent)
	}
	wantDeflected(t, s.reply(t, waCaller, "+12025550100", "Billing question", parley.ChannelSMS), waCall, "billing", waSent, "Billing question")

	// In-app, to a consumer with a registered device.
	s.post(t, "/api/v2/account/demo/consumers/ananth/push-tokens", `{"token":"tok-ananth","platform":"ios","app":"acme"}`, http.StatusCreated, nil)
	channels, recommended, _, appCall := eligible(t, s, d, `{"consumerPhoneNumber":"+14259549877","handoffId":"`+d.inApp+`","skill":"billing","consumerId":"ananth","ivrNumber":"180000"}`)
	if len(channels) != 1 || channels[0] != "inapp" || recommended != "inapp" {
		t.Fatalf("eligibility in-app: %v %q", channels, recommended)
	}
	s.post(t, "/api/v2/account/demo/consumers/bob/push-tokens", `{"token":"tok-bob","platform":"ios","app":"another"}`, http.StatusCreated, nil)
	if channels, _, ok, _ := eligible(t, s, d, `{"consumerPhoneNumber":"+14259549878","handoffId":"`+d.inApp+`","skill":"billing","consumerId":"bob"}`); ok || len(channels) != 0 {
		t.Errorf("a consumer whose device is of another app than the handoff's is eligible in-app: %v", channels)
	}
	invite(t, s, d, appCall, "")
	appSent := s.sentTo(t, "ananth", 1)[0]
	if appSent.Channel != parley.ChannelInApp || appSent.Body != "Tap to chat with us" {
		t.Fatalf("in-app sent %+v", appSent)
	}
	wantDeflected(t, s.reply(t, "ananth", "acme", "Hello from the app", parley.ChannelInApp), appCall, "billing", appSent, "Hello from the app")
}

// TestConnectToMessagingErrorsOnServe produces each of LivePerson's error
// codes with a request that should produce it, and checks its body.
func TestConnectToMessagingErrorsOnServe(t *testing.T) {
	s := start(t, embeddedConfig(t), dayClock(0))
	defer s.stop()
	const eligibility, inviteAt = "/api/account/demo/eligibility?v=2.0", "/api/account/demo/invite?v=2.0"

	// 1600 before the account has outbound settings.
	admin := s.token(t, "demo")
	status, _, data := c2mCall(t, s, "POST", eligibility, admin, "application/json", `{"consumerPhoneNumber":"+14259549855","handoffId":"H000000000000001","skill":"sales"}`)
	c2mError(t, "eligibility without settings", status, http.StatusBadRequest, data, 1600)

	d := setUpDeflection(t, s)
	good := `{"consumerPhoneNumber":"+14259549855","handoffId":"` + d.sms + `","skill":"sales"}`
	_, _, _, callID := eligible(t, s, d, good)
	for _, tt := range []struct {
		what, method, path, token, contentType, body string
		status, code                                 int
	}{
		{"malformed JSON", "POST", eligibility, admin, "application/json", `{"skill":`, 400, 1000},
		{"no skill", "POST", eligibility, admin, "application/json", `{"consumerPhoneNumber":"+14259549855","handoffId":"` + d.sms + `"}`, 400, 1000},
		{"a field LivePerson has not", "POST", eligibility, admin, "application/json", `{"consumerPhoneNumber":"+14259549855","handoffId":"` + d.sms + `","skill":"sales","colour":1}`, 400, 1000},
		{"sdes not an array", "POST", eligibility, admin, "application/json", `{"consumerPhoneNumber":"+14259549855","handoffId":"` + d.sms + `","skill":"sales","sdes":{"type":"x"}}`, 400, 1000},
		{"invite without callId", "POST", inviteAt, admin, "application/json", `{}`, 400, 1000},
		{"invite of no UUID", "POST", inviteAt, admin, "application/json", `{"callId":"123"}`, 400, 1000},
		{"overrideMessage over 1,600", "POST", inviteAt, admin, "application/json", `{"callId":"` + callID + `","overrideMessage":"` + strings.Repeat("x", 1601) + `"}`, 400, 1000},
		{"unknown overrideChannel", "POST", inviteAt, admin, "application/json", `{"callId":"` + callID + `","overrideChannel":"email"}`, 400, 1000},
		{"a number without +", "POST", eligibility, admin, "application/json", `{"consumerPhoneNumber":"14259549855","handoffId":"` + d.sms + `","skill":"sales"}`, 400, 1001},
		{"no number at all", "POST", eligibility, admin, "application/json", `{"consumerPhoneNumber":"+1425","handoffId":"` + d.sms + `","skill":"sales"}`, 400, 1001},
		{"a number over 15 characters", "POST", eligibility, admin, "application/json", `{"consumerPhoneNumber":"+1425954985512345","handoffId":"` + d.sms + `","skill":"sales"}`, 400, 1001},
		{"v=1.0", "POST", "/api/account/demo/eligibility?v=1.0", admin, "application/json", good, 400, 1002},
		{"no v", "POST", "/api/account/demo/invite", admin, "application/json", `{"callId":"` + callID + `"}`, 400, 1002},
		{"unknown callId", "POST", inviteAt, admin, "application/json", `{"callId":"` + uuid.NewString() + `"}`, 404, 1004},
		{"GET eligibility", "GET", eligibility, admin, "", "", 405, 1005},
		{"PUT invite", "PUT", inviteAt, admin, "application/json", `{}`, 405, 1005},
		{"a form body", "POST", eligibility, admin, "application/x-www-form-urlencoded", "skill=sales", 415, 1015},
		{"no token", "POST", eligibility, "", "application/json", good, 401, 1100},
		{"a bad token", "POST", inviteAt, "not-a-jwt", "application/json", `{"callId":"` + callID + `"}`, 401, 1100},
		{"support may only look", "POST", eligibility, s.tokenAs(t, "demo", "support"), "application/json", good, 403, 1101},
		{"an agent", "POST", inviteAt, s.tokenAs(t, "demo", "agent"), "application/json", `{"callId":"` + callID + `"}`, 403, 1101},
		{"another account's token", "POST", eligibility, s.token(t, "other"), "application/json", good, 403, 1101},
		{"a skill not enabled", "POST", eligibility, admin, "application/json", `{"consumerPhoneNumber":"+14259549855","handoffId":"` + d.sms + `","skill":"marketing"}`, 400, 1300},
		{"no such handoff", "POST", eligibility, admin, "application/json", `{"consumerPhoneNumber":"+14259549855","handoffId":"H999999999999999","skill":"sales"}`, 400, 1500},
		{"no handoff id's shape", "POST", eligibility, admin, "application/json", `{"consumerPhoneNumber":"+14259549855","handoffId":"H123456789","skill":"sales"}`, 400, 1500},
		{"override to a channel the call has not", "POST", inviteAt, admin, "application/json", `{"callId":"` + callID + `","overrideChannel":"wa"}`, 400, 1900},
		{"override to a skill not enabled", "POST", inviteAt, admin, "application/json", `{"callId":"` + callID + `","overrideSkill":"marketing"}`, 400, 1901},
	} {
		status, _, data := c2mCall(t, s, tt.method, tt.path, tt.token, tt.contentType, tt.body)
		c2mError(t, tt.what, status, tt.status, data, tt.code)
	}

	// 1400: a landline under the device check, and a consumer who opted out
	// between eligibility and invite.
	_, _, ok, landline := eligible(t, s, d, `{"consumerPhoneNumber":"+442071838750","handoffId":"`+d.sms+`","skill":"sales"}`)
	if ok {
		t.Errorf("a London landline is eligible under the device check")
	}
	status, _, data = c2mCall(t, s, "POST", inviteAt, admin, "application/json", `{"callId":"`+landline+`"}`)
	c2mError(t, "invite of a call eligible on no channel", status, http.StatusBadRequest, data, 1400)
	s.post(t, "/api/v2/account/demo/optouts", `{"phone":"+14259549855"}`, http.StatusCreated, nil)
	status, _, data = c2mCall(t, s, "POST", inviteAt, admin, "application/json", `{"callId":"`+callID+`"}`)
	c2mError(t, "invite of a consumer who opted out since", status, http.StatusBadRequest, data, 1400)
	if _, _, ok, _ := eligible(t, s, d, good); ok {
		t.Errorf("an opted-out consumer is eligible")
	}

	// 1501: none of the handoff's channels enabled.
	var set parley.Account
	s.patch(t, "/api/v2/account/demo/settings", `{"channels":[{"channel":"whatsapp","enabled":true},{"channel":"sms","enabled":true},{"channel":"inapp","enabled":false}]}`, &set)
	status, _, data = c2mCall(t, s, "POST", eligibility, admin, "application/json", `{"consumerPhoneNumber":"+14259549855","handoffId":"`+d.inApp+`","skill":"sales","consumerId":"ananth"}`)
	c2mError(t, "eligibility on a disabled channel", status, http.StatusBadRequest, data, 1501)

	// 1029: past 30 requests a second, with Retry-After; the route's own
	// budget, not the 10 a second of the other routes. The requests above
	// used it up: a second refills it.
	time.Sleep(1100 * time.Millisecond)
	var mu sync.Mutex
	limited := 0
	var wg sync.WaitGroup
	began := time.Now()
	for range 60 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, header, data := c2mCall(t, s, "POST", eligibility, admin, "application/json", `{"consumerPhoneNumber":"+14259549855","handoffId":"H999999999999999","skill":"sales"}`)
			if status == http.StatusTooManyRequests {
				c2mError(t, "a request past the rate", status, http.StatusTooManyRequests, data, 1029)
				if header.Get("Retry-After") == "" {
					t.Errorf("429 without Retry-After")
				}
				mu.Lock()
				limited++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	// A burst of 30, then 30 a second for the time the burst took.
	most := 30 + int(30*time.Since(began).Seconds()) + 1
	if admitted := 60 - limited; limited == 0 || admitted < 30 || admitted > most {
		t.Errorf("%d of 60 requests at once admitted, want from 30 to %d (30 a second)", admitted, most)
	}
}

// TestConnectToMessagingTransactionOnServe: a deflection's transaction
// row, in both versions of LivePerson's transaction API, names the
// handoff the IVR asked for and the number it said the caller called.
func TestConnectToMessagingTransactionOnServe(t *testing.T) {
	clock := nightClock(testDays[0].days)
	s := start(t, embeddedConfig(t), clock)
	defer s.stop()
	d := setUpDeflection(t, s)
	const caller = "+14259549855"
	_, _, _, callID := eligible(t, s, d, `{"consumerPhoneNumber":"`+caller+`","handoffId":"`+d.sms+`","skill":"sales","ivrNumber":"180000","templateVariables":{"1":"Jane"}}`)
	invite(t, s, d, callID, "")
	s.sentTo(t, caller, 1)

	now := clock.Now()
	window := fmt.Sprintf("attemptedStartTime=%d&attemptedEndTime=%d", now.Add(-time.Hour).UnixMilli(), now.Add(time.Hour).UnixMilli())
	for v, body := range map[string]string{"": `{"channels": ["sms"]}`, "&v=1.0": `{"filters": {"channels": ["sms"]}}`, "&v=2.0": `{"filters": {"channels": ["sms"]}}`} {
		status, _, data := c2mCall(t, s, "POST", "/api/account/demo/app/c2m/transactions/?"+window+v, d.token, "application/json", body)
		var out struct {
			Page         map[string]any
			Transactions []map[string]any
		}
		if status != http.StatusOK || json.Unmarshal(data, &out) != nil || len(out.Transactions) != 1 {
			t.Fatalf("transactions%s: %d %s", v, status, data)
		}
		tx := out.Transactions[0]
		if tx["handOffId"] != d.sms || tx["ivrNumber"] != "180000" || tx["proactiveCampaignId"] != callID || tx["transactionId"] != callID+":000001" ||
			tx["channel"] != "sms" || tx["initialSkill"] != "sales" || tx["sentTime"] == nil || tx["attemptedTime"] == nil {
			t.Errorf("transactions%s: row %v; want handoff %s, IVR number 180000, call %s, sent", v, tx, d.sms, callID)
		}
		if _, has := tx["messageStatus"]; has != (v == "&v=2.0") {
			t.Errorf("transactions%s: messageStatus present %v; version 2.0's only", v, has)
		}
		if _, more := out.Page["nextPage"]; more || (v != "&v=2.0" && out.Page["currentPage"] == "") {
			t.Errorf("transactions%s: page %v; want one page", v, out.Page)
		}
	}
	status, _, data := c2mCall(t, s, "POST", "/api/account/demo/app/prmsg/transactions/?"+window, d.token, "application/json", `{}`)
	if status != http.StatusOK || strings.Contains(string(data), callID) {
		t.Errorf("prmsg transactions: %d %s; want no deflection", status, data)
	}
}
