package gateway_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/egress"
	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/parley"
)

func TestTransportError(t *testing.T) {
	refused := &egress.RefusedError{Address: "169.254.169.254:80", Class: egress.Metadata}
	tests := []struct {
		name   string
		cause  error
		code   string
		kind   parley.FailKind
		reason string
	}{
		{"network", errors.New("connection reset"), "NETWORK", parley.FailTransient, "no answer"},
		{"cancelled", context.Canceled, "NETWORK", parley.FailTransient, "no answer"},
		{"egress refused", fmt.Errorf("Post %q: dial tcp: %w", "http://169.254.169.254/", refused),
			gateway.CodeEgressRefused, parley.FailConfig, "169.254.169.254:80 is not a public address (metadata)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := gateway.TransportError("twilio", "NETWORK", "no answer", tt.cause)
			var se *parley.SendError
			if !errors.As(err, &se) || se.Provider != "twilio" || se.Code != tt.code || se.Kind != tt.kind || !strings.Contains(se.Reason, tt.reason) {
				t.Fatalf("TransportError = %v, want %s %s naming %q", err, tt.kind, tt.code, tt.reason)
			}
			if !errors.Is(err, tt.cause) {
				t.Errorf("%v does not wrap its cause", err)
			}
			if !errors.Is(se, tt.cause) {
				t.Errorf("the SendError of %v does not keep its cause", err)
			}
		})
	}
}

func TestWebhookURL(t *testing.T) {
	tests := []struct{ base, account, want string }{
		{"https://api.example.com", "acct1", "https://api.example.com/webhooks/twilio/acct1"},
		{"https://api.example.com/", "a/b", "https://api.example.com/webhooks/twilio/a%2Fb"},
		{"", "acct1", ""},
	}
	for _, tt := range tests {
		if got := gateway.WebhookURL(tt.base, parley.Provider("twilio"), tt.account); got != tt.want {
			t.Errorf("WebhookURL(%q, %q) = %q; want %q", tt.base, tt.account, got, tt.want)
		}
	}
	if got := gateway.WebhookPath(parley.Provider("cm")); got != "/webhooks/cm/{accountId}" {
		t.Errorf("WebhookPath = %q", got)
	}
}

func TestStatusWords(t *testing.T) {
	w := gateway.StatusWords{"sent": parley.StatusSent}
	for word, ok := range map[string]bool{"sent": true, " SENT ": true, "lost": false} {
		if _, got := w.Status(word); got != ok {
			t.Errorf("Status(%q) ok = %v; want %v", word, got, ok)
		}
	}
}
