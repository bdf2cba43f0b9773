package parley

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/parleyhq/parley/internal/egress"
)

func TestAppendBoundsTheTranscript(t *testing.T) {
	c := Conversation{}
	c.Append(Line{Direction: Outbound, Body: "the campaign's message"})
	for i := range MaxTranscriptLines + 10 {
		c.Append(Line{Direction: Inbound, Body: fmt.Sprint(i)})
	}
	if len(c.Transcript) != MaxTranscriptLines || c.Omitted != 11 || c.Transcript[0].Direction != Outbound ||
		c.Transcript[len(c.Transcript)-1].Body != fmt.Sprint(MaxTranscriptLines+9) {
		t.Fatalf("%d lines, %d omitted, first %+v", len(c.Transcript), c.Omitted, c.Transcript[0])
	}

	big := Conversation{}
	big.Append(Line{Direction: Outbound, Body: "first"})
	for range 80 {
		big.Append(Line{Direction: Inbound, Body: strings.Repeat("€", 2000)}) // 6000 bytes, cut to MaxLineBytes
	}
	size := 0
	for _, l := range big.Transcript {
		size += len(l.Body)
		if len(l.Body) > MaxLineBytes || !utf8.ValidString(l.Body) {
			t.Fatalf("line of %d bytes (valid UTF-8: %v)", len(l.Body), utf8.ValidString(l.Body))
		}
	}
	if size > MaxTranscriptBytes || big.Transcript[0].Body != "first" || big.Omitted == 0 {
		t.Errorf("transcript of %d bytes, first %q, %d omitted", size, big.Transcript[0].Body, big.Omitted)
	}
}

func TestTruncateUTF8(t *testing.T) {
	tests := []struct {
		s    string
		n    int
		want string
	}{
		{"abc", 5, "abc"},
		{"abc", 2, "ab"},
		{"aé", 2, "a"},
		{"😀😀", 5, "😀"},
		{"😀", 3, ""},
	}
	for _, tt := range tests {
		if got := TruncateUTF8(tt.s, tt.n); got != tt.want {
			t.Errorf("TruncateUTF8(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
		}
	}
}

func TestOutboundContextRoutes(t *testing.T) {
	sent := time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC)
	tests := []struct {
		lookback time.Duration
		after    time.Duration
		routes   bool
	}{
		{time.Hour, time.Hour, true},
		{time.Hour, time.Hour + time.Nanosecond, false},
		{0, MaxLookback, true},
		{0, MaxLookback + time.Second, false},
		{time.Minute, 59 * time.Minute, true}, // raised to the minimum
		{365 * 24 * time.Hour, MaxLookback + time.Second, false},
	}
	for _, tt := range tests {
		o := OutboundContext{SentAt: sent, Lookback: tt.lookback}
		if got := o.Routes(sent.Add(tt.after)); got != tt.routes {
			t.Errorf("lookback %s, reply after %s: Routes = %v, want %v", tt.lookback, tt.after, got, tt.routes)
		}
	}
}

func TestOutboundContextFit(t *testing.T) {
	info := map[string]string{}
	for i := range 20 {
		info[fmt.Sprintf("k%02d", i)] = strings.Repeat("v", 20)
	}
	o := OutboundContext{Body: strings.Repeat("ж", 400), CampaignName: strings.Repeat("n", 200), Skill: strings.Repeat("s", 100), CustomerInfo: info}.Fit()
	used := 0
	for k, v := range o.CustomerInfo {
		used += len(k) + len(v)
	}
	if len(o.Body) > MaxContextBody || len(o.CampaignName) > MaxContextName || len(o.Skill) > MaxContextSkill || used > MaxContextInfo ||
		len(o.CustomerInfo) == 0 || o.CustomerInfo["k00"] == "" || o.Lookback != DefaultLookback {
		t.Errorf("Fit = body %d, name %d, skill %d, info %d bytes (%v), lookback %s", len(o.Body), len(o.CampaignName), len(o.Skill), used, o.CustomerInfo, o.Lookback)
	}
	// A sender over its budget is left out, not cut: a cut one would match
	// no reply's.
	for sender, want := range map[string]string{"+12025550100": "+12025550100", strings.Repeat("a", MaxContextSender+1): ""} {
		if got := (OutboundContext{Sender: sender}).Fit().Sender; got != want {
			t.Errorf("Fit sender %q = %q, want %q", sender, got, want)
		}
	}
}

func TestParseConversationStatus(t *testing.T) {
	for in, want := range map[string]ConversationStatus{"": "", "open": ConversationOpen, " CLOSED ": ConversationClosed} {
		if got, err := ParseConversationStatus(in, "status"); err != nil || got != want {
			t.Errorf("ParseConversationStatus(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseConversationStatus("pending", "status"); ErrorField(err) != "status" {
		t.Errorf("ParseConversationStatus(pending) = %v", err)
	}
}

func TestBroadcastWithin(t *testing.T) {
	start := time.Date(2019, 3, 24, 0, 0, 0, 0, time.UTC)
	b := BroadcastCampaign{Start: start, End: start.Add(24 * time.Hour)}
	for at, want := range map[time.Time]bool{
		start.Add(-time.Nanosecond): false, start: true, b.End: true, b.End.Add(time.Nanosecond): false,
	} {
		if b.Within(at) != want {
			t.Errorf("Within(%s) = %v", at, !want)
		}
	}
}

func TestAccountConnector(t *testing.T) {
	const secret = Secret("0123456789abcdef")
	tests := []struct {
		a     Account
		field string
	}{
		{Account{}, ""},
		{Account{ConnectorURL: "https://agents.example.com/hook?x=1", ConnectorSecret: secret}, ""},
		{Account{ConnectorURL: "http://127.0.0.1:9000/hook", ConnectorSecret: secret}, "connectorUrl"},
		{Account{ConnectorURL: "http://localhost/hook", ConnectorSecret: secret}, "connectorUrl"},
		{Account{ConnectorURL: "https://169.254.169.254/hook", ConnectorSecret: secret}, "connectorUrl"},
		{Account{ConnectorURL: "http://agents.example.com/hook", ConnectorSecret: secret}, "connectorUrl"},
		{Account{ConnectorURL: "https://user:pw@agents.example.com/", ConnectorSecret: secret}, "connectorUrl"},
		{Account{ConnectorURL: "agents.example.com/hook", ConnectorSecret: secret}, "connectorUrl"},
		{Account{ConnectorSecret: secret}, "connectorUrl"},
		{Account{ConnectorURL: "https://agents.example.com/"}, "connectorSecret"},
		{Account{ConnectorURL: "https://agents.example.com/", ConnectorSecret: "short"}, "connectorSecret"},
		{Account{ConnectorURL: "https://agents.example.com/", ConnectorSecret: Secret(secret.Redacted())}, "connectorSecret"},
	}
	for _, tt := range tests {
		if err := tt.a.Validate(egress.Policy{}); ErrorField(err) != tt.field || (tt.field == "") != (err == nil) {
			t.Errorf("Validate(%s) = %v, want field %q", tt.a.ConnectorURL, err, tt.field)
		}
	}
	a := Account{ID: "acct1", ConnectorURL: "https://agents.example.com/", ConnectorSecret: "whsec-0123456789abcdef"}
	data, _ := json.Marshal(a)
	if strings.Contains(string(data), "whsec") || strings.Contains(fmt.Sprintf("%+v %#v", a, a), "whsec") {
		t.Errorf("the connector secret shows: %s / %+v", data, a)
	}
}

func TestKeepConnectorSecret(t *testing.T) {
	const secret = Secret("whsec-0123456789abcdef")
	saved := Account{ID: "acct1", ConnectorURL: "https://agents.example.com/hook", ConnectorSecret: secret}
	redacted := Secret(secret.Redacted())
	tests := []struct {
		name    string
		a       Account
		changes bool
		kept    Secret // the secret after KeepConnectorSecret; "" when it fails
		field   string
	}{
		{"sent back as read", Account{ConnectorURL: saved.ConnectorURL, ConnectorSecret: redacted}, false, secret, ""},
		{"secret left out", Account{ConnectorURL: saved.ConnectorURL}, false, secret, ""},
		{"secret in clear", Account{ConnectorURL: saved.ConnectorURL, ConnectorSecret: secret}, false, secret, ""},
		{"new secret", Account{ConnectorURL: saved.ConnectorURL, ConnectorSecret: "whsec-another-0000000"}, true, "whsec-another-0000000", ""},
		{"mask of another secret", Account{ConnectorURL: saved.ConnectorURL, ConnectorSecret: "••••0000"}, true, "••••0000", ""},
		{"new URL, redacted secret", Account{ConnectorURL: "https://collector.example/hook", ConnectorSecret: redacted}, true, "", "connectorSecret"},
		{"new URL, no secret", Account{ConnectorURL: "https://collector.example/hook"}, true, "", "connectorSecret"},
		{"new URL, secret in clear", Account{ConnectorURL: "https://collector.example/hook", ConnectorSecret: secret}, true, secret, ""},
		{"removed", Account{}, true, "", ""},
	}
	for _, tt := range tests {
		if got := tt.a.ChangesConnector(saved); got != tt.changes {
			t.Errorf("%s: ChangesConnector = %v, want %v", tt.name, got, tt.changes)
		}
		got, err := tt.a.KeepConnectorSecret(saved)
		if ErrorField(err) != tt.field || got.ConnectorSecret != tt.kept {
			t.Errorf("%s: KeepConnectorSecret = %q, %v; want %q, field %q", tt.name, got.ConnectorSecret.Reveal(), err, tt.kept.Reveal(), tt.field)
		}
	}
	if (Account{}).ChangesConnector(Account{}) {
		t.Error("no connector before or after is a change")
	}
}
