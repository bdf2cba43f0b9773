package httpapi

import (
	"net/http"

	"github.com/parleyhq/parley/internal/parley"
)

// Webtool serves the webtool's page and its content-hashed assets
// (*web.Site is one). The pages call the public API alone.
type Webtool interface {
	Page(w http.ResponseWriter, r *http.Request)
	ServeAsset(w http.ResponseWriter, r *http.Request)
}

// Webtool routes: the page at the root, the assets under /assets/.
const (
	webPagePath  = "/{$}"
	webAssetPath = "/assets/{name}"
)

func webRoutes() []Route {
	return []Route{
		{http.MethodGet, webPagePath, needWeb(Webtool.Page)},
		{http.MethodGet, webAssetPath, needWeb(Webtool.ServeAsset)},
	}
}

// needWeb answers 404 while the server has no webtool.
func needWeb(serve func(Webtool, http.ResponseWriter, *http.Request)) func(*Server, http.ResponseWriter, *http.Request) {
	return func(s *Server, w http.ResponseWriter, r *http.Request) {
		if s.Web == nil {
			s.fail(w, r, parley.Errorf(parley.ENOTFOUND, "this server has no webtool"))
			return
		}
		serve(s.Web, w, r)
	}
}
