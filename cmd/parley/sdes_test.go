package main

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/httpapi"
	"github.com/parleyhq/parley/internal/parley"
)

// TestSDEsReachTheAgentOnServe sends a campaign whose consumer carries
// LivePerson's sdes, answers it, and finds the engagement attributes on the
// conversation the reply opened and in what the agent platform was pushed.
func TestSDEsReachTheAgentOnServe(t *testing.T) {
	var mu sync.Mutex
	var pushed []parley.ConversationEvent
	platform := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev parley.ConversationEvent
		data, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(data, &ev); err != nil {
			t.Errorf("push %s: %v", data, err)
		}
		mu.Lock()
		pushed = append(pushed, ev)
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(platform.Close)
	cfg := embeddedConfig(t)
	cfg.AllowLoopbackEgress = true
	s := start(t, cfg, dayClock(0))
	defer s.stop()
	settings := `{"optOutText":"","helpText":"","defaultSkill":"","optOutConfirmText":"","optInConfirmText":"","defaultCountry":"",` +
		`"connectorUrl":"` + platform.URL + `/hook","connectorSecret":"whsec-0123456789abcdef","dailyRecipientLimit":0}`
	if resp := s.do(t, http.MethodPut, "/api/v2/account/demo/settings", "application/json", strings.NewReader(settings)); resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT settings: %d", resp.StatusCode)
	}
	var created httpapi.CreateCampaignResponse
	s.post(t, "/api/v2/account/demo/campaign", `{"campaignName": "Renewals", "skill": "renewals", "templateId": "1234567890",
	  "outboundNumber": "+12025550100", "consent": true, "consumers": [{"consumerContent": {"sms": "+12025550181"},
	  "variables": {"1": "Your plan renews soon"},
	  "sdes": [{"type": "ctmrinfo", "info": {"customerId": "C-1", "cstatus": "gold"}}, {"type": "personal", "personal": {"firstname": "Jane"}}]}]}`,
		http.StatusAccepted, &created)
	if created.ProactiveCampaignID == nil {
		t.Fatalf("create: %+v", created)
	}
	s.settled(t, *created.ProactiveCampaignID)
	s.post(t, "/sandbox/replies", `{"accountId":"demo","from":"+12025550181","to":"+12025550100","body":"Tell me more"}`, http.StatusOK, nil)

	want := map[string]string{"ctmrinfo.customerId": "C-1", "ctmrinfo.cstatus": "gold", "personal.firstname": "Jane"}
	var page parley.ConversationPage
	s.get(t, "/api/v2/account/demo/conversations?consumer="+url.QueryEscape("+12025550181"), &page)
	if len(page.Conversations) != 1 || !maps.Equal(page.Conversations[0].Context.SDEs, want) {
		t.Fatalf("conversations %+v; want one with sdes %v", page.Conversations, want)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		mu.Lock()
		n := len(pushed)
		var got map[string]string
		if n > 0 {
			got = pushed[0].Conversation.Context.SDEs
		}
		mu.Unlock()
		if n > 0 {
			if !maps.Equal(got, want) {
				t.Errorf("pushed sdes %v, want %v", got, want)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the agent platform was pushed nothing")
		}
	}
}
