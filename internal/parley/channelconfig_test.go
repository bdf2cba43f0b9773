package parley

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/egress"
)

const (
	testTwilioSID   = "AC0123456789abcdef0123456789abcdef"
	testTwilioToken = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
	testKeySID      = "SK0123456789abcdef0123456789abcdef"
	testServiceSID  = "MG0123456789abcdef0123456789abcdef"
	testCMToken     = "9b1f3c2e-4a5d-4e6f-8a7b-1c2d3e4f5a6b"
	testWAToken     = "EAAG-wa-access-token-5e7d9c1b3a2f4e6d"
)

func twilioSMS() ChannelConfig {
	return ChannelConfig{AccountID: "acct1", Channel: ChannelSMS, Provider: ProviderTwilio,
		Twilio:  &TwilioCredentials{AccountSID: testTwilioSID, AuthToken: testTwilioToken},
		Senders: []ChannelSender{{OutboundNumber: "+12025550100", ID: "+12025550150"}}}
}

func TestChannelConfigValidate(t *testing.T) {
	change := func(f func(c *ChannelConfig)) ChannelConfig {
		c := twilioSMS()
		c.Twilio = &TwilioCredentials{AccountSID: testTwilioSID, AuthToken: testTwilioToken}
		c.Senders = append([]ChannelSender(nil), c.Senders...)
		f(&c)
		return c
	}
	wa := ChannelConfig{AccountID: "acct1", Channel: ChannelWhatsApp, Provider: ProviderWhatsApp,
		WhatsApp: &WhatsAppCredentials{AccessToken: testWAToken, AppSecret: "0123456789abcdef", VerifyToken: "verify-me"},
		Senders:  []ChannelSender{{OutboundNumber: "+12025550100", ID: "106540352242922"}}}
	tests := []struct {
		name  string
		c     ChannelConfig
		field string
	}{
		{"twilio with auth token", twilioSMS(), ""},
		{"twilio with API key", change(func(c *ChannelConfig) {
			c.Twilio.AuthToken, c.Twilio.APIKeySID, c.Twilio.APIKeySecret = "", testKeySID, "key-secret"
		}), ""},
		{"twilio service only", change(func(c *ChannelConfig) { c.Senders, c.Twilio.MessagingServiceSID = nil, testServiceSID }), ""},
		{"twilio alphanumeric sender", change(func(c *ChannelConfig) { c.Senders[0].ID = "Brand Co" }), ""},
		{"whatsapp", wa, ""},
		{"sandbox without senders", ChannelConfig{AccountID: "a", Channel: ChannelInApp, Provider: ProviderSandbox}, ""},
		{"no account", change(func(c *ChannelConfig) { c.AccountID = " " }), "accountId"},
		{"prioritized is no channel", change(func(c *ChannelConfig) { c.Channel = ChannelPrioritized }), "channel"},
		{"provider of another channel", change(func(c *ChannelConfig) { c.Channel = ChannelWhatsApp }), "provider"},
		{"https only", change(func(c *ChannelConfig) { c.BaseURL = "http://api.twilio.com" }), "baseUrl"},
		{"http to loopback", change(func(c *ChannelConfig) { c.BaseURL = "http://127.0.0.1:8080" }), "baseUrl"},
		{"metadata address", change(func(c *ChannelConfig) { c.BaseURL = "https://169.254.169.254" }), "baseUrl"},
		{"base URL with credentials", change(func(c *ChannelConfig) { c.BaseURL = "https://u:p@api.twilio.com" }), "baseUrl"},
		{"base URL with query", change(func(c *ChannelConfig) { c.BaseURL = "https://api.twilio.com/?x=1" }), "baseUrl"},
		{"no credentials", change(func(c *ChannelConfig) { c.Twilio = nil }), "twilio"},
		{"foreign credentials", change(func(c *ChannelConfig) { c.CM = &CMCredentials{ProductToken: testCMToken} }), "cm"},
		{"bad account SID", change(func(c *ChannelConfig) { c.Twilio.AccountSID = "AC123" }), "twilio.accountSid"},
		{"no token", change(func(c *ChannelConfig) { c.Twilio.AuthToken = "" }), "twilio.authToken"},
		{"token with spaces", change(func(c *ChannelConfig) { c.Twilio.AuthToken += " " }), "twilio.authToken"},
		{"redacted token", change(func(c *ChannelConfig) { c.Twilio.AuthToken = "••••e1f0" }), "twilio.authToken"},
		{"key without secret", change(func(c *ChannelConfig) { c.Twilio.APIKeySID = testKeySID }), "twilio.apiKeySecret"},
		{"secret without key", change(func(c *ChannelConfig) { c.Twilio.APIKeySecret = "s3cret" }), "twilio.apiKeySid"},
		{"bad key SID", change(func(c *ChannelConfig) { c.Twilio.APIKeySID, c.Twilio.APIKeySecret = "SKx", "s" }), "twilio.apiKeySid"},
		{"bad service SID", change(func(c *ChannelConfig) { c.Twilio.MessagingServiceSID = "MG1" }), "twilio.messagingServiceSid"},
		{"no senders", change(func(c *ChannelConfig) { c.Senders = nil }), "senders"},
		{"sender without id", change(func(c *ChannelConfig) { c.Senders[0].ID = "" }), "senders[0].id"},
		{"sender id of another provider", change(func(c *ChannelConfig) { c.Senders[0].ID = "106540352242922" }), "senders[0].id"},
		{"sender without number", change(func(c *ChannelConfig) { c.Senders[0].OutboundNumber = "" }), "senders[0].outboundNumber"},
		{"sender number not E.164", change(func(c *ChannelConfig) { c.Senders[0].OutboundNumber = "2025550100" }), "senders[0].outboundNumber"},
		{"number mapped twice", change(func(c *ChannelConfig) { c.Senders = append(c.Senders, c.Senders[0]) }), "senders[1].outboundNumber"},
		{"two defaults", change(func(c *ChannelConfig) {
			c.Senders = append(c.Senders, ChannelSender{Default: true, ID: "+12025550160"}, ChannelSender{Default: true, ID: "+12025550170"})
		}), "senders[2].default"},
		{"too many senders", change(func(c *ChannelConfig) { c.Senders = make([]ChannelSender, MaxChannelSenders+1) }), "senders"},
		{"cm token not a GUID", ChannelConfig{AccountID: "a", Channel: ChannelSMS, Provider: ProviderCM,
			CM: &CMCredentials{ProductToken: "token"}, Senders: []ChannelSender{{OutboundNumber: "+12025550100", ID: "Brand"}}}, "cm.productToken"},
		{"cm", ChannelConfig{AccountID: "a", Channel: ChannelSMS, Provider: ProviderCM,
			CM: &CMCredentials{ProductToken: testCMToken}, Senders: []ChannelSender{{OutboundNumber: "+12025550100", ID: "00312345"}}}, ""},
		{"whatsapp sender not an id", func() ChannelConfig {
			c := wa
			c.Senders = []ChannelSender{{OutboundNumber: "+12025550100", ID: "+12025550100"}}
			return c
		}(), "senders[0].id"},
		{"whatsapp without verify token", func() ChannelConfig {
			c := wa
			c.WhatsApp = &WhatsAppCredentials{AccessToken: testWAToken, AppSecret: "x"}
			return c
		}(), "whatsapp.verifyToken"},
		{"whatsapp bad version", func() ChannelConfig {
			c := wa
			w := *c.WhatsApp
			w.APIVersion = "26"
			c.WhatsApp = &w
			return c
		}(), "whatsapp.apiVersion"},
		{"fcm not JSON", ChannelConfig{AccountID: "a", Channel: ChannelInApp, Provider: ProviderFCM,
			FCM: &FCMCredentials{ServiceAccountJSON: "{"}}, "fcm.serviceAccountJson"},
		{"fcm not a service account", ChannelConfig{AccountID: "a", Channel: ChannelInApp, Provider: ProviderFCM,
			FCM: &FCMCredentials{ServiceAccountJSON: `{"type":"authorized_user"}`}}, "fcm.serviceAccountJson"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.c.Validate(egress.Policy{})
			if ErrorField(err) != tt.field || (tt.field == "") != (err == nil) || err != nil && ErrorCode(err) != EINVALID {
				t.Fatalf("Validate() = %v; want field %q", err, tt.field)
			}
			if err != nil && strings.Contains(err.Error(), testTwilioToken) {
				t.Errorf("the error quotes the token: %v", err)
			}
		})
	}
}

// TestSSRFConfiguredURLs checks that a baseUrl or connectorUrl naming an
// address that is not public, or localhost, is refused when saved, on its
// field; loopback only where the egress policy allows it.
func TestSSRFConfiguredURLs(t *testing.T) {
	tests := []struct {
		url string
		// strict and loopback: whether the zero policy, and one allowing
		// loopback, accept the URL.
		strict, loopback bool
	}{
		{"https://api.twilio.com", true, true},
		{"https://api.twilio.com:8443/base/", true, true},
		{"https://8.8.8.8", true, true},
		{"https://[2001:4860:4860::8888]", true, true},
		{"https://127.0.0.1:8443", false, true},
		{"http://127.0.0.1:9001", false, true},
		{"http://[::1]:8080", false, true},
		{"http://localhost:8080", false, true},
		{"https://LocalHost.", false, true},
		{"https://api.localhost", false, true},
		{"https://[::ffff:127.0.0.1]", false, true},
		{"http://api.twilio.com", false, false},
		{"http://10.0.0.1", false, false},
		{"https://169.254.169.254", false, false},
		{"https://169.254.170.2", false, false},
		{"https://[fd00:ec2::254]", false, false},
		{"https://[::ffff:169.254.169.254]", false, false},
		{"https://[::ffff:a9fe:a9fe]", false, false},
		{"https://10.1.2.3", false, false},
		{"https://172.20.0.1", false, false},
		{"https://192.168.1.10", false, false},
		{"https://100.64.0.1", false, false},
		{"https://0.0.0.0", false, false},
		{"https://[::]", false, false},
		{"https://[fe80::1%25eth0]", false, false},
		{"https://[fc00::1]", false, false},
		{"https://224.0.0.1", false, false},
		{"https://255.255.255.255", false, false},
		{"https://198.18.0.1", false, false},
		{"https://2130706433", false, false},
		{"https://127.1", false, false},
		{"https://0x7f.0.0.1", false, false},
	}
	for _, tt := range tests {
		for _, c := range []struct {
			p    egress.Policy
			want bool
		}{{egress.Policy{}, tt.strict}, {egress.Policy{AllowLoopback: true}, tt.loopback}} {
			cfg := twilioSMS()
			cfg.BaseURL = tt.url
			a := Account{ConnectorURL: tt.url + "/hook", ConnectorSecret: "whsec-0123456789abcdef"}
			for field, err := range map[string]error{"baseUrl": cfg.Validate(c.p), "connectorUrl": a.Validate(c.p)} {
				if (err == nil) != c.want || err != nil && ErrorField(err) != field {
					t.Errorf("%s %s with %+v: %v; want accepted %v", field, tt.url, c.p, err, c.want)
				}
			}
		}
	}
}

func TestSecretRedacted(t *testing.T) {
	tests := []struct{ secret, want string }{
		{"", ""},
		{"short", "••••"},
		{"fifteen-chars-x", "••••"},
		{"sixteen-chars-xy", "••••s-xy"},
		{testTwilioToken, "••••e1f0"},
		{"ünïcödé-sêcrét-ñäme", "••••ñäme"},
	}
	for _, tt := range tests {
		if got := Secret(tt.secret).Redacted(); got != tt.want {
			t.Errorf("Redacted(%q) = %q, want %q", tt.secret, got, tt.want)
		}
	}
}

// TestSecretsStayHidden prints, logs and encodes a configuration every way
// and checks that no secret shows.
func TestSecretsStayHidden(t *testing.T) {
	c := twilioSMS()
	c.Twilio.APIKeySID, c.Twilio.APIKeySecret = testKeySID, "api-key-secret-0123456789"
	secrets := []string{testTwilioToken, "api-key-secret-0123456789"}
	var out bytes.Buffer
	for _, h := range []slog.Handler{slog.NewJSONHandler(&out, nil), slog.NewTextHandler(&out, nil)} {
		slog.New(h).Info("config", "c", c, "twilio", c.Twilio, "twilioValue", *c.Twilio, "token", c.Twilio.AuthToken, "any", any(c.Twilio.AuthToken))
	}
	fmt.Fprintf(&out, "%v %+v %#v %s %q %x %v %+v %#v %s %q %x", c, c, c, c, c, c,
		c.Twilio, c.Twilio, c.Twilio, c.Twilio, c.Twilio, *c.Twilio)
	fmt.Fprint(&out, c.Twilio.AuthToken, []Secret{c.Twilio.AuthToken}, map[string]Secret{"k": c.Twilio.AuthToken})
	data, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	out.Write(data)
	for _, s := range secrets {
		if strings.Contains(out.String(), s) {
			t.Errorf("secret %s shows in:\n%s", s, out.String())
		}
	}
	if !strings.Contains(string(data), `"authToken":"••••e1f0"`) || !strings.Contains(string(data), `"accountSid":"`+testTwilioSID+`"`) {
		t.Errorf("JSON = %s; want the redacted token and the account SID", data)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func TestSenderFor(t *testing.T) {
	c := twilioSMS()
	c.Senders = append(c.Senders, ChannelSender{OutboundNumber: "+12025550101", ID: "Brand"})
	withDefault := c
	withDefault.Senders = append(append([]ChannelSender(nil), c.Senders...), ChannelSender{Default: true, ID: "+12025550199"})
	withService := c
	withService.Twilio = &TwilioCredentials{AccountSID: testTwilioSID, AuthToken: testTwilioToken, MessagingServiceSID: testServiceSID}
	tests := []struct {
		name     string
		c        ChannelConfig
		outbound string
		want     string
		ok       bool
	}{
		{"mapped", c, "+12025550100", "+12025550150", true},
		{"mapped alphanumeric", c, "+12025550101", "Brand", true},
		{"unmapped", c, "+12025550109", "", false},
		{"default", withDefault, "+12025550109", "+12025550199", true},
		{"mapped before default", withDefault, "+12025550100", "+12025550150", true},
		{"messaging service", withService, "+12025550109", testServiceSID, true},
		{"sandbox passes through", ChannelConfig{Provider: ProviderSandbox}, "+12025550109", "+12025550109", true},
		{"fcm passes through", ChannelConfig{Provider: ProviderFCM}, "+12025550109", "+12025550109", true},
		{"cm needs a sender", ChannelConfig{Provider: ProviderCM}, "+12025550109", "", false},
	}
	for _, tt := range tests {
		if got, ok := tt.c.SenderFor(tt.outbound); got != tt.want || ok != tt.ok {
			t.Errorf("%s: SenderFor(%s) = %q, %v; want %q, %v", tt.name, tt.outbound, got, ok, tt.want, tt.ok)
		}
	}
}

func TestKeepSecrets(t *testing.T) {
	saved := twilioSMS()
	sent := twilioSMS()
	sent.Twilio = &TwilioCredentials{AccountSID: testTwilioSID, AuthToken: Secret(saved.Twilio.AuthToken.Redacted())}
	if got := sent.KeepSecrets(saved); got.Twilio.AuthToken.Reveal() != testTwilioToken {
		t.Errorf("the redacted token was not replaced by the saved one")
	}
	if sent.Twilio.AuthToken.Reveal() == testTwilioToken {
		t.Errorf("KeepSecrets changed its receiver's credentials")
	}
	elsewhere := sent
	elsewhere.BaseURL = "https://collector.example"
	if got := elsewhere.KeepSecrets(saved); got.Twilio.AuthToken.Reveal() == testTwilioToken {
		t.Errorf("the saved token was kept for another API host")
	}
	sent.Twilio.AuthToken = "••••0000"
	if got := sent.KeepSecrets(saved); got.Twilio.AuthToken != "••••0000" || got.Validate(egress.Policy{}) == nil {
		t.Errorf("a mask of another token was kept as %v and passed validation", got.Twilio.AuthToken)
	}
	sent.Twilio.AuthToken = "new-token-0123456789"
	if got := sent.KeepSecrets(saved); got.Twilio.AuthToken != "new-token-0123456789" {
		t.Errorf("a new token was replaced")
	}
	fcm := ChannelConfig{Provider: ProviderFCM, FCM: &FCMCredentials{ServiceAccountJSON: `{"type":"service_account","project_id":"p"}`}}
	var back struct {
		FCM *FCMCredentials `json:"fcm"`
	}
	if err := json.Unmarshal(must(json.Marshal(fcm)), &back); err != nil {
		t.Fatal(err)
	}
	if got := (ChannelConfig{Provider: ProviderFCM, FCM: back.FCM}).KeepSecrets(fcm); got.FCM.ServiceAccountJSON != fcm.FCM.ServiceAccountJSON {
		t.Errorf("the masked key file was not replaced by the saved one: %v", got.FCM.ServiceAccountJSON)
	}
}

// FuzzChannelConfig decodes a PUT body the way the API does and validates
// it: no panic, and an error never quotes a secret of the body.
func FuzzChannelConfig(f *testing.F) {
	f.Add(`{"accountId":"a","channel":"sms","provider":"twilio","twilio":{"accountSid":"` + testTwilioSID + `","authToken":"tok-0123456789abcdef"},"senders":[{"outboundNumber":"+12025550100","id":"+12025550150"}]}`)
	f.Add(`{"accountId":"a","channel":"whatsapp","provider":"whatsapp","whatsapp":{"accessToken":"EAAG0123456789","appSecret":"s","verifyToken":"v"},"senders":[{"id":"1","default":true}]}`)
	f.Add(`{"accountId":"a","channel":"inapp","provider":"fcm","fcm":{"serviceAccountJson":"{\"type\":\"service_account\"}"}}`)
	f.Add(`{"accountId":"a","channel":"sms","provider":"cm","cm":{"productToken":"` + testCMToken + `"},"baseUrl":"http://[::1]:80"}`)
	f.Fuzz(func(t *testing.T, body string) {
		var c ChannelConfig
		if json.Unmarshal([]byte(body), &c) != nil {
			return
		}
		err := c.Validate(egress.Policy{AllowLoopback: true})
		if err == nil {
			c.SenderFor("+12025550100")
			return
		}
		var secrets []Secret
		if c.Twilio != nil {
			secrets = append(secrets, c.Twilio.AuthToken, c.Twilio.APIKeySecret)
		}
		if c.WhatsApp != nil {
			secrets = append(secrets, c.WhatsApp.AccessToken, c.WhatsApp.AppSecret, c.WhatsApp.VerifyToken)
		}
		if c.CM != nil {
			secrets = append(secrets, c.CM.ProductToken)
		}
		for _, s := range secrets {
			if len(s) >= 8 && strings.Contains(err.Error(), s.Reveal()) {
				t.Fatalf("error %q quotes a secret", err)
			}
		}
	})
}
