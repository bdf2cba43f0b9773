package app_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/httpapi"
	"github.com/parleyhq/parley/internal/parley"
)

const (
	metaToken     = "EAAG-template-manager-token-0123"
	metaAppSecret = "the-app-secret-of-acct1"
	metaWABA      = "102290129340398"
	metaPhoneID   = "106540352242922"
)

// metaTemplates answers the Graph API's template calls as Meta does, for
// one WABA and token, and records them.
type metaTemplates struct {
	t  *testing.T
	mu sync.Mutex
	// calls are "METHOD path?query" of each request.
	calls []string
	names map[string]string // by id
}

func (m *metaTemplates) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = append(m.calls, r.Method+" "+r.URL.RequestURI())
	w.Header().Set("Content-Type", "application/json")
	if r.Header.Get("Authorization") != "Bearer "+metaToken {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"error":{"message":"Invalid OAuth access token","type":"OAuthException","code":190,"fbtrace_id":"A1"}}`)
		return
	}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/v26.0/"+metaWABA+"/message_templates":
		var req struct {
			Name, Language, Category string
			Components               []map[string]any
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Name == "" || req.Language == "" || req.Category == "" || len(req.Components) == 0 {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"error":{"message":"Invalid parameter","type":"OAuthException","code":100,"error_user_msg":"%v %+v"}}`, err, req)
			return
		}
		id := fmt.Sprint(1001 + len(m.names))
		m.names[id] = req.Name
		fmt.Fprintf(w, `{"id":%q,"status":"PENDING","category":%q}`, id, req.Category)
	case r.Method == http.MethodDelete && r.URL.Path == "/v26.0/"+metaWABA+"/message_templates":
		if m.names[r.URL.Query().Get("hsm_id")] != r.URL.Query().Get("name") {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"error":{"message":"not found","type":"OAuthException","code":100}}`)
			return
		}
		delete(m.names, r.URL.Query().Get("hsm_id"))
		fmt.Fprint(w, `{"success":true}`)
	default:
		m.t.Errorf("Graph request %s %s", r.Method, r.URL)
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"error":{"message":"Unsupported request","type":"OAuthException","code":100}}`)
	}
}

// templateStatusHook is Meta's message_template_status_update webhook for
// acct1, signed with its app secret.
func templateStatusHook(t *testing.T, h http.Handler, event, id string, at int64) httpapi.WebhookResult {
	t.Helper()
	body := fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":%q,"time":%d,"changes":[{"field":"message_template_status_update",
	  "value":{"event":%q,"message_template_id":%s,"message_template_name":"card_expiry","message_template_language":"en_US","reason":"NONE"}}]}]}`,
		metaWABA, at, event, id)
	mac := hmac.New(sha256.New, []byte(metaAppSecret))
	mac.Write([]byte(body))
	req := httptest.NewRequest("POST", "/webhooks/whatsapp/acct1", strings.NewReader(body))
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var res httpapi.WebhookResult
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &res) != nil {
		t.Fatalf("webhook %s: %d %s", event, rec.Code, rec.Body)
	}
	return res
}

// TestTemplateLifecycleWithMeta follows a template through Meta: submitted
// through the account's WhatsApp channel, PENDING and unusable, approved by
// a signed webhook (a late PENDING and a repeat change nothing), sent by a
// campaign, not deletable while the campaign is active, deleted at Meta
// once it is cancelled.
func TestTemplateLifecycleWithMeta(t *testing.T) {
	meta := &metaTemplates{t: t, names: map[string]string{}}
	srv := httptest.NewServer(meta)
	defer srv.Close()
	a := embeddedApp(t, func(c *config.Config) { c.AllowLoopbackEgress = true })
	h := asAdmin(t, a)
	channel := fmt.Sprintf(`{"provider":"whatsapp","baseUrl":%q,"whatsapp":{"accessToken":%q,"appSecret":%q,"verifyToken":"verify-0123456789"},
	  "senders":[{"outboundNumber":"+12025550100","id":%q}]}`, srv.URL, metaToken, metaAppSecret, metaPhoneID)
	if code := call(t, h, "PUT", "/api/v2/account/acct1/channels/whatsapp", channel, nil); code != http.StatusOK {
		t.Fatalf("channel: %d", code)
	}
	tplBody := `{"name":"card_expiry","language":"en_US","category":"UTILITY","wabaId":"` + metaWABA + `","outboundNumber":"+12025550100",
	  "body":"Hello {{1}}, your card ending in {{2}} expires soon.","bodyExamples":["Jane","1234"]}`

	var p struct{ Field, Detail string }
	if code := call(t, h, "POST", "/api/v2/account/acct1/templates", strings.Replace(tplBody, "+12025550100", "+12025550199", 1), &p); code != 400 || p.Field != "outboundNumber" {
		t.Errorf("a number that is no sender: %d %+v", code, p)
	}
	var tpl parley.WhatsAppTemplate
	if code := call(t, h, "POST", "/api/v2/account/acct1/templates", tplBody, &tpl); code != http.StatusCreated ||
		tpl.Status != parley.TemplatePending || tpl.MetaID != "1001" {
		t.Fatalf("create: %d %+v", code, tpl)
	}
	campaign := `{"campaignName":"cards","skill":"billing","templateId":"` + tpl.ID + `","outboundNumber":"+12025550100","consent":true,
	  "consumers":[{"consumerContent":{"wa":"+12025550181"},"variables":{"1":"Jane","2":"4242"}}]}`
	var lp httpapi.LPError
	if code := call(t, h, "POST", "/api/v2/account/acct1/campaign", campaign, &lp); code != 400 || lp.Field != "templateId" || !strings.Contains(lp.Message, "PENDING") {
		t.Errorf("a campaign with a PENDING template: %d %+v", code, lp)
	}

	hooks := a.API.Handler()
	at := noon.Now().Unix()
	if res := templateStatusHook(t, hooks, "APPROVED", tpl.MetaID, at); res.Templates != 1 {
		t.Errorf("approval: %+v", res)
	}
	for _, late := range []struct {
		event string
		at    int64
	}{{"APPROVED", at}, {"PENDING", at + 60}, {"REJECTED", at - 60}} {
		if res := templateStatusHook(t, hooks, late.event, tpl.MetaID, late.at); res.Templates != 0 || res.Ignored != 1 {
			t.Errorf("%s at %d after the approval: %+v; want it ignored", late.event, late.at, res)
		}
	}
	if res := templateStatusHook(t, hooks, "APPROVED", "999", at); res.Ignored != 1 {
		t.Errorf("another template's approval: %+v", res)
	}
	call(t, h, "GET", "/api/v2/account/acct1/templates/"+tpl.ID, "", &tpl)
	if tpl.Status != parley.TemplateApproved || len(tpl.History) != 2 {
		t.Fatalf("after the webhooks: %+v", tpl)
	}
	if code := call(t, h, "PUT", "/api/v2/account/acct1/templates/"+tpl.ID, tplBody, &p); code != http.StatusConflict {
		t.Errorf("editing the approved template: %d %+v", code, p)
	}

	var created httpapi.CreateCampaignResponse
	if code := call(t, h, "POST", "/api/v2/account/acct1/campaign", campaign, &created); code != http.StatusAccepted || created.ProactiveCampaignID == nil {
		t.Fatalf("campaign: %d %+v", code, created)
	}
	id := *created.ProactiveCampaignID
	if code := call(t, h, "DELETE", "/api/v2/account/acct1/templates/"+tpl.ID, "", &p); code != http.StatusConflict || !strings.Contains(p.Detail, "active campaign "+id) {
		t.Errorf("deleting a template an active campaign sends: %d %+v", code, p)
	}
	if code := call(t, h, "POST", "/api/v2/account/acct1/campaign/"+id+"/cancel", "", nil); code != http.StatusOK {
		t.Fatalf("cancel: %d", code)
	}
	if code := call(t, h, "DELETE", "/api/v2/account/acct1/templates/"+tpl.ID, "", nil); code != http.StatusNoContent {
		t.Errorf("deleting the template of a cancelled campaign: %d", code)
	}
	meta.mu.Lock()
	defer meta.mu.Unlock()
	if last := meta.calls[len(meta.calls)-1]; last != "DELETE /v26.0/"+metaWABA+"/message_templates?hsm_id=1001&name=card_expiry" || len(meta.names) != 0 {
		t.Errorf("Meta's calls %v; templates left %v", meta.calls, meta.names)
	}
}
