package httpapi

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/gateway/sandbox"
	"github.com/parleyhq/parley/internal/parley"
)

// FuzzSandboxReply feeds arbitrary bodies to the sandbox reply injection's
// parser: a request with its account, sender and a channel, or EINVALID.
func FuzzSandboxReply(f *testing.F) {
	f.Add([]byte(`{"from":"+12025550181","to":"+12025550100","body":"STOP","channel":"sms","accountId":"acct1"}`))
	f.Add([]byte(`{"from":"c-42","body":"hi","channel":"inapp","accountId":"a"}`))
	f.Add([]byte(`{"from":"+1","accountId":"a","channel":"fax"}`))
	f.Add([]byte(`{"from":1}`))
	f.Add([]byte(`{} {}`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := parseSandboxReply(body)
		if err != nil {
			if parley.ErrorCode(err) != parley.EINVALID {
				t.Fatalf("parseSandboxReply(%q) = %v, want EINVALID", body, err)
			}
			return
		}
		if strings.TrimSpace(req.AccountID) == "" || strings.TrimSpace(req.From) == "" || !parley.ConfigurableChannel(req.Channel) {
			t.Fatalf("parseSandboxReply(%q) accepted %+v", body, req)
		}
	})
}

// FuzzSandboxStatus feeds arbitrary bodies to the sandbox status
// injection's parser: a request with its account, message id and a status
// delivery knows, or EINVALID.
func FuzzSandboxStatus(f *testing.F) {
	f.Add([]byte(`{"providerMessageId":"SB0123","status":"delivered","accountId":"acct1","errorCode":""}`))
	f.Add([]byte(`{"providerMessageId":"SB0123","status":"undelivered","accountId":"acct1","errorCode":"30003"}`))
	f.Add([]byte(`{"providerMessageId":"SB0123","status":"lost","accountId":"acct1"}`))
	f.Add([]byte(`{"status":["delivered"]}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := parseSandboxStatus(body)
		if err != nil {
			if parley.ErrorCode(err) != parley.EINVALID {
				t.Fatalf("parseSandboxStatus(%q) = %v, want EINVALID", body, err)
			}
			return
		}
		if _, ok := (sandbox.Provider{}).Status(req.Status); !ok || strings.TrimSpace(req.AccountID) == "" || strings.TrimSpace(req.ProviderMessageID) == "" {
			t.Fatalf("parseSandboxStatus(%q) accepted %+v", body, req)
		}
	})
}

// FuzzPublicURL feeds arbitrary forwarding headers and targets to the
// public URL a webhook signature is checked against: it always keeps the
// request's path and query as requested, after an http(s) origin.
func FuzzPublicURL(f *testing.F) {
	f.Add("/webhooks/twilio/acct1?ref=camp1%2F000001", "https", "api.example.com", "")
	f.Add("/webhooks/twilio/a", "HTTP, https", "h1.example.com, h2.example.com", "https://base.example.com/")
	f.Add("/x", "gopher", "", "")
	f.Fuzz(func(t *testing.T, target, proto, host, base string) {
		if !strings.HasPrefix(target, "/") || strings.ContainsAny(target, " \t\r\n#") {
			return
		}
		if _, err := url.ParseRequestURI(target); err != nil {
			return
		}
		if base != "" && !strings.HasPrefix(base, "https://") && !strings.HasPrefix(base, "http://") {
			return // config.Validate refuses it
		}
		r := httptest.NewRequest("POST", target, nil)
		r.Header.Set("X-Forwarded-Proto", proto)
		r.Header.Set("X-Forwarded-Host", host)
		s := &Server{PublicURL: base, TrustForwarded: true}
		got := s.publicURL(r)
		if !strings.HasSuffix(got, target) {
			t.Fatalf("publicURL = %q, which does not end with the target %q", got, target)
		}
		if base == "" && !strings.HasPrefix(got, "http://") && !strings.HasPrefix(got, "https://") {
			t.Fatalf("publicURL = %q, not http(s)", got)
		}
	})
}
