// Package web is the webtool: the pages campaign managers use, embedded in
// the binary and served by the API's router (parley serve, and the api
// function on AWS). The pages are plain ES modules and CSS with no build
// step; they call the public API alone.
//
// Every asset but the page itself is served under a name that carries a
// hash of its content (app.3f2a9c1d.js), so browsers and caches keep it for
// a year; the page is served no-cache and names the current hashes, so a
// new release is picked up at the next load.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"regexp"
	"strconv"
	"strings"
)

//go:embed static
var static embed.FS

// ContentSecurityPolicy is sent with every answer of the webtool: scripts,
// styles and fetches from Parley's own origin alone, no inline code, no
// framing, no plugins, forms post nowhere else.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"

// Cache-Control values.
const (
	cacheHashed = "public, max-age=31536000, immutable"
	cachePage   = "no-cache"
)

// AssetPrefix is the path the hashed assets are served under.
const AssetPrefix = "/assets/"

// Site is the webtool's files, read once from the embedded tree: the page
// with its asset references rewritten to hashed names, and the assets by
// hashed name.
type Site struct {
	page   []byte
	assets map[string]asset // by hashed name
	hashed map[string]string
}

type asset struct {
	body        []byte
	contentType string
}

// assetRef is how the page and the modules name an asset: "/assets/app.js"
// in the source, rewritten to its hashed name.
var assetRef = regexp.MustCompile(`/assets/([A-Za-z0-9_.-]+\.(?:js|css|svg))`)

// New reads the embedded files.
func New() (*Site, error) { return NewFS(static) }

// MustNew is New for wiring, where the embedded files cannot be wrong
// without a failing test.
func MustNew() *Site {
	s, err := New()
	if err != nil {
		panic(err)
	}
	return s
}

// NewFS reads a site from fsys: static/index.html and static/assets/.
func NewFS(fsys fs.FS) (*Site, error) {
	root, err := fs.Sub(fsys, "static")
	if err != nil {
		return nil, err
	}
	s := &Site{assets: map[string]asset{}, hashed: map[string]string{}}
	raw := map[string][]byte{}
	err = fs.WalkDir(root, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(root, p)
		raw[path.Base(p)] = data
		return err
	})
	if err != nil {
		return nil, err
	}
	// Modules import one another by /assets/ path, so a module's hash must
	// cover the hashed names of what it imports: hash the leaves first.
	for len(raw) > 0 {
		progress := false
		for name, data := range raw {
			if deps := pending(data, raw, name); deps {
				continue
			}
			body, err := s.rewrite(data, name)
			if err != nil {
				return nil, err
			}
			sum := sha256.Sum256(body)
			ext := path.Ext(name)
			hashedName := strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:])[:12] + ext
			s.hashed[name] = hashedName
			s.assets[hashedName] = asset{body: body, contentType: mime.TypeByExtension(ext)}
			delete(raw, name)
			progress = true
		}
		if !progress {
			return nil, fmt.Errorf("web: the assets import one another in a cycle")
		}
	}
	page, err := fs.ReadFile(root, "index.html")
	if err != nil {
		return nil, err
	}
	if s.page, err = s.rewrite(page, "index.html"); err != nil {
		return nil, err
	}
	return s, nil
}

// pending reports whether data names an asset, other than itself, that is
// not hashed yet.
func pending(data []byte, raw map[string][]byte, self string) bool {
	for _, m := range assetRef.FindAllSubmatch(data, -1) {
		if n := string(m[1]); n != self && raw[n] != nil {
			return true
		}
	}
	return false
}

// rewrite replaces each /assets/ reference in data with its hashed name.
func (s *Site) rewrite(data []byte, file string) ([]byte, error) {
	var missing error
	out := assetRef.ReplaceAllFunc(data, func(ref []byte) []byte {
		name := string(assetRef.FindSubmatch(ref)[1])
		h, ok := s.hashed[name]
		if !ok {
			missing = fmt.Errorf("web: %s names %s, which is not among the assets", file, ref)
			return ref
		}
		return []byte(AssetPrefix + h)
	})
	return out, missing
}

// Asset returns the hashed path an asset (such as "app.js") is served at.
func (s *Site) Asset(name string) (string, bool) {
	h, ok := s.hashed[name]
	return AssetPrefix + h, ok
}

// Page serves the webtool's page.
func (s *Site) Page(w http.ResponseWriter, r *http.Request) {
	secure(w.Header())
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", cachePage)
	serveBytes(w, r, s.page)
}

// ServeAsset serves the asset named by the request's {name} path value.
// Only hashed names are served: an unhashed or stale one is not found, so
// a cache never keeps a file under a name that could change.
func (s *Site) ServeAsset(w http.ResponseWriter, r *http.Request) {
	a, ok := s.assets[r.PathValue("name")]
	secure(w.Header())
	if !ok {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", cachePage)
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte("no such asset: the page names its assets by content hash; reload it\n"))
		return
	}
	w.Header().Set("Content-Type", a.contentType)
	w.Header().Set("Cache-Control", cacheHashed)
	serveBytes(w, r, a.body)
}

func secure(h http.Header) {
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
}

func serveBytes(w http.ResponseWriter, r *http.Request, body []byte) {
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	w.Header().Set("ETag", etag)
	if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method == http.MethodHead {
		return
	}
	_, _ = bytes.NewReader(body).WriteTo(w)
}
