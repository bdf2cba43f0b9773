package whatsapp

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// answering returns a Gateway whose every request gets this answer.
func answering(t *testing.T, status int, header http.Header, body string) *Gateway {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		for k, vs := range header {
			w.Header()[k] = vs
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return &Gateway{BaseURL: srv.URL, Token: testToken, HTTP: srv.Client()}
}

// graphBody is a Graph API error answer.
func graphBody(code, subcode int, title, details string) string {
	sub := ""
	if subcode != 0 {
		sub = fmt.Sprintf(`,"error_subcode":%d`, subcode)
	}
	return fmt.Sprintf(`{"error":{"message":"(#%d) %s","type":"OAuthException","code":%d%s,`+
		`"error_data":{"messaging_product":"whatsapp","details":%q},"fbtrace_id":"Az8or2yhqkZfEZ-_4Qn_Bam"}}`,
		code, title, code, sub, details)
}

// TestErrorKinds is the decision table from Graph error to failure kind. Each
// row says why, from Meta's description of the code.
func TestErrorKinds(t *testing.T) {
	tests := []struct {
		code, subcode int
		status        int
		kind          parley.FailKind
		retry         time.Duration
		why           string
	}{
		// Delivery to this consumer on WhatsApp.
		{131026, 0, 400, parley.FailIneligible, 0, "undeliverable: no WhatsApp account, old app or terms not accepted; SMS may reach them"},
		{131047, 0, 400, parley.FailIneligible, 0, "over 24 h since the consumer wrote: free-form text is not allowed, another channel is"},
		{131049, 0, 400, parley.FailIneligible, marketingWait, "per-user marketing limit (also US numbers): Meta asks for ≥24 h before retrying, too late for a " +
			"proactive send and no sender slowdown helps; try the next channel, and say when WhatsApp could work again"},
		{130497, 0, 403, parley.FailIneligible, 0, "the business may not message users in that country on WhatsApp"},
		{130472, 0, 400, parley.FailIneligible, 0, "the consumer is held out of marketing messages by a Meta experiment"},
		{131050, 0, 400, parley.FailPermanent, 0, "the consumer stopped this business's marketing messages: a choice to honour, not route around"},
		{131021, 0, 400, parley.FailPermanent, 0, "recipient is the sending number"},
		// Throughput.
		{130429, 0, 400, parley.FailThrottled, 0, "the number's message throughput (80 mps by default) is reached"},
		{131056, 0, 400, parley.FailThrottled, pairWait, "pair rate limit: one message per 6 s to the same consumer"},
		{131048, 0, 400, parley.FailThrottled, 0, "spam rate limit on the sending number after blocks and reports"},
		{80007, 0, 400, parley.FailThrottled, 0, "WhatsApp Business Account rate limit"},
		{4, 0, 400, parley.FailThrottled, 0, "app-level call limit"},
		{17, 0, 400, parley.FailThrottled, 0, "per-user call limit of the Graph API"},
		{341, 0, 400, parley.FailThrottled, 0, "application limit reached"},
		// Our account and credentials.
		{190, 0, 401, parley.FailConfig, 0, "access token expired or invalid: an operator must issue a new one"},
		{190, 463, 401, parley.FailConfig, 0, "token expired, with the subcode kept in the code"},
		{0, 0, 401, parley.FailConfig, 0, "AuthException: the token cannot authenticate"},
		{10, 0, 403, parley.FailConfig, 0, "permission not granted or removed"},
		{3, 0, 500, parley.FailConfig, 0, "capability or permission missing, though Meta answers 500"},
		{102, 0, 401, parley.FailConfig, 0, "login or token expired or revoked: a new token is needed"},
		{200, 0, 403, parley.FailConfig, 0, "API permission (200–299)"},
		{299, 0, 403, parley.FailConfig, 0, "API permission (200–299)"},
		{131005, 0, 403, parley.FailConfig, 0, "access denied to the phone number"},
		{100, 33, 400, parley.FailConfig, 0, "phone-number id does not exist for this token"},
		{33, 0, 400, parley.FailConfig, 0, "the business phone number was deleted"},
		{368, 0, 403, parley.FailConfig, 0, "account restricted for policy violations"},
		{131031, 0, 403, parley.FailConfig, 0, "business account locked"},
		{131042, 0, 400, parley.FailConfig, 0, "billing problem"},
		{131037, 0, 400, parley.FailConfig, 0, "the sending number's display name is not approved"},
		{131045, 0, 400, parley.FailConfig, 0, "the number's registration certificate is wrong"},
		{133010, 0, 400, parley.FailConfig, 0, "phone number not registered with the Cloud API"},
		{2500, 0, 400, parley.FailConfig, 0, "unknown path: wrong version or base URL"},
		// Templates.
		{132001, 0, 404, parley.FailConfig, 0, "template missing or not approved in that language: an operator can get it approved"},
		{132015, 0, 400, parley.FailConfig, 0, "template paused for low quality: sends resume when it is unpaused"},
		{132000, 0, 400, parley.FailPermanent, 0, "this message's variables do not fit the template"},
		{132005, 0, 400, parley.FailPermanent, 0, "text too long once these values are filled in"},
		{132007, 0, 400, parley.FailPermanent, 0, "values break the template's format character policy"},
		{132012, 0, 400, parley.FailPermanent, 0, "a variable has the wrong format (e.g. video for an image header)"},
		{132016, 0, 400, parley.FailPermanent, 0, "template disabled for good: no operator action revives it"},
		// Requests that are wrong as sent.
		{100, 0, 400, parley.FailPermanent, 0, "invalid parameter"},
		{131008, 0, 400, parley.FailPermanent, 0, "required parameter missing"},
		{131009, 0, 400, parley.FailPermanent, 0, "parameter value not valid"},
		{131051, 0, 400, parley.FailPermanent, 0, "unsupported message type"},
		{131053, 0, 400, parley.FailPermanent, 0, "header media could not be fetched or is unsupported"},
		{131052, 0, 400, parley.FailPermanent, 0, "media download error: the same media fails again"},
		{135000, 0, 400, parley.FailPermanent, 0, "generic user error in the request"},
		// Meta's side.
		{131000, 0, 500, parley.FailTransient, 0, "something went wrong at Meta"},
		{1, 0, 500, parley.FailTransient, 0, "API Unknown: possibly a server error"},
		{2, 0, 503, parley.FailTransient, 0, "API Service: downtime or overload"},
		{131016, 0, 503, parley.FailTransient, 0, "service unavailable"},
		{131057, 0, 400, parley.FailTransient, 0, "account in maintenance mode, e.g. a throughput upgrade"},
		{133004, 0, 503, parley.FailTransient, 0, "server temporarily unavailable"},
		// Codes this gateway does not know fall back on the HTTP status.
		{999001, 0, 400, parley.FailPermanent, 0, "unknown code, 4xx: the request is wrong"},
		{999002, 0, 429, parley.FailThrottled, 0, "unknown code, 429"},
		{999003, 0, 403, parley.FailConfig, 0, "unknown code, 403"},
		{999004, 0, 502, parley.FailTransient, 0, "unknown code, 5xx"},
	}
	documented := map[int]bool{}
	for _, tt := range tests {
		documented[tt.code] = true
	}
	for code := range rules {
		if !documented[code] {
			t.Errorf("code %d has a rule but no row saying why", code)
		}
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d_%d", tt.code, tt.subcode), func(t *testing.T) {
			gw := answering(t, tt.status, nil, graphBody(tt.code, tt.subcode, "Title", "Details of the failure"))
			_, err := gw.Send(t.Context(), parley.Message{From: testPhoneID, To: "+14155550123", Body: "hi"})
			se := sendError(t, err)
			want := fmt.Sprint(tt.code)
			if tt.subcode != 0 {
				want += fmt.Sprintf("/%d", tt.subcode)
			}
			if se.Kind != tt.kind || se.Code != want || se.RetryAfter != tt.retry {
				t.Errorf("got %s %s retry %s, want %s %s retry %s: %s", se.Kind, se.Code, se.RetryAfter, tt.kind, want, tt.retry, tt.why)
			}
			if !strings.Contains(se.Reason, "Details of the failure") || !strings.Contains(se.Reason, "Az8or2yhqkZfEZ-_4Qn_Bam") {
				t.Errorf("Reason %q lacks Meta's details or trace id", se.Reason)
			}
		})
	}
}

// TestErrorsWithoutGraphBody covers answers from proxies and load balancers,
// Retry-After, and is_transient on an unknown code.
func TestErrorsWithoutGraphBody(t *testing.T) {
	tests := []struct {
		name   string
		status int
		header http.Header
		body   string
		kind   parley.FailKind
		code   string
		retry  time.Duration
	}{
		{"gateway timeout page", 504, nil, "<html>504 Gateway Time-out</html>", parley.FailTransient, "HTTP_504", 0},
		{"bad gateway, empty", 502, nil, "", parley.FailTransient, "HTTP_502", 0},
		{"429 with Retry-After", 429, http.Header{"Retry-After": {"30"}}, "", parley.FailThrottled, "HTTP_429", 30 * time.Second},
		{"401 without body", 401, nil, "", parley.FailConfig, "HTTP_401", 0},
		{"400 garbage", 400, nil, "{not json", parley.FailPermanent, "HTTP_400", 0},
		{"error object empty", 400, nil, `{"error":{}}`, parley.FailPermanent, "HTTP_400", 0},
		{"Retry-After overrides the documented wait", 400, http.Header{"Retry-After": {"2"}},
			graphBody(131056, 0, "Pair rate limit hit", ""), parley.FailThrottled, "131056", 2 * time.Second},
		{"unreadable Retry-After keeps the documented wait", 400, http.Header{"Retry-After": {"soon"}},
			graphBody(131056, 0, "Pair rate limit hit", ""), parley.FailThrottled, "131056", pairWait},
		{"unknown code marked transient", 400, nil,
			`{"error":{"message":"Please retry","type":"OAuthException","code":999777,"is_transient":true}}`, parley.FailTransient, "999777", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gw := answering(t, tt.status, tt.header, tt.body)
			_, err := gw.Send(t.Context(), parley.Message{From: testPhoneID, To: "+14155550123", Body: "hi"})
			se := sendError(t, err)
			if se.Kind != tt.kind || se.Code != tt.code || se.RetryAfter != tt.retry {
				t.Errorf("got %s %s retry %s, want %s %s retry %s", se.Kind, se.Code, se.RetryAfter, tt.kind, tt.code, tt.retry)
			}
		})
	}
}
