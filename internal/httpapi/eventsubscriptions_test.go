package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/egress"
	"github.com/parleyhq/parley/internal/eventpush"
	"github.com/parleyhq/parley/internal/httpapi"
	"github.com/parleyhq/parley/internal/inbound/agentpush"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/settings/eventsubs"
)

const subsPath = "/api/v2/account/acct1/event-subscriptions"

func TestEventSubscriptionRoutes(t *testing.T) {
	w := newWorld(t)
	noon := parley.ClockFunc(func() time.Time { return time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC) })
	var logs bytes.Buffer
	w.srv.Log = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	loopback := egress.Policy{AllowLoopback: true}
	var pinged []string
	brand := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		pinged = append(pinged, r.Header.Get("Parley-Event")+" "+r.Header.Get("Parley-Signature")+" "+string(body))
	}))
	defer brand.Close()
	deliverer := eventpush.NewDeliverer(w.store, nil, loopback.Client(time.Second), noon, nil)
	w.srv.EventSubscriptions = &eventsubs.Service{Store: w.store, Clock: noon, Egress: loopback, Pinger: deliverer}
	w.h = w.srv.Handler()

	resp, data := w.do(t, "POST", subsPath, fmt.Sprintf(`{"url":%q,"eventTypes":["message.delivered","message.replied"],"description":"CRM"}`, brand.URL+"/hooks"))
	var created httpapi.EventSubscriptionResponse
	if err := json.Unmarshal(data, &created); err != nil || resp.StatusCode != http.StatusCreated || created.ID == "" ||
		!strings.HasPrefix(created.Secret, eventsubs.SecretPrefix) || len(created.Secret) < parley.MinEventSecret || !created.Enabled ||
		created.CreatedAt != "2026-11-23T17:00:00.000Z" || len(created.EventTypes) != 2 {
		t.Fatalf("create: %d %s", resp.StatusCode, data)
	}
	item := subsPath + "/" + created.ID

	resp, data = w.do(t, "GET", item, "")
	if resp.StatusCode != http.StatusOK || strings.Contains(string(data), created.Secret) || strings.Contains(string(data), `"secret"`) || strings.Contains(string(data), "lastDelivery") {
		t.Errorf("get: %d %s; want it without secret or deliveries", resp.StatusCode, data)
	}
	supplied := strings.Repeat("s", 40)
	w.do(t, "POST", subsPath, fmt.Sprintf(`{"url":"https://hooks.example.com/b","eventTypes":["*"],"secret":%q,"enabled":false}`, supplied))
	resp, data = w.do(t, "GET", subsPath, "")
	var list []httpapi.EventSubscriptionResponse
	if err := json.Unmarshal(data, &list); err != nil || resp.StatusCode != http.StatusOK || len(list) != 2 ||
		strings.Contains(string(data), created.Secret) || strings.Contains(string(data), supplied) {
		t.Fatalf("list: %d %s", resp.StatusCode, data)
	}
	if list[1].Enabled || list[1].EventTypes[0] != parley.EventTypeAll {
		t.Errorf("the second subscription: %+v", list[1])
	}

	// The test ping arrives signed with the secret shown at creation.
	resp, data = w.do(t, "POST", item+"/test", "")
	var ping httpapi.EventDeliveryResponse
	if err := json.Unmarshal(data, &ping); err != nil || resp.StatusCode != http.StatusOK || ping.Outcome != "delivered" || ping.Status != 200 || ping.EventType != "ping" {
		t.Fatalf("test: %d %s", resp.StatusCode, data)
	}
	if len(pinged) != 1 {
		t.Fatalf("the endpoint got %d requests", len(pinged))
	}
	parts := strings.SplitN(pinged[0], " ", 3)
	if parts[0] != "ping" || agentpush.Verify(created.Secret, parts[1], []byte(parts[2]), noon.Now(), 0) != nil {
		t.Errorf("ping %q does not verify with the secret", pinged[0])
	}
	resp, data = w.do(t, "GET", item+"/deliveries?limit=5", "")
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(data), ping.EventID) {
		t.Errorf("deliveries: %d %s", resp.StatusCode, data)
	}
	if _, data = w.do(t, "GET", item, ""); !strings.Contains(string(data), `"lastDelivery":{"eventId":"`+ping.EventID) {
		t.Errorf("get after the ping: %s", data)
	}

	// Changing the URL needs a new secret; rotating shows the new one once.
	resp, data = w.do(t, "PUT", item, `{"url":"https://hooks.example.com/moved","eventTypes":["message.failed"]}`)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(data), `"field":"secret"`) {
		t.Errorf("a url change keeping the secret: %d %s", resp.StatusCode, data)
	}
	resp, data = w.do(t, "PUT", item, `{"url":"https://hooks.example.com/moved","eventTypes":["message.failed"],"rotateSecret":true}`)
	var rotated httpapi.EventSubscriptionResponse
	if err := json.Unmarshal(data, &rotated); err != nil || resp.StatusCode != http.StatusOK || rotated.Secret == "" || rotated.Secret == created.Secret ||
		rotated.URL != "https://hooks.example.com/moved" || rotated.CreatedAt != created.CreatedAt {
		t.Errorf("rotate: %d %s", resp.StatusCode, data)
	}
	resp, data = w.do(t, "PUT", item, `{"url":"https://hooks.example.com/moved","eventTypes":["*"],"description":"all"}`)
	if resp.StatusCode != http.StatusOK || strings.Contains(string(data), `"secret"`) {
		t.Errorf("a change keeping url and secret: %d %s; want no secret in it", resp.StatusCode, data)
	}

	tests := []struct {
		name, method, path, body string
		status                   int
		field                    string
	}{
		{"http", "POST", subsPath, `{"url":"http://hooks.example.com","eventTypes":["*"]}`, 400, "url"},
		{"private address", "POST", subsPath, `{"url":"https://10.0.0.7/hooks","eventTypes":["*"]}`, 400, "url"},
		{"metadata address", "POST", subsPath, `{"url":"https://169.254.169.254/latest","eventTypes":["*"]}`, 400, "url"},
		{"credentials in url", "POST", subsPath, `{"url":"https://u:p@hooks.example.com","eventTypes":["*"]}`, 400, "url"},
		{"no url", "POST", subsPath, `{"eventTypes":["*"]}`, 400, "url"},
		{"no types", "POST", subsPath, `{"url":"https://hooks.example.com"}`, 400, "eventTypes"},
		{"unknown type", "POST", subsPath, `{"url":"https://hooks.example.com","eventTypes":["message.sent","message.bounced"]}`, 400, "eventTypes[1]"},
		{"type twice", "POST", subsPath, `{"url":"https://hooks.example.com","eventTypes":["message.sent","message.sent"]}`, 400, "eventTypes[1]"},
		{"short secret", "POST", subsPath, `{"url":"https://hooks.example.com","eventTypes":["*"],"secret":"short"}`, 400, "secret"},
		{"unknown field", "POST", subsPath, `{"url":"https://hooks.example.com","eventTypes":["*"],"secrets":"x"}`, 400, "secrets"},
		{"limit 0", "GET", item + "/deliveries?limit=0", "", 400, "limit"},
		{"limit words", "GET", item + "/deliveries?limit=ten", "", 400, "limit"},
		{"limit too big", "GET", item + "/deliveries?limit=101", "", 400, "limit"},
		{"unknown subscription", "GET", subsPath + "/nope", "", 404, ""},
		{"unknown subscription's deliveries", "GET", subsPath + "/nope/deliveries", "", 404, ""},
		{"test of an unknown subscription", "POST", subsPath + "/nope/test", "", 404, ""},
		{"another account's", "GET", "/api/v2/account/acct2/event-subscriptions/" + created.ID, "", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, data := w.do(t, tt.method, tt.path, tt.body)
			var p httpapi.Problem
			if err := json.Unmarshal(data, &p); err != nil || resp.StatusCode != tt.status || p.Field != tt.field {
				t.Errorf("%d %s; want %d naming %q", resp.StatusCode, data, tt.status, tt.field)
			}
		})
	}

	for i := len(list); i < parley.MaxEventSubscriptions; i++ {
		if resp, data := w.do(t, "POST", subsPath, `{"url":"https://hooks.example.com","eventTypes":["*"]}`); resp.StatusCode != http.StatusCreated {
			t.Fatalf("subscription %d: %d %s", i+1, resp.StatusCode, data)
		}
	}
	if resp, data := w.do(t, "POST", subsPath, `{"url":"https://hooks.example.com","eventTypes":["*"]}`); resp.StatusCode != http.StatusConflict {
		t.Errorf("subscription %d: %d %s, want 409", parley.MaxEventSubscriptions+1, resp.StatusCode, data)
	}

	if resp, _ := w.do(t, "DELETE", item, ""); resp.StatusCode != http.StatusNoContent {
		t.Errorf("delete: %d", resp.StatusCode)
	}
	if resp, _ := w.do(t, "GET", item, ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("get after delete: %d", resp.StatusCode)
	}
	for _, s := range []string{created.Secret, rotated.Secret, supplied} {
		if strings.Contains(logs.String(), s) {
			t.Errorf("a secret is in the logs")
		}
	}
}

func TestEventSubscriptionRoutesUnset(t *testing.T) {
	w := newWorld(t)
	if resp, _ := w.do(t, "GET", subsPath, ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("without event push: %d, want 404", resp.StatusCode)
	}
}
