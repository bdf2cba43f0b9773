package httpapi

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzAppTokenParams feeds arbitrary queries, bodies and media types to
// the AppJWT parameter reader: it either refuses them with an error or
// answers every parameter once, each the value the query or the form
// gave, and never reads past the form's bound.
func FuzzAppTokenParams(f *testing.F) {
	f.Add("v=1.0&grant_type=client_credentials", "client_id=c&client_secret=s", "application/x-www-form-urlencoded")
	f.Add("v=1.0&grant_type=client_credentials&client_id=c&client_secret=s", "", "")
	f.Add("client_id=c", "client_id=d", "application/x-www-form-urlencoded; charset=utf-8")
	f.Add("a=%zz", "b=1", "application/x-www-form-urlencoded")
	f.Add("", "x=%", "application/x-www-form-urlencoded")
	f.Add("grant_type=client_credentials", "client_id=c", "text/plain")
	f.Add(";;&&==", strings.Repeat("a=b&", 3000), "application/x-www-form-urlencoded")
	f.Fuzz(func(t *testing.T, query, body, contentType string) {
		r := httptest.NewRequest(http.MethodPost, "/sentinel/api/account/A/app/token", strings.NewReader(body))
		r.URL.RawQuery = query
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		params, err := appTokenParams(httptest.NewRecorder(), r)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("a refusal without a reason")
			}
			return
		}
		q, qerr := url.ParseQuery(query)
		if qerr != nil {
			t.Fatalf("a query ParseQuery refuses (%v) was read: %q", qerr, query)
		}
		for name, vs := range params {
			if len(vs) != 1 {
				t.Fatalf("%s given %d times was answered", name, len(vs))
			}
			if qv, inQuery := q[name]; inQuery && qv[0] != vs[0] {
				t.Fatalf("%s = %q, the query gave %q", name, vs[0], qv[0])
			}
		}
		for name := range q {
			if _, ok := params[name]; !ok {
				t.Fatalf("the query's %s is missing", name)
			}
		}
	})
}
