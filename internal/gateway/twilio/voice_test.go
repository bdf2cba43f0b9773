package twilio

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// fakeCalls serves the Calls resource of one account as Twilio's REST API
// does: Basic auth, the account in the path, form-encoded creates and
// updates checked parameter by parameter, JSON answers and Twilio's error
// shape.
type fakeCalls struct {
	mu      sync.Mutex
	calls   map[string]url.Values // sid → the create form
	updates map[string][]url.Values
	ended   map[string]bool
	n       int
}

var callPath = regexp.MustCompile(`^/2010-04-01/Accounts/([^/]+)/Calls(?:/(CA[0-9a-f]{32}))?\.json$`)

func newFakeCalls(t *testing.T) (*fakeCalls, *httptest.Server) {
	f := &fakeCalls{calls: map[string]url.Values{}, updates: map[string][]url.Values{}, ended: map[string]bool{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func twilioError(w http.ResponseWriter, status, code int, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"code": code, "message": message, "more_info": fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code), "status": status})
}

func (f *fakeCalls) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m := callPath.FindStringSubmatch(r.URL.Path)
	if m == nil || r.Method != http.MethodPost {
		twilioError(w, http.StatusNotFound, 20404, "The requested resource was not found")
		return
	}
	user, pass, ok := r.BasicAuth()
	if !ok || m[1] != testAccount || !(user == testAccount && pass == testToken || user == testKeySID && pass == testKeySecret) {
		twilioError(w, http.StatusUnauthorized, 20003, "Authenticate")
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		twilioError(w, http.StatusBadRequest, 20001, "Content-Type must be application/x-www-form-urlencoded")
		return
	}
	body, _ := io.ReadAll(r.Body)
	form, err := url.ParseQuery(string(body))
	if err != nil {
		twilioError(w, http.StatusBadRequest, 20001, "bad form")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if m[2] == "" {
		f.create(w, form)
		return
	}
	f.update(w, m[2], form)
}

func absoluteURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

func (f *fakeCalls) create(w http.ResponseWriter, form url.Values) {
	e164 := regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	switch {
	case !e164.MatchString(form.Get("To")):
		twilioError(w, http.StatusBadRequest, 21211, "Invalid 'To' Phone Number")
		return
	case !e164.MatchString(form.Get("From")):
		twilioError(w, http.StatusBadRequest, 21212, "Invalid 'From' Phone Number")
		return
	case form.Get("Url") == "" && form.Get("Twiml") == "" && form.Get("ApplicationSid") == "":
		twilioError(w, http.StatusBadRequest, 21205, "Url parameter is required")
		return
	case form.Get("Url") != "" && !absoluteURL(form.Get("Url")):
		twilioError(w, http.StatusBadRequest, 21205, "Url is not a valid URL")
		return
	case form.Get("StatusCallback") != "" && !absoluteURL(form.Get("StatusCallback")):
		twilioError(w, http.StatusBadRequest, 21609, "Invalid StatusCallback")
		return
	}
	for _, ev := range form["StatusCallbackEvent"] {
		if !slices.Contains([]string{"initiated", "ringing", "answered", "completed"}, ev) {
			twilioError(w, http.StatusBadRequest, 21626, "Invalid StatusCallbackEvent "+ev)
			return
		}
	}
	if md := form.Get("MachineDetection"); md != "" && md != "Enable" && md != "DetectMessageEnd" {
		twilioError(w, http.StatusBadRequest, 21620, "Invalid MachineDetection")
		return
	}
	if a := form.Get("AsyncAmd"); a != "" && a != "true" && a != "false" {
		twilioError(w, http.StatusBadRequest, 21620, "Invalid AsyncAmd")
		return
	}
	if cb := form.Get("AsyncAmdStatusCallback"); cb != "" && !absoluteURL(cb) {
		twilioError(w, http.StatusBadRequest, 21609, "Invalid AsyncAmdStatusCallback")
		return
	}
	if t := form.Get("Timeout"); t != "" {
		if n, err := strconv.Atoi(t); err != nil || n < 1 || n > 600 {
			twilioError(w, http.StatusBadRequest, 21210, "Invalid Timeout")
			return
		}
	}
	f.n++
	sid := fmt.Sprintf("CA%032x", f.n)
	f.calls[sid] = form
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"sid": sid, "account_sid": testAccount, "to": form.Get("To"), "from": form.Get("From"),
		"status": "queued", "direction": "outbound-api", "api_version": "2010-04-01",
		"uri": "/2010-04-01/Accounts/" + testAccount + "/Calls/" + sid + ".json",
	})
}

func (f *fakeCalls) update(w http.ResponseWriter, sid string, form url.Values) {
	if _, ok := f.calls[sid]; !ok {
		twilioError(w, http.StatusNotFound, 20404, "The requested resource was not found")
		return
	}
	if f.ended[sid] {
		twilioError(w, http.StatusBadRequest, 21220, "Call is not in-progress. Cannot redirect.")
		return
	}
	if tw := form.Get("Twiml"); tw != "" {
		if len(tw) > 4000 {
			twilioError(w, http.StatusBadRequest, 13001, "Twiml exceeds 4000 characters")
			return
		}
		if err := xml.Unmarshal([]byte(tw), new(struct {
			XMLName xml.Name `xml:"Response"`
		})); err != nil {
			twilioError(w, http.StatusBadRequest, 12100, "Document parse failure")
			return
		}
	}
	switch st := form.Get("Status"); st {
	case "":
	case "completed", "canceled":
		f.ended[sid] = true
	default:
		twilioError(w, http.StatusBadRequest, 21218, "Invalid Status "+st)
		return
	}
	f.updates[sid] = append(f.updates[sid], form)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"sid": sid, "status": "in-progress"})
}

func voiceGateway(srv *httptest.Server) *Gateway {
	return &Gateway{BaseURL: srv.URL, HTTP: srv.Client(),
		Credentials: Credentials{AccountSID: testAccount, AuthToken: parley.Secret(testToken)}}
}

func TestPlaceCall(t *testing.T) {
	fake, srv := newFakeCalls(t)
	g := voiceGateway(srv)
	ctx := context.Background()
	sid, err := g.PlaceCall(ctx, Call{
		To: "+12025550142", From: "+12025550100",
		AnswerURL:      "https://parley.example/webhooks/voice/acct1/answer",
		StatusCallback: "https://parley.example/webhooks/voice/acct1/status",
		AMDCallback:    "https://parley.example/webhooks/voice/acct1/amd",
		RingTimeout:    25 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	form := fake.calls[sid]
	want := map[string]string{"To": "+12025550142", "From": "+12025550100", "Method": "POST", "StatusCallbackMethod": "POST",
		"MachineDetection": "Enable", "AsyncAmd": "true", "AsyncAmdStatusCallbackMethod": "POST", "Timeout": "25"}
	for k, v := range want {
		if form.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, form.Get(k), v)
		}
	}
	if got := form["StatusCallbackEvent"]; !slices.Equal(got, []string{"initiated", "ringing", "answered", "completed"}) {
		t.Errorf("StatusCallbackEvent = %v", got)
	}

	// Without a machine-detection callback, no detection.
	sid2, err := g.PlaceCall(ctx, Call{To: "+12025550143", From: "+12025550100", AnswerURL: "https://parley.example/a"})
	if err != nil {
		t.Fatal(err)
	}
	if f := fake.calls[sid2]; f.Has("MachineDetection") || f.Has("StatusCallbackEvent") || f.Has("Timeout") {
		t.Errorf("plain call form %v", f)
	}

	// With an API key.
	g.Credentials.APIKeySID, g.Credentials.APIKeySecret = testKeySID, parley.Secret(testKeySecret)
	if _, err := g.PlaceCall(ctx, Call{To: "+12025550144", From: "+12025550100", AnswerURL: "https://parley.example/a"}); err != nil {
		t.Errorf("with an API key: %v", err)
	}
}

func TestPlaceCallRefused(t *testing.T) {
	_, srv := newFakeCalls(t)
	ctx := context.Background()
	ok := Call{To: "+12025550142", From: "+12025550100", AnswerURL: "https://parley.example/a"}
	cases := []struct {
		name string
		g    func(*Gateway)
		c    func(*Call)
		code string
		kind parley.FailKind
	}{
		{"bad To", nil, func(c *Call) { c.To = "+0" }, "21211", parley.FailPermanent},
		{"bad From", nil, func(c *Call) { c.From = "12" }, "21212", parley.FailConfig},
		{"wrong token", func(g *Gateway) { g.Credentials.AuthToken = "nope" }, nil, "20003", parley.FailConfig},
		{"no answer URL", nil, func(c *Call) { c.AnswerURL = "" }, "BAD_CALL", parley.FailPermanent},
		{"ring timeout", nil, func(c *Call) { c.RingTimeout = time.Second }, "BAD_CALL", parley.FailPermanent},
	}
	for _, tc := range cases {
		g := voiceGateway(srv)
		c := ok
		if tc.g != nil {
			tc.g(g)
		}
		if tc.c != nil {
			tc.c(&c)
		}
		_, err := g.PlaceCall(ctx, c)
		var se *parley.SendError
		if !errors.As(err, &se) || se.Code != tc.code || se.Kind != tc.kind {
			t.Errorf("%s: %v, want %s (%v)", tc.name, err, tc.code, tc.kind)
		}
	}
}

func TestRedirectAndEnd(t *testing.T) {
	fake, srv := newFakeCalls(t)
	g := voiceGateway(srv)
	ctx := context.Background()
	sid, err := g.PlaceCall(ctx, Call{To: "+12025550142", From: "+12025550100", AnswerURL: "https://parley.example/a"})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Redirect(ctx, sid, BridgeTwiML("client:agent<7>&co", "+12025550100")); err != nil {
		t.Fatal(err)
	}
	tw := fake.updates[sid][0].Get("Twiml")
	if !strings.Contains(tw, `<Dial callerId="+12025550100"><Client>agent&lt;7&gt;&amp;co</Client></Dial>`) {
		t.Errorf("bridge TwiML %s", tw)
	}
	if err := g.EndCall(ctx, sid); err != nil {
		t.Fatal(err)
	}
	err = g.Redirect(ctx, sid, AbandonTwiML("Sorry we missed you."))
	var se *parley.SendError
	if !errors.As(err, &se) || se.Code != "21220" {
		t.Errorf("redirect an ended call: %v, want 21220", err)
	}
	if err := g.Redirect(ctx, "CA../../x", HoldTwiML(time.Second)); !errors.As(err, &se) || se.Code != "BAD_CALL" {
		t.Errorf("bad sid: %v", err)
	}
}

func TestTwiML(t *testing.T) {
	cases := map[string]string{
		HoldTwiML(30 * time.Second):                       `<Response><Pause length="30"/></Response>`,
		HoldTwiML(0):                                      `<Response><Pause length="1"/></Response>`,
		BridgeTwiML("+12025550199", "+12025550100"):       `<Response><Dial callerId="+12025550100"><Number>+12025550199</Number></Dial></Response>`,
		BridgeTwiML("sip:op@pbx.example", "+1202"):        `<Response><Dial callerId="+1202"><Sip>sip:op@pbx.example</Sip></Dial></Response>`,
		AbandonTwiML("https://cdn.example/sorry.mp3"):     `<Response><Play>https://cdn.example/sorry.mp3</Play><Hangup/></Response>`,
		AbandonTwiML(`We'll call back <soon> & "gladly"`): `<Response><Say>We&#39;ll call back &lt;soon&gt; &amp; &#34;gladly&#34;</Say><Hangup/></Response>`,
	}
	for got, want := range cases {
		if got != twimlHeader+want {
			t.Errorf("got  %s\nwant %s", got, twimlHeader+want)
		}
		var doc struct {
			XMLName xml.Name `xml:"Response"`
		}
		if err := xml.Unmarshal([]byte(got), &doc); err != nil {
			t.Errorf("%s is not XML: %v", got, err)
		}
	}
}

func signedVoiceForm(t *testing.T, requestURL string, form url.Values) ([]byte, string) {
	t.Helper()
	return []byte(form.Encode()), Signature(testToken, requestURL, form)
}

func TestVerifiedForm(t *testing.T) {
	creds := Credentials{AccountSID: testAccount, AuthToken: parley.Secret(testToken)}
	const target = "https://parley.example/webhooks/voice/acct1/status?call=k1"
	form := url.Values{"CallSid": {"CA" + strings.Repeat("a", 32)}, "AccountSid": {testAccount}, "CallStatus": {"in-progress"}, "SequenceNumber": {"2"}}
	body, sig := signedVoiceForm(t, target, form)
	got, err := VerifiedForm(creds, "acct1", target, body, sig)
	if err != nil || got.Get("CallStatus") != "in-progress" {
		t.Fatalf("verified: %v, %v", got, err)
	}
	other := url.Values{"CallSid": form["CallSid"], "AccountSid": {"AC" + strings.Repeat("b", 32)}, "CallStatus": {"completed"}}
	otherBody, otherSig := signedVoiceForm(t, target, other)
	cases := []struct {
		name      string
		creds     Credentials
		url       string
		body      []byte
		signature string
		code      string
	}{
		{"tampered body", creds, target, []byte(strings.Replace(string(body), "in-progress", "completed", 1)), sig, parley.EFORBIDDEN},
		{"other URL", creds, strings.Replace(target, "k1", "k2", 1), body, sig, parley.EFORBIDDEN},
		{"unsigned", creds, target, body, "", parley.EUNAUTHORIZED},
		{"no auth token", Credentials{AccountSID: testAccount}, target, body, sig, parley.EFORBIDDEN},
		{"another Twilio account", creds, target, otherBody, otherSig, parley.EFORBIDDEN},
	}
	for _, c := range cases {
		if _, err := VerifiedForm(c.creds, "acct1", c.url, c.body, c.signature); parley.ErrorCode(err) != c.code {
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
		}
	}
}

func TestParseCallEvent(t *testing.T) {
	sid := "CA" + strings.Repeat("a", 32)
	e, err := ParseCallEvent(url.Values{"CallSid": {sid}, "AccountSid": {testAccount}, "CallStatus": {"completed"},
		"CallDuration": {"187"}, "SequenceNumber": {"3"}, "To": {"+12025550142"}, "From": {"+12025550100"},
		"Direction": {"outbound-api"}, "Timestamp": {"Wed, 02 Dec 2026 07:00:00 +0000"}, "CallbackSource": {"call-progress-events"}})
	if err != nil {
		t.Fatal(err)
	}
	if e.Status != CallCompleted || !e.Status.Ended() || e.Duration != 187*time.Second || e.Sequence != 3 {
		t.Errorf("event %+v", e)
	}
	if CallInProgress.Ended() || CallRinging.Ended() || !CallNoAnswer.Ended() {
		t.Error("Ended is wrong")
	}
	bad := map[string]url.Values{
		"CallSid":        {"AccountSid": {testAccount}, "CallStatus": {"ringing"}},
		"CallStatus":     {"CallSid": {sid}, "AccountSid": {testAccount}, "CallStatus": {"RING ING"}},
		"CallDuration":   {"CallSid": {sid}, "AccountSid": {testAccount}, "CallStatus": {"completed"}, "CallDuration": {"-1"}},
		"SequenceNumber": {"CallSid": {sid}, "AccountSid": {testAccount}, "CallStatus": {"ringing"}, "SequenceNumber": {"99999999999"}},
	}
	for field, form := range bad {
		if _, err := ParseCallEvent(form); parley.ErrorField(err) != field {
			t.Errorf("%s: %v", field, err)
		}
	}
}

func TestParseAMD(t *testing.T) {
	sid := "CA" + strings.Repeat("a", 32)
	r, err := ParseAMD(url.Values{"CallSid": {sid}, "AccountSid": {testAccount}, "AnsweredBy": {"machine_end_beep"}, "MachineDetectionDuration": {"4120"}})
	if err != nil {
		t.Fatal(err)
	}
	if !r.AnsweredBy.Machine() || r.Detection != 4120*time.Millisecond {
		t.Errorf("result %+v", r)
	}
	for _, a := range []AnsweredBy{AnsweredByHuman, AnsweredByUnknown} {
		if a.Machine() {
			t.Errorf("%s counts as a machine", a)
		}
	}
	if !AnsweredByFax.Machine() {
		t.Error("a fax counts as a person")
	}
	if _, err := ParseAMD(url.Values{"CallSid": {sid}, "AccountSid": {testAccount}}); parley.ErrorField(err) != "AnsweredBy" {
		t.Errorf("no verdict: %v", err)
	}
}

func FuzzVoiceWebhooks(f *testing.F) {
	f.Add("CallSid=CAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa&AccountSid=AC1&CallStatus=in-progress&SequenceNumber=1")
	f.Add("CallSid=CA1&AccountSid=AC1&AnsweredBy=human&MachineDetectionDuration=2000")
	f.Fuzz(func(t *testing.T, body string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		if e, err := ParseCallEvent(form); err == nil {
			if e.CallSID == "" || e.Status == "" || e.Duration < 0 || e.Sequence < 0 {
				t.Fatalf("accepted %+v", e)
			}
		} else if parley.ErrorCode(err) != parley.EINVALID {
			t.Fatalf("error %v is not EINVALID", err)
		}
		if r, err := ParseAMD(form); err == nil && (r.AnsweredBy == "" || r.Detection < 0) {
			t.Fatalf("accepted %+v", r)
		}
		// Nothing unsigned passes.
		creds := Credentials{AccountSID: form.Get("AccountSid"), AuthToken: parley.Secret(testToken)}
		if _, err := VerifiedForm(creds, "acct1", "https://parley.example/x", []byte(body), "bogus"); err == nil {
			t.Fatal("a bogus signature passed")
		}
	})
}
