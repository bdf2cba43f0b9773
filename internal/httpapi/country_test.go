package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/httpapi"
	"github.com/parleyhq/parley/internal/parley"
)

// TestDefaultCountrySetting: the account's default country is a setting a
// PUT must name and a PATCH may change; a campaign's own overrides it in
// the parse answer; without either, a national number is refused
// AMBIGUOUS_NUMBER with its line.
func TestDefaultCountrySetting(t *testing.T) {
	w := newWorld(t)
	parse := func(t *testing.T, extra string) httpapi.ParseResponse {
		t.Helper()
		body := `{"campaignName":"Renewal","skill":"sales","templateId":"1234567890","outboundNumber":"+12025550100","consent":true,` + extra +
			`"message":"Hi {{1}}","manualRecipients":"(201) 555-0123, Jane\n(+44) 20 7946 0958, Bob"}`
		resp, data := w.do(t, "POST", "/api/v2/account/acct1/campaign/parse", body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("parse: %d %s", resp.StatusCode, data)
		}
		var p httpapi.ParseResponse
		if err := json.Unmarshal(data, &p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	p := parse(t, "")
	if p.Accepted != 1 || p.Failed != 1 || p.FailedConsumers[0].ErrorMessage != "AMBIGUOUS_NUMBER" || p.FailedConsumers[0].Line != 1 ||
		!strings.HasPrefix(p.FailedConsumers[0].Detail, "line 1: ") || p.Recipients[0].ConsumerContent.SMS != "+442079460958" {
		t.Fatalf("without a default country: %+v", p)
	}
	if p := parse(t, `"defaultCountry":"US",`); p.Accepted != 2 || p.Recipients[0].ConsumerContent.SMS != "+12015550123" {
		t.Fatalf("with the campaign's: %+v", p)
	}
	if resp, data := w.do(t, "POST", "/api/v2/account/acct1/campaign/parse", `{"campaignName":"R","skill":"s","templateId":"1234567890",
	  "outboundNumber":"+12025550100","consent":true,"message":"Hi","defaultCountry":"USA","manualRecipients":"2015550123"}`); resp.StatusCode != http.StatusBadRequest ||
		!strings.Contains(string(data), `"field":"defaultCountry"`) {
		t.Fatalf("a campaign's bad country: %d %s", resp.StatusCode, data)
	}

	whole := `{"optOutText":"","helpText":"","defaultSkill":"","optOutConfirmText":"","optInConfirmText":"","connectorUrl":"","dailyRecipientLimit":0}`
	if resp, data := w.do(t, "PUT", "/api/v2/account/acct1/settings", whole); resp.StatusCode != http.StatusBadRequest ||
		!strings.Contains(string(data), `"field":"defaultCountry"`) {
		t.Fatalf("a PUT without defaultCountry: %d %s", resp.StatusCode, data)
	}
	whole = strings.Replace(whole, `"connectorUrl"`, `"defaultCountry":"US","connectorUrl"`, 1)
	if resp, data := w.do(t, "PUT", "/api/v2/account/acct1/settings", whole); resp.StatusCode != http.StatusOK || !strings.Contains(string(data), `"defaultCountry":"US"`) {
		t.Fatalf("PUT: %d %s", resp.StatusCode, data)
	}
	if p := parse(t, ""); p.Accepted != 2 || p.Recipients[0].ConsumerContent.SMS != "+12015550123" {
		t.Fatalf("with the account's: %+v", p)
	}
	if p := parse(t, `"defaultCountry":"GB",`); p.Accepted != 2 || p.Recipients[0].ConsumerContent.SMS != "+442015550123" { // a London number in Great Britain
		t.Fatalf("the campaign's over the account's: %+v", p)
	}
	for body, status := range map[string]int{`{"defaultCountry":"Narnia"}`: http.StatusBadRequest, `{"defaultCountry":"gb"}`: http.StatusBadRequest, `{"defaultCountry":null}`: http.StatusOK} {
		if resp, data := w.do(t, "PATCH", "/api/v2/account/acct1/settings", body); resp.StatusCode != status {
			t.Errorf("PATCH %s: %d %s; want %d", body, resp.StatusCode, data, status)
		}
	}
	if a, _ := w.store.Account(context.Background(), "acct1"); a.DefaultCountry != "" {
		t.Errorf("after the null patch the default country is %q", a.DefaultCountry)
	}
}

// TestDailyRecipientLimitSetting reads and writes the account's daily
// recipient limit: a whole number, required by a PUT, 0 or a null patch
// for the default.
func TestDailyRecipientLimitSetting(t *testing.T) {
	w := newWorld(t)
	limit := func() float64 {
		t.Helper()
		_, data := w.do(t, "GET", "/api/v2/account/acct1/settings", "")
		var got map[string]any
		if err := json.Unmarshal(data, &got); err != nil {
			t.Fatal(err)
		}
		n, _ := got["dailyRecipientLimit"].(float64)
		return n
	}
	if n := limit(); n != parley.DefaultDailyRecipientLimit {
		t.Errorf("default %v, want %d", n, parley.DefaultDailyRecipientLimit)
	}
	whole := `{"optOutText":"","helpText":"","defaultSkill":"","optOutConfirmText":"","optInConfirmText":"","defaultCountry":"","connectorUrl":"","dailyRecipientLimit":5000}`
	if resp, data := w.do(t, "PUT", "/api/v2/account/acct1/settings", whole); resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT: %d %s", resp.StatusCode, data)
	}
	if n := limit(); n != 5000 {
		t.Errorf("after the PUT %v, want 5000", n)
	}
	for body, field := range map[string]string{
		strings.Replace(whole, `,"dailyRecipientLimit":5000`, "", 1):                          "dailyRecipientLimit",
		strings.Replace(whole, `5000`, `"5000"`, 1):                                           "dailyRecipientLimit",
		strings.Replace(whole, `5000`, `-1`, 1):                                               "dailyRecipientLimit",
		strings.Replace(whole, `"dailyRecipientLimit":5000`, `"dailyRecipientLimit":null`, 1): "dailyRecipientLimit",
	} {
		var p httpapi.Problem
		if resp, data := w.do(t, "PUT", "/api/v2/account/acct1/settings", body); resp.StatusCode != http.StatusBadRequest || json.Unmarshal(data, &p) != nil || p.Field != field {
			t.Errorf("PUT %s: %d %s; want 400 naming %s", body, resp.StatusCode, data, field)
		}
	}
	if resp, data := w.do(t, "PATCH", "/api/v2/account/acct1/settings", `{"dailyRecipientLimit":1.5}`); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("PATCH 1.5: %d %s", resp.StatusCode, data)
	}
	if resp, data := w.do(t, "PATCH", "/api/v2/account/acct1/settings", `{"dailyRecipientLimit":250}`); resp.StatusCode != http.StatusOK || limit() != 250 {
		t.Errorf("PATCH 250: %d %s", resp.StatusCode, data)
	}
	if resp, data := w.do(t, "PATCH", "/api/v2/account/acct1/settings", `{"defaultSkill":"care"}`); resp.StatusCode != http.StatusOK || limit() != 250 {
		t.Errorf("a PATCH of another setting changed the limit: %d %s", resp.StatusCode, data)
	}
	if resp, data := w.do(t, "PATCH", "/api/v2/account/acct1/settings", `{"dailyRecipientLimit":null}`); resp.StatusCode != http.StatusOK || limit() != parley.DefaultDailyRecipientLimit {
		t.Errorf("PATCH null: %d %s, limit %v", resp.StatusCode, data, limit())
	}
}
