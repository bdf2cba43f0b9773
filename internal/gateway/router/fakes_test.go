package router_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/egress"
)

// The fakes below answer the way each provider's API does and fail the test
// on any request the provider would refuse for its form: wrong path,
// credentials, content type or fields.

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// twilioMessage is the part of Twilio's Message resource the fake keeps.
type twilioMessage struct {
	SID                 string `json:"sid"`
	To                  string `json:"to"`
	From                string `json:"from"`
	MessagingServiceSID string `json:"messaging_service_sid,omitempty"`
	Body                string `json:"body"`
	Status              string `json:"status"`
	DateCreated         string `json:"date_created"`
	DateSent            string `json:"date_sent"`
	StatusCallback      string `json:"-"` // as the create request asked
}

// fakeTwilio serves one account's Messages resource.
type fakeTwilio struct {
	t          *testing.T
	accountSID string
	user, pass string // Basic auth it accepts
	now        time.Time

	mu       sync.Mutex
	messages []twilioMessage
	lists    []url.Values
}

func newFakeTwilio(t *testing.T, accountSID, user, pass string, now time.Time) (*fakeTwilio, *httptest.Server) {
	f := &fakeTwilio{t: t, accountSID: accountSID, user: user, pass: pass, now: now}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

func (f *fakeTwilio) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	if !ok || user != f.user || pass != f.pass {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"code": 20003, "message": "Authenticate", "status": 401})
		return
	}
	if r.URL.Path != "/2010-04-01/Accounts/"+f.accountSID+"/Messages.json" {
		f.t.Errorf("Twilio request to %s %s", r.Method, r.URL.Path)
		writeJSON(w, http.StatusNotFound, map[string]any{"code": 20404, "message": "not found", "status": 404})
		return
	}
	switch r.Method {
	case http.MethodPost:
		f.create(w, r)
	case http.MethodGet:
		f.list(w, r)
	default:
		f.t.Errorf("Twilio request %s", r.Method)
		w.WriteHeader(http.StatusMethodNotAllowed)
	}
}

func (f *fakeTwilio) create(w http.ResponseWriter, r *http.Request) {
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/x-www-form-urlencoded" {
		f.t.Errorf("Twilio create with Content-Type %q", ct)
	}
	if err := r.ParseForm(); err != nil {
		f.t.Errorf("Twilio create form: %v", err)
	}
	to, from, service, body := r.PostForm.Get("To"), r.PostForm.Get("From"), r.PostForm.Get("MessagingServiceSid"), r.PostForm.Get("Body")
	switch {
	case !e164.MatchString(to):
		writeJSON(w, http.StatusBadRequest, map[string]any{"code": 21211, "message": "invalid To", "status": 400})
		return
	case (from == "") == (service == ""):
		writeJSON(w, http.StatusBadRequest, map[string]any{"code": 21603, "message": "From or MessagingServiceSid is required", "status": 400})
		return
	case body == "":
		writeJSON(w, http.StatusBadRequest, map[string]any{"code": 21602, "message": "Body is required", "status": 400})
		return
	}
	if service != "" {
		from = "+12025550199" // the number the service picked
	}
	m := twilioMessage{SID: "SM" + randomHex(16), To: to, From: from, MessagingServiceSID: service, Body: body, Status: "queued",
		DateCreated: f.now.Format(time.RFC1123Z), DateSent: f.now.Format(time.RFC1123Z), StatusCallback: r.PostForm.Get("StatusCallback")}
	f.mu.Lock()
	f.messages = append(f.messages, m)
	f.mu.Unlock()
	writeJSON(w, http.StatusCreated, m)
}

func (f *fakeTwilio) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lists = append(f.lists, q)
	if _, err := time.Parse(time.RFC3339, q.Get("DateSent>")); err != nil {
		f.t.Errorf("Twilio list with DateSent> %q", q.Get("DateSent>"))
	}
	out := []twilioMessage{}
	for _, m := range f.messages {
		if (q.Get("To") == "" || m.To == q.Get("To")) && (q.Get("From") == "" || m.From == q.Get("From")) {
			out = append(out, m)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"messages": out, "next_page_uri": nil})
}

func (f *fakeTwilio) sent() []twilioMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]twilioMessage(nil), f.messages...)
}

// cmMessage is one msg entry of a CM.com request.
type cmMessage struct {
	From string `json:"from"`
	To   []struct {
		Number string `json:"number"`
	} `json:"to"`
	Body struct {
		Type    string `json:"type"`
		Content string `json:"content"`
	} `json:"body"`
	Reference string `json:"reference"`
}

// fakeCM serves CM.com's JSON message gateway for one product token.
type fakeCM struct {
	t     *testing.T
	token string

	mu  sync.Mutex
	got []cmMessage
}

func newFakeCM(t *testing.T, token string) (*fakeCM, *httptest.Server) {
	f := &fakeCM{t: t, token: token}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeCM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1.0/message" {
		f.t.Errorf("CM request %s %s", r.Method, r.URL.Path)
		w.WriteHeader(http.StatusNotFound)
		return
	}
	var req struct {
		Messages struct {
			Authentication struct {
				ProductToken string `json:"producttoken"`
			} `json:"authentication"`
			Msg []cmMessage `json:"msg"`
		} `json:"messages"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Messages.Msg) != 1 {
		f.t.Errorf("CM request body: %v, %d messages", err, len(req.Messages.Msg))
		writeJSON(w, http.StatusBadRequest, map[string]any{"details": "Malformed request", "errorCode": 202, "messages": []any{}})
		return
	}
	if r.Header.Get("X-CM-PRODUCTTOKEN") != f.token || req.Messages.Authentication.ProductToken != f.token {
		writeJSON(w, http.StatusOK, map[string]any{"details": "No account found for the given authentication", "errorCode": 101, "messages": []any{}})
		return
	}
	m := req.Messages.Msg[0]
	if m.From == "" || len(m.To) != 1 || !strings.HasPrefix(m.To[0].Number, "00") || m.Body.Content == "" {
		f.t.Errorf("CM would reject %+v", m)
	}
	f.mu.Lock()
	f.got = append(f.got, m)
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"details": "Created 1 message(s)", "errorCode": 0, "messages": []any{
		map[string]any{"to": m.To[0].Number, "status": "Accepted", "reference": m.Reference, "parts": 1, "messageErrorCode": 0},
	}})
}

func (f *fakeCM) sent() []cmMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]cmMessage(nil), f.got...)
}

// waMessage is a Cloud API message as the fake records it.
type waMessage struct {
	PhoneNumberID string
	To            string
	Text          string
}

// fakeWhatsApp serves the Graph API messages edge for one access token.
type fakeWhatsApp struct {
	t     *testing.T
	token string

	mu  sync.Mutex
	got []waMessage
}

func newFakeWhatsApp(t *testing.T, token string) (*fakeWhatsApp, *httptest.Server) {
	f := &fakeWhatsApp{t: t, token: token}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

var waPath = regexp.MustCompile(`^/v[0-9]+\.[0-9]+/([0-9]+)/messages$`)

func (f *fakeWhatsApp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+f.token {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"error": map[string]any{
			"message": "Invalid OAuth access token", "type": "OAuthException", "code": 190}})
		return
	}
	match := waPath.FindStringSubmatch(r.URL.Path)
	if r.Method != http.MethodPost || match == nil {
		f.t.Errorf("WhatsApp request %s %s", r.Method, r.URL.Path)
		w.WriteHeader(http.StatusNotFound)
		return
	}
	var msg struct {
		MessagingProduct string `json:"messaging_product"`
		To               string `json:"to"`
		Type             string `json:"type"`
		Text             struct {
			Body string `json:"body"`
		} `json:"text"`
	}
	if err := json.NewDecoder(r.Body).Decode(&msg); err != nil || msg.MessagingProduct != "whatsapp" || msg.Type != "text" || msg.To == "" {
		f.t.Errorf("WhatsApp message %+v, %v", msg, err)
	}
	f.mu.Lock()
	f.got = append(f.got, waMessage{PhoneNumberID: match[1], To: msg.To, Text: msg.Text.Body})
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"messaging_product": "whatsapp",
		"contacts": []any{map[string]any{"input": msg.To, "wa_id": strings.TrimPrefix(msg.To, "+")}},
		"messages": []any{map[string]any{"id": fmt.Sprintf("wamid.%s", randomHex(8))}}})
}

func (f *fakeWhatsApp) sent() []waMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]waMessage(nil), f.got...)
}

// fakeGoogle serves Google's OAuth token endpoint (JWT bearer grants signed
// by one service-account key) and FCM's messages:send for one project, over
// TLS as both require.
type fakeGoogle struct {
	t       *testing.T
	project string
	key     *rsa.PublicKey

	mu        sync.Mutex
	exchanges int
	tokens    map[string]bool
	pushed    []string // device tokens
}

func newFakeGoogle(t *testing.T, project string, key *rsa.PublicKey) (*fakeGoogle, *httptest.Server) {
	f := &fakeGoogle{t: t, project: project, key: key, tokens: map[string]bool{}}
	srv := httptest.NewTLSServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeGoogle) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch r.URL.Path {
	case "/token":
		if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" || !f.signed(r.PostForm.Get("assertion")) {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_grant", "error_description": "Invalid JWT Signature."})
			return
		}
		f.exchanges++
		tok := fmt.Sprintf("ya29.test-%d", f.exchanges)
		f.tokens[tok] = true
		writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "expires_in": 3599, "token_type": "Bearer"})
	case "/v1/projects/" + f.project + "/messages:send":
		if !f.tokens[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")] {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"error": map[string]any{"code": 401, "status": "UNAUTHENTICATED", "message": "bad token"}})
			return
		}
		var req struct {
			Message struct {
				Token string `json:"token"`
			} `json:"message"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Message.Token == "" {
			f.t.Errorf("FCM message: %v", err)
		}
		f.pushed = append(f.pushed, req.Message.Token)
		writeJSON(w, http.StatusOK, map[string]any{"name": fmt.Sprintf("projects/%s/messages/%d", f.project, len(f.pushed))})
	default:
		f.t.Errorf("Google request %s %s", r.Method, r.URL.Path)
		w.WriteHeader(http.StatusNotFound)
	}
}

// signed verifies an RS256 JWT with the service account's public key.
func (f *fakeGoogle) signed(jwt string) bool {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return false
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return false
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	return rsa.VerifyPKCS1v15(f.key, crypto.SHA256, sum[:], sig) == nil
}

func (f *fakeGoogle) counts() (exchanges int, pushed []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.exchanges, append([]string(nil), f.pushed...)
}

// localTLS is an egress client that reaches srv, a local TLS server: it
// allows loopback and trusts srv's certificate.
func localTLS(srv *httptest.Server) *http.Client {
	tr := local.Transport()
	tr.TLSClientConfig = srv.Client().Transport.(*http.Transport).TLSClientConfig
	return &http.Client{Transport: tr, Timeout: 5 * time.Second, CheckRedirect: egress.NoRedirects}
}

// serviceAccountJSON is a key file for key whose token endpoint is tokenURI.
func serviceAccountJSON(t *testing.T, project, tokenURI string, key *rsa.PrivateKey) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(map[string]string{
		"type": "service_account", "project_id": project, "private_key_id": "0123abcd",
		"private_key":  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email": "push@" + project + ".iam.gserviceaccount.com", "token_uri": tokenURI,
	})
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
