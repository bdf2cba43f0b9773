package xray

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

const (
	testRoot   = "1-581cf771-a006649127e371903a2de979"
	testParent = "53995c3f42cd8ad8"
	testHeader = "Root=" + testRoot + ";Parent=" + testParent + ";Sampled=1;Lineage=a87bd80c:0"
)

// inLambda makes the process look like a Lambda function for the test.
func inLambda(t *testing.T) {
	t.Helper()
	t.Setenv("AWS_LAMBDA_FUNCTION_NAME", "parley-test")
	t.Setenv("_X_AMZN_TRACE_ID", "")
}

// invocation returns a context as aws-lambda-go gives a handler, carrying
// the trace header h ("" for none).
func invocation(h string) context.Context {
	ctx := context.Background()
	if h != "" {
		ctx = context.WithValue(ctx, lambdaTraceKey, h)
	}
	return ctx
}

// fakeDaemon is a UDP listener standing in for the X-Ray daemon.
type fakeDaemon struct {
	t    *testing.T
	conn *net.UDPConn
}

// newDaemon starts a fake daemon and points AWS_XRAY_DAEMON_ADDRESS at it.
func newDaemon(t *testing.T) *fakeDaemon {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	t.Setenv("AWS_XRAY_DAEMON_ADDRESS", conn.LocalAddr().String())
	return &fakeDaemon{t: t, conn: conn}
}

// datagram is one document the daemon received.
type datagram struct {
	raw    string
	header string
	doc    map[string]any
}

const marker = "end of test datagrams"

// received returns the datagrams sent so far. Sending is synchronous and
// a loopback datagram is queued as it is sent, so the ones sent before
// are all queued ahead of a marker the daemon sends itself now.
func (d *fakeDaemon) received() []datagram {
	t := d.t
	t.Helper()
	c, err := net.DialUDP("udp", nil, d.conn.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(marker)); err != nil {
		t.Fatal(err)
	}
	// The deadline only keeps a broken test from hanging.
	_ = d.conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	var got []datagram
	buf := make([]byte, 1<<16)
	for {
		n, _, err := d.conn.ReadFromUDP(buf)
		if err != nil {
			t.Fatalf("daemon: %v", err)
		}
		raw := string(buf[:n])
		if raw == marker {
			return got
		}
		header, body, _ := strings.Cut(raw, "\n")
		dg := datagram{raw: raw, header: header}
		if err := json.Unmarshal([]byte(body), &dg.doc); err != nil {
			t.Fatalf("document %q: %v", body, err)
		}
		got = append(got, dg)
	}
}

// one returns the one datagram sent so far.
func (d *fakeDaemon) one() datagram {
	d.t.Helper()
	got := d.received()
	if len(got) != 1 {
		d.t.Fatalf("daemon got %d datagrams, want 1: %+v", len(got), got)
	}
	return got[0]
}

// field returns the value at the dotted path in doc, nil if absent.
func field(doc map[string]any, path string) any {
	var v any = doc
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// checkSubsegment checks what every subsegment of the test trace has.
func checkSubsegment(t *testing.T, dg datagram, name, namespace string) string {
	t.Helper()
	if dg.header != `{"format": "json", "version": 1}` {
		t.Errorf("header line = %q", dg.header)
	}
	want := map[string]any{"name": name, "trace_id": testRoot, "parent_id": testParent, "type": "subsegment", "namespace": namespace}
	for k, v := range want {
		if got := field(dg.doc, k); got != v {
			t.Errorf("%s = %v, want %v", k, got, v)
		}
	}
	id, _ := dg.doc["id"].(string)
	if !validID(id) {
		t.Errorf("id = %q, want 16 hex digits", id)
	}
	for _, k := range []string{"start_time", "end_time"} {
		if v, ok := dg.doc[k].(float64); !ok || v <= 0 {
			t.Errorf("%s = %v, want seconds since the epoch", k, dg.doc[k])
		}
	}
	return id
}

// server is an httptest server answering status with body, keeping the
// trace header of each request it gets.
func server(t *testing.T, status int, body string) (*httptest.Server, *[]string) {
	t.Helper()
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Get(HeaderName))
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv, &got
}

func get(t *testing.T, c *http.Client, ctx context.Context, target string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err == nil {
		resp.Body.Close()
	}
	return resp, err
}

func TestHTTPClientRecordsASubsegmentAndPassesTheTraceOn(t *testing.T) {
	inLambda(t)
	d := newDaemon(t)
	srv, headers := server(t, http.StatusOK, "hello")
	u, _ := url.Parse(srv.URL)
	u.User = url.UserPassword("brand", "s3cret-password")
	u.Path = "/hooks/agent"
	u.RawQuery = "token=s3cret-token"
	u.Fragment = "frag"

	c := HTTPClient(&http.Client{Timeout: 10 * time.Second})
	if _, err := get(t, c, invocation(testHeader), u.String()); err != nil {
		t.Fatal(err)
	}

	dg := d.one()
	id := checkSubsegment(t, dg, strings.TrimPrefix(srv.URL, "http://"), "remote")
	if strings.Contains(dg.raw, "s3cret") || strings.Contains(dg.raw, "frag") {
		t.Errorf("the datagram records the query, fragment or password: %s", dg.raw)
	}
	for k, v := range map[string]any{
		"http.request.method":          "GET",
		"http.request.url":             srv.URL + "/hooks/agent",
		"http.response.status":         200.0,
		"http.response.content_length": 5.0,
	} {
		if got := field(dg.doc, k); got != v {
			t.Errorf("%s = %v, want %v", k, got, v)
		}
	}
	for _, k := range []string{"error", "throttle", "fault", "cause", "aws"} {
		if v, ok := dg.doc[k]; ok {
			t.Errorf("%s = %v, want none", k, v)
		}
	}
	want := "Root=" + testRoot + ";Parent=" + id + ";Sampled=1"
	if len(*headers) != 1 || (*headers)[0] != want {
		t.Errorf("the server got %s %q, want %q", HeaderName, *headers, want)
	}
}

func TestHTTPClientFlagsTheAnswer(t *testing.T) {
	inLambda(t)
	for _, tc := range []struct {
		status                 int
		error, throttle, fault bool
	}{
		{status: 200},
		{status: 302},
		{status: 404, error: true},
		{status: 429, error: true, throttle: true},
		{status: 500, fault: true},
		{status: 503, fault: true},
	} {
		t.Run(http.StatusText(tc.status), func(t *testing.T) {
			d := newDaemon(t)
			srv, _ := server(t, tc.status, "")
			c := HTTPClient(&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }})
			if _, err := get(t, c, invocation(testHeader), srv.URL); err != nil {
				t.Fatal(err)
			}
			dg := d.one()
			checkSubsegment(t, dg, strings.TrimPrefix(srv.URL, "http://"), "remote")
			if got := field(dg.doc, "http.response.status"); got != float64(tc.status) {
				t.Errorf("status = %v, want %d", got, tc.status)
			}
			for k, want := range map[string]bool{"error": tc.error, "throttle": tc.throttle, "fault": tc.fault} {
				if got, _ := dg.doc[k].(bool); got != want {
					t.Errorf("%s = %v, want %v", k, got, want)
				}
			}
			if _, ok := dg.doc["cause"]; ok {
				t.Errorf("cause = %v, want none for an answer", dg.doc["cause"])
			}
		})
	}
}

func TestHTTPClientRecordsATransportErrorAsAFault(t *testing.T) {
	inLambda(t)
	d := newDaemon(t)
	// A port nothing listens on: a listener's, closed.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	c := HTTPClient(&http.Client{})
	if _, err := get(t, c, invocation(testHeader), "http://"+addr+"/x?token=s3cret"); err == nil {
		t.Fatal("the request succeeded")
	}
	dg := d.one()
	checkSubsegment(t, dg, addr, "remote")
	if dg.doc["fault"] != true {
		t.Errorf("fault = %v, want true", dg.doc["fault"])
	}
	exc, _ := field(dg.doc, "cause.exceptions").([]any)
	if len(exc) != 1 {
		t.Fatalf("cause = %v, want one exception", dg.doc["cause"])
	}
	e := exc[0].(map[string]any)
	if msg, _ := e["message"].(string); msg == "" || !validID(e["id"].(string)) {
		t.Errorf("exception = %v, want an id and a message", e)
	}
	if strings.Contains(dg.raw, "s3cret") {
		t.Errorf("the datagram records the query: %s", dg.raw)
	}
}

func TestNothingIsRecordedUnlessSampled(t *testing.T) {
	inLambda(t)
	for _, tc := range []struct {
		name, header, forwarded string
	}{
		{"no header", "", ""},
		{"Sampled=0", "Root=" + testRoot + ";Parent=" + testParent + ";Sampled=0", "Root=" + testRoot + ";Parent=" + testParent + ";Sampled=0"},
		{"no sampling decision", "Root=" + testRoot + ";Parent=" + testParent, "Root=" + testRoot + ";Parent=" + testParent + ";Sampled=0"},
		{"malformed", "Root=1-xyz;Parent=" + testParent + ";Sampled=1", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDaemon(t)
			srv, headers := server(t, http.StatusOK, "")
			if _, err := get(t, HTTPClient(&http.Client{}), invocation(tc.header), srv.URL); err != nil {
				t.Fatal(err)
			}
			if got := d.received(); len(got) != 0 {
				t.Errorf("daemon got %+v, want nothing", got)
			}
			if len(*headers) != 1 || (*headers)[0] != tc.forwarded {
				t.Errorf("the server got %s %q, want %q", HeaderName, *headers, tc.forwarded)
			}
		})
	}
}

func TestHTTPClientOutsideLambdaIsTheClientItself(t *testing.T) {
	t.Setenv("AWS_LAMBDA_FUNCTION_NAME", "")
	c := &http.Client{}
	if got := HTTPClient(c); got != c {
		t.Errorf("HTTPClient(c) = %p, want c (%p)", got, c)
	}
}

func TestHTTPClientKeepsTheClientsSettings(t *testing.T) {
	inLambda(t)
	base := &http.Transport{}
	redirect := func(*http.Request, []*http.Request) error { return errors.New("no") }
	c := &http.Client{Transport: base, Timeout: 7 * time.Second, CheckRedirect: redirect}
	got := HTTPClient(c)
	if got == c || got.Timeout != c.Timeout || got.CheckRedirect == nil {
		t.Errorf("HTTPClient(c) = %+v, want a copy of %+v", got, c)
	}
	if tr, ok := got.Transport.(*transport); !ok || tr.base != base {
		t.Errorf("transport = %#v, want c's wrapped", got.Transport)
	}
	if c.Transport != base {
		t.Error("HTTPClient changed c")
	}
	if tr, ok := HTTPClient(nil).Transport.(*transport); !ok || tr.base != http.DefaultTransport {
		t.Errorf("HTTPClient(nil) does not wrap the default transport")
	}
}

func TestALongURLStaysWithinADatagram(t *testing.T) {
	inLambda(t)
	d := newDaemon(t)
	srv, _ := server(t, http.StatusOK, "")
	if _, err := get(t, HTTPClient(&http.Client{}), invocation(testHeader), srv.URL+"/"+strings.Repeat("a", 100_000)); err != nil {
		t.Fatal(err)
	}
	dg := d.one()
	if len(dg.raw) > maxDatagram {
		t.Errorf("datagram of %d bytes", len(dg.raw))
	}
	if u, _ := field(dg.doc, "http.request.url").(string); !strings.HasPrefix(u, srv.URL+"/aaa") || len(u) > maxText {
		t.Errorf("url = %.80q… (%d bytes)", u, len(u))
	}
}

func TestDaemonAddress(t *testing.T) {
	for _, tc := range []struct {
		env, want string
		ok        bool
	}{
		{"", defaultDaemon, true},
		{"169.254.79.129:2000", "169.254.79.129:2000", true},
		{" 127.0.0.1:3000 ", "127.0.0.1:3000", true},
		{"xray.local:2000", "xray.local:2000", true},
		{"udp:127.0.0.2:2001 tcp:127.0.0.1:2000", "127.0.0.2:2001", true},
		{"tcp:127.0.0.1:2000 udp:127.0.0.2:2001", "127.0.0.2:2001", true},
		{"[::1]:2000", "[::1]:2000", true},
		{"tcp:127.0.0.1:2000", defaultDaemon, false},
		{"127.0.0.1", defaultDaemon, false},
		{"127.0.0.1:0", defaultDaemon, false},
		{"127.0.0.1:99999", defaultDaemon, false},
		{"udp:127.0.0.1:2000 bogus", defaultDaemon, false},
		{":2000", defaultDaemon, false},
	} {
		got, ok := daemonAddress(tc.env)
		if got != tc.want || ok != tc.ok {
			t.Errorf("daemonAddress(%q) = %q, %v; want %q, %v", tc.env, got, ok, tc.want, tc.ok)
		}
	}
}

func TestSendNeverFails(t *testing.T) {
	inLambda(t)
	// Nothing listens there: the send is dropped, the call unaffected.
	t.Setenv("AWS_XRAY_DAEMON_ADDRESS", "127.0.0.1:1")
	srv, _ := server(t, http.StatusOK, "")
	for range 3 {
		if _, err := get(t, HTTPClient(&http.Client{}), invocation(testHeader), srv.URL); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("AWS_XRAY_DAEMON_ADDRESS", "no-such-host.invalid:2000")
	before := dropped.Load()
	if _, err := get(t, HTTPClient(&http.Client{}), invocation(testHeader), srv.URL); err != nil {
		t.Fatal(err)
	}
	if dropped.Load() == before {
		t.Error("a send to an unresolvable daemon was not counted as dropped")
	}
}

func TestSubsegmentDocumentEncoding(t *testing.T) {
	h, _ := parseHeader(testHeader)
	s := newSubsegment(h, "[::1]:443 \x00<script>", "remote")
	s.end()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"name":"_::1_:443 __script_"`)) {
		t.Errorf("name not made valid: %s", b)
	}
	if got := epoch(time.Unix(1478293361, 271_000_000)); got != 1478293361.271 {
		t.Errorf("epoch = %v", got)
	}
}
