package providers_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/egress"
	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/gateway/cm"
	"github.com/parleyhq/parley/internal/gateway/providers"
	"github.com/parleyhq/parley/internal/gateway/push"
	"github.com/parleyhq/parley/internal/gateway/twilio"
	"github.com/parleyhq/parley/internal/gateway/whatsapp"
	"github.com/parleyhq/parley/internal/parley"
)

const (
	testTwilioSID   = "AC0123456789abcdef0123456789abcdef"
	testTwilioToken = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
	testKeySID      = "SK0123456789abcdef0123456789abcdef"
	testServiceSID  = "MG0123456789abcdef0123456789abcdef"
	testCMToken     = "9b1f3c2e-4a5d-4e6f-8a7b-1c2d3e4f5a6b"
	testWAToken     = "EAAG-wa-access-token-5e7d9c1b3a2f4e6d"
)

func twilioSMS() parley.ChannelConfig {
	return parley.ChannelConfig{AccountID: "acct1", Channel: parley.ChannelSMS, Provider: twilio.Name,
		Credentials: twilio.Credentials{AccountSID: testTwilioSID, AuthToken: testTwilioToken}.Channel(),
		Senders:     []parley.ChannelSender{{OutboundNumber: "+12025550100", ID: "+12025550150"}}}
}

// unset marks credentials a change left alone.
var unset = parley.NewCredentials("unset", nil)

// change returns twilioSMS changed by f, which may change its config and
// its Twilio credentials; the credentials are those f leaves, unless it
// sets the config's own.
func change(f func(c *parley.ChannelConfig, t *twilio.Credentials)) parley.ChannelConfig {
	c := twilioSMS()
	c.Senders = append([]parley.ChannelSender(nil), c.Senders...)
	t := twilio.Credentials{AccountSID: testTwilioSID, AuthToken: testTwilioToken}
	c.Credentials = unset
	f(&c, &t)
	if c.Credentials.Equal(unset) {
		c.Credentials = t.Channel()
	}
	return c
}

func TestValidate(t *testing.T) {
	waCreds := whatsapp.Credentials{AccessToken: testWAToken, AppSecret: "0123456789abcdef", VerifyToken: "verify-me"}
	wa := func(f func(c *parley.ChannelConfig, w *whatsapp.Credentials)) parley.ChannelConfig {
		c := parley.ChannelConfig{AccountID: "acct1", Channel: parley.ChannelWhatsApp, Provider: whatsapp.Name,
			Senders: []parley.ChannelSender{{OutboundNumber: "+12025550100", ID: "106540352242922"}}}
		w := waCreds
		f(&c, &w)
		c.Credentials = w.Channel()
		return c
	}
	none := func(*parley.ChannelConfig, *whatsapp.Credentials) {}
	cmSMS := func(token parley.Secret, sender string) parley.ChannelConfig {
		return parley.ChannelConfig{AccountID: "a", Channel: parley.ChannelSMS, Provider: cm.Name,
			Credentials: cm.Credentials{ProductToken: token}.Channel(), Senders: []parley.ChannelSender{{OutboundNumber: "+12025550100", ID: sender}}}
	}
	fcm := func(key parley.Secret) parley.ChannelConfig {
		return parley.ChannelConfig{AccountID: "a", Channel: parley.ChannelInApp, Provider: push.Name,
			Credentials: push.Credentials{ServiceAccountJSON: key}.Channel()}
	}
	tests := []struct {
		name  string
		c     parley.ChannelConfig
		field string
	}{
		{"twilio with auth token", twilioSMS(), ""},
		{"twilio with API key", change(func(_ *parley.ChannelConfig, t *twilio.Credentials) {
			t.AuthToken, t.APIKeySID, t.APIKeySecret = "", testKeySID, "key-secret"
		}), ""},
		{"twilio service only", change(func(c *parley.ChannelConfig, t *twilio.Credentials) {
			c.Senders, t.MessagingServiceSID = nil, testServiceSID
		}), ""},
		{"twilio alphanumeric sender", change(func(c *parley.ChannelConfig, _ *twilio.Credentials) { c.Senders[0].ID = "Brand Co" }), ""},
		{"whatsapp", wa(none), ""},
		{"sandbox without senders", parley.ChannelConfig{AccountID: "a", Channel: parley.ChannelInApp, Provider: parley.Provider("sandbox")}, ""},
		{"no account", change(func(c *parley.ChannelConfig, _ *twilio.Credentials) { c.AccountID = " " }), "accountId"},
		{"prioritized is no channel", change(func(c *parley.ChannelConfig, _ *twilio.Credentials) { c.Channel = parley.ChannelPrioritized }), "channel"},
		{"provider of another channel", change(func(c *parley.ChannelConfig, _ *twilio.Credentials) { c.Channel = parley.ChannelWhatsApp }), "provider"},
		{"unknown provider", change(func(c *parley.ChannelConfig, _ *twilio.Credentials) { c.Provider = "pigeon" }), "provider"},
		{"https only", change(func(c *parley.ChannelConfig, _ *twilio.Credentials) { c.BaseURL = "http://api.twilio.com" }), "baseUrl"},
		{"http to loopback", change(func(c *parley.ChannelConfig, _ *twilio.Credentials) { c.BaseURL = "http://127.0.0.1:8080" }), "baseUrl"},
		{"metadata address", change(func(c *parley.ChannelConfig, _ *twilio.Credentials) { c.BaseURL = "https://169.254.169.254" }), "baseUrl"},
		{"no credentials", change(func(c *parley.ChannelConfig, _ *twilio.Credentials) { c.Credentials = parley.Credentials{} }), "twilio"},
		{"foreign credentials", change(func(c *parley.ChannelConfig, _ *twilio.Credentials) {
			c.Credentials = cm.Credentials{ProductToken: testCMToken}.Channel()
		}), "cm"},
		{"sandbox with credentials", parley.ChannelConfig{AccountID: "a", Channel: parley.ChannelSMS, Provider: parley.Provider("sandbox"),
			Credentials: cm.Credentials{ProductToken: testCMToken}.Channel()}, "cm"},
		{"bad account SID", change(func(_ *parley.ChannelConfig, t *twilio.Credentials) { t.AccountSID = "AC123" }), "twilio.accountSid"},
		{"no token", change(func(_ *parley.ChannelConfig, t *twilio.Credentials) { t.AuthToken = "" }), "twilio.authToken"},
		{"token with spaces", change(func(_ *parley.ChannelConfig, t *twilio.Credentials) { t.AuthToken += " " }), "twilio.authToken"},
		{"redacted token", change(func(_ *parley.ChannelConfig, t *twilio.Credentials) { t.AuthToken = "••••e1f0" }), "twilio.authToken"},
		{"key without secret", change(func(_ *parley.ChannelConfig, t *twilio.Credentials) { t.APIKeySID = testKeySID }), "twilio.apiKeySecret"},
		{"secret without key", change(func(_ *parley.ChannelConfig, t *twilio.Credentials) { t.APIKeySecret = "s3cret" }), "twilio.apiKeySid"},
		{"bad key SID", change(func(_ *parley.ChannelConfig, t *twilio.Credentials) { t.APIKeySID, t.APIKeySecret = "SKx", "s" }), "twilio.apiKeySid"},
		{"bad service SID", change(func(_ *parley.ChannelConfig, t *twilio.Credentials) { t.MessagingServiceSID = "MG1" }), "twilio.messagingServiceSid"},
		{"no senders", change(func(c *parley.ChannelConfig, _ *twilio.Credentials) { c.Senders = nil }), "senders"},
		{"sender without id", change(func(c *parley.ChannelConfig, _ *twilio.Credentials) { c.Senders[0].ID = "" }), "senders[0].id"},
		{"sender id of another provider", change(func(c *parley.ChannelConfig, _ *twilio.Credentials) { c.Senders[0].ID = "106540352242922" }), "senders[0].id"},
		{"sender without number", change(func(c *parley.ChannelConfig, _ *twilio.Credentials) { c.Senders[0].OutboundNumber = "" }), "senders[0].outboundNumber"},
		{"number mapped twice", change(func(c *parley.ChannelConfig, _ *twilio.Credentials) { c.Senders = append(c.Senders, c.Senders[0]) }), "senders[1].outboundNumber"},
		{"cm token not a GUID", cmSMS("token", "Brand"), "cm.productToken"},
		{"cm", cmSMS(testCMToken, "00312345"), ""},
		{"cm without senders", func() parley.ChannelConfig { c := cmSMS(testCMToken, "Brand"); c.Senders = nil; return c }(), "senders"},
		{"whatsapp sender not an id", wa(func(c *parley.ChannelConfig, _ *whatsapp.Credentials) {
			c.Senders = []parley.ChannelSender{{OutboundNumber: "+12025550100", ID: "+12025550100"}}
		}), "senders[0].id"},
		{"whatsapp without verify token", wa(func(_ *parley.ChannelConfig, w *whatsapp.Credentials) { w.VerifyToken = "" }), "whatsapp.verifyToken"},
		{"whatsapp bad version", wa(func(_ *parley.ChannelConfig, w *whatsapp.Credentials) { w.APIVersion = "26" }), "whatsapp.apiVersion"},
		{"whatsapp without senders", wa(func(c *parley.ChannelConfig, _ *whatsapp.Credentials) { c.Senders = nil }), "senders"},
		{"fcm not JSON", fcm("{"), "fcm.serviceAccountJson"},
		{"fcm not a service account", fcm(`{"type":"authorized_user"}`), "fcm.serviceAccountJson"},
		{"fcm key that does not parse", fcm(`{"type":"service_account","project_id":"p","private_key_id":"k","client_email":"a@b","private_key":"x"}`), "fcm.serviceAccountJson"},
		{"fcm masked", fcm(parley.SecretMask), "fcm.serviceAccountJson"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := providers.Validate(tt.c, egress.Policy{})
			if parley.ErrorField(err) != tt.field || (tt.field == "") != (err == nil) || err != nil && parley.ErrorCode(err) != parley.EINVALID {
				t.Fatalf("Validate() = %v; want field %q", err, tt.field)
			}
			if err != nil && strings.Contains(err.Error(), testTwilioToken) {
				t.Errorf("the error quotes the token: %v", err)
			}
		})
	}
}

func TestCMWebhookToken(t *testing.T) {
	cfg := func(token parley.Secret) parley.ChannelConfig {
		return parley.ChannelConfig{AccountID: "a", Channel: parley.ChannelSMS, Provider: cm.Name,
			Credentials: cm.Credentials{ProductToken: testCMToken, WebhookToken: token}.Channel(),
			Senders:     []parley.ChannelSender{{OutboundNumber: "+12025550100", ID: "Brand"}}}
	}
	tests := []struct {
		token parley.Secret
		field string
	}{
		{"", ""},
		{"wh-0123456789abcdef", ""},
		{parley.Secret(strings.Repeat("a", 256)), ""},
		{"short", "cm.webhookToken"},
		{parley.Secret(strings.Repeat("a", 257)), "cm.webhookToken"},
		{"needs&escaping/0123456789", "cm.webhookToken"},
		{"••••cdef", "cm.webhookToken"},
		{" wh-0123456789abcdef", "cm.webhookToken"},
	}
	for _, tt := range tests {
		err := providers.Validate(cfg(tt.token), egress.Policy{})
		if parley.ErrorField(err) != tt.field || (tt.field == "") != (err == nil) {
			t.Errorf("webhook token %q: %v; want field %q", tt.token, err, tt.field)
		}
		if err != nil && strings.Contains(err.Error(), string(tt.token)) && len(tt.token) > 8 {
			t.Errorf("the error quotes the token: %v", err)
		}
	}

	saved := cfg("wh-0123456789abcdef")
	shown, err := cm.Provider{}.RedactCredentials(saved.Credentials)
	if err != nil || strings.Contains(string(shown), "wh-0123456789abcdef") || !strings.Contains(string(shown), `"webhookToken":"••••cdef"`) {
		t.Errorf("the API shows %s, %v", shown, err)
	}
	// A client that sends back what it read keeps the saved token.
	read := saved
	if read.Credentials, err = (cm.Provider{}).DecodeCredentials(shown); err != nil {
		t.Fatal(err)
	}
	kept, _ := cm.CredentialsOf(providers.KeepSecrets(read, saved).Credentials)
	if kept.WebhookToken != "wh-0123456789abcdef" {
		t.Errorf("KeepSecrets = %q", kept.WebhookToken)
	}
}

func TestSenderFor(t *testing.T) {
	c := twilioSMS()
	c.Senders = append(c.Senders, parley.ChannelSender{OutboundNumber: "+12025550101", ID: "Brand"})
	withDefault := c
	withDefault.Senders = append(append([]parley.ChannelSender(nil), c.Senders...), parley.ChannelSender{Default: true, ID: "+12025550199"})
	withService := c
	withService.Credentials = twilio.Credentials{AccountSID: testTwilioSID, AuthToken: testTwilioToken, MessagingServiceSID: testServiceSID}.Channel()
	tests := []struct {
		name     string
		c        parley.ChannelConfig
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
		{"sandbox passes through", parley.ChannelConfig{Provider: parley.Provider("sandbox")}, "+12025550109", "+12025550109", true},
		{"fcm passes through", parley.ChannelConfig{Provider: push.Name}, "+12025550109", "+12025550109", true},
		{"cm needs a sender", parley.ChannelConfig{Provider: cm.Name}, "+12025550109", "", false},
		{"whatsapp needs a sender", parley.ChannelConfig{Provider: whatsapp.Name}, "+12025550109", "", false},
	}
	for _, tt := range tests {
		p, _ := providers.Lookup(tt.c.Provider)
		if got, ok := gateway.SenderFor(p, tt.c, tt.outbound); got != tt.want || ok != tt.ok {
			t.Errorf("%s: SenderFor(%s) = %q, %v; want %q, %v", tt.name, tt.outbound, got, ok, tt.want, tt.ok)
		}
	}
}

func TestKeepSecrets(t *testing.T) {
	token := func(c parley.ChannelConfig) parley.Secret {
		tc, _ := twilio.CredentialsOf(c.Credentials)
		return tc.AuthToken
	}
	withToken := func(s parley.Secret) parley.ChannelConfig {
		c := twilioSMS()
		c.Credentials = twilio.Credentials{AccountSID: testTwilioSID, AuthToken: s}.Channel()
		return c
	}
	saved := twilioSMS()
	sent := withToken(parley.Secret(token(saved).Redacted()))
	if got := providers.KeepSecrets(sent, saved); token(got).Reveal() != testTwilioToken {
		t.Errorf("the redacted token was not replaced by the saved one")
	}
	if token(sent).Reveal() == testTwilioToken {
		t.Errorf("KeepSecrets changed its argument's credentials")
	}
	elsewhere := sent
	elsewhere.BaseURL = "https://collector.example"
	if got := providers.KeepSecrets(elsewhere, saved); token(got).Reveal() == testTwilioToken {
		t.Errorf("the saved token was kept for another API host")
	}
	other := sent
	other.Provider = cm.Name
	if got := providers.KeepSecrets(other, saved); token(got).Reveal() == testTwilioToken {
		t.Errorf("the saved token was kept for another provider")
	}
	if got := providers.KeepSecrets(withToken("••••0000"), saved); token(got) != "••••0000" || providers.Validate(got, egress.Policy{}) == nil {
		t.Errorf("a mask of another token was kept as %v and passed validation", token(got))
	}
	if got := providers.KeepSecrets(withToken("new-token-0123456789"), saved); token(got) != "new-token-0123456789" {
		t.Errorf("a new token was replaced")
	}
	key := parley.Secret(`{"type":"service_account","project_id":"p"}`)
	fcm := parley.ChannelConfig{Provider: push.Name, Credentials: push.Credentials{ServiceAccountJSON: key}.Channel()}
	shown, err := push.Provider{}.RedactCredentials(fcm.Credentials)
	if err != nil {
		t.Fatal(err)
	}
	back := fcm
	if back.Credentials, err = (push.Provider{}).DecodeCredentials(shown); err != nil {
		t.Fatal(err)
	}
	if got, _ := push.CredentialsOf(providers.KeepSecrets(back, fcm).Credentials); got.ServiceAccountJSON != key {
		t.Errorf("the masked key file was not replaced by the saved one: %v", got.ServiceAccountJSON)
	}
}

// FuzzChannelConfig decodes a PUT body the way the API does (the
// provider's block by the provider) and validates it: no panic, and an
// error never quotes a secret of the body.
func FuzzChannelConfig(f *testing.F) {
	f.Add(`{"accountId":"a","channel":"sms","provider":"twilio","twilio":{"accountSid":"` + testTwilioSID + `","authToken":"tok-0123456789abcdef"},"senders":[{"outboundNumber":"+12025550100","id":"+12025550150"}]}`)
	f.Add(`{"accountId":"a","channel":"whatsapp","provider":"whatsapp","whatsapp":{"accessToken":"EAAG0123456789","appSecret":"s","verifyToken":"v"},"senders":[{"id":"1","default":true}]}`)
	f.Add(`{"accountId":"a","channel":"inapp","provider":"fcm","fcm":{"serviceAccountJson":"{\"type\":\"service_account\"}"}}`)
	f.Add(`{"accountId":"a","channel":"sms","provider":"cm","cm":{"productToken":"` + testCMToken + `"},"baseUrl":"http://[::1]:80"}`)
	f.Fuzz(func(t *testing.T, body string) {
		var c parley.ChannelConfig
		var blocks map[string]json.RawMessage
		if json.Unmarshal([]byte(body), &c) != nil || json.Unmarshal([]byte(body), &blocks) != nil {
			return
		}
		var secrets []string
		if p, ok := providers.Lookup(c.Provider); ok && blocks[string(c.Provider)] != nil {
			creds, err := p.DecodeCredentials(blocks[string(c.Provider)])
			if err != nil {
				return
			}
			c.Credentials = creds
			var fields map[string]any
			_ = json.Unmarshal(creds.Reveal(), &fields)
			for _, k := range []string{"authToken", "apiKeySecret", "accessToken", "appSecret", "verifyToken", "productToken", "webhookToken"} {
				if s, ok := fields[k].(string); ok {
					secrets = append(secrets, s)
				}
			}
		}
		err := providers.Validate(c, egress.Policy{AllowLoopback: true})
		if err == nil {
			p, _ := providers.Lookup(c.Provider)
			gateway.SenderFor(p, c, "+12025550100")
			return
		}
		for _, s := range secrets {
			if len(s) >= 8 && strings.Contains(err.Error(), s) {
				t.Fatalf("error %q quotes a secret", err)
			}
		}
	})
}
