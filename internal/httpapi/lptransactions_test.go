package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/lpreport"
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
		{"no version", strings.Replace(path, "v=2.0&", "", 1), `{}`, auth.RoleAdmin, http.StatusBadRequest},
		{"version 1.0", strings.Replace(path, "v=2.0", "v=1.0", 1), `{}`, auth.RoleAdmin, http.StatusBadRequest},
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
