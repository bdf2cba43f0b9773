package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/parleyhq/parley/internal/web"
)

func serve(t *testing.T, s *web.Site) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.Page)
	mux.HandleFunc("GET /assets/{name}", s.ServeAsset)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, url string, header ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp, string(data)
}

var hashedRef = regexp.MustCompile(`/assets/[a-z]+\.[0-9a-f]{12}\.(js|css)`)

func TestPageNamesHashedAssetsAndIsNotCached(t *testing.T) {
	s := web.MustNew()
	srv := serve(t, s)
	resp, page := get(t, srv.URL+"/")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("page: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if got := resp.Header.Get("Cache-Control"); got != "no-cache" {
		t.Errorf("page Cache-Control %q, want no-cache", got)
	}
	if strings.Contains(page, `"/assets/app.js"`) || strings.Contains(page, `"/assets/app.css"`) {
		t.Errorf("page still names unhashed assets:\n%s", page)
	}
	refs := hashedRef.FindAllString(page, -1)
	if len(refs) != 2 {
		t.Fatalf("page names %v, want the hashed app.js and app.css", refs)
	}
	for _, ref := range refs {
		resp, body := get(t, srv.URL+ref)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", ref, resp.StatusCode)
		}
		if got := resp.Header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
			t.Errorf("%s Cache-Control %q", ref, got)
		}
		if ct := resp.Header.Get("Content-Type"); !strings.Contains(ct, "javascript") && !strings.Contains(ct, "css") {
			t.Errorf("%s Content-Type %q", ref, ct)
		}
		if resp.Header.Get("Content-Security-Policy") != web.ContentSecurityPolicy {
			t.Errorf("%s has no CSP", ref)
		}
		if strings.HasSuffix(ref, ".js") {
			// The entry module's imports are hashed too.
			if strings.Contains(body, `"/assets/api.js"`) || len(hashedRef.FindAllString(body, -1)) < 2 {
				t.Errorf("app.js imports unhashed modules:\n%s", body)
			}
		}
		again, _ := get(t, srv.URL+ref, "If-None-Match", resp.Header.Get("ETag"))
		if again.StatusCode != http.StatusNotModified {
			t.Errorf("%s with its ETag: %d, want 304", ref, again.StatusCode)
		}
	}
}

func TestOnlyHashedNamesAreServed(t *testing.T) {
	srv := serve(t, web.MustNew())
	for _, name := range []string{"app.js", "app.000000000000.js", "..%2findex.html", "nothing.css"} {
		resp, _ := get(t, srv.URL+"/assets/"+name)
		if resp.StatusCode != http.StatusNotFound || resp.Header.Get("Cache-Control") != "no-cache" {
			t.Errorf("%s: %d %q, want an uncached 404", name, resp.StatusCode, resp.Header.Get("Cache-Control"))
		}
	}
}

func TestCSPIsStrict(t *testing.T) {
	srv := serve(t, web.MustNew())
	resp, page := get(t, srv.URL+"/")
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "connect-src 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe") {
		t.Errorf("CSP allows unsafe sources: %q", csp)
	}
	// The policy forbids inline code, so the page must have none.
	if regexp.MustCompile(`<script(?:\s[^>]*)?>[^<]+</script>|<style|\son[a-z]+=`).MatchString(page) {
		t.Errorf("page has inline script, style or handler, which the CSP blocks:\n%s", page)
	}
	if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Error("no nosniff")
	}
}

func TestHashChangesWithContent(t *testing.T) {
	site := func(css string) *web.Site {
		s, err := web.NewFS(fstest.MapFS{
			"static/index.html":     {Data: []byte(`<link href="/assets/a.css">`)},
			"static/assets/a.css":   {Data: []byte(css)},
			"static/assets/main.js": {Data: []byte(`import "/assets/b.js";`)},
			"static/assets/b.js":    {Data: []byte(`export {};`)},
		})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	one, _ := site("a{}").Asset("a.css")
	two, _ := site("b{}").Asset("a.css")
	if one == two || !strings.HasPrefix(one, "/assets/a.") {
		t.Errorf("a.css hashed to %s and %s", one, two)
	}
}

func TestMissingAssetIsAnError(t *testing.T) {
	_, err := web.NewFS(fstest.MapFS{
		"static/index.html":     {Data: []byte(`<script src="/assets/gone.js"></script>`)},
		"static/assets/app.css": {Data: []byte(``)},
	})
	if err == nil || !strings.Contains(err.Error(), "gone.js") {
		t.Errorf("err = %v, want one naming gone.js", err)
	}
	_, err = web.NewFS(fstest.MapFS{
		"static/index.html":  {Data: []byte(``)},
		"static/assets/a.js": {Data: []byte(`import "/assets/b.js"`)},
		"static/assets/b.js": {Data: []byte(`import "/assets/a.js"`)},
	})
	if err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Errorf("err = %v, want a cycle", err)
	}
}
