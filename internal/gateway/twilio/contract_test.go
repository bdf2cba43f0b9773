package twilio

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/gateway/gatewaytest"
	"github.com/parleyhq/parley/internal/parley"
)

// contractRefusals are the fake's answers to the suite's outcomes.
var contractRefusals = map[gatewaytest.Outcome]refusal{
	gatewaytest.Refuse:      {status: http.StatusBadRequest, code: 21211},
	gatewaytest.Unavailable: {status: http.StatusServiceUnavailable, body: "<html><body>Service Unavailable</body></html>"},
	gatewaytest.Throttle:    {status: http.StatusTooManyRequests, code: 20429, retryAfter: "7"},
}

func TestGatewayContract(t *testing.T) {
	gatewaytest.Run(t, gatewaytest.Harness{
		Provider:      provider,
		PermanentCode: "21211",
		RetryAfter:    7 * time.Second,
		Secrets:       []string{testToken},
		Start: func(t *testing.T) *gatewaytest.Fake {
			f, _ := newFake(t)
			sw := gatewaytest.NewSwitch()
			srv := httptest.NewServer(sw.Wrap(f))
			t.Cleanup(srv.Close)
			m := parley.Message{Channel: parley.ChannelSMS, From: "+15005550006", To: "+447700900123", Body: "Hi Ann",
				AccountID: "acct1", CampaignID: "camp-1", RecipientID: "000042"}
			through := func(client *http.Client) gateway.Sender {
				return &Gateway{BaseURL: srv.URL, Credentials: Credentials{AccountSID: testAccount, AuthToken: testToken}, HTTP: client}
			}
			return &gatewaytest.Fake{
				Sender:  through(localHTTP),
				Through: through,
				Answer: func(o gatewaytest.Outcome) {
					sw.Set(o)
					f.mu.Lock()
					defer f.mu.Unlock()
					if ref, ok := contractRefusals[o]; ok {
						f.refuse[m.To] = ref
					} else {
						delete(f.refuse, m.To)
					}
				},
				Held:    sw.Held(),
				Close:   srv.Close,
				Message: m,
			}
		},
	})
}
