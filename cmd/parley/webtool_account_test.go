package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/httpapi"
	"github.com/parleyhq/parley/internal/inbound/agentpush"
	"github.com/parleyhq/parley/internal/web/browsertest"
)

// newWebtoolWith is newWebtool on a server of cfg.
func newWebtoolWith(t *testing.T, cfg config.Config) *webtool {
	t.Helper()
	b := browsertest.Shared(t)
	s := start(t, cfg, dayClock(0))
	t.Cleanup(s.stop)
	return &webtool{Tab: b.NewTab(t, "http://"+s.addr), srv: s}
}

// pageHTML is the whole document as it stands.
func (w *webtool) pageHTML() string {
	w.T.Helper()
	var s string
	w.Eval(`document.documentElement.outerHTML`, &s)
	return s
}

// setField sets the control of the API field name to value, as a
// person's change does.
func (w *webtool) setField(name, value string) {
	w.T.Helper()
	var ok bool
	w.Eval(fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.value = %q; e.dispatchEvent(new Event("change")); return true; })()`, byField(name), value), &ok)
}

// press clicks the button whose text, or else aria-label, is label.
func (w *webtool) press(label string) {
	w.T.Helper()
	w.Run(chromedp.Click(fmt.Sprintf(`//button[normalize-space()=%q or @aria-label=%q]`, label, label), chromedp.BySearch))
}

// TestWebtoolEventSubscriptions: an admin subscribes an endpoint to two
// event types, sees a field's error beside it, copies the secret Parley
// made (shown once), sends a signed test event the endpoint receives,
// pauses the subscription and deletes it.
func TestWebtoolEventSubscriptions(t *testing.T) {
	cfg := embeddedConfig(t)
	cfg.AllowLoopbackEgress = true // the brand's endpoint is an httptest server
	w := newWebtoolWith(t, cfg)
	var mu sync.Mutex
	var got []struct{ sig, body string }
	hook := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, struct{ sig, body string }{r.Header.Get(agentpush.HeaderSignature), string(body)})
		mu.Unlock()
	}))
	t.Cleanup(hook.Close)
	w.signIn("admin")

	w.visit("events", "events-empty")
	if got := w.Text("#main .empty"); !strings.Contains(got, "No event subscriptions") {
		t.Fatalf("the empty list says %q", got)
	}
	w.typeInto("url", "ftp://hooks.example.com/x")
	w.submit("Create subscription")
	w.wantFieldError("url", "https")
	w.Run(chromedp.SetValue(byField("url"), hook.URL+"/parley", chromedp.ByQuery))
	w.submit("Create subscription")
	w.WaitJS(`document.querySelector('fieldset[data-field="eventTypes"] > .field-error').textContent !== ""`)
	// By keyboard alone: the error took the focus to the event types;
	// Space ticks a box, Enter in a field submits.
	var focused string
	w.Eval(`document.activeElement.id`, &focused)
	if focused != "type-all" {
		t.Errorf("after the event types' error the focus is on %q, want their first box", focused)
	}
	w.Run(chromedp.Focus("#type-message-delivered", chromedp.ByQuery), chromedp.KeyEvent(" "),
		chromedp.Focus("#type-consumer-opted_out", chromedp.ByQuery), chromedp.KeyEvent(" "),
		chromedp.Focus(byField("description"), chromedp.ByQuery), chromedp.KeyEvent("\r"))
	w.WaitJS(`!!document.getElementById("sub-secret")`)
	w.WaitJS(`!!document.querySelector("table.list")`)
	secret := w.Text("#sub-secret")
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("the secret shown is %q", secret)
	}
	if got := w.Text("table.list"); !strings.Contains(got, hook.URL+"/parley") || !strings.Contains(got, "Message delivered, Consumer opted out") {
		t.Fatalf("the list says %q", got)
	}
	w.Check("events-created")

	w.press("Send test event to " + hook.URL + "/parley")
	w.WaitJS(`document.querySelector("table.list .outcome").textContent.startsWith("Test delivered")`)
	mu.Lock()
	if len(got) != 1 {
		t.Fatalf("the endpoint got %d POSTs, want the test event", len(got))
	}
	if err := agentpush.Verify(secret, got[0].sig, []byte(got[0].body), w.srv.clock.Now(), 0); err != nil {
		t.Errorf("the test event does not verify with the secret shown: %v", err)
	}
	mu.Unlock()

	// The secret is not shown again, nor is it anywhere in the page.
	w.Run(chromedp.Reload())
	w.WaitReady()
	if html := w.pageHTML(); strings.Contains(html, secret) || strings.Contains(html, "sub-secret") {
		t.Fatal("after a reload the page still has the secret")
	}
	var subs []httpapi.EventSubscriptionResponse
	w.srv.get(t, "/api/v2/account/demo/event-subscriptions", &subs)
	if len(subs) != 1 || subs[0].Secret != "" || len(subs[0].EventTypes) != 2 {
		t.Fatalf("the API lists %+v", subs)
	}

	w.press("Pause the events to " + hook.URL + "/parley")
	w.WaitJS(`document.querySelector("table.list").textContent.includes("PAUSED")`)
	w.press("Delete the subscription of " + hook.URL + "/parley")
	w.press("Yes, delete")
	w.WaitJS(`!document.querySelector("table.list") && !!document.querySelector("#main .empty")`)
	w.srv.get(t, "/api/v2/account/demo/event-subscriptions", &subs)
	if len(subs) != 0 {
		t.Fatalf("after the delete the API lists %+v", subs)
	}
}

// TestWebtoolChannelCredentials: an admin configures SMS with Twilio,
// sees a field's error beside it, saves, and saves again without typing
// the auth token, which keeps it; no secret is ever in the page.
func TestWebtoolChannelCredentials(t *testing.T) {
	w := newWebtool(t)
	w.signIn("admin")
	const token = "0123456789abcdef0123456789abcdef"
	w.visit("settings", "settings-channels")
	w.setField("provider", "twilio")
	w.WaitJS(fmt.Sprintf(`!!document.querySelector(%q)`, byField("twilio.accountSid")))
	w.typeInto("twilio.accountSid", "AC123")
	w.typeInto("twilio.authToken", token)
	w.press("Add sender")
	w.typeInto("senders[0].outboundNumber", "+12025550100")
	w.typeInto("senders[0].id", "+12025550100")
	w.submit("Save channel")
	w.wantFieldError("twilio.accountSid", "account SID")
	w.Run(chromedp.SetValue(byField("twilio.accountSid"), "AC"+strings.Repeat("0a", 16), chromedp.ByQuery))
	w.submit("Save channel")
	w.WaitJS(`document.querySelector("#numbers-title").parentNode.textContent.includes("SMS saved (version 1)")`)
	w.Check("settings-channel-saved")
	if html := w.pageHTML(); strings.Contains(html, token) || strings.Contains(html, token[len(token)-4:]) {
		t.Fatal("the page shows the auth token after the save")
	}
	var value string
	w.Eval(fmt.Sprintf(`document.querySelector(%q).value`, byField("twilio.authToken")), &value)
	if value != "" {
		t.Fatalf("the auth token field holds %q after the save", value)
	}
	if got := w.Text("table.list"); !strings.Contains(got, "twilio") || !strings.Contains(got, "+12025550100") {
		t.Fatalf("the channels list says %q", got)
	}

	// Saved again without the token, the saved one is kept.
	w.Run(chromedp.Reload())
	w.WaitReady()
	w.typeInto("twilio.messagingServiceSid", "MG"+strings.Repeat("1b", 16))
	w.submit("Save channel")
	w.WaitJS(`document.querySelector("#numbers-title").parentNode.textContent.includes("SMS saved (version 2)")`)
	var saved struct {
		Twilio struct{ AuthToken, MessagingServiceSid string } `json:"twilio"`
	}
	w.srv.get(t, "/api/v2/account/demo/channels/sms", &saved)
	if !strings.HasSuffix(saved.Twilio.AuthToken, token[len(token)-4:]) || saved.Twilio.MessagingServiceSid == "" {
		t.Fatalf("after a save without the token the API has %+v", saved.Twilio)
	}
}

// TestWebtoolOptOutImport: an admin imports a CSV file; good lines are on
// the list, and each refused line is shown by its number with the reason.
func TestWebtoolOptOutImport(t *testing.T) {
	w := newWebtool(t)
	w.signIn("admin")
	file := filepath.Join(t.TempDir(), "optouts.csv")
	if err := os.WriteFile(file, []byte("phone,channel\n+12025550101,sms\nnot a number,sms\n+12025550102,fax\n12025550103\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	w.visit("optouts", "optouts-import")
	w.submit("Import")
	w.wantFieldError("file", "Choose a CSV file")
	w.Run(chromedp.SetUploadFiles(byField("file"), []string{file}, chromedp.ByQuery))
	w.submit("Import")
	w.WaitJS(`!!document.getElementById("import-summary")`)
	if got := w.Text("#import-summary"); !strings.Contains(got, "2 added, 0 already on the list, 2 lines refused") {
		t.Fatalf("the import says %q", got)
	}
	var lines []string
	w.Eval(`[...document.querySelectorAll("table.import-errors tbody tr")].map((r) => r.dataset.line + ": " + r.textContent)`, &lines)
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "3: ") || !strings.HasPrefix(lines[1], "4: ") || !strings.Contains(lines[1], "fax") {
		t.Fatalf("the refused lines are %q, want lines 3 and 4", lines)
	}
	w.WaitJS(`document.querySelector("table.list:not(.import-errors)").textContent.includes("2025550103")`)
	w.Check("optouts-imported")
}
