package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/parley"
)

func TestClockOffset(t *testing.T) {
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		value, backend string
		want           time.Duration
		err            string
	}{
		{"", config.BackendEmbedded, 0, ""},
		{"", config.BackendAWS, 0, ""},
		{"2027-03-14T06:00:00Z", config.BackendEmbedded, time.Date(2027, 3, 14, 6, 0, 0, 0, time.UTC).Sub(now), ""},
		{"2026-12-02T05:00:00-05:00", config.BackendEmbedded, 0, ""},
		{"2027-03-14T06:00:00Z", config.BackendAWS, 0, "embedded backend only"},
		{"2027-03-14 06:00", config.BackendEmbedded, 0, "RFC 3339"},
	}
	for _, tt := range tests {
		got, err := clockOffset(tt.value, tt.backend, now)
		if got != tt.want || (err == nil) != (tt.err == "") || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("clockOffset(%q, %s) = %s, %v; want %s, an error saying %q", tt.value, tt.backend, got, err, tt.want, tt.err)
		}
	}
}

// TestServeOnAClockOfItsOwn runs the server as serve --clock does, at the
// start of the 2027 spring-forward night in New York: parley token, run on
// the wall clock, mints a token the server takes, and a campaign parsed
// then is due at 08:00 EDT, after the clocks went forward.
func TestServeOnAClockOfItsOwn(t *testing.T) {
	at := time.Date(2027, 3, 14, 6, 0, 0, 0, time.UTC) // 01:00 EST
	offset, err := clockOffset(at.Format(time.RFC3339), config.BackendEmbedded, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	s := start(t, embeddedConfig(t), offsetClock(offset))
	defer s.stop()
	if now := s.clock.Now(); now.Before(at) || !now.Before(at.Add(time.Hour)) {
		t.Fatalf("the server's clock reads %s, want a running clock from %s", now, at)
	}
	s.clock = parley.SystemClock{} // parley token as a person runs it: it finds the server's clock in its record
	var errOut bytes.Buffer
	if code := runAt(parley.SystemClock{}, []string{"token", "--account", "demo", "--data", s.data}, io.Discard, &errOut); code != 0 ||
		!strings.Contains(errOut.String(), "--clock") {
		t.Fatalf("parley token exited %d: %s", code, errOut.String())
	}
	body := `{"campaignName":"c","skill":"s","templateId":"1234567890","outboundNumber":"+12025550100","consent":true,
	  "message":"Hi","consumers":[{"consumerContent":{"sms":"+12025550181"}}]}`
	resp := s.do(t, http.MethodPost, "/api/v2/account/demo/campaign/parse", "application/json", strings.NewReader(body))
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var p struct {
		Recipients []struct{ ScheduledFor, Status string }
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(data, &p) != nil || len(p.Recipients) != 1 {
		t.Fatalf("parse: %d %s", resp.StatusCode, data)
	}
	if r := p.Recipients[0]; r.ScheduledFor != "2027-03-14T12:00:00.000Z" {
		t.Errorf("recipient %+v, want due at 08:00 EDT (12:00Z)", r)
	}
}
