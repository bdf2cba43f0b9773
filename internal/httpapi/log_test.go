package httpapi_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

// TestRequestLogMasksNumbers checks that the request log names routes by
// their pattern: a consumer's number in a path never reaches the log.
func TestRequestLogMasksNumbers(t *testing.T) {
	w := newOptOutWorld(t)
	logs := &bytes.Buffer{}
	w.srv.Log = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	base := "/api/v2/account/acct1/optouts"
	if resp, data := w.do(t, "POST", base, `{"phone":"+12025550101"}`); resp.StatusCode >= 300 {
		t.Fatalf("add: %d %s", resp.StatusCode, data)
	}
	for _, tt := range []struct{ method, path string }{
		{"DELETE", base + "/+12025550101"},
		{"DELETE", base + "/%2B12025550101"},
		{"GET", "/no/such/route/+12025550101"},
	} {
		logs.Reset()
		w.do(t, tt.method, tt.path, "")
		if strings.Contains(logs.String(), "2025550101") {
			t.Errorf("%s %s logged the number: %s", tt.method, tt.path, logs)
		}
		var line struct {
			Route string `json:"route"`
			IDs   struct {
				Account string `json:"account"`
			} `json:"ids"`
		}
		last := strings.TrimSpace(logs.String())
		if i := strings.LastIndexByte(last, '\n'); i >= 0 {
			last = last[i+1:]
		}
		if err := json.Unmarshal([]byte(last), &line); err != nil || line.Route == "" {
			t.Fatalf("%s %s: log line %q has no route (%v)", tt.method, tt.path, last, err)
		}
		if strings.HasPrefix(tt.path, base) && (line.Route != "DELETE "+base[:len("/api/v2/account/")]+"{accountId}/optouts/{phone}" || line.IDs.Account != "acct1") {
			t.Errorf("%s %s logged route %q account %q", tt.method, tt.path, line.Route, line.IDs.Account)
		}
	}
}
