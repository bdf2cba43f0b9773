package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/parleyhq/parley/internal/campaign"
	"github.com/parleyhq/parley/internal/dialer"
	"github.com/parleyhq/parley/internal/gateway/router"
	"github.com/parleyhq/parley/internal/gateway/sandbox"
	"github.com/parleyhq/parley/internal/httpapi"
	"github.com/parleyhq/parley/internal/obs"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/phonecampaign"
	queueembedded "github.com/parleyhq/parley/internal/queue/embedded"
	"github.com/parleyhq/parley/internal/settings/account"
	"github.com/parleyhq/parley/internal/settings/templates"
	"github.com/parleyhq/parley/internal/store/embedded"
	"github.com/parleyhq/parley/internal/testworld"
)

type world struct {
	srv   *httpapi.Server
	store *embedded.Store
	queue *queueembedded.Queue
	h     http.Handler
}

func newWorld(t *testing.T) *world {
	t.Helper()
	s, q := testworld.Open(t)
	noon := parley.ClockFunc(func() time.Time { return time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC) })
	svc := &campaign.Service{Store: s, Queue: q, Log: obs.Discard(), Clock: noon}
	gw := &sandbox.Gateway{Recorder: s, Clock: noon}
	srv := &httpapi.Server{Campaigns: svc, Accounts: &account.Service{Store: s, Clock: noon}, Templates: &templates.Service{Store: s, Submitters: router.New(s, gw), Clock: noon}, DeadLetters: q, Sandbox: gw, Faults: gw, Log: obs.Discard(),
		SandboxOperators: &phonecampaign.Dialer{Store: s, Clock: noon}}
	return &world{srv: srv, store: s, queue: q, h: srv.Handler()}
}

func (w *world) do(t *testing.T, method, path, body string) (*http.Response, []byte) {
	t.Helper()
	rec := httptest.NewRecorder()
	w.h.ServeHTTP(rec, httptest.NewRequest(method, path, strings.NewReader(body)))
	resp := rec.Result()
	data, _ := io.ReadAll(resp.Body)
	return resp, data
}

func (w *world) queueEmpty(t *testing.T) bool {
	ms, err := w.queue.Receive(context.Background(), 10, 0, time.Second)
	return err == nil && len(ms) == 0
}

const validBody = `{
  "campaignName": "Renewal",
  "skill": "sales",
  "templateId": "1234567890",
  "outboundNumber": "+12025550100",
  "consent": true,
  "message": "Hi {{1}}, your plan renews soon.",
  "consumers": [
    {"consumerContent": {"sms": "+12025550101"}, "variables": {"1": "Jane"}},
    {"consumerContent": {"sms": "12345"}, "variables": {"1": "Bob"}},
    {"consumerContent": {"sms": "1(202)5550102"}, "variables": {"1": "Ann"}}
  ]
}`

func TestCreateAndReport(t *testing.T) {
	w := newWorld(t)
	resp, data := w.do(t, "POST", "/api/v2/account/acct1/campaign", validBody)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("create: %d %s", resp.StatusCode, data)
	}
	var created httpapi.CreateCampaignResponse
	if err := json.Unmarshal(data, &created); err != nil {
		t.Fatal(err)
	}
	if created.ProactiveCampaignID == nil || len(created.AcceptedConsumers) != 2 || len(created.FailedConsumers) != 1 {
		t.Fatalf("created = %s", data)
	}
	f := created.FailedConsumers[0]
	if f.Index != 1 || f.ErrorMessage != "INVALID_NUMBER" || f.ConsumerContent.SMS != "12345" || !strings.Contains(f.Detail, "consumers[1]") {
		t.Errorf("failed consumer = %+v", f)
	}
	if a := created.AcceptedConsumers[1]; a.Index != 2 || a.ConsumerContent.SMS != "1(202)5550102" || a.PhoneNumber != "+12025550102" || a.ID == "" {
		t.Errorf("accepted consumer = %+v", a)
	}
	resp, data = w.do(t, "GET", "/api/v2/account/acct1/campaign/"+*created.ProactiveCampaignID+"/conversations", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("conversations: %d %s", resp.StatusCode, data)
	}
	var rep httpapi.ConversationsResponse
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.CampaignStatus != parley.CampaignScheduled || len(rep.Conversations) != 2 || rep.Conversations[0].Status != "NOT_SENT" || rep.Conversations[0].ParleyStatus != "QUEUED" {
		t.Errorf("report = %s", data)
	}

	// A recipient claimed by a dispatcher, its message with the gateway,
	// reads SENDING until the outcome is recorded.
	at := time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC)
	ref := parley.Ref{AccountID: "acct1", CampaignID: *created.ProactiveCampaignID, RecipientID: rep.Conversations[0].ID}
	if _, err := w.store.UpdateRecipient(context.Background(), ref, parley.RecipientChange{
		From: parley.Claimable, Status: parley.StatusSending, CountAttempt: true, DueAt: at.Add(5 * time.Minute), At: at,
	}); err != nil {
		t.Fatal(err)
	}
	_, data = w.do(t, "GET", "/api/v2/account/acct1/campaign/"+*created.ProactiveCampaignID+"/conversations", "")
	rep = httpapi.ConversationsResponse{}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.CampaignStatus != parley.CampaignInProgress || rep.Conversations[0].ParleyStatus != "SENDING" || rep.Conversations[1].ParleyStatus != "QUEUED" {
		t.Errorf("report with a claimed recipient = %s", data)
	}
}

func TestRejectedRequests(t *testing.T) {
	replace := func(old, new string) string { return strings.Replace(validBody, old, new, 1) }
	var many []string
	for i := range 101 {
		many = append(many, fmt.Sprintf(`{"consumerContent":{"sms":"+1202555%04d"}}`, i))
	}
	tests := []struct {
		name, body, field string
	}{
		{"malformed JSON", `{"campaignName": "x",}`, ""},
		{"empty body", ``, ""},
		{"trailing data", validBody + `{}`, ""},
		{"not an object", `[1,2]`, ""},
		{"wrong type", replace(`"skill": "sales"`, `"skill": 7`), "skill"},
		{"consent false", replace(`"consent": true`, `"consent": false`), "consent"},
		{"consent missing", replace(`"consent": true,`, ``), "consent"},
		{"consent as string", replace(`"consent": true`, `"consent": "yes"`), "consent"},
		{"consumers missing", `{"campaignName":"x","skill":"s","templateId":"1234567890","outboundNumber":"+12025550100","consent":true,"message":"m"}`, "consumers"},
		{"consumer wrong type", replace(`{"sms": "12345"}`, `{"sms": 12345}`), "consumers[1].consumerContent.sms"},
		{"101 consumers", replace(`"consumers": [`, `"consumers": [`+strings.Join(many, ",")+`,`), "consumers"},
		{"no campaign name", replace(`"campaignName": "Renewal"`, `"campaignName": ""`), "campaignName"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			resp, data := w.do(t, "POST", "/api/v2/account/acct1/campaign", tt.body)
			// LivePerson's route: LivePerson's {code, message} body.
			if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("%d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), data)
			}
			var p httpapi.Problem
			if err := decodeError(data, &p); err != nil {
				t.Fatal(err)
			}
			if p.Code != parley.EINVALID || p.Field != tt.field || p.Detail == "" || p.Status != 400 {
				t.Errorf("problem = %s, want field %q", data, tt.field)
			}
			if !w.queueEmpty(t) {
				t.Error("a rejected request queued jobs")
			}
			if pending, _ := w.store.PendingFanout(context.Background()); len(pending) != 0 {
				t.Error("a rejected request persisted a campaign")
			}
		})
	}
}

func TestAllRejectedListsReasons(t *testing.T) {
	w := newWorld(t)
	body := `{"campaignName":"x","skill":"s","templateId":"1234567890","outboundNumber":"+12025550100","consent":true,"message":"m",
	  "consumers":[{"consumerContent":{"sms":"1"}},{"consumerContent":{}}]}`
	resp, data := w.do(t, "POST", "/api/v2/account/acct1/campaign", body)
	var p httpapi.CreateCampaignResponse
	if err := json.Unmarshal(data, &p); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusAccepted || p.ProactiveCampaignID != nil || p.AcceptedConsumers == nil || len(p.AcceptedConsumers) != 0 ||
		len(p.FailedConsumers) != 2 || p.FailedConsumers[1].ErrorMessage != "INVALID_NUMBER" {
		t.Errorf("%d %s", resp.StatusCode, data)
	}
}

func TestNotFound(t *testing.T) {
	w := newWorld(t)
	// LivePerson's status route answers LivePerson's body; others, problems.
	for path, mediaType := range map[string]string{"/api/v2/account/acct1/campaign/nope/conversations": "application/json", "/nowhere": "application/problem+json"} {
		resp, data := w.do(t, "GET", path, "")
		var p httpapi.Problem
		if resp.StatusCode != http.StatusNotFound || resp.Header.Get("Content-Type") != mediaType || decodeError(data, &p) != nil ||
			p.Code != parley.ENOTFOUND || p.Status != http.StatusNotFound {
			t.Errorf("GET %s: %d %s", path, resp.StatusCode, data)
		}
	}
	_, data := w.do(t, "POST", "/api/v2/account/acct1/campaign", validBody)
	var created httpapi.CreateCampaignResponse
	_ = json.Unmarshal(data, &created)
	resp, _ := w.do(t, "GET", "/api/v2/account/acct2/campaign/"+*created.ProactiveCampaignID+"/conversations", "")
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("another account's campaign: %d, want 404", resp.StatusCode)
	}
}

func TestSandboxMessages(t *testing.T) {
	w := newWorld(t)
	resp, data := w.do(t, "GET", "/sandbox/messages?accountId=acct1", "")
	if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(data)) != "[]" {
		t.Errorf("empty sandbox: %d %s", resp.StatusCode, data)
	}
	w.srv.Sandbox, w.srv.Faults = nil, nil
	w.h = w.srv.Handler()
	resp, _ = w.do(t, "GET", "/sandbox/messages?accountId=acct1", "")
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("sandbox route without a sandbox gateway: %d, want 404", resp.StatusCode)
	}
}

// TestOpenAPIMatchesRouter checks that the OpenAPI document describes
// exactly the routes the router serves.
func TestOpenAPIMatchesRouter(t *testing.T) {
	w := newWorld(t)
	var doc struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(openAPIDocument(t), &doc); err != nil {
		t.Fatal(err)
	}
	var documented, served []string
	for path, ops := range doc.Paths {
		for method := range ops {
			if method != "parameters" {
				documented = append(documented, strings.ToUpper(method)+" "+path)
			}
		}
	}
	for _, r := range w.srv.Routes() {
		served = append(served, r.Method+" "+strings.TrimSuffix(r.Pattern, "{$}")) // "/{$}" is the root alone
	}
	slices.Sort(documented)
	slices.Sort(served)
	if !slices.Equal(documented, served) {
		t.Errorf("OpenAPI paths %v\nrouter routes  %v", documented, served)
	}
}

func TestSandboxOperators(t *testing.T) {
	w := newWorld(t)
	resp, data := w.do(t, "POST", "/sandbox/operators?accountId=acct1", `{"accountId":"acct1","group":"sales","operators":["ann","bob"],"state":"online"}`)
	if resp.StatusCode != http.StatusOK || strings.Count(string(data), `"state":"online"`) != 2 || !strings.Contains(string(data), `"group":"sales"`) {
		t.Fatalf("online: %d %s", resp.StatusCode, data)
	}
	as, err := w.store.PhoneAgents(context.Background(), "acct1")
	if err != nil || len(as) != 2 || as[0].State != dialer.Online || as[1].Group != "sales" {
		t.Fatalf("stored operators %+v, %v", as, err)
	}
	for _, tc := range []struct{ body, field string }{
		{`{"accountId":"acct1","group":"sales","operators":[],"state":"online"}`, "operators"},
		{`{"accountId":"acct1","group":"sales","operators":["ann"],"state":"busy"}`, "state"},
		{`{"accountId":"acct1","group":"sales","operators":[" "],"state":"online"}`, "operators[0]"},
		{`{"accountId":"acct1","operators":["carl"],"state":"online"}`, "group"},
	} {
		resp, data := w.do(t, "POST", "/sandbox/operators?accountId=acct1", tc.body)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(data), `"field":"`+tc.field+`"`) {
			t.Errorf("%s: %d %s, want 400 naming %s", tc.body, resp.StatusCode, data, tc.field)
		}
	}
}

func TestSandboxFaultRoutes(t *testing.T) {
	w := newWorld(t)
	resp, data := w.do(t, "POST", "/sandbox/faults?accountId=acct1", `{"accountId":"acct1","to":"+12025550101","kind":"throttle","times":1}`)
	if resp.StatusCode != http.StatusCreated || !strings.Contains(string(data), `"code":"20429"`) {
		t.Fatalf("inject: %d %s", resp.StatusCode, data)
	}
	resp, data = w.do(t, "POST", "/sandbox/faults?accountId=acct1", `{"accountId":"acct1","kind":"explode"}`)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(data), `"field":"kind"`) {
		t.Errorf("bad kind: %d %s", resp.StatusCode, data)
	}
	resp, data = w.do(t, "GET", "/sandbox/faults?accountId=acct1", "")
	if resp.StatusCode != http.StatusOK || strings.Count(string(data), `"kind"`) != 1 {
		t.Errorf("list: %d %s", resp.StatusCode, data)
	}
	if resp, _ = w.do(t, "DELETE", "/sandbox/faults?accountId=acct1", ""); resp.StatusCode != http.StatusNoContent {
		t.Errorf("clear: %d", resp.StatusCode)
	}
	if _, data = w.do(t, "GET", "/sandbox/faults?accountId=acct1", ""); strings.TrimSpace(string(data)) != "[]" {
		t.Errorf("after clear: %s", data)
	}
}

const uploadCampaign = `{"campaignName":"Renewal","skill":"sales","templateId":"1234567890","outboundNumber":"+12025550100","consent":true,"message":"Hi {{1}}, card {{2}} expires soon."}`

// upload builds a multipart request with the campaign JSON and a CSV file.
func upload(t *testing.T, path, meta, csv string) *http.Request {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if err := mw.WriteField("campaign", meta); err != nil {
		t.Fatal(err)
	}
	fw, err := mw.CreateFormFile("recipients", "recipients.csv")
	if err != nil {
		t.Fatal(err)
	}
	fw.Write([]byte(csv))
	mw.Close()
	req := httptest.NewRequest("POST", path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return req
}

func (w *world) send(t *testing.T, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	rec := httptest.NewRecorder()
	w.h.ServeHTTP(rec, req)
	data, _ := io.ReadAll(rec.Result().Body)
	return rec.Result(), data
}

func TestCSVUpload(t *testing.T) {
	w := newWorld(t)
	csv := "Phone,B1,B2\n+12025550101,Jane,9999\n12345,Bob,8888\n1(202)5550102,Ann\n+12025550103,Zoe,7777\n"
	resp, data := w.send(t, upload(t, "/api/v2/account/acct1/campaign", uploadCampaign, csv))
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("%d %s", resp.StatusCode, data)
	}
	var got httpapi.CreateCampaignResponse
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.AcceptedConsumers) != 2 || got.AcceptedConsumers[0].Line != 2 || got.AcceptedConsumers[1].Line != 5 {
		t.Errorf("accepted %+v", got.AcceptedConsumers)
	}
	want := map[int]string{3: "INVALID_NUMBER", 4: "INSUFFICIENT_VARIABLES"}
	if len(got.FailedConsumers) != 2 {
		t.Fatalf("failed %+v", got.FailedConsumers)
	}
	for _, f := range got.FailedConsumers {
		if want[f.Line] != f.ErrorMessage || !strings.Contains(f.Detail, fmt.Sprint("line ", f.Line)) {
			t.Errorf("failed consumer %+v", f)
		}
	}
}

func TestUploadErrors(t *testing.T) {
	tests := []struct {
		name, meta, csv, field string
	}{
		{"consumers and a file", strings.Replace(uploadCampaign, `"consent":true`, `"consent":true,"consumers":[]`, 1), "Phone\n+12025550101\n", "consumers"},
		{"broken campaign JSON", `{"campaignName":`, "Phone\n", ""},
		{"unknown column", uploadCampaign, "Phone,Nickname\n+12025550101,J\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			resp, data := w.send(t, upload(t, "/api/v2/account/acct1/campaign", tt.meta, tt.csv))
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("%d %s", resp.StatusCode, data)
			}
			var p httpapi.Problem
			if err := decodeError(data, &p); err != nil || p.Detail == "" || (tt.field != "" && p.Field != tt.field) {
				t.Errorf("problem %s", data)
			}
			if !w.queueEmpty(t) {
				t.Error("a rejected upload queued jobs")
			}
		})
	}
}

func TestManualRecipientsAndParse(t *testing.T) {
	w := newWorld(t)
	body := `{"campaignName":"Renewal","skill":"sales","templateId":"1234567890","outboundNumber":"+12025550100","consent":true,
	  "message":"Hi {{1}}, card {{2}} expires soon.","manualRecipients":"12025550101, Jane, 9999\n44 7911 123456, Bob, 8888\n12025550101, Ann, 7777"}`
	resp, data := w.do(t, "POST", "/api/v2/account/acct1/campaign/parse", body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%d %s", resp.StatusCode, data)
	}
	var p httpapi.ParseResponse
	if err := json.Unmarshal(data, &p); err != nil {
		t.Fatal(err)
	}
	if p.Accepted != 2 || p.Failed != 1 || p.FailedConsumers[0].Line != 3 || p.FailedConsumers[0].ErrorMessage != "DUPLICATE_NUMBER" {
		t.Fatalf("preview %s", data)
	}
	r0 := p.Recipients[0]
	if r0.Message != "Hi Jane, card 9999 expires soon.\nReply STOP to opt out" || r0.Segments != 1 || r0.Encoding != "GSM-7" ||
		r0.Characters != len(r0.Message) || r0.ScheduledFor == "" || r0.Status != "QUEUED" {
		t.Errorf("preview recipient %+v", r0)
	}
	if p.Recipients[1].ConsumerContent.SMS != "+447911123456" || p.Recipients[1].Status != "QUEUED" {
		t.Errorf("London recipient %+v", p.Recipients[1]) // 17:00 UTC is 17:00 in London: open
	}
	if !w.queueEmpty(t) {
		t.Error("parse queued jobs")
	}
	if pending, _ := w.store.PendingFanout(context.Background()); len(pending) != 0 {
		t.Error("parse persisted a campaign")
	}
}

func TestCampaignControlRoutes(t *testing.T) {
	w := newWorld(t)
	_, data := w.do(t, "POST", "/api/v2/account/acct1/campaign", validBody)
	var created httpapi.CreateCampaignResponse
	if err := json.Unmarshal(data, &created); err != nil {
		t.Fatal(err)
	}
	base := "/api/v2/account/acct1/campaign/" + *created.ProactiveCampaignID
	for _, step := range []struct {
		verb   string
		status int
		want   string
	}{{"pause", 200, "PAUSED"}, {"resume", 200, "SCHEDULED"}, {"cancel", 200, "CANCELLED"}, {"resume", 409, ""}} {
		resp, data := w.do(t, "POST", base+"/"+step.verb, "")
		if resp.StatusCode != step.status || (step.want != "" && !strings.Contains(string(data), `"campaignStatus":"`+step.want+`"`)) {
			t.Fatalf("%s: %d %s", step.verb, resp.StatusCode, data)
		}
	}
	if resp, _ := w.do(t, "POST", "/api/v2/account/acct2/campaign/"+*created.ProactiveCampaignID+"/pause", ""); resp.StatusCode != 404 {
		t.Errorf("another account's pause: %d", resp.StatusCode)
	}
}

func TestSettingsShapeTheMessage(t *testing.T) {
	w := newWorld(t)
	resp, data := w.do(t, "PATCH", "/api/v2/account/acct1/settings", `{"optOutText":"Reply QUIT"}`)
	if resp.StatusCode != 400 || !strings.Contains(string(data), `"field":"optOutText"`) {
		t.Fatalf("opt-out text without STOP: %d %s", resp.StatusCode, data)
	}
	resp, data = w.do(t, "PATCH", "/api/v2/account/acct1/settings", `{"optOutText":"Txt STOP to end","defaultSkill":"care"}`)
	if resp.StatusCode != 200 || !strings.Contains(string(data), `"optOutText":"Txt STOP to end"`) {
		t.Fatalf("update: %d %s", resp.StatusCode, data)
	}
	if _, data = w.do(t, "GET", "/api/v2/account/acct2/settings", ""); !strings.Contains(string(data), `"optOutText":"Reply STOP to opt out"`) {
		t.Errorf("another account's settings: %s", data)
	}
	_, data = w.do(t, "POST", "/api/v2/account/acct1/campaign/parse", validBody)
	if !strings.Contains(string(data), `your plan renews soon.\nTxt STOP to end`) {
		t.Errorf("preview does not carry the account's opt-out text: %s", data)
	}
}

func TestTemplateRoutes(t *testing.T) {
	w := newWorld(t)
	body := `{"name":"renewal","language":"en_US","category":"MARKETING","wabaId":"102290129340398","outboundNumber":"+12025550100",
	  "header":"image","headerExample":"4::aW1hZ2U=:ARb","body":"Hi {{1}}, card {{2}} expires.","bodyExamples":["Ann","1234"],
	  "buttons":[{"kind":"url","text":"Pay","url":"https://pay.example.com/{{1}}","example":"https://pay.example.com/a1"},{"kind":"phone_number","text":"Call","phone":"+12025550100"}]}`
	resp, data := w.do(t, "POST", "/api/v2/account/acct1/templates", body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("register: %d %s", resp.StatusCode, data)
	}
	var tpl parley.WhatsAppTemplate
	if err := json.Unmarshal(data, &tpl); err != nil || tpl.ID == "" || tpl.Status != parley.TemplateApproved || tpl.MetaID == "" ||
		len(tpl.History) != 2 || tpl.History[0].Status != parley.TemplatePending {
		t.Fatalf("registered %s; want it approved by the sandbox after PENDING", data)
	}
	bad := strings.Replace(body, `{"kind":"phone_number","text":"Call","phone":"+12025550100"}`, `{"kind":"url","text":"Two","url":"https://x.example.com"}`, 1)
	if resp, data = w.do(t, "POST", "/api/v2/account/acct1/templates", bad); resp.StatusCode != 400 || !strings.Contains(string(data), `"field":"buttons"`) {
		t.Errorf("two URL buttons: %d %s", resp.StatusCode, data)
	}
	if resp, data = w.do(t, "POST", "/api/v2/account/acct1/templates", body); resp.StatusCode != 409 || !strings.Contains(string(data), `"field":"name"`) {
		t.Errorf("the same name again: %d %s", resp.StatusCode, data)
	}
	if resp, _ = w.do(t, "GET", "/api/v2/account/acct1/templates/"+tpl.ID, ""); resp.StatusCode != 200 {
		t.Errorf("get: %d", resp.StatusCode)
	}
	if resp, _ = w.do(t, "GET", "/api/v2/account/acct2/templates/"+tpl.ID, ""); resp.StatusCode != 404 {
		t.Errorf("another account's template: %d", resp.StatusCode)
	}
	if _, data = w.do(t, "GET", "/api/v2/account/acct1/templates", ""); strings.Count(string(data), `"metaTemplateId"`) != 1 {
		t.Errorf("list: %s", data)
	}
	if resp, data = w.do(t, "PUT", "/api/v2/account/acct1/templates/"+tpl.ID, body); resp.StatusCode != 409 || !strings.Contains(string(data), "read-only") {
		t.Errorf("editing an approved template: %d %s", resp.StatusCode, data)
	}

	// The sandbox rejects a reject_ name; the rejected template can be
	// edited and is reviewed again.
	rejected := strings.Replace(body, `"name":"renewal"`, `"name":"reject_renewal"`, 1)
	resp, data = w.do(t, "POST", "/api/v2/account/acct1/templates", rejected)
	var rej parley.WhatsAppTemplate
	if err := json.Unmarshal(data, &rej); err != nil || resp.StatusCode != 201 || rej.Status != parley.TemplateRejected || rej.Reason != sandbox.RejectReason {
		t.Fatalf("a reject_ template: %d %s", resp.StatusCode, data)
	}
	edit := strings.Replace(rejected, "expires.", "expires soon.", 1)
	resp, data = w.do(t, "PUT", "/api/v2/account/acct1/templates/"+rej.ID, edit)
	var edited parley.WhatsAppTemplate
	if err := json.Unmarshal(data, &edited); err != nil || resp.StatusCode != 200 || edited.Version <= rej.Version || edited.Body != "Hi {{1}}, card {{2}} expires soon." ||
		edited.MetaID != rej.MetaID || len(edited.History) != 4 {
		t.Errorf("editing a rejected template: %d %s", resp.StatusCode, data)
	}
	renamed := strings.Replace(edit, `"name":"reject_renewal"`, `"name":"reject_other"`, 1)
	if resp, data = w.do(t, "PUT", "/api/v2/account/acct1/templates/"+rej.ID, renamed); resp.StatusCode != 400 || !strings.Contains(string(data), `"field":"name"`) {
		t.Errorf("renaming a submitted template: %d %s", resp.StatusCode, data)
	}
	if resp, _ = w.do(t, "DELETE", "/api/v2/account/acct1/templates/"+rej.ID, ""); resp.StatusCode != http.StatusNoContent {
		t.Errorf("delete: %d", resp.StatusCode)
	}
	if resp, _ = w.do(t, "GET", "/api/v2/account/acct1/templates/"+rej.ID, ""); resp.StatusCode != 404 {
		t.Errorf("get after delete: %d", resp.StatusCode)
	}
}

// TestOpenAPISecurityMatchesAccess checks that the document marks exactly
// the routes that take no token (public ones and providers' webhooks) as
// needing no bearer token.
func TestOpenAPISecurityMatchesAccess(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]struct {
			Security *[]any `yaml:"security"`
		} `yaml:"paths"`
	}
	if err := yaml.Unmarshal(openAPIDocument(t), &doc); err != nil {
		t.Fatal(err)
	}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			if method == "parameters" {
				continue
			}
			access, ok := httpapi.AccessOf(strings.ToUpper(method), path)
			if !ok {
				continue // TestOpenAPIMatchesRouter reports it
			}
			open := op.Security != nil && len(*op.Security) == 0
			if want := access.Kind != httpapi.AccessToken; open != want {
				t.Errorf("%s %s: the document says no token is needed = %v; the access table says %v", strings.ToUpper(method), path, open, want)
			}
		}
	}
}

func openAPIDocument(t *testing.T) []byte {
	t.Helper()
	resp, data := newWorld(t).do(t, "GET", "/openapi.yaml", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /openapi.yaml: %d", resp.StatusCode)
	}
	return data
}

// TestBodyErrorsSayWhat checks that an over-size body is 413, saying the
// bound and what to do, and that a body of the wrong JSON type says so.
func TestBodyErrorsSayWhat(t *testing.T) {
	w := newWorld(t)
	huge := `{"campaignName":"` + strings.Repeat("x", 2<<20) + `"}`
	resp, data := w.do(t, "POST", "/api/v2/account/acct1/campaign", huge)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(data), "exceeds") {
		t.Errorf("a 2 MiB JSON body: %d %.200s, want 413", resp.StatusCode, data)
	}
	resp, data = w.do(t, "POST", "/api/v2/account/acct1/campaign", `[{"campaignName":"x"}]`)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(data), "the request body must be a JSON object, not array") {
		t.Errorf("an array body: %d %s", resp.StatusCode, data)
	}
	for _, tt := range []struct{ consumer, field, says string }{
		{`{"consumerContent":{"sms":5}}`, "consumers[0].consumerContent.sms", "consumers[0].consumerContent.sms must be a JSON string"},
	} {
		body := `{"campaignName":"x","skill":"s","templateId":"1234567890","outboundNumber":"+12025550100","consent":true,"message":"Hi {{1}}","consumers":[` + tt.consumer + `]}`
		resp, data := w.do(t, "POST", "/api/v2/account/acct1/campaign", body)
		var p httpapi.Problem
		_ = decodeError(data, &p)
		if resp.StatusCode != http.StatusBadRequest || p.Field != tt.field || !strings.Contains(p.Detail, tt.says) {
			t.Errorf("consumer %s: %d %s; want field %s saying %q", tt.consumer, resp.StatusCode, data, tt.field, tt.says)
		}
	}
	// A variable that is not a string fails its consumer alone, as
	// LivePerson answers it: VARIABLE_NOT_STRING=<name>, the first by name.
	for consumer, code := range map[string]string{
		`{"consumerContent":{"sms":"+12025550101"},"variables":{"1":5}}`:                          "VARIABLE_NOT_STRING=1",
		`{"consumerContent":{"sms":"+12025550101"},"variables":{"1":"a","2":{"x":[1]},"3":true}}`: "VARIABLE_NOT_STRING=2",
		`{"consumerContent":{"sms":"+12025550101"},"variables":{"1":null}}`:                       "VARIABLE_NOT_STRING=1",
	} {
		body := `{"campaignName":"x","skill":"s","templateId":"1234567890","outboundNumber":"+12025550100","consent":true,"message":"Hi {{1}}","consumers":[` + consumer + `,{"consumerContent":{"sms":"+12025550102"},"variables":{"1":"b"}}]}`
		resp, data := w.do(t, "POST", "/api/v2/account/acct1/campaign", body)
		var got httpapi.CreateCampaignResponse
		_ = json.Unmarshal(data, &got)
		if resp.StatusCode != http.StatusAccepted || len(got.FailedConsumers) != 1 || got.FailedConsumers[0].ErrorMessage != code || len(got.AcceptedConsumers) != 1 {
			t.Errorf("consumer %s: %d %s; want it failed with %s, the other accepted", consumer, resp.StatusCode, data, code)
		}
	}
}

// TestSettingsPutIsWholePatchIsPartial: a PUT that leaves a setting out,
// or names something that is no setting, is 400 and changes nothing; a
// PATCH changes what it names, null restores a default.
func TestSettingsPutIsWholePatchIsPartial(t *testing.T) {
	w := newWorld(t)
	if resp, data := w.do(t, "PATCH", "/api/v2/account/acct1/settings", `{"optOutText":"Txt STOP to end","defaultSkill":"care"}`); resp.StatusCode != http.StatusOK {
		t.Fatalf("patch: %d %s", resp.StatusCode, data)
	}
	for body, field := range map[string]string{
		`{}`:                           "optOutText",
		`null`:                         "",
		`{"a":1}`:                      "a",
		`{"defaultSkill":"x"}`:         "optOutText",
		`{"defaultSkill":"x","fax":1}`: "fax",
	} {
		resp, data := w.do(t, "PUT", "/api/v2/account/acct1/settings", body)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(data), `"field":"`+field+`"`) && field != "" {
			t.Errorf("PUT %s: %d %s; want 400 on %q", body, resp.StatusCode, data, field)
		}
	}
	a, _ := w.store.Account(context.Background(), "acct1")
	if a.OptOutText != "Txt STOP to end" || a.DefaultSkill != "care" {
		t.Fatalf("a refused PUT changed the settings: %+v", a)
	}
	if resp, data := w.do(t, "PATCH", "/api/v2/account/acct1/settings", `{"defaultSkill":null,"helpText":"Call us"}`); resp.StatusCode != http.StatusOK {
		t.Fatalf("patch: %d %s", resp.StatusCode, data)
	}
	if a, _ := w.store.Account(context.Background(), "acct1"); a.OptOutText != "Txt STOP to end" || a.DefaultSkill != "" || a.HelpText != "Call us" {
		t.Errorf("after the patch: %+v; want the opt-out text kept, the skill reset, the help text set", a)
	}
}

// TestUnknownFieldsAreRefused: a field a route does not take is 400 naming
// it and what the route takes there, on every route that reads JSON;
// LivePerson's own fields are taken.
func TestUnknownFieldsAreRefused(t *testing.T) {
	w := newOptOutWorld(t)
	lp := `{"campaignName":"LP","skill":"sales","templateId":"1234567890","consent":true,"outboundNumber":"+12025550100","message":"Hi {{1}}",
	  "consumers":[{"consumerCountryCode":"1","consumerPhoneNumber":"2025550188","variables":{"1":"Jo"},"sdes":[{"type":"ctmrinfo"}]}]}`
	resp, data := w.do(t, "POST", "/api/v2/account/acct1/campaign", lp)
	if resp.StatusCode != http.StatusAccepted || !strings.Contains(string(data), `"sms":"+12025550188"`) {
		t.Fatalf("LivePerson's own fields: %d %s", resp.StatusCode, data)
	}
	for _, tt := range []struct{ method, path, body, field string }{
		{"POST", "/api/v2/account/acct1/campaign", strings.Replace(lp, `"skill"`, `"foo":1,"skill"`, 1), "foo"},
		{"POST", "/api/v2/account/acct1/campaign", strings.Replace(lp, `"consumerCountryCode"`, `"consumerContent":{"sms":"+12025550101","fax":"1"},"consumerCountryCode"`, 1), "consumers[0].consumerContent.fax"},
		{"POST", "/api/v2/account/acct1/campaign", strings.Replace(lp, `"message"`, `"deliveryWindow":{"start":"09:00","end":"17:00","dayz":["MON"]},"message"`, 1), "deliveryWindow.dayz"},
		{"POST", "/api/v2/account/acct1/optouts", `{"phone":"+12025550101","chanel":"sms"}`, "chanel"},
		{"POST", "/api/v2/account/acct1/templates", `{"id":"t1","name":"x","language":"en","body":"Hi","categroy":"MARKETING"}`, "categroy"},
	} {
		resp, data := w.do(t, tt.method, tt.path, tt.body)
		var p httpapi.Problem
		_ = decodeError(data, &p)
		if resp.StatusCode != http.StatusBadRequest || p.Field != tt.field || !strings.Contains(p.Detail, "not a field") {
			t.Errorf("%s %s with %s: %d %s; want 400 naming %s", tt.method, tt.path, tt.field, resp.StatusCode, data, tt.field)
		}
	}
}
