package cm

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/gateway/gatewaytest"
)

// contractReplies are CM's answers to the suite's outcomes. CM's 429 says
// nothing of when to retry.
var contractReplies = map[gatewaytest.Outcome]*reply{
	gatewaytest.Refuse:      {http.StatusBadRequest, rejected(Reference(testMessage()), 303, "Gsm '0044791112345a' is not a number.")},
	gatewaytest.Unavailable: {http.StatusServiceUnavailable, `<html>Service Unavailable</html>`},
	gatewaytest.Throttle:    {http.StatusTooManyRequests, `{"details":"Too many requests"}`},
}

func TestGatewayContract(t *testing.T) {
	gatewaytest.Run(t, gatewaytest.Harness{
		Provider:      provider,
		PermanentCode: "303",
		Secrets:       []string{testToken},
		Start: func(t *testing.T) *gatewaytest.Fake {
			sw := gatewaytest.NewSwitch()
			// A fake per request, which checks it and gives the answer
			// the switch is set to.
			srv := httptest.NewServer(sw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				(&fakeCM{t: t, reply: contractReplies[sw.Outcome()]}).ServeHTTP(w, r)
			})))
			t.Cleanup(srv.Close)
			through := func(client *http.Client) gateway.Sender {
				return &Gateway{BaseURL: srv.URL, ProductToken: testToken, HTTP: client}
			}
			return &gatewaytest.Fake{
				Sender:  through(srv.Client()),
				Through: through,
				Answer:  sw.Set,
				Held:    sw.Held(),
				Close:   srv.Close,
				Message: testMessage(),
			}
		},
	})
}
