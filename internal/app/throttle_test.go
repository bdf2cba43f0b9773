package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/httpapi"
)

// TestCampaignCreationIsThrottledPerAccount sends more creations at once
// than an account's rate allows: the ones beyond the burst get 429 with a
// Retry-After and create nothing, and another account is not held back.
func TestCampaignCreationIsThrottledPerAccount(t *testing.T) {
	a := embeddedApp(t)
	h := asAdmin(t, a)
	body := `{"campaignName":"c","skill":"s","templateId":"1234567890","outboundNumber":"+12025550100","consent":true,
	  "message":"Hi","consumers":[{"consumerContent":{"sms":"+12025550181"}}]}`
	create := func(account string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/api/v2/account/"+account+"/campaign", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		h.ServeHTTP(rec, req)
		return rec
	}
	accepted, throttled := 0, 0
	for range 15 {
		switch rec := create("acct1"); rec.Code {
		case http.StatusAccepted:
			accepted++
		case http.StatusTooManyRequests:
			throttled++
			if s, err := strconv.Atoi(rec.Header().Get("Retry-After")); err != nil || s < 1 {
				t.Errorf("429 without a Retry-After in seconds: %q", rec.Header().Get("Retry-After"))
			}
			if !strings.Contains(rec.Body.String(), `"code":429,`) || !strings.Contains(rec.Body.String(), `"parleyCode":"too_many_requests"`) {
				t.Errorf("429 body %s", rec.Body)
			}
		default:
			t.Fatalf("create: %d %s", rec.Code, rec.Body)
		}
	}
	// The clock is fixed, so the account's burst (its rate: 10) is all it gets.
	if accepted != 10 || throttled != 5 {
		t.Errorf("%d accepted, %d throttled; want 10 and 5", accepted, throttled)
	}
	// Each accepted campaign queued its one recipient; a throttled call
	// queued nothing.
	queued := 0
	for {
		ms, err := a.Queue.Receive(context.Background(), 10, 0, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) == 0 {
			break
		}
		queued += len(ms)
	}
	if queued != accepted {
		t.Errorf("%d jobs queued for %d accepted calls: a throttled call made a campaign", queued, accepted)
	}
	if rec := create("acct2"); rec.Code != http.StatusAccepted {
		t.Errorf("another account: %d %s", rec.Code, rec.Body)
	}
}

// TestParseIsLimitedAndBounded is finding 6's regression test: parses are
// held to the account's rate like creations, and a large parse answers
// its totals with a bounded page of per-line results.
func TestParseIsLimitedAndBounded(t *testing.T) {
	a := embeddedApp(t)
	h := asAdmin(t, a)
	var csv strings.Builder
	csv.WriteString("Phone\n")
	for i := range 2500 {
		fmt.Fprintf(&csv, "+1202555%04d\n", i)
	}
	csv.WriteString("12345\n") // one bad line
	parse := func(query string) *httptest.ResponseRecorder {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		_ = mw.WriteField("campaign", `{"campaignName":"c","skill":"s","templateId":"1234567890","outboundNumber":"+12025550100","consent":true,"message":"Hi"}`)
		f, _ := mw.CreateFormFile("recipients", "r.csv")
		_, _ = io.WriteString(f, csv.String())
		_ = mw.Close()
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/api/v2/account/acct1/campaign/parse"+query, &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		h.ServeHTTP(rec, req)
		return rec
	}
	var first httpapi.ParseResponse
	rec := parse("")
	if err := json.Unmarshal(rec.Body.Bytes(), &first); rec.Code != http.StatusOK || err != nil {
		t.Fatalf("parse: %d %s", rec.Code, rec.Body.String()[:min(300, rec.Body.Len())])
	}
	if first.Accepted != 2500 || first.Failed != 1 || len(first.Recipients) != httpapi.MaxParseResults || !first.Truncated || len(first.FailedConsumers) != 1 {
		t.Errorf("first page: accepted %d failed %d, %d recipients listed, truncated %v", first.Accepted, first.Failed, len(first.Recipients), first.Truncated)
	}
	var last httpapi.ParseResponse
	rec = parse("?offset=2000&limit=1000")
	if err := json.Unmarshal(rec.Body.Bytes(), &last); rec.Code != http.StatusOK || err != nil || len(last.Recipients) != 500 || last.Truncated || last.Recipients[0].Index != 2000 {
		t.Errorf("last page: %d, %d recipients, truncated %v", rec.Code, len(last.Recipients), last.Truncated)
	}
	if rec := parse("?limit=5000"); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `"field":"limit"`) {
		t.Errorf("limit past the bound: %d %s", rec.Code, rec.Body)
	}
	throttled := 0
	for range 12 {
		if parse("").Code == http.StatusTooManyRequests {
			throttled++
		}
	}
	if throttled == 0 {
		t.Error("14 parses at once on a fixed clock were all let through; want the account's rate to hold them")
	}
}
