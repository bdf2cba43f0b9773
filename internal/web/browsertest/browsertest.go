// Package browsertest drives the webtool in a real browser for tests:
// Debian's headless Chromium through the DevTools protocol (chromedp), one
// browser per test binary and a tab with a cookie jar of its own per test.
// Every page a test checks is run through axe-core (no serious or critical
// accessibility violation) and photographed in the light and the dark
// theme at a desktop and a phone width.
//
// Chromium comes from Debian (apt-get install chromium; .ci/run installs
// it) and axe-core from npm, pinned in testdata/package-lock.json (npm ci
// in testdata; .ci/run runs it). Where either is missing the tests skip
// with a message saying so, except under CI (CI=true), where they fail.
package browsertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Widths are the viewport widths every checked page is photographed at: a
// desktop and a phone.
var Widths = []int{1280, 390}

// Themes are the color schemes every checked page is photographed in.
var Themes = []string{"light", "dark"}

// StepTimeout bounds one Run of actions.
const StepTimeout = 20 * time.Second

// Browser is a running headless Chromium.
type Browser struct {
	ctx    context.Context // the browser's first tab: it keeps the process
	cancel func()
	dir    string
}

var shared struct {
	mu  sync.Mutex
	b   *Browser
	err error
}

// chromiumPath finds the browser: $PARLEY_CHROMIUM, else chromium on PATH.
func chromiumPath() (string, error) {
	if p := os.Getenv("PARLEY_CHROMIUM"); p != "" {
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "/usr/bin/chromium"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("chromium is not installed (apt-get install chromium, or set PARLEY_CHROMIUM)")
}

// underCI reports whether the tests run in CI, where nothing they need may
// be missing.
func underCI() bool { return os.Getenv("CI") == "true" }

// need skips t (or fails it under CI) for a missing prerequisite.
func need(t testing.TB, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if underCI() {
		t.Fatalf("browser tests: %v", err)
	}
	t.Skipf("browser tests skipped: %v", err)
}

// Shared returns the test binary's browser, starting it at the first call.
// Call Close from TestMain after m.Run.
func Shared(t testing.TB) *Browser {
	t.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.b == nil && shared.err == nil {
		shared.b, shared.err = start()
	}
	need(t, shared.err)
	_, err := axeSource()
	need(t, err)
	return shared.b
}

// Close stops the shared browser, if one was started.
func Close() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.b != nil {
		shared.b.cancel()
		os.RemoveAll(shared.b.dir)
		shared.b = nil
	}
}

func start() (*Browser, error) {
	path, err := chromiumPath()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "parley-chromium")
	if err != nil {
		return nil, err
	}
	// chromedp's defaults (headless, no first run, no background
	// networking, no sync, no throttling of background tabs...) and ours.
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(dir),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
		chromedp.Flag("lang", "en-US"),
		chromedp.WindowSize(Widths[0], 900),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	var copts []chromedp.ContextOption
	if os.Getenv("PARLEY_CDP_DEBUG") != "" { // every protocol message, on stderr
		copts = append(copts, chromedp.WithDebugf(func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }))
	}
	ctx, cancelCtx := chromedp.NewContext(alloc, copts...)
	// The first Run starts the browser, tied to the context it is given:
	// a context with a timeout here would stop it when the timeout ends.
	if err := chromedp.Run(ctx); err != nil {
		cancelCtx()
		cancelAlloc()
		os.RemoveAll(dir)
		return nil, fmt.Errorf("chromium %s did not start: %w", path, err)
	}
	return &Browser{ctx: ctx, cancel: func() { cancelCtx(); cancelAlloc() }, dir: dir}, nil
}

// Tab is one page of the browser on the server at Base. Tabs share the
// browser's cookies, which a new tab clears: a test's tabs run one at a
// time (no t.Parallel).
type Tab struct {
	T    testing.TB
	Base string
	ctx  context.Context

	mu       sync.Mutex
	problems []string
}

// NewTab opens a tab on the server at base (http://host:port), with no
// cookie left by an earlier tab (the servers of a binary's tests share the
// host 127.0.0.1, and cookies ignore the port); the tab is
// closed when t ends, and t fails if a script on a page threw or the
// content security policy refused something.
func (b *Browser) NewTab(t testing.TB, base string) *Tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	tab := &Tab{T: t, Base: strings.TrimSuffix(base, "/"), ctx: ctx}
	chromedp.ListenTarget(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *cdpruntime.EventExceptionThrown:
			d := ev.ExceptionDetails
			msg := d.Text
			if d.Exception != nil && d.Exception.Description != "" {
				msg = d.Exception.Description
			}
			tab.problem("script error: %s (%s:%d)", msg, d.URL, d.LineNumber)
		case *log.EventEntryAdded:
			if ev.Entry.Source == log.SourceSecurity || ev.Entry.Source == log.SourceJavascript {
				tab.problem("%s: %s", ev.Entry.Source, ev.Entry.Text)
			}
		}
	})
	// The first Run opens the tab, which lives as long as the context it
	// is given: this one, not one of Run's with a timeout.
	if err := chromedp.Run(ctx, log.Enable(), network.ClearBrowserCookies()); err != nil {
		cancel()
		t.Fatalf("browser: no tab opened: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		tab.mu.Lock()
		defer tab.mu.Unlock()
		for _, p := range tab.problems {
			t.Errorf("the page reported %s", p)
		}
	})
	return tab
}

func (tab *Tab) problem(format string, args ...any) {
	tab.mu.Lock()
	defer tab.mu.Unlock()
	tab.problems = append(tab.problems, fmt.Sprintf(format, args...))
}

// Context is the tab's context, for chromedp calls of a test's own.
func (tab *Tab) Context() context.Context { return tab.ctx }

// Run runs actions in the tab, failing the test at the first error or
// after StepTimeout.
func (tab *Tab) Run(actions ...chromedp.Action) {
	tab.T.Helper()
	if err := tab.Try(actions...); err != nil {
		tab.T.Fatalf("browser: %v%s", err, tab.describe())
	}
}

// describe says where the tab is and what it shows, and saves a
// screenshot, for a failure's message.
func (tab *Tab) describe() string {
	ctx, cancel := context.WithTimeout(tab.ctx, 5*time.Second)
	defer cancel()
	var where, text string
	var png []byte
	if err := chromedp.Run(ctx, chromedp.Evaluate(`location.href`, &where),
		chromedp.Evaluate(`(document.body || document.documentElement).innerText`, &text),
		chromedp.CaptureScreenshot(&png)); err != nil {
		return fmt.Sprintf(" (the page could not be read: %v)", err)
	}
	shot := tab.save("failure", png)
	if len(text) > 2000 {
		text = text[:2000] + "…"
	}
	return fmt.Sprintf("\nat %s, screenshot %s, showing:\n%s", where, shot, text)
}

// Try runs actions in the tab and returns their error.
func (tab *Tab) Try(actions ...chromedp.Action) error {
	ctx, cancel := context.WithTimeout(tab.ctx, StepTimeout)
	defer cancel()
	return chromedp.Run(ctx, actions...)
}

// readyJS is true once the page has rendered and loads nothing more: no
// element of class "loading" or marked aria-busy is left in main.
const readyJS = `(() => { const m = document.getElementById("main");
  return !!m && m.children.length > 0 && !m.querySelector(".loading, [aria-busy=true]"); })()`

// Visit opens path (such as "/" or "/#new-campaign") and waits until the
// page is ready.
func (tab *Tab) Visit(path string) {
	tab.T.Helper()
	tab.Run(chromedp.Navigate(tab.Base + path))
	tab.WaitReady()
}

// readyRecorderJS, run in every new document of a tab, records in
// window.__parleyReadyAt the time (performance.now(): milliseconds from
// the document's navigation start) at which the page first became ready
// (readyJS) with the navigation shown, that is signed in.
var readyRecorderJS = `(() => {
  const ready = () => !!document.querySelector("nav.nav") && ` + readyJS + `;
  const observer = new MutationObserver(() => {
    if (window.__parleyReadyAt === undefined && ready()) { window.__parleyReadyAt = performance.now(); observer.disconnect(); }
  });
  observer.observe(document, { childList: true, subtree: true, attributes: true, attributeFilter: ["class", "aria-busy"] });
})();`

// LoadTime opens path (such as "/" or "/#analytics") in a new document,
// from a blank page so nothing of the last one is reused but the browser's
// cache, and returns the time from the navigation's start until the page,
// signed in, was ready: rendered, with nothing left loading (the marker
// WaitReady waits for). It fails the test when the page shows an error.
func (tab *Tab) LoadTime(path string) time.Duration {
	tab.T.Helper()
	var id page.ScriptIdentifier
	tab.Run(chromedp.Navigate("about:blank"), chromedp.ActionFunc(func(ctx context.Context) error {
		var err error
		id, err = page.AddScriptToEvaluateOnNewDocument(readyRecorderJS).Do(ctx)
		return err
	}))
	defer tab.Run(page.RemoveScriptToEvaluateOnNewDocument(id))
	tab.Run(chromedp.Navigate(tab.Base + path))
	tab.WaitJS(`typeof window.__parleyReadyAt === "number"`)
	var ms float64
	var alert string
	tab.Eval(`window.__parleyReadyAt`, &ms)
	tab.Eval(`(document.querySelector("#main .error, #main [role=alert]") || {}).textContent || ""`, &alert)
	if strings.TrimSpace(alert) != "" {
		tab.T.Fatalf("browser: %s shows an error: %s", path, alert)
	}
	return time.Duration(ms * float64(time.Millisecond))
}

// WaitReady waits until the page is rendered with nothing left loading.
func (tab *Tab) WaitReady() {
	tab.T.Helper()
	tab.WaitJS(readyJS)
}

// WaitJS waits until the expression is true. It goes on through
// navigations (an evaluation that fails because the page is being
// replaced is tried again).
func (tab *Tab) WaitJS(expr string) {
	tab.T.Helper()
	deadline := time.Now().Add(StepTimeout)
	var last error
	for time.Now().Before(deadline) {
		var ok bool
		last = tab.Try(chromedp.Evaluate(expr, &ok))
		if last == nil && ok {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	tab.T.Fatalf("browser: waited %s for %s (last error: %v)%s", StepTimeout, expr, last, tab.describe())
}

// Eval evaluates expr in the page (awaiting it when it is a promise) into
// out.
func (tab *Tab) Eval(expr string, out any) {
	tab.T.Helper()
	tab.Run(chromedp.Evaluate(expr, out, func(p *cdpruntime.EvaluateParams) *cdpruntime.EvaluateParams {
		return p.WithAwaitPromise(true)
	}))
}

// Text returns the text of the first element sel matches.
func (tab *Tab) Text(sel string) string {
	tab.T.Helper()
	var s string
	tab.Run(chromedp.Text(sel, &s, chromedp.ByQuery, chromedp.NodeVisible))
	return s
}

// SignInLocal signs in with the local sign-in form as role of account and
// waits for the first page.
func (tab *Tab) SignInLocal(account, role string) {
	tab.T.Helper()
	tab.Visit("/")
	tab.Run(
		chromedp.SendKeys("#local-account", account, chromedp.ByQuery),
		chromedp.SetValue("#local-role", role, chromedp.ByQuery),
		chromedp.Click(`form.signin button[type=submit]`, chromedp.ByQuery),
	)
	tab.WaitJS(fmt.Sprintf(`document.getElementById("who").textContent.includes(%q)`, account+" · "+role))
	tab.WaitReady()
}

// ColorScheme emulates the system's prefers-color-scheme ("light" or
// "dark"; "" for none).
func (tab *Tab) ColorScheme(scheme string) {
	tab.T.Helper()
	var features []*emulation.MediaFeature
	if scheme != "" {
		features = []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}
	}
	tab.Run(emulation.SetEmulatedMedia().WithFeatures(features))
}

// Width sets the viewport to a width, with a phone's height and touch
// below 600 px.
func (tab *Tab) Width(width int) {
	tab.T.Helper()
	height, mobile := int64(900), false
	if width < 600 {
		height, mobile = 844, true
	}
	tab.Run(emulation.SetDeviceMetricsOverride(int64(width), height, 1, mobile))
}

// Check is what every page a test visits gets: axe-core in each theme and
// at each width, and a screenshot of each, named name. It leaves the tab
// at the first width with the system's scheme unset.
func (tab *Tab) Check(name string) {
	tab.T.Helper()
	for _, theme := range Themes {
		tab.ColorScheme(theme)
		for _, w := range Widths {
			tab.Width(w)
			tab.settle()
			tab.Axe(fmt.Sprintf("%s (%s, %d px)", name, theme, w))
			tab.Screenshot(fmt.Sprintf("%s-%s-%d", name, theme, w))
		}
	}
	tab.ColorScheme("")
	tab.Width(Widths[0])
}

// settle waits for two animation frames, so layout and styles follow a
// change of viewport or scheme.
func (tab *Tab) settle() {
	tab.T.Helper()
	var ok bool
	tab.Eval(`new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`, &ok)
}

var (
	axeOnce sync.Once
	axeJS   string
	axeErr  error
)

func here() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(file)
}

func axeSource() (string, error) {
	axeOnce.Do(func() {
		p := filepath.Join(here(), "testdata", "node_modules", "axe-core", "axe.min.js")
		data, err := os.ReadFile(p)
		if err != nil {
			axeErr = fmt.Errorf("axe-core is not installed (npm ci --prefix %s): %w", filepath.Join(here(), "testdata"), err)
			return
		}
		axeJS = string(data)
	})
	return axeJS, axeErr
}

// Violation is one accessibility rule a page breaks.
type Violation struct {
	ID      string `json:"id"`
	Impact  string `json:"impact"`
	Help    string `json:"help"`
	HelpURL string `json:"helpUrl"`
	Nodes   []struct {
		Target  []any  `json:"target"`
		Summary string `json:"failureSummary"`
	} `json:"nodes"`
}

// Axe runs axe-core on the page and fails the test on each serious or
// critical violation; it returns every violation found.
func (tab *Tab) Axe(what string) []Violation {
	tab.T.Helper()
	src, err := axeSource()
	if err != nil {
		tab.T.Fatal(err)
	}
	var loaded bool
	tab.Eval(`typeof window.axe === "object"`, &loaded)
	if !loaded {
		var ignored any
		tab.Eval(src+"\n;true", &ignored)
	}
	var vs []Violation
	tab.Eval(`axe.run(document, { resultTypes: ["violations"] }).then((r) => r.violations)`, &vs)
	for _, v := range vs {
		if v.Impact != "serious" && v.Impact != "critical" {
			continue
		}
		var where []string
		for _, n := range v.Nodes {
			where = append(where, fmt.Sprint(n.Target...)+": "+strings.ReplaceAll(n.Summary, "\n", " "))
		}
		tab.T.Errorf("accessibility, %s: %s violation %s (%s): %s", what, v.Impact, v.ID, v.Help, strings.Join(where, "; "))
	}
	return vs
}

// ScreenshotDir is where screenshots are saved: $PARLEY_SCREENSHOTS, else
// testdata/screenshots beside this package (ignored by git).
func ScreenshotDir() string {
	if d := os.Getenv("PARLEY_SCREENSHOTS"); d != "" {
		return d
	}
	return filepath.Join(here(), "testdata", "screenshots")
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// Screenshot saves a full-page PNG of the tab as <test>-<name>.png in
// ScreenshotDir and returns its path.
func (tab *Tab) Screenshot(name string) string {
	tab.T.Helper()
	var png []byte
	tab.Run(chromedp.FullScreenshot(&png, 100))
	return tab.save(name, png)
}

func (tab *Tab) save(name string, png []byte) string {
	dir := ScreenshotDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tab.T.Fatal(err)
	}
	p := filepath.Join(dir, unsafeName.ReplaceAllString(tab.T.Name()+"-"+name, "_")+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		tab.T.Fatal(err)
	}
	return p
}
