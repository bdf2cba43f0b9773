package httpapi_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/campaign"
	"github.com/parleyhq/parley/internal/clocktest"
	"github.com/parleyhq/parley/internal/httpapi"
	"github.com/parleyhq/parley/internal/obs"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/embedded"
	"github.com/parleyhq/parley/internal/testworld"
)

// listWorld serves the campaign routes with authentication on, on a clock
// set to a coming Wednesday 17:00 UTC (noon in Washington, inside the
// default window), so that recipients are due at once.
type listWorld struct {
	store  *embedded.Store
	clock  *clocktest.Clock
	tokens *auth.Tokens
	h      http.Handler
}

func comingWednesday() time.Time {
	d := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 1)
	for d.Weekday() != time.Wednesday {
		d = d.AddDate(0, 0, 1)
	}
	return d.Add(17 * time.Hour)
}

func newListWorld(t *testing.T) *listWorld {
	t.Helper()
	s, q := testworld.Open(t)
	clock := clocktest.New(comingWednesday())
	tokens := testTokens(t, clock, s)
	srv := &httpapi.Server{
		Campaigns: &campaign.Service{Store: s, Queue: q, Log: obs.Discard(), Clock: clock},
		Auth:      tokens, Operators: tokens.Operators(), Clock: clock, Log: obs.Discard(),
	}
	return &listWorld{store: s, clock: clock, tokens: tokens, h: srv.Handler()}
}

// call calls path as a principal of acct1 with role and subject.
func (w *listWorld) call(t *testing.T, method, path, body string, role auth.Role, subject string) (*http.Response, []byte) {
	t.Helper()
	tok, err := w.tokens.Issue(context.Background(), auth.Principal{AccountID: "acct1", Role: role, Subject: subject}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	rec := httptest.NewRecorder()
	w.h.ServeHTTP(rec, req)
	data, _ := io.ReadAll(rec.Result().Body)
	return rec.Result(), data
}

func (w *listWorld) get(t *testing.T, path string, role auth.Role, into any) *http.Response {
	t.Helper()
	resp, data := w.call(t, "GET", path, "", role, "reader")
	if into != nil && resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(data, into); err != nil {
			t.Fatalf("GET %s: %v in %s", path, err, data)
		}
	}
	if resp.StatusCode != http.StatusOK && into != nil {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, data)
	}
	return resp
}

// create makes a campaign of n recipients (+1202555010x) as client-7.
func (w *listWorld) create(t *testing.T, name, skill string, n int) string {
	t.Helper()
	var cs []string
	for i := range n {
		cs = append(cs, fmt.Sprintf(`{"consumerContent": {"sms": "+1202555%04d"}, "variables": {"1": "Ann"}}`, 100+i))
	}
	body := fmt.Sprintf(`{"campaignName": %q, "skill": %q, "templateId": "1234567890", "outboundNumber": "+12025550100",
		"consent": true, "message": "Hi {{1}}", "lookbackMinutes": 120, "consumers": [%s]}`, name, skill, strings.Join(cs, ","))
	resp, data := w.call(t, "POST", "/api/v2/account/acct1/campaign", body, auth.RoleCampaignManager, "client-7")
	var created httpapi.CreateCampaignResponse
	if err := json.Unmarshal(data, &created); err != nil || resp.StatusCode != http.StatusAccepted || created.ProactiveCampaignID == nil {
		t.Fatalf("create %s: %d %s", name, resp.StatusCode, data)
	}
	w.clock.Advance(time.Minute)
	return *created.ProactiveCampaignID
}

func ids(l httpapi.CampaignList) []string {
	var out []string
	for _, c := range l.Campaigns {
		out = append(out, c.ID)
	}
	return out
}

func TestCampaignListAndDetail(t *testing.T) {
	w := newListWorld(t)
	start := w.clock.Now()
	a := w.create(t, "Renewal A", "sales", 2)
	b := w.create(t, "Renewal B", "service", 1)
	c := w.create(t, "Renewal C", "sales", 3)
	base := "/api/v2/account/acct1/campaign"

	var all httpapi.CampaignList
	w.get(t, base, auth.RoleSupport, &all)
	if got := ids(all); !slices.Equal(got, []string{c, b, a}) || all.NextCursor != "" {
		t.Fatalf("listing = %v (next %q), want newest first %v", got, all.NextCursor, []string{c, b, a})
	}
	first := all.Campaigns[0]
	if first.Name != "Renewal C" || first.Channel != "sms" || first.Skill != "sales" || first.Status != parley.PhaseRunning ||
		first.Recipients != 3 || first.CreatedBy != "client-7" || first.CreatedAt == "" || first.LaunchAt != first.CreatedAt {
		t.Errorf("listed campaign = %+v", first)
	}

	var page1, page2 httpapi.CampaignList
	w.get(t, base+"?limit=2", auth.RoleSupport, &page1)
	if got := ids(page1); !slices.Equal(got, []string{c, b}) || page1.NextCursor == "" {
		t.Fatalf("first page = %v, next %q", got, page1.NextCursor)
	}
	w.get(t, base+"?limit=2&cursor="+page1.NextCursor, auth.RoleSupport, &page2)
	if got := ids(page2); !slices.Equal(got, []string{a}) || page2.NextCursor != "" {
		t.Fatalf("second page = %v, next %q", got, page2.NextCursor)
	}

	for query, want := range map[string][]string{
		"?skill=sales":      {c, a},
		"?channel=whatsapp": nil,
		"?status=SCHEDULED": nil,
		"?status=running":   {c, b, a},
		"?createdFrom=" + start.Add(time.Minute).Format(time.RFC3339): {c, b},
		"?createdTo=" + start.Add(time.Minute).Format(time.RFC3339):   {a},
	} {
		var l httpapi.CampaignList
		w.get(t, base+query, auth.RoleSupport, &l)
		if got := ids(l); !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", query, got, want)
		}
	}

	if resp, data := w.call(t, "POST", base+"/"+b+"/pause", "", auth.RoleCampaignManager, "client-7"); resp.StatusCode != http.StatusOK {
		t.Fatalf("pause: %d %s", resp.StatusCode, data)
	}
	var paused httpapi.CampaignList
	w.get(t, base+"?status=PAUSED,FINISHED", auth.RoleSupport, &paused)
	if got := ids(paused); !slices.Equal(got, []string{b}) {
		t.Errorf("paused = %v, want %v", got, []string{b})
	}

	var d httpapi.CampaignDetail
	w.get(t, base+"/"+a, auth.RoleSupport, &d)
	if d.ID != a || d.Status != parley.PhaseRunning || d.LPStatus != "SCHEDULED" || d.Counts["QUEUED"] != 2 || len(d.Counts) != 1 ||
		d.Message != "Hi {{1}}" || d.LookbackMinutes != 120 || !d.Consent || d.TemplateID != "1234567890" || d.OutboundNumber != "+12025550100" ||
		d.Schedule.DeliveryWindow.Start != "08:00" || d.Schedule.DeliveryWindow.End != "21:00" || len(d.Schedule.DeliveryWindow.Days) != 7 ||
		d.CreatedBy != "client-7" || d.CompletedAt != "" {
		t.Errorf("detail = %+v", d)
	}

	// Once every recipient is final the detail records the campaign
	// finished, and the listing shows it so from then on.
	for _, id := range []string{"000001", "000002"} {
		ref := parley.Ref{AccountID: "acct1", CampaignID: a, RecipientID: id}
		if _, err := w.store.UpdateRecipient(context.Background(), ref, parley.RecipientChange{From: parley.Claimable, Status: parley.StatusSent, At: w.clock.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	d = httpapi.CampaignDetail{}
	w.get(t, base+"/"+a, auth.RoleSupport, &d)
	if d.Status != parley.PhaseFinished || d.LPStatus != "FINISHED" || d.Counts["SENT"] != 2 || d.CompletedAt == "" {
		t.Errorf("finished detail = %+v", d)
	}
	var finished httpapi.CampaignList
	w.get(t, base+"?status=FINISHED", auth.RoleSupport, &finished)
	if got := ids(finished); !slices.Equal(got, []string{a}) {
		t.Errorf("finished = %v, want %v", got, []string{a})
	}

	// A download counts the recipients too, and records the same.
	for i := 1; i <= 3; i++ {
		ref := parley.Ref{AccountID: "acct1", CampaignID: c, RecipientID: parley.RecipientID(i)}
		if _, err := w.store.UpdateRecipient(context.Background(), ref, parley.RecipientChange{From: parley.Claimable, Status: parley.StatusFailed, At: w.clock.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	if resp, data := w.call(t, "GET", base+"/"+c+"/recipients.csv", "", auth.RoleSupport, "r"); resp.StatusCode != http.StatusOK {
		t.Fatalf("download: %d %s", resp.StatusCode, data)
	}
	finished = httpapi.CampaignList{}
	w.get(t, base+"?status=FINISHED", auth.RoleSupport, &finished)
	if got := ids(finished); !slices.Equal(got, []string{c, a}) {
		t.Errorf("finished after the download = %v, want %v", got, []string{c, a})
	}

	if resp := w.get(t, base+"/no-such-campaign", auth.RoleSupport, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown campaign: %d", resp.StatusCode)
	}
	if resp, data := w.call(t, "GET", base+"?limit=101", "", auth.RoleSupport, "r"); resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(data), `"limit"`) {
		t.Errorf("limit 101: %d %s", resp.StatusCode, data)
	}
	if resp := w.get(t, base, auth.RoleAgent, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("agent: %d, want 403", resp.StatusCode)
	}
}

func TestConversationsPaged(t *testing.T) {
	w := newListWorld(t)
	id := w.create(t, "Paged", "sales", 5)
	path := "/api/v2/account/acct1/campaign/" + id + "/conversations"

	resp, raw := w.call(t, "GET", path, "", auth.RoleCampaignManager, "r")
	if resp.StatusCode != http.StatusOK || strings.Contains(string(raw), "nextCursor") {
		t.Fatalf("LivePerson's request: %d %s", resp.StatusCode, raw)
	}
	var seen []string
	cursor := ""
	for range 5 {
		var page httpapi.ConversationsResponse
		q := "?limit=2"
		if cursor != "" {
			q += "&cursor=" + cursor
		}
		w.get(t, path+q, auth.RoleCampaignManager, &page)
		if len(page.Conversations) > 2 || page.ProactiveCampaignID != id || page.CampaignStatus != "IN_PROGRESS" || page.ParleyCampaignStatus != parley.PhaseRunning {
			t.Fatalf("page = %+v", page)
		}
		for _, c := range page.Conversations {
			seen = append(seen, c.ID)
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	if want := []string{"000001", "000002", "000003", "000004", "000005"}; !slices.Equal(seen, want) {
		t.Fatalf("paged through %v, want %v", seen, want)
	}

	for _, rid := range []string{"000002", "000004"} {
		ref := parley.Ref{AccountID: "acct1", CampaignID: id, RecipientID: rid}
		if _, err := w.store.UpdateRecipient(context.Background(), ref, parley.RecipientChange{From: parley.Claimable, Status: parley.StatusFailed, ErrorMessage: "X", At: w.clock.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	var failed httpapi.ConversationsResponse
	w.get(t, path+"?status=FAILED", auth.RoleCampaignManager, &failed)
	if len(failed.Conversations) != 2 || failed.Conversations[0].ID != "000002" || failed.Conversations[1].ID != "000004" || failed.NextCursor != "" {
		t.Errorf("failed = %+v", failed)
	}

	// Support sees the numbers masked, as in downloads.
	var masked httpapi.ConversationsResponse
	w.get(t, path+"?limit=1", auth.RoleSupport, &masked)
	if got := masked.Conversations[0].ConsumerContent.SMS; got != "+1202****100" {
		t.Errorf("support sees %q, want it masked", got)
	}
	if resp, data := w.call(t, "GET", path+"?limit=0", "", auth.RoleSupport, "r"); resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(data), "limit") {
		t.Errorf("limit 0: %d %s", resp.StatusCode, data)
	}
}

func readCSV(t *testing.T, data []byte) [][]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(string(data))).ReadAll()
	if err != nil {
		t.Fatalf("CSV: %v in %s", err, data)
	}
	return rows
}

func TestDownloads(t *testing.T) {
	w := newListWorld(t)
	a := w.create(t, "=HYPERLINK(\"http://evil.example\")", "sales", 2)
	b := w.create(t, "Plain", "service", 1)

	// export.csv is more specific than {campaignId}: the router serves it.
	resp, data := w.call(t, "GET", "/api/v2/account/acct1/campaign/export.csv", "", auth.RoleSupport, "r")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" ||
		resp.Header.Get("Content-Disposition") != "attachment; filename=campaigns-acct1.csv" {
		t.Fatalf("export.csv: %d %v %s", resp.StatusCode, resp.Header, data)
	}
	rows := readCSV(t, data)
	if len(rows) != 3 || rows[0][0] != "campaignId" || rows[1][0] != b || rows[2][0] != a {
		t.Fatalf("campaigns = %q", rows)
	}
	if rows[2][1] != "'=HYPERLINK(\"http://evil.example\")" || rows[2][4] != parley.PhaseRunning || rows[2][5] != "2" || rows[2][6] != "client-7" {
		t.Errorf("campaign row = %q", rows[2])
	}

	path := "/api/v2/account/acct1/campaign/" + a + "/recipients.csv"
	for role, phone := range map[auth.Role]string{
		auth.RoleCampaignManager: "'+12025550100",
		auth.RoleAdmin:           "'+12025550100",
		auth.RoleSupport:         "'+1202****100",
	} {
		resp, data := w.call(t, "GET", path, "", role, "r")
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Disposition") != "attachment; filename=campaign-"+a+"-recipients.csv" {
			t.Fatalf("%s: %d %v", role, resp.StatusCode, resp.Header)
		}
		rows := readCSV(t, data)
		if len(rows) != 3 || rows[1][0] != "000001" || rows[1][1] != phone || rows[1][3] != "sms" || rows[1][4] != "QUEUED" ||
			rows[1][6] != "Hi Ann\nReply STOP to opt out" || rows[1][9] == "" || rows[1][10] == "" {
			t.Errorf("%s: recipients = %q", role, rows)
		}
	}
	if resp, _ := w.call(t, "GET", path, "", auth.RoleAgent, "r"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("agent download: %d, want 403", resp.StatusCode)
	}
	if resp, data := w.call(t, "GET", "/api/v2/account/acct1/campaign/nope/recipients.csv", "", auth.RoleAdmin, "r"); resp.StatusCode != http.StatusNotFound || !strings.Contains(resp.Header.Get("Content-Type"), "problem+json") {
		t.Errorf("unknown campaign download: %d %s", resp.StatusCode, data)
	}
}
