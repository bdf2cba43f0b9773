package samtemplate

import (
	"testing"
)

// TestWebhooksFunctionURL checks the function providers post their
// webhooks to: reached at its own URL (no API Gateway request per delivery
// receipt) with no authorizer in front, so its concurrency is reserved and
// bounded, it checks signatures against the URL a request came to (no
// PARLEY_PUBLIC_URL), and it has no HTTP API route; the functions that
// send ask providers for callbacks at that URL (PARLEY_WEBHOOK_URL), and
// the stack's outputs give it for registering with providers.
func TestWebhooksFunctionURL(t *testing.T) {
	tmpl := loadTemplate(t)
	fn := mustFunctionFor(t, tmpl, "webhooks")
	props := lookup(fn.node, "Properties")
	if got := value(lookup(props, "FunctionUrlConfig", "AuthType")); got != "NONE" {
		t.Errorf("the webhooks function's URL has AuthType %q; want NONE (providers sign their requests, they cannot sign AWS's)", got)
	}
	if refTarget(lookup(props, "ReservedConcurrentExecutions")) == "" && value(lookup(props, "ReservedConcurrentExecutions")) == "" {
		t.Error("the webhooks function's public URL has no reserved concurrency: a flood could take every execution of the account")
	}
	if public := lookup(props, "Environment", "Variables", "PARLEY_PUBLIC_URL"); public == nil || value(public) != "" || refTarget(public) != "" {
		t.Error("the webhooks function must set PARLEY_PUBLIC_URL empty: its requests are signed for its own URL, not the API's domain")
	}
	for name, ev := range entries(lookup(props, "Events")) {
		if value(lookup(ev, "Type")) == "HttpApi" {
			t.Errorf("the webhooks function has the HTTP API route %s: it is reached at its URL alone", name)
		}
	}
	urlID := fn.name + "Url"
	for _, dir := range []string{"api", "dispatcher"} {
		sender := mustFunctionFor(t, tmpl, dir)
		if got := refTarget(lookup(sender.node, "Properties", "Environment", "Variables", "PARLEY_WEBHOOK_URL")); got != urlID {
			t.Errorf("%s's PARLEY_WEBHOOK_URL names %q; want %s, the webhooks function's URL", sender.name, got, urlID)
		}
	}
	if got := refTarget(lookup(tmpl, "Outputs", "WebhooksURL", "Value")); got != urlID {
		t.Errorf("output WebhooksURL names %q; want %s", got, urlID)
	}
}
