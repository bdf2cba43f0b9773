package main

import (
	"net/http"
	"testing"

	"github.com/parleyhq/parley/internal/analytics"
	"github.com/parleyhq/parley/internal/httpapi"
	"github.com/parleyhq/parley/internal/parley"
)

// TestAnalyticsOnServe runs a campaign of six through the sandbox of
// parley serve (deliveries, a delivery reported twice, a read, two
// failures, two replies, a STOP, a conversation closed) and checks every
// count and rate of its analytics and the account's against what was
// done, computed by hand.
func TestAnalyticsOnServe(t *testing.T) { eachDay(t, testAnalyticsOnServe) }

func testAnalyticsOnServe(t *testing.T, clock parley.Clock) {
	s := start(t, embeddedConfig(t), clock)
	defer s.stop()
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
	var other analytics.Report
	s.get(t, "/api/v2/account/demo/analytics?range=today&skill=billing", &other)
	if other.Counts != (analytics.Counts{}) || other.SuccessRate != nil || other.Granularity != analytics.ByHour || len(other.Messages) != 24 {
		t.Errorf("another skill today: %+v", other)
	}
}
