package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/parleyhq/parley/internal/parley"
)

// TestServeLoopbackEgress checks PARLEY_ALLOW_LOOPBACK_EGRESS end to end:
// off (the default), parley serve refuses a baseUrl and a connectorUrl on
// loopback; on, it saves them and sends through the local provider.
func TestServeLoopbackEgress(t *testing.T) {
	var sent atomic.Int32
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sent.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"sid":"SM0123456789abcdef0123456789abcdef","status":"queued"}`)
	}))
	t.Cleanup(provider.Close)
	channel := `{"provider":"twilio","baseUrl":"` + provider.URL + `","twilio":{"accountSid":"AC0123456789abcdef0123456789abcdef",
	  "authToken":"0f1e2d3c4b5a69788796a5b4c3d2e1f0"},"senders":[{"outboundNumber":"+12025550100","id":"+12025550150"}]}`
	settings := `{"optOutText":"","helpText":"","defaultSkill":"","optOutConfirmText":"","optInConfirmText":"","defaultCountry":"","connectorUrl":"` + provider.URL + `/hook","connectorSecret":"whsec-0123456789abcdef","dailyRecipientLimit":0}`
	put := func(s *server, path, body string) (int, string) {
		resp := s.do(t, http.MethodPut, path, "application/json", strings.NewReader(body))
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(data)
	}
	for _, allow := range []bool{false, true} {
		cfg := embeddedConfig(t)
		cfg.AllowLoopbackEgress = allow
		s := start(t, cfg, dayClock(0))
		for path, body := range map[string]string{"/api/v2/account/demo/channels/sms": channel, "/api/v2/account/demo/settings": settings} {
			status, data := put(s, path, body)
			if want := map[bool]int{false: http.StatusBadRequest, true: http.StatusOK}[allow]; status != want {
				t.Errorf("loopback allowed %v: PUT %s: %d %s; want %d", allow, path, status, data, want)
			}
		}
		if allow {
			id := createCampaign(t, s, "sales", "+12025550181")
			if got := s.settled(t, id)["+12025550181"]; got.Status != string(parley.StatusSent) || sent.Load() != 1 {
				t.Errorf("recipient %+v, %d messages at the local provider; want SENT through it", got, sent.Load())
			}
		}
		s.stop()
	}
}
