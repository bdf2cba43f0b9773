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

const testTwilioToken = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"

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
			cfg := ChannelConfig{AccountID: "acct1", Channel: ChannelSMS, Provider: Provider("sandbox"), BaseURL: tt.url}
			a := Account{ConnectorURL: tt.url + "/hook", ConnectorSecret: "whsec-0123456789abcdef"}
			for field, err := range map[string]error{"baseUrl": cfg.ValidateCommon(c.p), "connectorUrl": a.Validate(c.p)} {
				if (err == nil) != c.want || err != nil && ErrorField(err) != field {
					t.Errorf("%s %s with %+v: %v; want accepted %v", field, tt.url, c.p, err, c.want)
				}
			}
		}
	}
}

func TestValidateCommon(t *testing.T) {
	ok := ChannelConfig{AccountID: "acct1", Channel: ChannelSMS, Provider: Provider("sandbox")}
	tests := []struct {
		name  string
		c     ChannelConfig
		field string
	}{
		{"complete", ok, ""},
		{"no account", ChannelConfig{AccountID: " ", Channel: ChannelSMS}, "accountId"},
		{"prioritized is no channel", ChannelConfig{AccountID: "a", Channel: ChannelPrioritized}, "channel"},
		{"base URL with credentials", ChannelConfig{AccountID: "a", Channel: ChannelSMS, BaseURL: "https://u:p@api.twilio.com"}, "baseUrl"},
		{"base URL with query", ChannelConfig{AccountID: "a", Channel: ChannelSMS, BaseURL: "https://api.twilio.com/?x=1"}, "baseUrl"},
	}
	for _, tt := range tests {
		if err := tt.c.ValidateCommon(egress.Policy{}); ErrorField(err) != tt.field || (tt.field == "") != (err == nil) {
			t.Errorf("%s: ValidateCommon() = %v; want field %q", tt.name, err, tt.field)
		}
	}
}

func TestValidateSenders(t *testing.T) {
	digits := func(id string) (bool, string) { return strings.Trim(id, "+0123456789") == "", "digits" }
	one := []ChannelSender{{OutboundNumber: "+12025550100", ID: "+12025550150"}}
	tests := []struct {
		name    string
		senders []ChannelSender
		field   string
	}{
		{"one", one, ""},
		{"none", nil, ""},
		{"sender without id", []ChannelSender{{OutboundNumber: "+12025550100"}}, "senders[0].id"},
		{"id of another form", []ChannelSender{{OutboundNumber: "+12025550100", ID: "Brand"}}, "senders[0].id"},
		{"sender without number", []ChannelSender{{ID: "1"}}, "senders[0].outboundNumber"},
		{"sender number not E.164", []ChannelSender{{OutboundNumber: "2025550100", ID: "1"}}, "senders[0].outboundNumber"},
		{"number mapped twice", append(append([]ChannelSender(nil), one...), one...), "senders[1].outboundNumber"},
		{"two defaults", append(append([]ChannelSender(nil), one...), ChannelSender{Default: true, ID: "+12025550160"}, ChannelSender{Default: true, ID: "+12025550170"}), "senders[2].default"},
		{"too many senders", make([]ChannelSender, MaxChannelSenders+1), "senders"},
	}
	for _, tt := range tests {
		c := ChannelConfig{Senders: tt.senders}
		if err := c.ValidateSenders(digits); ErrorField(err) != tt.field || (tt.field == "") != (err == nil) {
			t.Errorf("%s: ValidateSenders() = %v; want field %q", tt.name, err, tt.field)
		}
	}
}

func TestMappedSender(t *testing.T) {
	c := ChannelConfig{Senders: []ChannelSender{{OutboundNumber: "+12025550100", ID: "+12025550150"}, {OutboundNumber: "+12025550101", ID: "Brand"}}}
	withDefault := c
	withDefault.Senders = append(append([]ChannelSender(nil), c.Senders...), ChannelSender{Default: true, ID: "+12025550199"})
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
	}
	for _, tt := range tests {
		if got, ok := tt.c.MappedSender(tt.outbound); got != tt.want || ok != tt.ok {
			t.Errorf("%s: MappedSender(%s) = %q, %v; want %q, %v", tt.name, tt.outbound, got, ok, tt.want, tt.ok)
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

func TestKeepSecret(t *testing.T) {
	saved := Secret(testTwilioToken)
	tests := []struct{ sent, want Secret }{
		{Secret(saved.Redacted()), saved},
		{"••••0000", "••••0000"},
		{"new-token-0123456789", "new-token-0123456789"},
		{"", ""},
	}
	for _, tt := range tests {
		got := tt.sent
		KeepSecret(&got, saved)
		if got != tt.want {
			t.Errorf("KeepSecret(%q) = %q; want %q", tt.sent.Reveal(), got.Reveal(), tt.want.Reveal())
		}
	}
}

// TestSecretsStayHidden prints, logs and encodes a configuration and its
// credentials every way and checks that no secret shows.
func TestSecretsStayHidden(t *testing.T) {
	block := `{"accountSid":"AC0123","authToken":"` + testTwilioToken + `"}`
	c := ChannelConfig{AccountID: "acct1", Channel: ChannelSMS, Provider: Provider("twilio"), Credentials: NewCredentials(Provider("twilio"), []byte(block))}
	var out bytes.Buffer
	for _, h := range []slog.Handler{slog.NewJSONHandler(&out, nil), slog.NewTextHandler(&out, nil)} {
		slog.New(h).Info("config", "c", c, "creds", c.Credentials, "any", any(c.Credentials))
	}
	cr := c.Credentials
	fmt.Fprintf(&out, "%v %+v %#v %s %q %x %v %+v %#v %s %q %x %d", c, c, c, c, c, c, cr, cr, cr, cr, cr, cr, cr)
	fmt.Fprint(&out, cr, []Credentials{cr}, map[string]Credentials{"k": cr})
	for _, v := range []any{c, cr} {
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		out.Write(data)
	}
	if strings.Contains(out.String(), testTwilioToken) {
		t.Errorf("the secret shows in:\n%s", out.String())
	}
	if string(c.Credentials.Reveal()) != block || c.Credentials.Provider() != Provider("twilio") {
		t.Errorf("Reveal = %s of %s; want the block of twilio", c.Credentials.Reveal(), c.Credentials.Provider())
	}
	if !(Credentials{}).IsZero() || c.Credentials.IsZero() || !c.Credentials.Equal(NewCredentials(Provider("twilio"), []byte(block))) {
		t.Errorf("IsZero and Equal disagree with the blocks")
	}
}
