package app_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// TestCampaignCreationIsThrottledPerAccount sends more creations at once
// than an account's rate allows: the ones beyond the burst get 429 with a
// Retry-After and create nothing, and another account is not held back.
func TestCampaignCreationIsThrottledPerAccount(t *testing.T) {
	a := embeddedApp(t)
	h := asAdmin(t, a)
	made := 0
	a.Campaigns.NewID = func() string { made++; return uuid.NewString() }
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
			if !strings.Contains(rec.Body.String(), `"code":"too_many_requests"`) {
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
	if made != accepted {
		t.Errorf("%d campaigns made for %d accepted calls: a throttled call reached the service", made, accepted)
	}
	if rec := create("acct2"); rec.Code != http.StatusAccepted {
		t.Errorf("another account: %d %s", rec.Code, rec.Body)
	}
}
