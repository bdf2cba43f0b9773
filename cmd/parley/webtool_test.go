package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/parleyhq/parley/internal/oidc/oidctest"
	"github.com/parleyhq/parley/internal/web/browsertest"
)

// webtool is a browser tab on a running parley serve (embedded store,
// sandbox gateways) with its own cookies.
type webtool struct {
	*browsertest.Tab
	srv *server
}

// newWebtool starts parley serve and opens a tab on it. The server stops
// when t ends.
func newWebtool(t *testing.T) *webtool {
	t.Helper()
	b := browsertest.Shared(t)
	s := start(t, embeddedConfig(t), dayClock(0))
	t.Cleanup(s.stop)
	return &webtool{Tab: b.NewTab(t, "http://"+s.addr), srv: s}
}

// signIn signs in with the local sign-in as role of the demo account.
func (w *webtool) signIn(role string) { w.T.Helper(); w.SignInLocal("demo", role) }

// visit opens a page of the webtool ("" for the landing page, else its
// hash route) and checks it: accessibility and screenshots.
func (w *webtool) visit(page, name string) {
	w.T.Helper()
	path := "/"
	if page != "" {
		path = "/#" + page
	}
	w.Visit(path)
	w.Check(name)
}

func TestWebtoolLocalSignIn(t *testing.T) {
	w := newWebtool(t)
	w.Visit("/")
	w.Check("sign-in")
	w.signIn("campaign_manager")
	if got := w.Text("#main h1"); got != "Campaigns" {
		t.Fatalf("after sign-in the page says %q, want the campaigns", got)
	}
	w.Check("landing")
	// The session survives a reload, and signing out ends it.
	w.Visit("/")
	if got := w.Text("#who"); got != "demo · campaign_manager" {
		t.Fatalf("after a reload the bar says %q", got)
	}
	w.Run(chromedp.Click("#signout", chromedp.ByQuery))
	w.WaitJS(`!!document.getElementById("local-account")`)
}

func TestWebtoolOIDCSignIn(t *testing.T) {
	b := browsertest.Shared(t)
	is := oidctest.New(t, "parley-webtool", "", "")
	is.Claims["parley_account"], is.Claims["parley_role"] = "acme", "support"
	cfg := embeddedConfig(t)
	cfg.OIDCIssuer, cfg.OIDCClientID = is.URL, "parley-webtool"
	clock := dayClock(0)
	s := start(t, cfg, clock)
	t.Cleanup(s.stop)
	is.IssuedAt = clock.Now() // the server's now, which its checks of the token take
	is.RedirectURI = "http://" + s.addr + "/auth/callback"
	tab := b.NewTab(t, "http://"+s.addr)
	tab.Visit("/")
	tab.Run(chromedp.Click(`a[href="/auth/login"]`, chromedp.ByQuery))
	tab.WaitJS(`document.getElementById("who").textContent === "acme · support"`)
	tab.WaitReady()
	if len(is.Challenges) != 1 || is.Challenges[0] == "" {
		t.Errorf("the provider got PKCE challenges %q, want one", is.Challenges)
	}
	// Support reads but cannot start a campaign.
	var hasNew bool
	tab.Eval(`!!document.getElementById("new-campaign")`, &hasNew)
	if hasNew {
		t.Error("support is offered New campaign")
	}
}

func TestWebtoolAgentCannotEnter(t *testing.T) {
	w := newWebtool(t)
	w.Visit("/")
	var roles []string
	w.Eval(`[...document.querySelectorAll("#local-role option")].map((o) => o.value)`, &roles)
	for _, r := range roles {
		if r == "agent" {
			t.Fatalf("the local sign-in offers the agent role: %q", roles)
		}
	}
	// Sent anyway, the sign-in is refused, and nothing is shown but the reason.
	var status int
	w.Eval(`fetch("/auth/local", { method: "POST", headers: { "Content-Type": "application/json" },
	  body: JSON.stringify({ account: "demo", role: "agent" }) }).then((r) => r.status)`, &status)
	if status != 403 {
		t.Fatalf("local sign-in as an agent: HTTP %d, want 403", status)
	}
	var signedIn bool
	w.Eval(`fetch("/auth/session").then((r) => r.json()).then((s) => s.signedIn)`, &signedIn)
	if signedIn {
		t.Fatal("an agent has a session")
	}
}

func TestWebtoolThemeToggle(t *testing.T) {
	w := newWebtool(t)
	w.ColorScheme("dark")
	w.Visit("/")
	theme := func() string {
		var s string
		w.Eval(`getComputedStyle(document.documentElement).colorScheme`, &s)
		return strings.TrimSpace(s)
	}
	if got := theme(); got != "dark" {
		t.Fatalf("with a dark system preference the page is %q", got)
	}
	w.Run(chromedp.Click("#theme", chromedp.ByQuery))
	if got := theme(); got != "light" {
		t.Fatalf("after the toggle the page is %q, want light", got)
	}
	w.Visit("/") // the choice persists
	if got := theme(); got != "light" {
		t.Fatalf("after a reload the page is %q, want the light theme picked", got)
	}
	w.Screenshot("toggled-light-over-dark-system")
	w.Run(chromedp.Click("#theme", chromedp.ByQuery))
	if got := theme(); got != "dark" {
		t.Fatalf("toggled back the page is %q", got)
	}
}
