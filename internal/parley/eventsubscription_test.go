package parley_test

import (
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/egress"
	"github.com/parleyhq/parley/internal/parley"
)

func TestEventSubscriptionValidate(t *testing.T) {
	valid := parley.EventSubscription{URL: "https://hooks.example.com/parley?tenant=7", Types: []parley.EventType{parley.EventSent, parley.EventOptedOut},
		Secret: parley.Secret(strings.Repeat("k", parley.MinEventSecret))}
	if err := valid.Validate(egress.Policy{}); err != nil {
		t.Fatalf("valid: %v", err)
	}
	loopback := valid
	loopback.URL = "http://127.0.0.1:9000/hooks"
	if err := loopback.Validate(egress.Policy{AllowLoopback: true}); err != nil {
		t.Errorf("http to loopback where loopback is allowed: %v", err)
	}
	for _, tt := range []struct {
		name  string
		edit  func(*parley.EventSubscription)
		field string
	}{
		{"http", func(s *parley.EventSubscription) { s.URL = "http://hooks.example.com" }, "url"},
		{"loopback", func(s *parley.EventSubscription) { s.URL = "http://127.0.0.1:9000/hooks" }, "url"},
		{"localhost over https", func(s *parley.EventSubscription) { s.URL = "https://localhost/hooks" }, "url"},
		{"private", func(s *parley.EventSubscription) { s.URL = "https://192.168.1.10/hooks" }, "url"},
		{"metadata", func(s *parley.EventSubscription) { s.URL = "https://[fd00:ec2::254]/" }, "url"},
		{"numeric host", func(s *parley.EventSubscription) { s.URL = "https://2130706433/" }, "url"},
		{"relative", func(s *parley.EventSubscription) { s.URL = "/hooks" }, "url"},
		{"credentials", func(s *parley.EventSubscription) { s.URL = "https://user:pw@hooks.example.com" }, "url"},
		{"fragment", func(s *parley.EventSubscription) { s.URL = "https://hooks.example.com/#x" }, "url"},
		{"long url", func(s *parley.EventSubscription) { s.URL = "https://hooks.example.com/" + strings.Repeat("a", 2048) }, "url"},
		{"no types", func(s *parley.EventSubscription) { s.Types = nil }, "eventTypes"},
		{"unknown type", func(s *parley.EventSubscription) { s.Types = []parley.EventType{"message.bounced"} }, "eventTypes[0]"},
		{"star twice", func(s *parley.EventSubscription) { s.Types = []parley.EventType{"*", "*"} }, "eventTypes[1]"},
		{"no secret", func(s *parley.EventSubscription) { s.Secret = "" }, "secret"},
		{"short secret", func(s *parley.EventSubscription) {
			s.Secret = parley.Secret(strings.Repeat("k", parley.MinEventSecret-1))
		}, "secret"},
		{"long secret", func(s *parley.EventSubscription) {
			s.Secret = parley.Secret(strings.Repeat("k", parley.MaxEventSecret+1))
		}, "secret"},
		{"secret with spaces", func(s *parley.EventSubscription) { s.Secret = " " + s.Secret }, "secret"},
		{"redacted secret", func(s *parley.EventSubscription) { s.Secret = parley.Secret(s.Secret.Redacted()) }, "secret"},
		{"control in description", func(s *parley.EventSubscription) { s.Description = "a\nb" }, "description"},
		{"long description", func(s *parley.EventSubscription) { s.Description = strings.Repeat("d", parley.MaxEventDescription+1) }, "description"},
	} {
		s := valid
		tt.edit(&s)
		err := s.Validate(egress.Policy{})
		if parley.ErrorCode(err) != parley.EINVALID || parley.ErrorField(err) != tt.field {
			t.Errorf("%s: %v (field %q), want EINVALID on %s", tt.name, err, parley.ErrorField(err), tt.field)
		}
		if err != nil && strings.Contains(err.Error(), s.Secret.Reveal()) && s.Secret != "" {
			t.Errorf("%s: the error quotes the secret", tt.name)
		}
	}
}

func TestEventSubscriptionWants(t *testing.T) {
	some := parley.EventSubscription{Types: []parley.EventType{parley.EventDelivered}}
	all := parley.EventSubscription{Types: []parley.EventType{parley.EventTypeAll}}
	off := parley.EventSubscription{Types: []parley.EventType{parley.EventTypeAll}, Disabled: true}
	for _, tt := range []struct {
		sub  parley.EventSubscription
		typ  parley.EventType
		want bool
	}{
		{some, parley.EventDelivered, true}, {some, parley.EventSent, false},
		{all, parley.EventCampaignStateChanged, true}, {all, "ping", true},
		{off, parley.EventDelivered, false},
	} {
		if got := tt.sub.Wants(tt.typ); got != tt.want {
			t.Errorf("%+v wants %s = %v", tt.sub, tt.typ, got)
		}
	}
}
