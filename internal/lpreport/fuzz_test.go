package lpreport_test

import (
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/lpreport"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// FuzzParse feeds outside query strings and bodies to the parsers: they
// either accept or refuse with a parley.Error, and what they accept holds
// to LivePerson's limits.
func FuzzParse(f *testing.F) {
	f.Add("attemptedStartTime=1602007811000&attemptedEndTime=1602008344000", `{"channels": ["sms"], "skills": ["billing"], "handoffids": ["H1"], "source": ["API"]}`)
	f.Add("attemptedStartTime=0&attemptedEndTime=99999999999999999999", `{"channels": "sms"}`)
	f.Add("attemptedStartTime=%zz", `{"x": 1} {}`)
	f.Fuzz(func(t *testing.T, query, body string) {
		q, err := url.ParseQuery(query)
		if err == nil {
			w, err := lpreport.ParseWindow(q, lpreport.MaxAnalyticsWindow, true, lpreport.Window{})
			var pe *parley.Error
			switch {
			case err != nil && !errors.As(err, &pe):
				t.Fatalf("ParseWindow(%q): %v is not a parley.Error", query, err)
			case err == nil && (!w.End.After(w.Start) || w.End.Sub(w.Start) > lpreport.MaxAnalyticsWindow):
				t.Fatalf("ParseWindow(%q) accepted %+v", query, w)
			}
		}
		f, err := lpreport.ParseFilters([]byte(body))
		var pe *parley.Error
		if err != nil && !errors.As(err, &pe) {
			t.Fatalf("ParseFilters(%q): %v is not a parley.Error", body, err)
		}
		if err == nil {
			if q := f.Query("a", "", lpreport.Window{}); len(q.Channels) != len(f.Channels) {
				t.Fatalf("ParseFilters(%q) accepted channels %v", body, f.Channels)
			}
		}
	})
}

// FuzzParseTransactionRequest: a transaction body is accepted within
// LivePerson's limits or refused with a parley.Error.
func FuzzParseTransactionRequest(f *testing.F) {
	f.Add(`{"offset": 0, "limit": 1000, "filters": {"channels": ["wa", "sms"], "skills": ["billing"], "messagestatus": ["FAILED", "READ"], "transactionids": ["t1"]}}`)
	f.Add(`{"limit": 5001}`)
	f.Add(`{"offset": -1, "filters": {"messagestatus": "READ"}}`)
	f.Add(`{"page": {"nextPage": "x"}}`)
	f.Fuzz(func(t *testing.T, body string) {
		req, err := lpreport.ParseTransactionRequest([]byte(body))
		var pe *parley.Error
		switch {
		case err != nil && !errors.As(err, &pe):
			t.Fatalf("ParseTransactionRequest(%q): %v is not a parley.Error", body, err)
		case err == nil && (req.Offset < 0 || req.Limit < 1 || req.Limit > lpreport.MaxTransactions):
			t.Fatalf("ParseTransactionRequest(%q) accepted %+v", body, req)
		}
	})
}

// FuzzParsePageToken: a version 1.0 body and page token are accepted
// within their bounds or refused with a parley.Error; an accepted token is
// exactly the one Parley writes for its position, and belongs to the
// request it came with.
func FuzzParsePageToken(f *testing.F) {
	w := lpreport.Walk{AccountID: "acct1", App: "prmsg", Window: lpreport.Window{Start: time.UnixMilli(1602007811000), End: time.UnixMilli(1602008344000)}}
	at := time.UnixMilli(1602007812345).UTC()
	f.Add(`{"channels": ["sms"], "skills": ["billing"]}`, w.PageToken(lpreport.Position{}))
	f.Add(`{"page": {"nextPage": "x"}}`, w.PageToken(lpreport.Position{Campaign: store.CampaignPosition{CreatedAt: at, ID: "c1"}, After: 1000}))
	f.Add(`{"filters": {"channels": ["wa"]}, "channels": ["sms"]}`, "MDAzYzAwMDkzMjJkMzIzMjJkMzIzMDMyMzIwYjMyMmQzMjMyMmQzMjMwMzIzMjJkMzUyNDM3NjY2MjM0N2ZmZmVjNzdmMDdmZmZlYzc3LS0yLTIyLTIwMjItNQ==")
	f.Add(`{"filters": {"messagestatus": ["READ"]}}`, "eyJiIjoiIiwidCI6IngiLCJjIjoiXHUwMDAwIiwicyI6LTF9")
	f.Fuzz(func(t *testing.T, body, token string) {
		var pe *parley.Error
		filters, inBody, err := lpreport.ParseTransactionRequestV1([]byte(body))
		switch {
		case err != nil && !errors.As(err, &pe):
			t.Fatalf("ParseTransactionRequestV1(%q): %v is not a parley.Error", body, err)
		case err == nil && (len(inBody) > lpreport.MaxPageToken || len(filters.MessageStatus) > 0 || len(filters.TransactionIDs) > 0):
			t.Fatalf("ParseTransactionRequestV1(%q) accepted %+v, token %q", body, filters, inBody)
		}
		p, err := w.ParsePageToken(token)
		switch {
		case err != nil && !errors.As(err, &pe):
			t.Fatalf("ParsePageToken(%q): %v is not a parley.Error", token, err)
		case err == nil && w.PageToken(p) != token && token != "":
			t.Fatalf("ParsePageToken(%q) accepted %+v, which Parley writes %q", token, p, w.PageToken(p))
		case err == nil && (p.After < 0 || len(token) > lpreport.MaxPageToken):
			t.Fatalf("ParsePageToken(%q) accepted %+v", token, p)
		}
		other := w
		other.Filters.Skills = []string{"sales"}
		if _, err := other.ParsePageToken(token); err == nil && token != "" {
			t.Fatalf("token %q of one request accepted by another", token)
		}
	})
}
