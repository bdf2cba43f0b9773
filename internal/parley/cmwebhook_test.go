package parley

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/egress"
)

func TestCMWebhookToken(t *testing.T) {
	cm := func(token Secret) ChannelConfig {
		return ChannelConfig{AccountID: "a", Channel: ChannelSMS, Provider: ProviderCM,
			CM:      &CMCredentials{ProductToken: testCMToken, WebhookToken: token},
			Senders: []ChannelSender{{OutboundNumber: "+12025550100", ID: "Brand"}}}
	}
	tests := []struct {
		token Secret
		field string
	}{
		{"", ""},
		{"wh-0123456789abcdef", ""},
		{Secret(strings.Repeat("a", 256)), ""},
		{"short", "cm.webhookToken"},
		{Secret(strings.Repeat("a", 257)), "cm.webhookToken"},
		{"needs&escaping/0123456789", "cm.webhookToken"},
		{"••••cdef", "cm.webhookToken"},
		{" wh-0123456789abcdef", "cm.webhookToken"},
	}
	for _, tt := range tests {
		err := cm(tt.token).Validate(egress.Policy{})
		if ErrorField(err) != tt.field || (tt.field == "") != (err == nil) {
			t.Errorf("webhook token %q: %v; want field %q", tt.token, err, tt.field)
		}
		if err != nil && strings.Contains(err.Error(), string(tt.token)) && len(tt.token) > 8 {
			t.Errorf("the error quotes the token: %v", err)
		}
	}

	saved := cm("wh-0123456789abcdef")
	sealer := newFakeSealer()
	data, err := EncodeChannelConfig(t.Context(), sealer, saved)
	if err != nil {
		t.Fatal(err)
	}
	back, _, err := DecodeChannelConfig(t.Context(), sealer, saved.AccountID, saved.Channel, data)
	if err != nil || back.CM.WebhookToken != saved.CM.WebhookToken {
		t.Fatalf("stored webhook token = %q, %v", back.CM.WebhookToken, err)
	}
	shown, _ := json.Marshal(saved)
	if strings.Contains(string(shown), "wh-0123456789abcdef") || !strings.Contains(string(shown), `"webhookToken":"••••cdef"`) {
		t.Errorf("the API shows %s", shown)
	}
	// A client that sends back what it read keeps the saved token.
	var read ChannelConfig
	if err := json.Unmarshal(shown, &read); err != nil {
		t.Fatal(err)
	}
	if kept := read.KeepSecrets(saved); kept.CM.WebhookToken != saved.CM.WebhookToken {
		t.Errorf("KeepSecrets = %q", kept.CM.WebhookToken)
	}
}
