package browsertest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
)

func TestMain(m *testing.M) {
	code := m.Run()
	Close()
	os.Exit(code)
}

// recorder keeps a test's errors instead of failing it.
type recorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// TestAxeFailsAnInaccessiblePage: a page with an unlabelled field and an
// image without alternative text fails the check, and a clean one passes.
func TestAxeFailsAnInaccessiblePage(t *testing.T) {
	b := Shared(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		if r.URL.Path == "/bad" {
			fmt.Fprint(w, `<!doctype html><html lang="en"><title>bad</title><main id="main"><input type="text"><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></main></html>`)
			return
		}
		fmt.Fprint(w, `<!doctype html><html lang="en"><title>good</title><main id="main"><h1>Hello</h1><label>Name <input type="text"></label></main></html>`)
	}))
	defer srv.Close()
	rec := &recorder{TB: t}
	tab := b.NewTab(t, srv.URL)
	tab.T = rec
	tab.Visit("/bad")
	tab.Axe("bad page")
	if got := strings.Join(rec.errs, "\n"); !strings.Contains(got, "image-alt") || !strings.Contains(got, "label") {
		t.Errorf("axe on the bad page reported %q, want image-alt and label violations", got)
	}
	rec.errs = nil
	tab.Visit("/good")
	tab.Axe("good page")
	if len(rec.errs) != 0 {
		t.Errorf("axe on the good page reported %q", rec.errs)
	}
}
