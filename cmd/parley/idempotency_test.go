package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// TestServeIdempotentCreate posts one campaign three times with one
// Idempotency-Key, the last after a restart: one campaign is created and
// sent, and every post is answered its answer.
func TestServeIdempotentCreate(t *testing.T) { eachDay(t, testServeIdempotentCreate) }

func testServeIdempotentCreate(t *testing.T, clock parley.Clock) {
	cfg := embeddedConfig(t)
	body := `{"campaignName":"c","skill":"s","templateId":"1234567890","outboundNumber":"+12025550100","consent":true,
	  "message":"Hi {{1}}","consumers":[{"consumerContent":{"sms":"+12025550181"},"variables":{"1":"Jane"}},
	  {"consumerContent":{"sms":"+12025550182"},"variables":{"1":"Bob"}}]}`
	post := func(s *server, key, body string) (int, string, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, "http://"+s.addr+"/api/v2/account/demo/campaign", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+s.token(t, "demo"))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Idempotent-Replayed"), string(data)
	}
	s := start(t, cfg, clock)
	status, replayed, first := post(s, "renewal-2026", body)
	if status != http.StatusAccepted || replayed != "" {
		t.Fatalf("first: %d (replayed %q) %s", status, replayed, first)
	}
	if status, replayed, again := post(s, "renewal-2026", body); status != http.StatusAccepted || replayed != "true" || again != first {
		t.Errorf("retry: %d (replayed %q) %s, want the first answer replayed", status, replayed, again)
	}
	if status, _, _ := post(s, "renewal-2026", strings.Replace(body, "Jane", "Janet", 1)); status != http.StatusUnprocessableEntity {
		t.Errorf("the key with another body: %d, want 422", status)
	}
	s.waitSent(t, 2)
	s.stop()

	s = start(t, cfg, clock)
	defer s.stop()
	if status, replayed, again := post(s, "renewal-2026", body); status != http.StatusAccepted || replayed != "true" || again != first {
		t.Errorf("retry after a restart: %d (replayed %q) %s, want the first answer replayed", status, replayed, again)
	}
	time.Sleep(1500 * time.Millisecond) // a full poll cycle: a second campaign would be sent now
	var ms []parley.SentMessage
	s.get(t, "/sandbox/messages", &ms)
	if len(ms) != 2 {
		t.Errorf("the sandbox holds %d messages, want the one campaign's 2", len(ms))
	}
}
