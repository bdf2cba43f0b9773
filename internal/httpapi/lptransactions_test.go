package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/lpreport"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestLPReportTransactions sends LivePerson's transaction requests
// (version 2.0, its documented body verbatim), pages through every
// recipient attempted in the window, filters them, and checks LivePerson's
// limits, error bodies and the roles.
func TestLPReportTransactions(t *testing.T) {
	w, _ := newReportWorld(t)
	clock := w.clock
	start := clock.Now().Add(-time.Hour).UnixMilli()
	sales := w.create(t, "renewals", "sales", 3)
	billing := w.create(t, "dunning", "billing", 2)
	end := clock.Now().Add(time.Hour).UnixMilli()
	path := fmt.Sprintf("/api/account/acct1/app/prmsg/transactions/?v=2.0&attemptedStartTime=%d&attemptedEndTime=%d", start, end)
	post := func(t *testing.T, path, body string, role auth.Role) lpreport.Transactions {
		t.Helper()
		resp, data := w.call(t, "POST", path, body, role, "reader")
		var out lpreport.Transactions
		if resp.StatusCode != http.StatusOK || json.Unmarshal(data, &out) != nil {
			t.Fatalf("POST %s: %d %s", path, resp.StatusCode, data)
		}
		return out
	}

	verbatim, err := os.ReadFile("testdata/liveperson/reporting-transactions-request.json")
	if err != nil {
		t.Fatal(err)
	}
	got := post(t, path, string(verbatim), auth.RoleSupport)
	if m := got.RequestMetadata; m.AccountID != "acct1" || m.App != "prmsg" || m.AttemptedStartTime != start || m.AttemptedEndTime != end ||
		strings.Join(m.Filters.MessageStatus, ",") != "FAILED,READ" || len(m.Filters.TransactionIDs) != 2 {
		t.Errorf("requestMetadata %+v", m)
	}
	if got.Page != (lpreport.TransactionPage{Count: 0, Offset: 0, Limit: 1000}) || len(got.Transactions) != 0 {
		t.Errorf("LivePerson's example matches nothing here: %+v", got)
	}

	// Every recipient once, two a page.
	seen := map[string]lpreport.Transaction{}
	for offset := 0; ; offset += 2 {
		page := post(t, path, fmt.Sprintf(`{"offset":%d,"limit":2}`, offset), auth.RoleAdmin)
		for _, tx := range page.Transactions {
			if _, dup := seen[tx.TransactionID]; dup {
				t.Errorf("transaction %s on two pages", tx.TransactionID)
			}
			seen[tx.TransactionID] = tx
		}
		if page.Page.Count < 2 {
			break
		}
	}
	if len(seen) != 5 {
		t.Fatalf("%d transactions over the pages, want 5: %v", len(seen), seen)
	}
	for id, tx := range seen {
		campaign := map[string]string{"sales": sales, "billing": billing}[tx.Skill]
		if tx.ProactiveCampaignID != campaign || tx.Channel != "sms" || tx.InitialChannel != "sms" || tx.InitialSkill != tx.Skill ||
			tx.AttemptedTime == nil || tx.SentTime != nil || tx.MessageStatus == "" || !strings.HasPrefix(id, campaign+":") {
			t.Errorf("transaction %s = %+v", id, tx)
		}
	}

	if got := post(t, path, `{"filters":{"skills":["billing"],"channels":["SMS"]}}`, auth.RoleCampaignManager); got.Page.Count != 2 || got.Page.Limit != lpreport.DefaultTransactions {
		t.Errorf("billing only: %+v", got)
	}
	if got := post(t, path, `{"filters":{"messagestatus":["SENT"]}}`, auth.RoleAdmin); got.Page.Count != 0 {
		t.Errorf("nothing is sent yet: %+v", got)
	}
	if got := post(t, strings.Replace(path, "/prmsg/", "/c2m/", 1), `{}`, auth.RoleAdmin); got.Page.Count != 0 {
		t.Errorf("no deflections: %+v", got)
	}
	outside := fmt.Sprintf("/api/account/acct1/app/prmsg/transactions/?v=2.0&attemptedStartTime=%d&attemptedEndTime=%d", end, end+1000)
	if got := post(t, outside, `{}`, auth.RoleAdmin); got.Page.Count != 0 {
		t.Errorf("a window after the campaigns: %+v", got)
	}

	tooLong := fmt.Sprintf("/api/account/acct1/app/prmsg/transactions/?v=2.0&attemptedStartTime=%d&attemptedEndTime=%d", start, start+25*time.Hour.Milliseconds())
	for _, tc := range []struct {
		name, path, body string
		role             auth.Role
		want             int
	}{
		{"unknown version", strings.Replace(path, "v=2.0", "v=3.0", 1), `{}`, auth.RoleAdmin, http.StatusBadRequest},
		{"version twice", path + "&v=2.0", `{}`, auth.RoleAdmin, http.StatusBadRequest},
		{"over 24 hours", tooLong, `{}`, auth.RoleAdmin, http.StatusBadRequest},
		{"limit over 5000", path, `{"limit":5001}`, auth.RoleAdmin, http.StatusBadRequest},
		{"negative offset", path, `{"offset":-1}`, auth.RoleAdmin, http.StatusBadRequest},
		{"unknown status", path, `{"filters":{"messagestatus":["LOST"]}}`, auth.RoleAdmin, http.StatusBadRequest},
		{"unknown field", path, `{"page":{"nextPage":"x"}}`, auth.RoleAdmin, http.StatusBadRequest},
		{"unknown app", strings.Replace(path, "/prmsg/", "/other/", 1), `{}`, auth.RoleAdmin, http.StatusBadRequest},
		{"agent", path, `{}`, auth.RoleAgent, http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, data := w.call(t, "POST", tc.path, tc.body, tc.role, "reader")
			var lp struct {
				Code    *int   `json:"code"`
				Message string `json:"message"`
			}
			if resp.StatusCode != tc.want || json.Unmarshal(data, &lp) != nil || lp.Code == nil || lp.Message == "" {
				t.Errorf("%d %s, want %d in LivePerson's error shape", resp.StatusCode, data, tc.want)
			}
		})
	}
}

// TestLPReportTransactionsV1 sends LivePerson's version 1.0 requests (no
// v, its two documented bodies) and follows nextPage over 2,201
// recipients, filtered or not, then refuses tokens Parley did not give
// that request.
func TestLPReportTransactionsV1(t *testing.T) {
	w, _ := newReportWorld(t)
	ctx := context.Background()
	now := w.clock.Now()
	put := func(id string, n int, at time.Time, deflect bool) {
		c, rs := storetest.Fixture("acct1", id, n)
		c.CreatedAt = at
		if deflect {
			c.CallID, c.HandoffID, c.IVRNumber = "b0eb76ed-0ff9-4d03-935b-c86ca9aa9354", "H000000000000001", "+18005550100"
		}
		if err := w.store.CreateCampaign(ctx, c, rs); err != nil {
			t.Fatal(err)
		}
	}
	put("older", 1500, now, false)
	put("newer", 700, now.Add(time.Minute), false)
	put("call", 1, now.Add(2*time.Minute), true)
	start, end := now.Add(-time.Hour).UnixMilli(), now.Add(time.Hour).UnixMilli()
	path := fmt.Sprintf("/api/account/acct1/app/prmsg/transactions/?attemptedStartTime=%d&attemptedEndTime=%d", start, end)
	post := func(t *testing.T, path, body string, want int) ([]byte, lpreport.TransactionsV1) {
		t.Helper()
		resp, data := w.call(t, "POST", path, body, auth.RoleSupport, "reader")
		var out lpreport.TransactionsV1
		if resp.StatusCode != want || (want == http.StatusOK && json.Unmarshal(data, &out) != nil) {
			t.Fatalf("POST %s %s: %d %.300s, want %d", path, body, resp.StatusCode, data, want)
		}
		return data, out
	}

	verbatim, err := os.ReadFile("testdata/liveperson/reporting-transactions-v1-request.json")
	if err != nil {
		t.Fatal(err)
	}
	_, got := post(t, path, string(verbatim), http.StatusOK)
	if m := got.RequestMetadata; m.AccountID != "acct1" || m.App != "prmsg" || m.AttemptedStartTime != start || m.AttemptedEndTime != end ||
		strings.Join(m.Filters.Channels, ",") != "sms" || strings.Join(m.Filters.Skills, ",") != "billing" {
		t.Errorf("requestMetadata %+v", m)
	}
	if got.Page.Count != 0 || got.Page.CurrentPage == "" || got.Page.NextPage != "" || len(got.Transactions) != 0 {
		t.Errorf("no billing campaign: page %+v, %d rows", got.Page, len(got.Transactions))
	}

	// Every recipient once, newest campaign first, following nextPage;
	// the filters given at the top level or under filters.
	for _, tc := range []struct{ name, filters, page string }{
		{"unfiltered", `{}`, `{"page": {"nextPage": %q}}`},
		{"filtered", `{"channels": ["sms"], "skills": ["sales"]}`, `{"channels": ["sms"], "skills": ["sales"], "page": {"nextPage": %q}}`},
		{"under filters", `{"filters": {"skills": ["sales"]}}`, `{"filters": {"skills": ["sales"]}, "page": {"nextPage": %q}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var rows []string
			body, pages := tc.filters, 0
			for ; pages < 5; pages++ {
				data, page := post(t, path, body, http.StatusOK)
				if page.Page.Count != len(page.Transactions) || page.Page.Count > lpreport.TransactionPageV1 {
					t.Fatalf("page %d: %+v with %d rows", pages, page.Page, len(page.Transactions))
				}
				if strings.Contains(string(data), "messageStatus") {
					t.Fatalf("a version 1.0 row has version 2.0's messageStatus: %.300s", data)
				}
				for _, tx := range page.Transactions {
					rows = append(rows, tx.TransactionID)
				}
				if page.Page.NextPage == "" {
					break
				}
				if _, again := post(t, path, fmt.Sprintf(tc.page, page.Page.CurrentPage), http.StatusOK); pages > 0 && (len(again.Transactions) == 0 || again.Transactions[0].TransactionID != page.Transactions[0].TransactionID) {
					t.Fatalf("currentPage does not read page %d again", pages)
				}
				body = fmt.Sprintf(tc.page, page.Page.NextPage)
			}
			if pages != 2 || len(rows) != 2200 || rows[0] != "newer:000001" || rows[699] != "newer:000700" || rows[700] != "older:000001" || rows[2199] != "older:001500" {
				t.Fatalf("%d pages, %d rows (%v … %v); want 3 pages, the 700 newer then the 1500 older", pages+1, len(rows), rows[:min(2, len(rows))], rows[max(len(rows)-2, 0):])
			}
			if seen := map[string]bool{}; !func() bool {
				for _, id := range rows {
					if seen[id] {
						return false
					}
					seen[id] = true
				}
				return true
			}() {
				t.Error("a transaction on two pages")
			}
		})
	}

	// A deflection's row: its handoff and the IVR's number.
	c2mPath := strings.Replace(path, "/prmsg/", "/c2m/", 1)
	for _, p := range []string{c2mPath, c2mPath + "&v=1.0", c2mPath + "&v=2.0"} {
		resp, data := w.call(t, "POST", p, `{}`, auth.RoleAdmin, "reader")
		var out struct{ Transactions []lpreport.Transaction }
		if resp.StatusCode != http.StatusOK || json.Unmarshal(data, &out) != nil || len(out.Transactions) != 1 {
			t.Fatalf("POST %s: %d %.300s", p, resp.StatusCode, data)
		}
		if tx := out.Transactions[0]; tx.HandOffID != "H000000000000001" || tx.IVRNumber != "+18005550100" || tx.ProactiveCampaignID != "call" || tx.TransactionID != "call:000001" {
			t.Errorf("POST %s: deflection row %+v", p, tx)
		}
	}

	_, first := post(t, path, `{}`, http.StatusOK)
	next := first.Page.NextPage
	lpsOwn, err := os.ReadFile("testdata/liveperson/reporting-transactions-v1-next-request.json")
	if err != nil {
		t.Fatal(err)
	}
	flipped := []byte(next)
	flipped[len(flipped)/2] ^= 1
	for _, tc := range []struct{ name, path, body, field string }{
		{"LivePerson's own token", path, string(lpsOwn), "page.nextPage"},
		{"another request's token", path, fmt.Sprintf(`{"skills": ["sales"], "page": {"nextPage": %q}}`, next), "page.nextPage"},
		{"another window's token", strings.Replace(path, fmt.Sprint(end), fmt.Sprint(end+1), 1), fmt.Sprintf(`{"page": {"nextPage": %q}}`, next), "page.nextPage"},
		{"altered token", path, fmt.Sprintf(`{"page": {"nextPage": %q}}`, flipped), "page.nextPage"},
		{"token too long", path, fmt.Sprintf(`{"page": {"nextPage": %q}}`, strings.Repeat("A", lpreport.MaxPageToken+4)), "page.nextPage"},
		{"both filter places", path, `{"skills": ["sales"], "filters": {"skills": ["sales"]}}`, "filters"},
		{"version 2.0's fields", path, `{"offset": 0}`, "offset"},
		{"version 2.0's filters", path, `{"filters": {"messagestatus": ["READ"]}}`, "messagestatus"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, _ := post(t, tc.path, tc.body, http.StatusBadRequest)
			var lp struct {
				Code    *int   `json:"code"`
				Message string `json:"message"`
			}
			if json.Unmarshal(data, &lp) != nil || lp.Code == nil || !strings.Contains(lp.Message, tc.field) {
				t.Errorf("%s, want LivePerson's error shape naming %s", data, tc.field)
			}
		})
	}
}
