package sandbox_test

import (
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/gateway/gatewaytest"
	"github.com/parleyhq/parley/internal/gateway/sandbox"
	"github.com/parleyhq/parley/internal/parley"
)

// contractFaults are the faults that make the sandbox answer as the suite
// asks.
var contractFaults = map[gatewaytest.Outcome]sandbox.Fault{
	gatewaytest.Refuse:      {Kind: "fail"},
	gatewaytest.Unavailable: {Kind: "error"},
	gatewaytest.Throttle:    {Kind: "throttle", RetryAfter: 7},
}

// noHTTP is why the sandbox lacks the transport cases.
const noHTTP = "the sandbox records messages in the store and makes no request to a provider"

func TestGatewayContract(t *testing.T) {
	gatewaytest.Run(t, gatewaytest.Harness{
		Provider:      "sandbox",
		PermanentCode: "21211",
		RetryAfter:    7 * time.Second,
		Lacks: map[gatewaytest.Behaviour]string{
			gatewaytest.TransportFailure: noHTTP,
			gatewaytest.Cancelled:        noHTTP + ", so a send has nothing to cancel",
			gatewaytest.EgressRefused:    noHTTP,
		},
		Start: func(t *testing.T) *gatewaytest.Fake {
			g := newGateway(t)
			return &gatewaytest.Fake{
				Sender: g,
				Answer: func(o gatewaytest.Outcome) {
					g.ClearFaults("")
					if f, ok := contractFaults[o]; ok {
						if _, err := g.Inject(f); err != nil {
							t.Fatalf("Inject(%+v): %v", f, err)
						}
					}
				},
				Message: msg("+12025550101", parley.ChannelSMS),
			}
		},
	})
}
