package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/app"
	"github.com/parleyhq/parley/internal/campaign"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/obs"
	"github.com/parleyhq/parley/internal/parley"
)

// testDays are the days the end-to-end tests run on, each derived from the
// real date: today, and a year ahead, so that a test that depends on the
// date the suite runs on fails at once rather than on some later day.
var testDays = []struct {
	name string
	days int
}{{"today", 0}, {"a year ahead", 365}}

// dayClock reads 17:00 UTC of the day days after today (noon in New York,
// 13:00 in summer: inside the default window whatever the hour the tests
// run at) and ticks on from there with the wall clock.
func dayClock(days int) parley.Clock {
	now := time.Now().UTC()
	offset := time.Date(now.Year(), now.Month(), now.Day()+days, 17, 0, 0, 0, time.UTC).Sub(now)
	return parley.ClockFunc(func() time.Time { return time.Now().UTC().Add(offset) })
}

// eachDay runs test once on each of testDays' clocks. Everything in it (the
// server, the tokens it is sent, the bodies' dates) must take that clock.
func eachDay(t *testing.T, test func(t *testing.T, clock parley.Clock)) {
	for _, d := range testDays {
		t.Run(d.name, func(t *testing.T) { test(t, dayClock(d.days)) })
	}
}

// server is a running parley serve on a loopback port.
type server struct {
	addr  string
	data  string
	clock parley.Clock
	stop  func()
}

// start runs parley serve on clock, with opts.
func start(t testing.TB, cfg config.Config, clock parley.Clock, opts ...app.Option) *server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- runServer(ctx, cfg, ln, obs.Discard(), append([]app.Option{app.WithClock(clock)}, opts...)...)
	}()
	s := &server{addr: ln.Addr().String(), data: cfg.DataDir, clock: clock}
	s.stop = sync.OnceFunc(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	// Ready once it has recorded itself, its signing key made.
	for rec, ok := readRecord(); !ok || rec.Addr != s.addr; rec, ok = readRecord() {
		select {
		case err := <-done:
			t.Fatalf("serve: %v", err)
		case <-time.After(5 * time.Millisecond):
		}
	}
	return s
}

// token mints an admin token of account the way a developer does, with
// parley token, on the server's clock.
func (s *server) token(t *testing.T, account string) string {
	t.Helper()
	return s.tokenAs(t, account, "admin")
}

// tokenAs mints a token of account and role with parley token.
func (s *server) tokenAs(t *testing.T, account, role string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	if code := runAt(s.clock, []string{"token", "--account", account, "--role", role, "--data", s.data}, &out, &errOut); code != 0 {
		t.Fatalf("parley token exited %d: %s", code, errOut.String())
	}
	return strings.TrimSpace(out.String())
}

// do sends a request as an admin of the demo account, as a client that
// honours Retry-After does: a 429 is sent again once the wait is over.
func (s *server) do(t *testing.T, method, path, contentType string, body io.Reader) *http.Response {
	t.Helper()
	var data []byte
	if body != nil {
		var err error
		if data, err = io.ReadAll(body); err != nil {
			t.Fatal(err)
		}
	}
	for {
		req, err := http.NewRequest(method, "http://"+s.addr+path, bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+s.token(t, "demo"))
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		wait, err := strconv.Atoi(resp.Header.Get("Retry-After"))
		if resp.StatusCode != http.StatusTooManyRequests || err != nil {
			return resp
		}
		resp.Body.Close()
		time.Sleep(time.Duration(wait) * time.Second)
	}
}

func (s *server) get(t *testing.T, path string, v any) {
	t.Helper()
	resp := s.do(t, http.MethodGet, path, "", nil)
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		data, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, data)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

// waitSent polls the sandbox until it recorded n messages.
func (s *server) waitSent(t *testing.T, n int) []parley.SentMessage {
	t.Helper()
	var ms []parley.SentMessage
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		s.get(t, "/sandbox/messages", &ms)
		if len(ms) >= n {
			return ms
		}
	}
	t.Fatalf("sandbox recorded %d messages, want %d", len(ms), n)
	return nil
}

func embeddedConfig(t testing.TB) config.Config {
	return config.Config{Backend: config.BackendEmbedded, DataDir: t.TempDir(), Gateway: "sandbox", Workers: 2, LogLevel: "ERROR"}
}

func TestServeSendsCampaign(t *testing.T) { eachDay(t, testServeSendsCampaign) }

func testServeSendsCampaign(t *testing.T, clock parley.Clock) {
	s := start(t, embeddedConfig(t), clock)
	defer s.stop()
	body := `{"campaignName":"c","skill":"s","templateId":"1234567890","outboundNumber":"+12025550100","consent":true,
	  "message":"Hi {{1}}","consumers":[{"consumerContent":{"sms":"+12025550181"},"variables":{"1":"Jane"}},
	  {"consumerContent":{"sms":"+12025550182"},"variables":{"1":"Bob"}}]}`
	resp := s.do(t, http.MethodPost, "/api/v2/account/demo/campaign", "application/json", strings.NewReader(body))
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("create: %d %s", resp.StatusCode, data)
	}
	ms := s.waitSent(t, 2)
	if len(ms) != 2 || ms[0].Body == "" || ms[0].CampaignID == "" {
		t.Fatalf("sent %+v", ms)
	}
	var out bytes.Buffer
	if code := runAt(clock, []string{"sandbox", "messages", "--addr", s.addr, "--data", s.data}, &out, io.Discard); code != 0 {
		t.Fatalf("parley sandbox messages exited %d", code)
	}
	for _, want := range []string{`"to": "+12025550181"`, `"to": "+12025550182"`, "Hi Jane\nReply STOP to opt out"} {
		if !strings.Contains(out.String(), strings.ReplaceAll(want, "\n", `\n`)) {
			t.Errorf("parley sandbox messages lacks %q:\n%s", want, out.String())
		}
	}
}

// TestRestartKeepsStateAndSendsOnce queues a campaign with no dispatcher
// running, then starts the server twice: the queued jobs are sent after the
// first start, and not again after the second.
func TestRestartKeepsStateAndSendsOnce(t *testing.T) { eachDay(t, testRestartKeepsStateAndSendsOnce) }

func testRestartKeepsStateAndSendsOnce(t *testing.T, clock parley.Clock) {
	cfg := embeddedConfig(t)
	a, err := app.New(context.Background(), cfg, obs.Discard(), app.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	d := campaign.Draft{Name: "c", Skill: "s", TemplateID: parley.PlainSMSTemplateID, OutboundNumber: "+12025550100",
		Consent: true, Message: "Hello", Consumers: []campaign.Consumer{{SMS: "+12025550181"}, {SMS: "+12025550182"}, {SMS: "+12025550183"}}}
	acc, err := a.Campaigns.Create(context.Background(), "demo", d)
	if err != nil {
		t.Fatal(err)
	}
	a.Close()

	s := start(t, cfg, clock)
	s.waitSent(t, 3)
	s.stop()

	s = start(t, cfg, clock)
	defer s.stop()
	time.Sleep(1500 * time.Millisecond) // a full poll cycle: anything still queued would be sent now
	var ms []parley.SentMessage
	s.get(t, "/sandbox/messages", &ms)
	if len(ms) != 3 {
		t.Fatalf("after restart the sandbox holds %d messages, want the same 3", len(ms))
	}
	var rep struct {
		Conversations []struct{ Status, ParleyStatus string } `json:"conversations"`
	}
	s.get(t, "/api/v2/account/demo/campaign/"+acc.Campaign.ID+"/conversations", &rep)
	if len(rep.Conversations) != 3 {
		t.Fatalf("conversations after restart: %+v", rep)
	}
	for _, c := range rep.Conversations {
		if c.ParleyStatus != "SENT" || c.Status != "DELIVERED" {
			t.Errorf("status after restart %s (%s), want DELIVERED (SENT)", c.Status, c.ParleyStatus)
		}
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"nope"}, {"sandbox"}} {
		var errOut bytes.Buffer
		if code := run(args, io.Discard, &errOut); code != 2 || !strings.Contains(errOut.String(), "usage") {
			t.Errorf("parley %v: exit %d, %q", args, code, errOut.String())
		}
	}
}

func TestDLQRedriveCommand(t *testing.T) { eachDay(t, testDLQRedriveCommand) }

func testDLQRedriveCommand(t *testing.T, clock parley.Clock) {
	s := start(t, embeddedConfig(t), clock)
	defer s.stop()
	// A tenant's admin is refused; the CLI mints an operator token with
	// the server's key.
	t.Setenv("PARLEY_TOKEN", s.token(t, "demo"))
	if code := runAt(clock, []string{"dlq", "redrive", "--addr", s.addr, "--data", s.data}, io.Discard, io.Discard); code != 1 {
		t.Fatalf("parley dlq redrive with a tenant admin's token exited %d, want 1", code)
	}
	t.Setenv("PARLEY_TOKEN", "")
	var out bytes.Buffer
	if code := runAt(clock, []string{"dlq", "redrive", "--addr", s.addr, "--data", s.data}, &out, io.Discard); code != 0 {
		t.Fatalf("parley dlq redrive exited %d", code)
	}
	if !strings.Contains(out.String(), `"redriven": 0`) {
		t.Errorf("output %q", out.String())
	}
}

// TestSlowClientsAreCutOff is finding 8's regression test: a client that
// trickles its body is disconnected when the read timeout runs out (here
// shortened), and every timeout of the server is set.
func TestSlowClientsAreCutOff(t *testing.T) {
	srv := httpServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.Copy(io.Discard, r.Body) }))
	if srv.ReadHeaderTimeout == 0 || srv.ReadTimeout == 0 || srv.WriteTimeout == 0 || srv.IdleTimeout == 0 || srv.MaxHeaderBytes == 0 {
		t.Fatalf("a timeout or bound is unset: %+v", srv)
	}
	srv.ReadTimeout = 300 * time.Millisecond
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := conn.Write([]byte("a")); err != nil {
			return // the server hung up
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("a trickling client was still connected after 5 s with a 300 ms read timeout")
}
