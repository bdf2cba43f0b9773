package httpapi

import (
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/egress"
	"github.com/parleyhq/parley/internal/parley"
)

// FuzzDraft feeds arbitrary bodies to the campaign request parser: it either
// yields a draft or an EINVALID error, never a panic or another kind.
func FuzzDraft(f *testing.F) {
	f.Add([]byte(`{"campaignName":"c","skill":"s","templateId":"1234567890","outboundNumber":"+12025550100","consent":true,"message":"Hi {{1}}","consumers":[{"consumerContent":{"sms":"+12025550101"},"variables":{"1":"x"}}]}`))
	f.Add([]byte(`{"consumers":[{"consumerContent":{"sms":1}}],"consent":true}`))
	f.Add([]byte(`{"consent":"yes"}`))
	f.Add([]byte(`{"foo":1,"consent":true,"consumers":[{"consumerContent":{"fax":"1"}},{"consumerCountryCode":"1","consumerPhoneNumber":"2025550101"}]}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := draft(body, nil)
		if err != nil {
			if parley.ErrorCode(err) != parley.EINVALID {
				t.Fatalf("draft(%q) = %v, want EINVALID", body, err)
			}
			return
		}
		if len(d.Consumers) > parley.MaxConsumersPerCall || d.CSV != nil {
			t.Fatalf("draft accepted %d consumers", len(d.Consumers))
		}
	})
}

func FuzzEventSubscriptionRequest(f *testing.F) {
	f.Add([]byte(`{"url":"https://hooks.example.com/p?t=1","eventTypes":["message.sent","*"],"secret":"0123456789abcdef0123456789abcdef","enabled":false}`))
	f.Add([]byte(`{"url":"http://127.0.0.1/","eventTypes":["message.bounced"],"rotateSecret":true}`))
	f.Add([]byte(`{"url":7,"eventTypes":"x"}`))
	f.Add([]byte(`{"url":"https://[::1]:80/","eventTypes":[],"description":"\u0000"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var req EventSubscriptionRequest
		if err := decodeJSON(body, &req, ""); err != nil {
			if parley.ErrorCode(err) != parley.EINVALID {
				t.Fatalf("decode %q = %v, want EINVALID", body, err)
			}
			return
		}
		c := req.change()
		sub := parley.EventSubscription{URL: c.URL, Types: c.Types, Secret: c.Secret, Description: c.Description, Disabled: c.Disabled}
		err := sub.Validate(egress.Policy{})
		if err != nil && parley.ErrorCode(err) != parley.EINVALID {
			t.Fatalf("Validate(%q) = %v, want EINVALID", body, err)
		}
		if parley.ErrorField(err) == "secret" && len(req.Secret) >= 8 && strings.Contains(err.Error(), req.Secret) {
			t.Fatalf("the error of %q quotes the secret: %v", body, err)
		}
	})
}
