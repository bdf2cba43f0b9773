package cm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/egress"
	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/parley"
)

const testToken = "4d1c35e9-7b6a-4f2e-9a51-0c8d2f6b7e10"

// wireRequest is the request body as CM documents it; decoding with unknown
// fields disallowed catches a misspelt field.
type wireRequest struct {
	Messages struct {
		Authentication struct {
			ProductToken string `json:"producttoken"`
		} `json:"authentication"`
		Msg []wireMsg `json:"msg"`
	} `json:"messages"`
}

type wireMsg struct {
	From string `json:"from"`
	To   []struct {
		Number string `json:"number"`
	} `json:"to"`
	Body struct {
		Type    string `json:"type"`
		Content string `json:"content"`
	} `json:"body"`
	Reference       string   `json:"reference"`
	AllowedChannels []string `json:"allowedChannels"`
	MinParts        int      `json:"minimumNumberOfMessageParts"`
	MaxParts        int      `json:"maximumNumberOfMessageParts"`
	CustomGrouping  string   `json:"customGrouping"`
	CustomGrouping2 string   `json:"customGrouping2"`
	CustomGrouping3 string   `json:"customGrouping3"`
}

var (
	cmNumber    = regexp.MustCompile(`^00[1-9][0-9]{1,14}$`)
	cmReference = regexp.MustCompile(`^[A-Za-z0-9]{1,32}$`)
)

// reply is a canned answer from the fake CM.
type reply struct {
	status int
	body   string
}

// fakeCM checks requests the way CM's JSON gateway does and answers with
// its response shapes: a rejected message when a field is wrong, and the
// canned reply (or an acceptance) otherwise.
type fakeCM struct {
	t     *testing.T
	reply *reply

	mu  sync.Mutex
	got []wireMsg
}

func (f *fakeCM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1.0/message" {
		f.t.Errorf("request %s %s, want POST /v1.0/message", r.Method, r.URL.Path)
		http.NotFound(w, r)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		f.t.Errorf("Content-Type %q, want application/json", ct)
	}
	var req wireRequest
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		f.t.Errorf("request body: %v", err)
		answer(w, http.StatusBadRequest, `{"details":"Malformed request","errorCode":202,"messages":[]}`)
		return
	}
	if r.Header.Get("X-CM-PRODUCTTOKEN") != testToken || req.Messages.Authentication.ProductToken != testToken {
		f.t.Errorf("product token missing or wrong in header or body")
		answer(w, http.StatusBadRequest, `{"details":"No account found for the given authentication","errorCode":101,"messages":[]}`)
		return
	}
	if len(req.Messages.Msg) != 1 {
		f.t.Errorf("got %d msg, want 1", len(req.Messages.Msg))
		answer(w, http.StatusBadRequest, `{"details":"The MSG array is incorrect","errorCode":203,"messages":[]}`)
		return
	}
	m := req.Messages.Msg[0]
	f.mu.Lock()
	f.got = append(f.got, m)
	f.mu.Unlock()
	if problem := f.check(m); problem != "" {
		f.t.Errorf("CM would reject: %s", problem)
		answer(w, http.StatusBadRequest, rejected(m.Reference, 305, problem))
		return
	}
	if f.reply != nil {
		answer(w, f.reply.status, f.reply.body)
		return
	}
	answer(w, http.StatusOK, fmt.Sprintf(`{"details":"Created 1 message(s)","errorCode":0,"messages":[`+
		`{"to":%q,"status":"Accepted","reference":%q,"parts":1,"messageDetails":null,"messageErrorCode":0}]}`,
		m.To[0].Number, m.Reference))
}

// msgs returns the messages CM received so far.
func (f *fakeCM) msgs() []wireMsg {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.got)
}

// check returns what CM would object to in m, or "".
func (f *fakeCM) check(m wireMsg) string {
	switch {
	case m.From == "":
		return "no from"
	case len(m.To) != 1 || !cmNumber.MatchString(m.To[0].Number):
		return fmt.Sprintf("to %v is not one 00-prefixed number", m.To)
	case m.Body.Type != "auto" || m.Body.Content == "":
		return fmt.Sprintf("body %+v", m.Body)
	case !cmReference.MatchString(m.Reference):
		return fmt.Sprintf("reference %q is not 1-32 alphanumerics", m.Reference)
	case !slices.Equal(m.AllowedChannels, []string{"SMS"}):
		return fmt.Sprintf("allowedChannels %v", m.AllowedChannels)
	case m.MinParts < 1 || m.MaxParts < m.MinParts || m.MaxParts > 8:
		return fmt.Sprintf("message parts %d..%d", m.MinParts, m.MaxParts)
	}
	return ""
}

func answer(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

func rejected(ref string, code int, details string) string {
	return fmt.Sprintf(`{"details":"Created 0 message(s)","errorCode":201,"messages":[`+
		`{"to":"00447911123456","status":"Rejected","reference":%q,"parts":0,"messageDetails":%q,"messageErrorCode":%d}]}`,
		ref, details, code)
}

func testMessage() parley.Message {
	return parley.Message{
		Channel: parley.ChannelSMS, From: "+3197010203040", To: "+447911123456", Body: "Your order shipped. Reply STOP to opt out.",
		AccountID: "acct-1", CampaignID: "camp-9", RecipientID: "rcp-42",
	}
}

func newGateway(t *testing.T, f *fakeCM) *Gateway {
	f.t = t
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return &Gateway{BaseURL: srv.URL, ProductToken: testToken, HTTP: srv.Client()}
}

func TestSendAccepted(t *testing.T) {
	f := &fakeCM{}
	g := newGateway(t, f)
	m := testMessage()
	id, err := g.Send(context.Background(), m)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if id != Reference(m) {
		t.Errorf("id %q, want the reference %q", id, Reference(m))
	}
	got := f.msgs()[0]
	if got.From != "003197010203040" || got.To[0].Number != "00447911123456" || got.Body.Content != m.Body || got.Reference != id {
		t.Errorf("CM got %+v", got)
	}
	if got.CustomGrouping != "acct-1" || got.CustomGrouping2 != "camp-9" || got.CustomGrouping3 != "rcp-42" {
		t.Errorf("groupings %q %q %q", got.CustomGrouping, got.CustomGrouping2, got.CustomGrouping3)
	}
}

func TestSendSenderName(t *testing.T) {
	f := &fakeCM{}
	g := newGateway(t, f)
	m := testMessage()
	m.From = "ParleyShop"
	m.RecipientID = strings.Repeat("r", maxGrouping+1)
	if _, err := g.Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if got := f.msgs()[0]; got.From != "ParleyShop" || got.CustomGrouping3 != "" {
		t.Errorf("from %q, grouping3 %q; want the sender name and no over-long grouping", got.From, got.CustomGrouping3)
	}
}

func TestSendRefusedLocally(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Gateway, *parley.Message)
		code   string
		kind   parley.FailKind
	}{
		{"no token", func(g *Gateway, _ *parley.Message) { g.ProductToken = "" }, CodeNoProductToken, parley.FailConfig},
		{"no sender", func(_ *Gateway, m *parley.Message) { m.From = "" }, CodeNoSender, parley.FailConfig},
		{"national number", func(_ *Gateway, m *parley.Message) { m.To = "07911123456" }, parley.CodeInvalidNumber, parley.FailPermanent},
		{"letters in number", func(_ *Gateway, m *parley.Message) { m.To = "+44791112345a" }, parley.CodeInvalidNumber, parley.FailPermanent},
		{"empty body", func(_ *Gateway, m *parley.Message) { m.Body = "" }, CodeEmptyBody, parley.FailPermanent},
		{"bad base URL", func(g *Gateway, _ *parley.Message) { g.BaseURL = "http://[::1" }, CodeBadBaseURL, parley.FailConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeCM{}
			g := newGateway(t, f)
			m := testMessage()
			tt.change(g, &m)
			_, err := g.Send(context.Background(), m)
			assertSendError(t, err, tt.code, tt.kind)
			if n := len(f.msgs()); n != 0 {
				t.Errorf("CM was called %d times", n)
			}
		})
	}
}

func TestSendErrors(t *testing.T) {
	ref := Reference(testMessage())
	tests := []struct {
		name  string
		reply reply
		code  string
		kind  parley.FailKind
	}{
		{"no account", reply{400, `{"details":"No account found for the given authentication","errorCode":101,"messages":[]}`}, "101", parley.FailConfig},
		{"insufficient balance", reply{400, `{"details":"Insufficient balance.","errorCode":102,"messages":[]}`}, "102", parley.FailConfig},
		{"bad product token", reply{400, `{"details":"Invalid product token.","errorCode":103,"messages":[]}`}, "103", parley.FailConfig},
		{"malformed", reply{400, `{"details":"Malformed request","errorCode":202,"messages":[]}`}, "202", parley.FailPermanent},
		{"invalid number", reply{400, rejected(ref, 303, "Gsm '0044791112345a' is not a number.")}, "303", parley.FailPermanent},
		{"number in details", reply{200, rejected(ref, 402, "Gsm 00447911123456 is blacklisted")}, "402", parley.FailPermanent},
		{"empty body at CM", reply{200, rejected(ref, 304, "A body without content was found")}, "304", parley.FailPermanent},
		{"sender refused", reply{200, rejected(ref, 301, "Invalid from field")}, "301", parley.FailConfig},
		{"blacklisted", reply{200, rejected(ref, 402, "Blacklisted")}, "402", parley.FailPermanent},
		{"unknown rejection", reply{200, rejected(ref, 777, "")}, "777", parley.FailPermanent},
		{"CM internal", reply{500, `{"details":"Internal server error","errorCode":500,"messages":[]}`}, "500", parley.FailTransient},
		{"gateway down", reply{503, `<html>Service Unavailable</html>`}, "503", parley.FailTransient},
		{"rate limited", reply{429, `{"details":"Too many requests"}`}, "429", parley.FailThrottled},
		{"unauthorized", reply{401, ``}, "401", parley.FailConfig},
		{"unknown request error", reply{200, `{"details":"Unknown error","errorCode":999,"messages":[]}`}, "999", parley.FailTransient},
		{"unreadable", reply{200, `Error: ERROR Unknown error`}, CodeBadResponse, parley.FailTransient},
		{"odd status", reply{404, `{"details":"not here"}`}, "404", parley.FailTransient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGateway(t, &fakeCM{reply: &tt.reply})
			id, err := g.Send(context.Background(), testMessage())
			if id != "" {
				t.Errorf("id %q on failure", id)
			}
			assertSendError(t, err, tt.code, tt.kind)
		})
	}
}

func TestSendNetworkError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	// Loopback allowed, so the closed port is reached and refuses.
	g := &Gateway{BaseURL: srv.URL, ProductToken: testToken, HTTP: egress.Policy{AllowLoopback: true}.Client(time.Second)}
	_, err := g.Send(context.Background(), testMessage())
	assertSendError(t, err, CodeNetwork, parley.FailTransient)
	// The default client refuses loopback before connecting.
	g.HTTP = nil
	_, err = g.Send(context.Background(), testMessage())
	assertSendError(t, err, gateway.CodeEgressRefused, parley.FailConfig)
}

func assertSendError(t *testing.T, err error, code string, kind parley.FailKind) {
	t.Helper()
	var se *parley.SendError
	if !errors.As(err, &se) {
		t.Fatalf("error %v is not a *parley.SendError", err)
	}
	if se.Provider != "cm" || se.Code != code || se.Kind != kind {
		t.Errorf("got %s %s %q (%s), want %s %q", se.Provider, se.Kind, se.Code, se.Reason, kind, code)
	}
	if strings.Contains(se.Error(), testToken) || strings.Contains(se.Error(), "447911123456") {
		t.Errorf("error leaks the product token or a whole number: %v", se)
	}
}

func TestReference(t *testing.T) {
	a := testMessage()
	b := a
	b.RecipientID = "rcp-43"
	c := a
	c.AccountID, c.CampaignID = "acct-1camp-9", "" // ids are length-prefixed, so no shift collides
	u := a
	u.CampaignID, u.RecipientID = "0196f1e2-7c4b-7d1a-9e3f-2b8c4d6e8f01", "000042"
	u2 := u
	u2.RecipientID = "000043"
	p := a
	p.CampaignID, p.RecipientID = "camp1", "000001"
	tests := []struct {
		name string
		x, y parley.Message
		same bool
	}{
		{"same recipient", a, a, true},
		{"other recipient", a, b, false},
		{"shifted ids", a, c, false},
		{"same UUID recipient", u, u, true},
		{"other UUID recipient", u, u2, false},
		{"plain ids", p, u, false},
	}
	for _, tt := range tests {
		rx, ry := Reference(tt.x), Reference(tt.y)
		if (rx == ry) != tt.same {
			t.Errorf("%s: %q vs %q, same=%v", tt.name, rx, ry, tt.same)
		}
		if !cmReference.MatchString(rx) {
			t.Errorf("%s: reference %q is not 1-32 alphanumerics", tt.name, rx)
		}
	}
	noID := a
	noID.RecipientID = ""
	if Reference(noID) == Reference(noID) {
		t.Error("messages without a recipient id share a reference")
	}
}

func TestParseReference(t *testing.T) {
	long := strings.Repeat("9", 10)
	tests := []struct {
		name, campaign, recipient string
		want                      string // the reference; "" when its statuses name no recipient
	}{
		{"Parley's ids", "0196f1e2-7c4b-7d1a-9e3f-2b8c4d6e8f01", "000042", ""},
		{"the first recipient", "00000000-0000-0000-0000-000000000000", "000001", "U00000000000000000000000001"},
		{"the largest UUID", "ffffffff-ffff-ffff-ffff-ffffffffffff", "999999", ""},
		{"a recipient number of six base-36 digits", "0196f1e2-7c4b-7d1a-9e3f-2b8c4d6e8f01", "2176782335", ""},
		{"short ids written out", "camp1", "000001", "P5camp1000001"},
		{"mixed case kept", "CampA", "r1", "P5CampAr1"},
	}
	for _, tt := range tests {
		ref := Reference(parley.Message{AccountID: "acct1", CampaignID: tt.campaign, RecipientID: tt.recipient})
		if tt.want != "" && ref != tt.want {
			t.Errorf("%s: Reference = %q, want %q", tt.name, ref, tt.want)
		}
		if !cmReference.MatchString(ref) {
			t.Errorf("%s: reference %q is not 1-32 alphanumerics", tt.name, ref)
		}
		c, r, ok := ParseReference(ref)
		if !ok || c != tt.campaign || r != tt.recipient {
			t.Errorf("%s: ParseReference(%q) = %q, %q, %v; want %q, %q", tt.name, ref, c, r, ok, tt.campaign, tt.recipient)
		}
	}
	// Ids that fit no form get a hash: a reference, but no recipient.
	for _, m := range []parley.Message{
		{CampaignID: "camp-9", RecipientID: "rcp-42"},                           // not alphanumeric
		{CampaignID: "0196f1e2-7c4b-7d1a-9e3f-2b8c4d6e8f01", RecipientID: "42"}, // not a Parley recipient number
		{CampaignID: "0196F1E2-7C4B-7D1A-9E3F-2B8C4D6E8F01", RecipientID: "000001"},
		{CampaignID: "0196f1e2-7c4b-7d1a-9e3f-2b8c4d6e8f01", RecipientID: long + long + long + "1"},
		{CampaignID: strings.Repeat("c", 30), RecipientID: "000001"},
		{CampaignID: "camp1"},
	} {
		ref := Reference(m)
		if !cmReference.MatchString(ref) || ref[0] != 'H' {
			t.Errorf("Reference(%+v) = %q; want the H form", m, ref)
		}
		if c, r, ok := ParseReference(ref); ok {
			t.Errorf("ParseReference(%q) = %q, %q; want no recipient", ref, c, r)
		}
	}
	for _, bad := range []string{"", "U", "P", "P0", "P5camp1", "P9abc1", "Pacamp1", "u00000000000000000000000001", "U0000000000000000000000000",
		"U00000000000000000000000000001", "UZZZZZZZZZZZZZZZZZZZZZZZZZ1", "U0000000000000000000000000A", "e1b6f0c3a9d24b7f8e5a1c2d3b4f5a6e",
		"P5camp1/00001", "U" + strings.Repeat("z", 25) + "1"} {
		if c, r, ok := ParseReference(bad); ok {
			t.Errorf("ParseReference(%q) = %q, %q; want refused", bad, c, r)
		}
	}
}

func TestGatewayHidesToken(t *testing.T) {
	g := Gateway{BaseURL: "https://gw.example", ProductToken: testToken}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("gateway", "value", g, "pointer", &g)
	slog.New(slog.NewTextHandler(&logged, nil)).Info("gateway", "value", g, "pointer", &g)
	encoded, err := json.Marshal(g)
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{
		"%v": fmt.Sprintf("%v", g), "%+v": fmt.Sprintf("%+v", &g), "%#v": fmt.Sprintf("%#v", g),
		"%s in struct": fmt.Sprintf("%+v", struct{ G Gateway }{g}),
		"slog":         logged.String(), "json": string(encoded),
	}
	for name, out := range outputs {
		if strings.Contains(out, testToken) {
			t.Errorf("%s leaks the token: %s", name, out)
		}
	}
	if !strings.Contains(g.String(), "gw.example") {
		t.Errorf("String %q lost the base URL", g.String())
	}
}

func BenchmarkRequest(b *testing.B) {
	g := &Gateway{ProductToken: testToken}
	m := testMessage()
	for b.Loop() {
		if _, err := g.request(m, Reference(m)); err != nil {
			b.Fatal(err)
		}
	}
}
