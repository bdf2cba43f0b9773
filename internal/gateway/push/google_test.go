package push

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/clocktest"
	"github.com/parleyhq/parley/internal/parley"
)

const (
	testProject = "parley-test"
	testKeyID   = "3f1c9a5e7b2d4c6e8a0b1d3f5a7c9e1b3d5f7a9c"
	testEmail   = "fcm-sender@parley-test.iam.gserviceaccount.com"
)

var testKey = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })

// rsaKey returns the test RSA key, generated once per run.
func rsaKey(tb testing.TB) *rsa.PrivateKey {
	tb.Helper()
	k, err := testKey()
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// pemPKCS8 encodes key the way Google's key files carry it.
func pemPKCS8(tb testing.TB, key any) string {
	tb.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		tb.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

// keyFileJSON is a service-account key file as Google issues it, with
// change applied to its fields.
func keyFileJSON(tb testing.TB, tokenURI string, change func(map[string]any)) []byte {
	tb.Helper()
	f := map[string]any{
		"type": "service_account", "project_id": testProject, "private_key_id": testKeyID,
		"private_key": pemPKCS8(tb, rsaKey(tb)), "client_email": testEmail, "client_id": "104858201836601234567",
		"auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": tokenURI,
		"auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
		"client_x509_cert_url":        "https://www.googleapis.com/robot/v1/metadata/x509/fcm-sender%40parley-test.iam.gserviceaccount.com",
		"universe_domain":             "googleapis.com",
	}
	if change != nil {
		change(f)
	}
	b, err := json.Marshal(f)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// reply is a canned answer.
type reply struct {
	status int
	body   string
	header map[string]string
}

// fcmError is an FCM v1 error body: a google.rpc.Status with an FcmError
// detail carrying errorCode (none when empty).
func fcmError(code int, status, message, errorCode string) string {
	details := "[]"
	if errorCode != "" {
		details = fmt.Sprintf(`[{"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError","errorCode":%q}]`, errorCode)
	}
	return fmt.Sprintf(`{"error":{"code":%d,"message":%q,"status":%q,"details":%s}}`, code, message, status, details)
}

// sent is a message FCM accepted for checking.
type sent struct {
	Token        string            `json:"token"`
	Notification *notification     `json:"notification"`
	Data         map[string]string `json:"data"`
}

// fakeGoogle plays Google's OAuth token endpoint and FCM's messages:send,
// checking requests the way they do: the JWT assertion's header, claims
// and RS256 signature against the account's public key, the grant type,
// the bearer token against those issued, the project in the path and the
// message shape.
type fakeGoogle struct {
	t     *testing.T
	srv   *httptest.Server
	clock *clocktest.Clock
	pub   *rsa.PublicKey

	mu         sync.Mutex
	exchanges  int
	attempts   int // messages:send requests, accepted or not
	valid      map[string]bool
	rejectAll  bool
	tokenReply *reply
	replies    map[string]reply // by device token
	onSend     func(device string)
	sends      []sent
}

func newFakeGoogle(t *testing.T) *fakeGoogle { return newWrappedFakeGoogle(t, nil) }

// newWrappedFakeGoogle is newFakeGoogle with the fake's handler wrapped by
// wrap, when it is not nil.
func newWrappedFakeGoogle(t *testing.T, wrap func(http.Handler) http.Handler) *fakeGoogle {
	f := &fakeGoogle{
		t: t, clock: clocktest.New(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)),
		pub: &rsaKey(t).PublicKey, valid: map[string]bool{}, replies: map[string]reply{},
	}
	var h http.Handler = f
	if wrap != nil {
		h = wrap(f)
	}
	f.srv = httptest.NewTLSServer(h)
	t.Cleanup(f.srv.Close)
	return f
}

// client returns a Client for the fake, with its account parsed from a
// key file whose token_uri is the fake's.
func (f *fakeGoogle) client() *Client {
	acct, err := ParseServiceAccount(keyFileJSON(f.t, f.srv.URL+"/token", nil))
	if err != nil {
		f.t.Fatalf("ParseServiceAccount: %v", err)
	}
	return &Client{BaseURL: f.srv.URL, Account: acct, HTTP: f.srv.Client(), Clock: f.clock}
}

func (f *fakeGoogle) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/token":
		f.token(w, r)
	case "/v1/projects/" + testProject + "/messages:send":
		f.send(w, r)
	default:
		f.t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
		writeJSON(w, reply{404, fcmError(404, "NOT_FOUND", "Requested entity was not found.", ""), nil})
	}
}

func (f *fakeGoogle) token(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.exchanges++
	if err := f.checkGrant(r); err != nil {
		f.t.Errorf("token request: %v", err)
		writeJSON(w, reply{400, `{"error":"invalid_grant","error_description":"Invalid JWT Signature."}`, nil})
		return
	}
	if f.tokenReply != nil {
		writeJSON(w, *f.tokenReply)
		return
	}
	tok := fmt.Sprintf("ya29.c.test-%d", f.exchanges)
	f.valid[tok] = true
	writeJSON(w, reply{200, fmt.Sprintf(`{"access_token":%q,"expires_in":3599,"token_type":"Bearer"}`, tok), nil})
}

// checkGrant verifies a JWT bearer grant as Google's token endpoint does.
func (f *fakeGoogle) checkGrant(r *http.Request) error {
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		return fmt.Errorf("%s with Content-Type %q", r.Method, r.Header.Get("Content-Type"))
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	if g := r.PostForm.Get("grant_type"); g != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		return fmt.Errorf("grant_type %q", g)
	}
	parts := strings.Split(r.PostForm.Get("assertion"), ".")
	if len(parts) != 3 {
		return fmt.Errorf("assertion has %d parts", len(parts))
	}
	var h struct{ Alg, Typ, Kid string }
	var c struct {
		Iss, Scope, Aud string
		Iat, Exp        int64
	}
	if err := decodePart(parts[0], &h); err != nil {
		return err
	}
	if err := decodePart(parts[1], &c); err != nil {
		return err
	}
	iat := f.clock.Now().Unix()
	switch {
	case h.Alg != "RS256" || h.Typ != "JWT" || h.Kid != testKeyID:
		return fmt.Errorf("header %+v", h)
	case c.Iss != testEmail || c.Scope != "https://www.googleapis.com/auth/firebase.messaging" || c.Aud != f.srv.URL+"/token":
		return fmt.Errorf("claims %+v", c)
	case c.Iat != iat || c.Exp != iat+3600:
		return fmt.Errorf("iat %d exp %d at %d", c.Iat, c.Exp, iat)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return fmt.Errorf("signature: %w", err)
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	return rsa.VerifyPKCS1v15(f.pub, crypto.SHA256, digest[:], sig)
}

func decodePart(s string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return fmt.Errorf("JWT part: %w", err)
	}
	return json.Unmarshal(b, v)
}

func (f *fakeGoogle) send(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.attempts++
	bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || !f.valid[bearer] || f.rejectAll {
		writeJSON(w, reply{401, fcmError(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.", ""), nil})
		return
	}
	m, err := decodeMessage(r)
	if err != nil {
		f.t.Errorf("messages:send: %v", err)
		writeJSON(w, reply{400, fcmError(400, "INVALID_ARGUMENT", err.Error(), "INVALID_ARGUMENT"), nil})
		return
	}
	if f.onSend != nil {
		f.onSend(m.Token)
	}
	if rep, ok := f.replies[m.Token]; ok {
		writeJSON(w, rep)
		return
	}
	f.sends = append(f.sends, m)
	writeJSON(w, reply{200, fmt.Sprintf(`{"name":"projects/%s/messages/0:%d%%%s"}`, testProject, len(f.sends), m.Token), nil})
}

// decodeMessage reads messages:send as FCM does: JSON, one message with a
// token, string data under no reserved key.
func decodeMessage(r *http.Request) (sent, error) {
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
		return sent{}, fmt.Errorf("%s with Content-Type %q", r.Method, r.Header.Get("Content-Type"))
	}
	var body struct {
		Message sent `json:"message"`
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		return sent{}, err
	}
	m := body.Message
	if m.Token == "" {
		return sent{}, errors.New("message.token is empty")
	}
	for k := range m.Data {
		if k == "from" || k == "gcm" || strings.HasPrefix(k, "google") {
			return sent{}, fmt.Errorf("data key %q is reserved", k)
		}
	}
	return m, nil
}

func writeJSON(w http.ResponseWriter, r reply) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	for k, v := range r.header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(r.status)
	_, _ = w.Write([]byte(r.body))
}

// counts returns how many token exchanges and sends the fake saw.
func (f *fakeGoogle) counts() (exchanges, attempts int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.exchanges, f.attempts
}

func (f *fakeGoogle) accepted() []sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.sends)
}

// set changes the fake's behaviour under its lock.
func (f *fakeGoogle) set(change func(f *fakeGoogle)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(f)
}

// revokeAll makes every issued access token invalid, as when Google
// revokes them before their expiry.
func (f *fakeGoogle) revokeAll() {
	f.set(func(f *fakeGoogle) { clear(f.valid) })
}

func assertSendError(t *testing.T, err error, code string, kind parley.FailKind) *parley.SendError {
	t.Helper()
	var se *parley.SendError
	if !errors.As(err, &se) {
		t.Fatalf("error %v is not a *parley.SendError", err)
	}
	if se.Provider != "fcm" || se.Code != code || se.Kind != kind {
		t.Errorf("got %s %s %q (%s), want %s %q", se.Provider, se.Kind, se.Code, se.Reason, kind, code)
	}
	return se
}

// memStore is an in-memory store.Devices: each consumer's tokens in the order
// they registered. A closed store refuses every call.
type memStore struct {
	mu     sync.Mutex
	tokens map[string][]string
	closed bool
}

var errClosed = errors.New("token store is closed")

func newMemStore(tokens map[string][]string) *memStore {
	return &memStore{tokens: maps.Clone(tokens)}
}

func storeKey(accountID, consumerID string) string { return accountID + "\x00" + consumerID }

func (s *memStore) DeviceTokens(_ context.Context, accountID, consumerID string, _ []string) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errClosed
	}
	return slices.Clone(s.tokens[storeKey(accountID, consumerID)]), nil
}

func (s *memStore) RemoveDeviceToken(_ context.Context, accountID, consumerID, token string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errClosed
	}
	k := storeKey(accountID, consumerID)
	s.tokens[k] = slices.DeleteFunc(s.tokens[k], func(t string) bool { return t == token })
	return nil
}

func (s *memStore) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
}
