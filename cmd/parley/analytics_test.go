package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/analytics"
	"github.com/parleyhq/parley/internal/httpapi"
	"github.com/parleyhq/parley/internal/inbound/agentpush"
	"github.com/parleyhq/parley/internal/parley"
)

// TestAnalyticsOnServe runs a campaign of six through the sandbox of
// parley serve (deliveries, a delivery reported twice, a read, two
// failures, two replies, a STOP, a conversation closed) and checks every
// count and rate of its analytics and the account's against what was
// done, computed by hand, and the lifecycle events a subscribed webhook
// receives, signed, once per change.
func TestAnalyticsOnServe(t *testing.T) { eachDay(t, testAnalyticsOnServe) }

func testAnalyticsOnServe(t *testing.T, clock parley.Clock) {
	cfg := embeddedConfig(t)
	cfg.AllowLoopbackEgress = true // the brand's webhook is an httptest server
	s := start(t, cfg, clock)
	defer s.stop()
	hook := subscribe(t, s, clock)
	numbers := []string{"+12025550191", "+12025550192", "+12025550193", "+12025550194", "+12025550195", "+12025550196"}
	id := createCampaign(t, s, "renewals", numbers...)
	got := s.settled(t, id)
	status := func(number, word string) {
		t.Helper()
		s.post(t, "/sandbox/statuses", `{"accountId":"demo","providerMessageId":"`+got[number].ProviderMessageID+`","status":"`+word+`"}`, http.StatusOK, nil)
	}
	reply := func(number, body string) httpapi.SandboxReplyResponse {
		t.Helper()
		var r httpapi.SandboxReplyResponse
		s.post(t, "/sandbox/replies", `{"accountId":"demo","from":"`+number+`","to":"+12025550100","body":"`+body+`"}`, http.StatusOK, &r)
		return r
	}
	status(numbers[0], "delivered")
	status(numbers[0], "delivered") // redelivered: counted once
	status(numbers[1], "delivered")
	status(numbers[1], "read")
	status(numbers[2], "delivered")
	status(numbers[3], "delivered")
	status(numbers[4], "failed")
	status(numbers[5], "undelivered")
	first := reply(numbers[0], "Yes, renew it")
	if first.ConversationID == "" {
		t.Fatalf("reply not routed: %+v", first)
	}
	reply(numbers[0], "and the other plan too") // the same conversation: one response
	reply(numbers[1], "Thanks")
	if stop := reply(numbers[2], "STOP"); stop.Keyword == "" {
		t.Fatalf("STOP not taken as a keyword: %+v", stop)
	}
	s.post(t, "/api/v2/account/demo/conversations/"+first.ConversationID+"/close", `{}`, http.StatusOK, nil)

	want := analytics.Counts{Attempted: 6, Eligible: 6, Sent: 6, Delivered: 4, Read: 1, Failed: 2,
		OptedOut: 1, Responded: 2, ConversationCreated: 2, ConversationClosed: 1}
	for _, path := range []string{"/api/v2/account/demo/campaign/" + id + "/analytics", "/api/v2/account/demo/analytics?range=last30&channel=sms&skill=renewals"} {
		var rep analytics.Report
		s.get(t, path, &rep)
		if rep.Counts != want {
			t.Errorf("%s: counts %+v, want %+v", path, rep.Counts, want)
		}
		// success 4 delivered / 6 sent; response 2 / 4 delivered; opt-out 1 / 4 delivered.
		for name, r := range map[string][2]any{
			"successRate": {rep.SuccessRate, 66.67}, "responseRate": {rep.ResponseRate, 50.0}, "optOutRate": {rep.OptOutRate, 25.0},
		} {
			if p, _ := r[0].(*float64); p == nil || *p != r[1].(float64) {
				t.Errorf("%s: %s = %v, want %v", path, name, r[0], r[1])
			}
		}
		if rep.DeliveryStatus != (analytics.DeliveryStatus{Sent: 6, Delivered: 4, Failed: 2}) {
			t.Errorf("%s: delivery status %+v", path, rep.DeliveryStatus)
		}
		if rep.ResponseStatus != (analytics.ResponseStatus{Delivered: 4, Responded: 2, NotResponded: 2}) {
			t.Errorf("%s: response status %+v", path, rep.ResponseStatus)
		}
		var day analytics.Bucket
		for _, b := range rep.Messages {
			day.Sent, day.Delivered, day.Failed, day.Responded = day.Sent+b.Sent, day.Delivered+b.Delivered, day.Failed+b.Failed, day.Responded+b.Responded
		}
		if day.Sent != 6 || day.Delivered != 4 || day.Failed != 2 || day.Responded != 2 {
			t.Errorf("%s: messages per %s add up to %+v", path, rep.Granularity, day)
		}
	}
	// One event per change, however often a status was reported: sent 6,
	// delivered 4 (the read one was delivered first), read 1, failed 2
	// (failed, undelivered), replied 2, opted out 1, conversations 2 and 1.
	wantEvents := map[parley.EventType]int{parley.EventSent: 6, parley.EventDelivered: 4, parley.EventRead: 1, parley.EventFailed: 2,
		parley.EventReplied: 2, parley.EventOptedOut: 1, parley.EventConversationCreated: 2, parley.EventConversationClosed: 1}
	var byType map[parley.EventType]int
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		byType = hook.byType()
		if len(byType) == len(wantEvents) && hook.total() == 19 || time.Now().After(deadline) {
			break
		}
	}
	for typ, n := range wantEvents {
		if byType[typ] != n {
			t.Errorf("%d %s events, want %d (all: %v)", byType[typ], typ, n, byType)
		}
	}
	var other analytics.Report
	s.get(t, "/api/v2/account/demo/analytics?range=today&skill=billing", &other)
	if other.Counts != (analytics.Counts{}) || other.SuccessRate != nil || other.Granularity != analytics.ByHour || len(other.Messages) != 24 {
		t.Errorf("another skill today: %+v", other)
	}
}

// webhook is a brand's endpoint subscribed to every lifecycle event: it
// verifies each POST's signature at the server's clock and keeps each
// event once, by id.
type webhook struct {
	mu     sync.Mutex
	events map[string]parley.Event
}

// subscribe subscribes a new webhook to every event type of account demo.
func subscribe(t *testing.T, s *server, clock parley.Clock) *webhook {
	t.Helper()
	h := &webhook{events: map[string]parley.Event{}}
	var secret string
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		key := secret
		mu.Unlock()
		if err := agentpush.Verify(key, r.Header.Get(agentpush.HeaderSignature), body, clock.Now(), 0); err != nil {
			t.Errorf("an event POST does not verify: %v", err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var ev parley.Event
		if err := json.Unmarshal(body, &ev); err != nil || ev.ID == "" || ev.ID != r.Header.Get(agentpush.HeaderDelivery) {
			t.Errorf("event POST %s (%v)", body, err)
		}
		h.mu.Lock()
		h.events[ev.ID] = ev
		h.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	types, _ := json.Marshal(parley.EventTypes)
	var created httpapi.EventSubscriptionResponse
	s.post(t, "/api/v2/account/demo/event-subscriptions", `{"url":"`+srv.URL+`","eventTypes":`+string(types)+`}`, http.StatusCreated, &created)
	mu.Lock()
	secret = created.Secret
	mu.Unlock()
	return h
}

func (h *webhook) byType() map[parley.EventType]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[parley.EventType]int{}
	for _, ev := range h.events {
		out[ev.Type]++
	}
	return out
}

func (h *webhook) total() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.events)
}
