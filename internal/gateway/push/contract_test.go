package push

import (
	"net/http"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/gateway/gatewaytest"
)

// contractDevice is the consumer's one registered device.
const contractDevice = "device-1"

// contractReplies are FCM's answers to the suite's outcomes.
var contractReplies = map[gatewaytest.Outcome]reply{
	gatewaytest.Refuse:      {400, fcmError(400, "INVALID_ARGUMENT", "The registration token is not a valid FCM registration token", "INVALID_ARGUMENT"), nil},
	gatewaytest.Unavailable: {503, fcmError(503, "UNAVAILABLE", "The service is currently unavailable.", "UNAVAILABLE"), nil},
	gatewaytest.Throttle: {429, fcmError(429, "RESOURCE_EXHAUSTED", "Quota exceeded.", "QUOTA_EXCEEDED"),
		map[string]string{"Retry-After": "30"}},
}

func TestGatewayContract(t *testing.T) {
	gatewaytest.Run(t, gatewaytest.Harness{
		Provider:      provider,
		PermanentCode: "INVALID_ARGUMENT",
		RetryAfter:    30 * time.Second,
		Secrets:       []string{"ya29.c.test", pemPKCS8(t, rsaKey(t))},
		Start: func(t *testing.T) *gatewaytest.Fake {
			sw := gatewaytest.NewSwitch()
			f := newWrappedFakeGoogle(t, sw.Wrap)
			m := pushMessage()
			tokens := newMemStore(map[string][]string{storeKey(m.AccountID, m.To): {contractDevice}})
			through := func(client *http.Client) gateway.Sender {
				c := f.client()
				c.HTTP = client
				return &Gateway{Client: c, Tokens: tokens, Title: "Parley"}
			}
			return &gatewaytest.Fake{
				Sender:  through(f.srv.Client()),
				Through: through,
				Answer: func(o gatewaytest.Outcome) {
					sw.Set(o)
					f.set(func(f *fakeGoogle) {
						if r, ok := contractReplies[o]; ok {
							f.replies[contractDevice] = r
						} else {
							delete(f.replies, contractDevice)
						}
					})
				},
				Held:    sw.Held(),
				Close:   f.srv.Close,
				Message: m,
			}
		},
	})
}
