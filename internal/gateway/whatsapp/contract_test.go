package whatsapp

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/gateway/gatewaytest"
	"github.com/parleyhq/parley/internal/parley"
)

// contractFailures are the Cloud API's answers to the suite's outcomes.
var contractFailures = map[gatewaytest.Outcome]*failure{
	gatewaytest.Refuse:      {status: http.StatusBadRequest, code: 131009, title: "Parameter value is not valid"},
	gatewaytest.Unavailable: {status: http.StatusServiceUnavailable, code: 131016, title: "Service unavailable"},
	gatewaytest.Throttle:    {status: http.StatusTooManyRequests, code: 130429, title: "Rate limit hit"},
}

func TestGatewayContract(t *testing.T) {
	gatewaytest.Run(t, gatewaytest.Harness{
		Provider:      provider,
		PermanentCode: "131009",
		RetryAfter:    7 * time.Second,
		Secrets:       []string{testToken},
		Start: func(t *testing.T) *gatewaytest.Fake {
			a := newCloudAPI(t)
			sw := gatewaytest.NewSwitch()
			srv := httptest.NewServer(sw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				f, ok := contractFailures[sw.Outcome()]
				if !ok {
					a.serve(w, r)
					return
				}
				if _, bad := a.check(r); bad != nil {
					t.Errorf("the Cloud API would refuse the request: %+v", bad)
					bad.write(w)
					return
				}
				if sw.Outcome() == gatewaytest.Throttle {
					w.Header().Set("Retry-After", "7")
				}
				f.write(w)
			})))
			t.Cleanup(srv.Close)
			through := func(client *http.Client) gateway.Sender {
				return &Gateway{BaseURL: srv.URL, Version: a.version, Token: a.token, HTTP: client}
			}
			return &gatewaytest.Fake{
				Sender:  through(srv.Client()),
				Through: through,
				Answer:  sw.Set,
				Held:    sw.Held(),
				Close:   srv.Close,
				Message: parley.Message{Channel: parley.ChannelWhatsApp, From: testPhoneID, To: "+14155550123", Body: "Your table for 4 is ready"},
			}
		},
	})
}
