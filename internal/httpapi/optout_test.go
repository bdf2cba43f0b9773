package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/dialer"
	"github.com/parleyhq/parley/internal/httpapi"
	"github.com/parleyhq/parley/internal/inbound/optout"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/settings/account"
)

func newOptOutWorld(t *testing.T) *world {
	t.Helper()
	w := newWorld(t)
	clock := parley.ClockFunc(func() time.Time { return time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC) })
	w.srv.OptOuts = &optout.Service{Store: w.store, Accounts: &account.Service{Store: w.store, Clock: clock}, Clock: clock}
	w.h = w.srv.Handler()
	return w
}

func optOutDecode[T any](t *testing.T, data []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("%v: %s", err, data)
	}
	return v
}

func optOutProblemField(t *testing.T, resp *http.Response, data []byte) string {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("%d %s: not a problem: %s", resp.StatusCode, ct, data)
	}
	return optOutDecode[httpapi.Problem](t, data).Field
}

func TestOptOutRoutes(t *testing.T) {
	w := newOptOutWorld(t)
	const base = "/api/v2/account/acct1/optouts"
	resp, data := w.do(t, "POST", base, `{"phone": "1 (202) 555-0101", "channel": "sms"}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("add: %d %s", resp.StatusCode, data)
	}
	if e := optOutDecode[httpapi.OptOutResponse](t, data); e.Phone != "+12025550101" || e.Channel != "sms" || e.Source != parley.OptOutByAPI || e.CreatedAt != "2026-11-23T17:00:00.000Z" {
		t.Errorf("added %+v", e)
	}
	if resp, data := w.do(t, "POST", base, `{"phone": "+12025550101", "channel": "sms"}`); resp.StatusCode != http.StatusOK {
		t.Errorf("add again: %d %s; want 200 with the entry", resp.StatusCode, data)
	}
	if resp, data := w.do(t, "POST", base, `{"phone": "+12025550102"}`); resp.StatusCode != http.StatusCreated || optOutDecode[httpapi.OptOutResponse](t, data).Channel != "all" {
		t.Errorf("add without a channel: %d %s; want an all-channels entry", resp.StatusCode, data)
	}
	for body, field := range map[string]string{
		`{"phone": "12345"}`:                            "phone",
		`{"phone": "+12025550103", "channel": "fax"}`:   "channel",
		`{"phone": "+12025550103", "channel": "inapp"}`: "channel",
		`{"phone": 12025550103}`:                        "phone",
	} {
		resp, data := w.do(t, "POST", base, body)
		if resp.StatusCode != http.StatusBadRequest || optOutProblemField(t, resp, data) != field {
			t.Errorf("add %s: %d %s; want 400 naming %s", body, resp.StatusCode, data, field)
		}
	}

	resp, data = w.do(t, "GET", base, "")
	list := optOutDecode[httpapi.OptOutListResponse](t, data)
	if resp.StatusCode != http.StatusOK || len(list.OptOuts) != 2 || list.Next != "" {
		t.Fatalf("list: %d %s", resp.StatusCode, data)
	}
	resp, data = w.do(t, "GET", base+"?channel=whatsapp&limit=1", "")
	list = optOutDecode[httpapi.OptOutListResponse](t, data)
	if resp.StatusCode != http.StatusOK || len(list.OptOuts) != 1 || list.OptOuts[0].Phone != "+12025550102" {
		t.Fatalf("list of WhatsApp: %d %s; want the all-channels entry", resp.StatusCode, data)
	}
	for _, q := range []string{"?limit=0", "?limit=x", "?channel=fax", "?cursor=nope"} {
		resp, data := w.do(t, "GET", base+q, "")
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("list%s: %d %s; want 400", q, resp.StatusCode, data)
		}
	}

	resp, data = w.do(t, "GET", base+"/export", "")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") ||
		string(data) != "phone,channel,source,createdAt\n+12025550101,sms,api,2026-11-23T17:00:00Z\n+12025550102,all,api,2026-11-23T17:00:00Z\n" {
		t.Fatalf("export: %d %s %q", resp.StatusCode, resp.Header.Get("Content-Type"), data)
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, "optouts-acct1.csv") {
		t.Errorf("Content-Disposition %q", cd)
	}

	if resp, data := w.do(t, "DELETE", base+"/+12025550101?channel=whatsapp", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("delete of a channel not listed: %d %s; want 404", resp.StatusCode, data)
	}
	if resp, data := w.do(t, "DELETE", base+"/%2B12025550101", ""); resp.StatusCode != http.StatusNoContent {
		t.Errorf("delete: %d %s", resp.StatusCode, data)
	}
	if resp, data := w.do(t, "DELETE", base+"/+12025550101", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("delete again: %d %s; want 404", resp.StatusCode, data)
	}
	if resp, data := w.do(t, "DELETE", base+"/not-a-number", ""); resp.StatusCode != http.StatusBadRequest || optOutProblemField(t, resp, data) != "phone" {
		t.Errorf("delete of a bad number: %d %s; want 400 naming phone", resp.StatusCode, data)
	}
}

func TestOptOutImport(t *testing.T) {
	w := newOptOutWorld(t)
	const path = "/api/v2/account/acct1/optouts/import"
	send := func(contentType, query, body string) (*http.Response, []byte) {
		req := httptest.NewRequest("POST", path+query, strings.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		return w.send(t, req)
	}
	resp, data := send("text/csv; charset=utf-8", "?channel=sms", "Phone,Channel\n+12025550101\n+12025550102,whatsapp\n555\n+12025550103,fax\n")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("import: %d %s", resp.StatusCode, data)
	}
	res := optOutDecode[httpapi.OptOutImportResponse](t, data)
	if res.Added != 2 || res.Existing != 0 || len(res.Failed) != 2 ||
		res.Failed[0].Line != 4 || res.Failed[0].ErrorMessage != parley.CodeInvalidNumber ||
		res.Failed[1].Line != 5 || res.Failed[1].ErrorMessage != optout.CodeInvalidChannel {
		t.Fatalf("import = %s", data)
	}
	resp, data = w.do(t, "GET", "/api/v2/account/acct1/optouts?channel=sms", "")
	if list := optOutDecode[httpapi.OptOutListResponse](t, data); len(list.OptOuts) != 1 || list.OptOuts[0].Source != parley.OptOutByImport {
		t.Errorf("after import, SMS list: %s", data)
	}
	if resp, data := send("application/json", "", "+12025550104\n"); resp.StatusCode != http.StatusBadRequest || optOutProblemField(t, resp, data) != "Content-Type" {
		t.Errorf("import of JSON: %d %s; want 400 naming Content-Type", resp.StatusCode, data)
	}
	if resp, data := send("text/csv", "", "+12025550104\n\"oops\n"); resp.StatusCode != http.StatusBadRequest || optOutProblemField(t, resp, data) != "line 2" {
		t.Errorf("import of broken CSV: %d %s; want 400 naming line 2", resp.StatusCode, data)
	}
	if resp, data := send("text/csv", "?channel=pager", "+12025550104\n"); resp.StatusCode != http.StatusBadRequest || optOutProblemField(t, resp, data) != "channel" {
		t.Errorf("import with a bad channel: %d %s; want 400 naming channel", resp.StatusCode, data)
	}
}

func TestOptOutRoutesWithoutService(t *testing.T) {
	w := newWorld(t)
	if resp, data := w.do(t, "GET", "/api/v2/account/acct1/optouts", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("list without an opt-out service: %d %s; want 404", resp.StatusCode, data)
	}
}

func TestSettingsConfirmTexts(t *testing.T) {
	w := newWorld(t)
	resp, data := w.do(t, "PATCH", "/api/v2/account/acct1/settings", `{"optOutConfirmText": "Bye", "optInConfirmText": "Hi again"}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("put: %d %s", resp.StatusCode, data)
	}
	a := optOutDecode[parley.Account](t, data)
	if a.OptOutConfirmText != "Bye" || a.OptInConfirmText != "Hi again" {
		t.Errorf("settings = %s", data)
	}
	resp, data = w.do(t, "PATCH", "/api/v2/account/acct1/settings", `{"optInConfirmText": "`+strings.Repeat("x", 161)+`"}`)
	if resp.StatusCode != http.StatusBadRequest || optOutProblemField(t, resp, data) != "optInConfirmText" {
		t.Errorf("a long confirmation: %d %s", resp.StatusCode, data)
	}
}

// TestOptOutDoNotCall: a voice entry puts a number on the do-not-call list
// of telephone campaigns and bars no message.
func TestOptOutDoNotCall(t *testing.T) {
	w := newOptOutWorld(t)
	resp, data := w.do(t, "POST", "/api/v2/account/acct1/optouts", `{"phone": "+12025550104", "channel": "voice"}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("add: %d %s", resp.StatusCode, data)
	}
	e := optOutDecode[httpapi.OptOutResponse](t, data)
	entry := parley.OptOut{Phone: e.Phone, Channel: parley.Channel(e.Channel)}
	if !dialer.DoNotCall([]parley.OptOut{entry}) || entry.Covers(parley.ChannelSMS) || entry.Covers(parley.ChannelWhatsApp) {
		t.Errorf("a voice entry %+v: do not call %v, bars SMS %v", e, dialer.DoNotCall([]parley.OptOut{entry}), entry.Covers(parley.ChannelSMS))
	}
}
