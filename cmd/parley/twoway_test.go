package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/httpapi"
	"github.com/parleyhq/parley/internal/parley"
)

// post sends a JSON body as an admin of the demo account and decodes the
// answer into v, requiring status want.
func (s *server) post(t *testing.T, path, body string, want int, v any) {
	t.Helper()
	resp := s.do(t, http.MethodPost, path, "application/json", strings.NewReader(body))
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("POST %s: %d, want %d: %s", path, resp.StatusCode, want, data)
	}
	if v != nil {
		if err := json.Unmarshal(data, v); err != nil {
			t.Fatalf("POST %s: %v: %s", path, err, data)
		}
	}
}

// campaignStatuses maps each recipient's number to its Parley status and
// error.
func (s *server) campaignStatuses(t *testing.T, id string) map[string]recipientState {
	t.Helper()
	var rep httpapi.ConversationsResponse
	s.get(t, "/api/v2/account/demo/campaign/"+id+"/conversations", &rep)
	out := map[string]recipientState{}
	for _, c := range rep.Conversations {
		st := recipientState{Status: c.ParleyStatus, ProviderMessageID: c.ProviderMessageID}
		if c.ErrorMessage != nil {
			st.ErrorMessage = *c.ErrorMessage
		}
		if c.ConversationID != nil {
			st.ConversationID = *c.ConversationID
		}
		out[c.ConsumerContent.SMS] = st
	}
	return out
}

// recipientState is a recipient of the status call as Parley reports it.
type recipientState struct{ Status, ErrorMessage, ProviderMessageID, ConversationID string }

// settled polls a campaign until no recipient is waiting to be sent.
func (s *server) settled(t *testing.T, id string) map[string]recipientState {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(150 * time.Millisecond) {
		got, pending := s.campaignStatuses(t, id), false
		for _, c := range got {
			pending = pending || !parley.RecipientStatus(c.Status).Final()
		}
		if !pending {
			return got
		}
	}
	t.Fatalf("campaign %s still has recipients to send", id)
	return nil
}

// smsConsumers is the consumers array of a campaign's JSON reaching
// numbers by SMS.
func smsConsumers(numbers []string) string {
	var consumers []string
	for _, n := range numbers {
		consumers = append(consumers, `{"consumerContent":{"sms":"`+n+`"}}`)
	}
	return "[" + strings.Join(consumers, ",") + "]"
}

func createCampaign(t *testing.T, s *server, skill string, numbers ...string) string {
	t.Helper()
	var created httpapi.CreateCampaignResponse
	s.post(t, "/api/v2/account/demo/campaign", `{"campaignName":"renewals","skill":"`+skill+`","templateId":"1234567890",
	  "outboundNumber":"+12025550100","consent":true,"lookbackMinutes":1440,"message":"Your plan renews on 12/31.",
	  "consumers":`+smsConsumers(numbers)+`}`, http.StatusAccepted, &created)
	return *created.ProactiveCampaignID
}

// TestTwoWayOnServe sends a campaign through the sandbox, answers it, opts
// a consumer out and reports delivery out of order, all through parley
// serve's routes, and checks what a brand would see.
func TestTwoWayOnServe(t *testing.T) { eachDay(t, testTwoWayOnServe) }

func testTwoWayOnServe(t *testing.T, clock parley.Clock) {
	s := start(t, embeddedConfig(t), clock)
	defer s.stop()
	first := createCampaign(t, s, "renewals", "+12025550181", "+12025550182")
	s.settled(t, first) // SENT once the outbound context a reply is routed by is recorded
	sent := s.waitSent(t, 2)

	// A reply lands on the campaign's skill, the outbound message first.
	var routed httpapi.SandboxReplyResponse
	s.post(t, "/sandbox/replies", `{"accountId":"demo","from":"+12025550181","to":"+12025550100","body":"Yes, renew it"}`, http.StatusOK, &routed)
	if routed.ConversationID == "" || routed.Keyword != "" {
		t.Fatalf("reply: %+v", routed)
	}
	var page parley.ConversationPage
	s.get(t, "/api/v2/account/demo/conversations?consumer="+url.QueryEscape("+12025550181"), &page)
	if len(page.Conversations) != 1 {
		t.Fatalf("conversations of the consumer: %+v", page)
	}
	c := page.Conversations[0]
	if c.Skill != "renewals" || c.Status != parley.ConversationOpen || len(c.Transcript) != 2 ||
		c.Transcript[0].Direction != parley.Outbound || c.Transcript[1].Body != "Yes, renew it" {
		t.Fatalf("conversation %+v", c)
	}
	var outbound string
	for _, m := range sent {
		if m.To == "+12025550181" {
			outbound = m.Body
		}
	}
	if c.Transcript[0].Body != outbound {
		t.Errorf("first line %q, want the message sent: %q", c.Transcript[0].Body, outbound)
	}

	// STOP opts the other consumer out, answered once.
	var stop httpapi.SandboxReplyResponse
	s.post(t, "/sandbox/replies", `{"accountId":"demo","from":"+12025550182","to":"+12025550100","body":" stop "}`, http.StatusOK, &stop)
	if stop.Keyword == "" || stop.Answer == "" || stop.ConversationID != "" {
		t.Fatalf("STOP: %+v", stop)
	}

	// The status call names the conversation the reply opened, as
	// LivePerson's does, and none for the consumer who opted out.
	statuses := s.campaignStatuses(t, first)
	if cid := statuses["+12025550181"].ConversationID; cid != routed.ConversationID {
		t.Errorf("conversationId of the consumer who replied = %q, want %s", cid, routed.ConversationID)
	}
	if cid := statuses["+12025550182"].ConversationID; cid != "" {
		t.Errorf("conversationId of the consumer who opted out = %s, want null", cid)
	}

	// Delivery callbacks out of order: delivered, then a late "sent".
	pmid := statuses["+12025550181"].ProviderMessageID
	for _, st := range []string{"delivered", "sent"} {
		s.post(t, "/sandbox/statuses", `{"accountId":"demo","providerMessageId":"`+pmid+`","status":"`+st+`"}`, http.StatusOK, nil)
	}
	if got := s.campaignStatuses(t, first)["+12025550181"].Status; got != string(parley.StatusDelivered) {
		t.Errorf("after delivered then sent: %s, want DELIVERED", got)
	}

	// The next campaign skips the opted-out consumer and the one an agent
	// is talking to, and sends to the third.
	second := createCampaign(t, s, "renewals", "+12025550181", "+12025550182", "+12025550183")
	got := s.settled(t, second)
	for number, want := range map[string][2]string{
		"+12025550181": {string(parley.StatusSkipped), parley.CodeOpenConversation},
		"+12025550182": {string(parley.StatusSkipped), parley.CodeOptedOut},
		"+12025550183": {string(parley.StatusSent), ""},
	} {
		if got[number].Status != want[0] || got[number].ErrorMessage != want[1] {
			t.Errorf("%s in the second campaign: %s %s, want %s %s", number, got[number].Status, got[number].ErrorMessage, want[0], want[1])
		}
	}
}
