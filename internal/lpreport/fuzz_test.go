package lpreport_test

import (
	"errors"
	"net/url"
	"testing"

	"github.com/parleyhq/parley/internal/lpreport"
	"github.com/parleyhq/parley/internal/parley"
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
			if q := f.Query("a", "prmsg", "", lpreport.Window{}); len(q.Channels) != len(f.Channels) {
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
