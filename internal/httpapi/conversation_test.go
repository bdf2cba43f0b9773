package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/httpapi"
	"github.com/parleyhq/parley/internal/inbound/conversation"
	"github.com/parleyhq/parley/internal/obs"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/testworld"
)

// conversationWorld is the API with conversations and broadcasts served by
// the reply service on the world's store.
func conversationWorld(t *testing.T) (*world, *conversation.Service) {
	t.Helper()
	w := newWorld(t)
	svc := &conversation.Service{Store: w.store, Events: w.store, Log: obs.Discard(),
		Clock: parley.ClockFunc(func() time.Time { return time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC) })}
	w.srv.Conversations, w.srv.Broadcasts = svc, svc
	w.h = w.srv.Handler()
	if err := w.store.PutAccount(context.Background(), parley.Account{ID: "acct1", DefaultSkill: "service"}); err != nil {
		t.Fatal(err)
	}
	return w, svc
}

const broadcastBody = `{
  "name": "Spring sale", "goal": "sales",
  "timeframe": {"start": "2026-11-23T00:00:00Z", "end": "2026-11-24T00:00:00-05:00"},
  "engagements": [
    {"source": "cm", "skill": "sales", "language": "en-US", "notesToAgent": "They got: 20% off", "entryPoint": "CM-100"},
    {"source": "cm", "skill": "sales-es", "entryPoint": "+12025550177"}
  ]
}`

func TestBroadcastRoutes(t *testing.T) {
	w, svc := conversationWorld(t)
	resp, data := w.do(t, "POST", "/api/v2/account/acct1/broadcasts", broadcastBody)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.StatusCode, data)
	}
	var b httpapi.BroadcastResponse
	if err := json.Unmarshal(data, &b); err != nil {
		t.Fatal(err)
	}
	if b.ID == "" || b.Timeframe.End != "2026-11-24T05:00:00.000Z" || len(b.Engagements) != 2 || b.Engagements[1].ID != "2" || b.Engagements[0].NotesToAgent != "They got: 20% off" {
		t.Fatalf("created %s", data)
	}
	if resp, data := w.do(t, "GET", "/api/v2/account/acct1/broadcasts/"+b.ID, ""); resp.StatusCode != http.StatusOK || !strings.Contains(string(data), `"entryPoint":"CM-100"`) {
		t.Errorf("get: %d %s", resp.StatusCode, data)
	}
	if resp, data := w.do(t, "GET", "/api/v2/account/acct1/broadcasts", ""); resp.StatusCode != http.StatusOK || strings.Count(string(data), `"goal"`) != 1 {
		t.Errorf("list: %d %s", resp.StatusCode, data)
	}
	if resp, data := w.do(t, "GET", "/api/v2/account/acct2/broadcasts", ""); resp.StatusCode != http.StatusOK || strings.TrimSpace(string(data)) != "[]" {
		t.Errorf("list of another account: %d %s", resp.StatusCode, data)
	}
	if resp, _ := w.do(t, "GET", "/api/v2/account/acct2/broadcasts/"+b.ID, ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("another account's broadcast: %d", resp.StatusCode)
	}

	// A reply through the campaign's entry point is linked to it.
	c, err := svc.Receive(context.Background(), conversation.Inbound{AccountID: "acct1", From: "+12025550101", To: "+12025550177", Body: "¿Precio?",
		ProviderMessageID: "in1", At: time.Date(2026, 11, 23, 18, 0, 0, 0, time.UTC)})
	if err != nil || c.Skill != "sales-es" || c.Context.BroadcastID != b.ID || c.Context.EngagementID != "2" {
		t.Fatalf("reply = %+v, %v", c, err)
	}
}

func TestBroadcastRejected(t *testing.T) {
	w, _ := conversationWorld(t)
	replace := func(old, new string) string { return strings.Replace(broadcastBody, old, new, 1) }
	tests := []struct{ name, body, field string }{
		{"no goal", replace(`"goal": "sales"`, `"goal": ""`), "goal"},
		{"bad start", replace(`"2026-11-23T00:00:00Z"`, `"tomorrow"`), "timeframe.start"},
		{"no end", replace(`"end": "2026-11-24T00:00:00-05:00"`, `"end": ""`), "timeframe.end"},
		{"end before start", replace(`"2026-11-24T00:00:00-05:00"`, `"2026-11-22T00:00:00Z"`), "timeframe.end"},
		{"no skill", replace(`"skill": "sales-es", `, ``), "engagements[1].skill"},
		{"duplicate entry point", replace(`"+12025550177"`, `"CM-100"`), "engagements[1].entryPoint"},
		{"wrong type", replace(`"goal": "sales"`, `"goal": 7`), "goal"},
	}
	for _, tt := range tests {
		resp, data := w.do(t, "POST", "/api/v2/account/acct1/broadcasts", tt.body)
		var p httpapi.Problem
		_ = json.Unmarshal(data, &p)
		if resp.StatusCode != http.StatusBadRequest || p.Field != tt.field {
			t.Errorf("%s: %d %s, want 400 on %s", tt.name, resp.StatusCode, data, tt.field)
		}
	}
}

func TestConversationRoutes(t *testing.T) {
	w, svc := conversationWorld(t)
	ctx := context.Background()
	sent := time.Date(2026, 11, 23, 16, 0, 0, 0, time.UTC)
	if err := svc.RecordOutbound(ctx, parley.OutboundContext{AccountID: "acct1", Consumer: "+12025550101", CampaignID: "camp1",
		CampaignName: "Renewal", Skill: "sales", Channel: parley.ChannelSMS, Body: "Renew?", SentAt: sent, Lookback: time.Hour}); err != nil {
		t.Fatal(err)
	}
	first, err := svc.Receive(ctx, conversation.Inbound{AccountID: "acct1", From: "+12025550101", Body: "yes", ProviderMessageID: "in1", At: sent.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Receive(ctx, conversation.Inbound{AccountID: "acct1", From: "+12025550102", Body: "hello", ProviderMessageID: "in2", At: sent.Add(2 * time.Minute)}); err != nil {
		t.Fatal(err)
	}

	list := func(query string) parley.ConversationPage {
		t.Helper()
		resp, data := w.do(t, "GET", "/api/v2/account/acct1/conversations"+query, "")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("list%s: %d %s", query, resp.StatusCode, data)
		}
		var page parley.ConversationPage
		if err := json.Unmarshal(data, &page); err != nil {
			t.Fatal(err)
		}
		return page
	}
	if p := list(""); len(p.Conversations) != 2 || p.Conversations[0].Consumer != "+12025550102" {
		t.Fatalf("all = %+v", p)
	}
	if p := list("?skill=sales"); len(p.Conversations) != 1 || p.Conversations[0].ID != first.ID || len(p.Conversations[0].Transcript) != 2 ||
		p.Conversations[0].Transcript[0].Body != "Renew?" || p.Conversations[0].Context.CampaignName != "Renewal" {
		t.Fatalf("skill=sales = %+v", p)
	}
	for _, q := range []string{"?consumer=%2B12025550101", "?consumer=+12025550101", "?consumer=%2B12025550101&status=open"} {
		if p := list(q); len(p.Conversations) != 1 || p.Conversations[0].ID != first.ID {
			t.Errorf("%s = %+v", q, p)
		}
	}
	if p := list("?limit=1"); len(p.Conversations) != 1 || p.NextCursor == "" {
		t.Errorf("limit=1 = %+v", p)
	} else if next := list("?limit=1&cursor=" + p.NextCursor); len(next.Conversations) != 1 || next.Conversations[0].ID != first.ID || next.NextCursor != "" {
		t.Errorf("second page = %+v", next)
	}
	for _, q := range []string{"?status=pending", "?limit=0", "?limit=101", "?limit=x"} {
		resp, data := w.do(t, "GET", "/api/v2/account/acct1/conversations"+q, "")
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(data), `"field":"`+strings.Split(q[1:], "=")[0]+`"`) {
			t.Errorf("%s: %d %s", q, resp.StatusCode, data)
		}
	}

	path := "/api/v2/account/acct1/conversations/" + first.ID
	if resp, data := w.do(t, "GET", path, ""); resp.StatusCode != http.StatusOK || !strings.Contains(string(data), `"status":"OPEN"`) {
		t.Fatalf("get: %d %s", resp.StatusCode, data)
	}
	if resp, _ := w.do(t, "GET", "/api/v2/account/acct2/conversations/"+first.ID, ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("another account's conversation: %d", resp.StatusCode)
	}
	for range 2 { // closing twice answers the closed conversation
		resp, data := w.do(t, "POST", path+"/close", "")
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(data), `"status":"CLOSED"`) || !strings.Contains(string(data), `"closedAt"`) {
			t.Fatalf("close: %d %s", resp.StatusCode, data)
		}
	}
	if p := list("?status=CLOSED"); len(p.Conversations) != 1 || p.Conversations[0].ID != first.ID {
		t.Errorf("status=CLOSED = %+v", p)
	}
	if resp, _ := w.do(t, "POST", "/api/v2/account/acct1/conversations/nope/close", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("close of an unknown conversation: %d", resp.StatusCode)
	}
}

func TestConversationRoutesWithoutService(t *testing.T) {
	w := newWorld(t)
	for _, path := range []string{"/api/v2/account/acct1/conversations", "/api/v2/account/acct1/broadcasts"} {
		if resp, data := w.do(t, "GET", path, ""); resp.StatusCode != http.StatusNotFound || !strings.Contains(string(data), "no ") {
			t.Errorf("GET %s without the service: %d %s", path, resp.StatusCode, data)
		}
	}
}

// settings PATCHes body to acct1's settings as role.
func (w *authWorld) settings(t *testing.T, role auth.Role, body string) (int, string) {
	t.Helper()
	status, _, data := w.call(t, "PATCH", "/api/v2/account/acct1/settings", "Bearer "+w.mint(t, "acct1", role), body)
	return status, string(data)
}

func TestSettingsConnector(t *testing.T) {
	w := newAuthWorld(t)
	body := `{"defaultSkill":"service","connectorUrl":"https://agents.example.com/hook","connectorSecret":"whsec-0123456789abcdef"}`
	status, data := w.settings(t, auth.RoleAdmin, body)
	if status != http.StatusOK || strings.Contains(data, "whsec") || !strings.Contains(data, `"connectorUrl":"https://agents.example.com/hook"`) {
		t.Fatalf("put: %d %s; want the URL and the secret redacted", status, data)
	}
	status, _, got := w.call(t, "GET", "/api/v2/account/acct1/settings", "Bearer "+w.mint(t, "acct1", auth.RoleSupport), "")
	if status != http.StatusOK || strings.Contains(string(got), "whsec") || !strings.Contains(string(got), `"connectorSecret":"••••cdef"`) {
		t.Fatalf("get: %d %s", status, got)
	}
	if a, _ := w.store.Account(context.Background(), "acct1"); a.ConnectorSecret.Reveal() != "whsec-0123456789abcdef" {
		t.Error("the secret was not stored")
	}
	for _, target := range []string{"http://agents.example.com/hook", "https://169.254.169.254/hook", "http://127.0.0.1:9001/hook", "https://localhost/hook"} {
		status, data = w.settings(t, auth.RoleAdmin, `{"connectorUrl":"`+target+`","connectorSecret":"whsec-0123456789abcdef"}`)
		if status != http.StatusBadRequest || !strings.Contains(data, `"field":"connectorUrl"`) {
			t.Errorf("%s: %d %s", target, status, data)
		}
	}
}

// TestConnectorURLChangeNeedsSecret: the saved secret is kept when the
// settings come back as read, but not for another connectorUrl, which
// would have it sign requests to a host of the caller's choosing.
func TestConnectorURLChangeNeedsSecret(t *testing.T) {
	w := newAuthWorld(t)
	const secret = "whsec-0123456789abcdef"
	if status, data := w.settings(t, auth.RoleAdmin, `{"connectorUrl":"https://agents.example.com/hook","connectorSecret":"`+secret+`"}`); status != http.StatusOK {
		t.Fatalf("put: %d %s", status, data)
	}
	// Sent back as read: kept.
	if status, data := w.settings(t, auth.RoleAdmin, `{"defaultSkill":"care","connectorUrl":"https://agents.example.com/hook","connectorSecret":"••••cdef"}`); status != http.StatusOK {
		t.Fatalf("put as read: %d %s", status, data)
	}
	// Another URL with the redacted secret, or without one: refused.
	for _, body := range []string{
		`{"connectorUrl":"https://collector.example/hook","connectorSecret":"••••cdef"}`,
		`{"connectorUrl":"https://collector.example/hook"}`,
	} {
		status, data := w.settings(t, auth.RoleAdmin, body)
		if status != http.StatusBadRequest || !strings.Contains(data, `"field":"connectorSecret"`) {
			t.Errorf("%s: %d %s; want 400 on connectorSecret", body, status, data)
		}
		if a, _ := w.store.Account(context.Background(), "acct1"); a.ConnectorURL != "https://agents.example.com/hook" || a.ConnectorSecret.Reveal() != secret || a.DefaultSkill != "care" {
			t.Fatalf("after %s the settings are %+v", body, a)
		}
	}
	// Another URL with its secret: saved.
	if status, data := w.settings(t, auth.RoleAdmin, `{"connectorUrl":"https://collector.example/hook","connectorSecret":"whsec-collector-0000000"}`); status != http.StatusOK {
		t.Fatalf("put with a new secret: %d %s", status, data)
	}
	if a, _ := w.store.Account(context.Background(), "acct1"); a.ConnectorURL != "https://collector.example/hook" || a.ConnectorSecret.Reveal() != "whsec-collector-0000000" {
		t.Errorf("settings = %+v", a)
	}
}

// TestOnlyAdminSetsConnector: a campaign manager edits the settings but
// not the connector — setting, moving, re-keying or removing it is 403 and
// changes nothing; sending it back as read is allowed.
func TestOnlyAdminSetsConnector(t *testing.T) {
	w := newAuthWorld(t)
	const secret = "whsec-0123456789abcdef"
	manager := auth.RoleCampaignManager
	// A manager may not set one up.
	if status, data := w.settings(t, manager, `{"connectorUrl":"https://agents.example.com/hook","connectorSecret":"`+secret+`"}`); status != http.StatusForbidden {
		t.Fatalf("manager sets a connector: %d %s; want 403", status, data)
	}
	if a, _ := w.store.Account(context.Background(), "acct1"); a.ConnectorURL != "" || a.ConnectorSecret != "" {
		t.Fatalf("a refused connector was saved: %+v", a)
	}
	if status, data := w.settings(t, auth.RoleAdmin, `{"defaultSkill":"care","connectorUrl":"https://agents.example.com/hook","connectorSecret":"`+secret+`"}`); status != http.StatusOK {
		t.Fatalf("admin sets the connector: %d %s", status, data)
	}
	for _, body := range []string{
		`{"defaultSkill":"sales","connectorUrl":"https://collector.example/hook","connectorSecret":"••••cdef"}`,
		`{"defaultSkill":"sales","connectorUrl":"https://collector.example/hook","connectorSecret":"whsec-collector-0000000"}`,
		`{"defaultSkill":"sales","connectorUrl":"https://agents.example.com/hook","connectorSecret":"whsec-another-00000000"}`,
		`{"defaultSkill":"sales","connectorUrl":null}`,
	} {
		status, data := w.settings(t, manager, body)
		if status != http.StatusForbidden || !strings.Contains(data, `"code":"forbidden"`) || !strings.Contains(data, "admin") {
			t.Errorf("manager PATCH %s: %d %s; want 403", body, status, data)
		}
		if a, _ := w.store.Account(context.Background(), "acct1"); a.ConnectorURL != "https://agents.example.com/hook" || a.ConnectorSecret.Reveal() != secret || a.DefaultSkill != "care" {
			t.Fatalf("after the refused %s the settings are %+v", body, a)
		}
	}
	// A whole document without the connector removes it: 403 for a manager.
	removal := `{"optOutText":"","helpText":"","defaultSkill":"sales","optOutConfirmText":"","optInConfirmText":"","defaultCountry":"","connectorUrl":"","dailyRecipientLimit":0}`
	if status, _, data := w.call(t, "PUT", "/api/v2/account/acct1/settings", "Bearer "+w.mint(t, "acct1", manager), removal); status != http.StatusForbidden {
		t.Errorf("manager PUT without the connector: %d %s; want 403", status, data)
	}
	// The connector sent back as read: the manager's other changes apply.
	if status, data := w.settings(t, manager, `{"defaultSkill":"sales","connectorUrl":"https://agents.example.com/hook","connectorSecret":"••••cdef"}`); status != http.StatusOK {
		t.Fatalf("manager keeps the connector: %d %s", status, data)
	}
	if a, _ := w.store.Account(context.Background(), "acct1"); a.DefaultSkill != "sales" || a.ConnectorSecret.Reveal() != secret {
		t.Errorf("settings = %+v", a)
	}
}

// FuzzConversationQuery checks that any listing query is answered with a
// page or a 400 naming the field.
func FuzzConversationQuery(f *testing.F) {
	f.Add("skill=sales&status=open&consumer=%2B12025550101&limit=10&cursor=abc")
	f.Add("limit=-1")
	f.Add("status=%00&consumer=+")
	s, _ := testworld.Open(f)
	svc := &conversation.Service{Store: s, Clock: parley.SystemClock{}}
	w := &world{store: s, h: (&httpapi.Server{Conversations: svc, Broadcasts: svc, Log: obs.Discard()}).Handler()}
	f.Fuzz(func(t *testing.T, query string) {
		resp, data := w.do(t, "GET", "/api/v2/account/acct1/conversations?"+url.PathEscape(query), "")
		switch resp.StatusCode {
		case http.StatusOK:
		case http.StatusBadRequest:
			var p httpapi.Problem
			if err := json.Unmarshal(data, &p); err != nil || p.Field == "" {
				t.Fatalf("?%s: 400 without a field: %s", query, data)
			}
		default:
			t.Fatalf("?%s: %d %s", query, resp.StatusCode, data)
		}
	})
}
