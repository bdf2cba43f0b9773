package app_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/web/browsertest"
)

// TestWebtoolDownloadsThroughTheBucketAWS clicks the webtool's two
// download links in a browser signed in to the api function on AWS
// (moto_server's S3): each link's 303 is followed to the presigned link on
// the bucket's host, and the browser saves the file, byte for byte the
// one the embedded backend streams.
func TestWebtoolDownloadsThroughTheBucketAWS(t *testing.T) {
	aws, local := awsApp(t), embeddedApp(t)
	downloadFixture(t, aws)
	downloadFixture(t, local)
	srv := httptest.NewServer(aws.API.Handler())
	t.Cleanup(srv.Close)
	issued, err := aws.API.Auth.(*auth.Tokens).Issue(context.Background(), auth.Principal{AccountID: "demo", Role: auth.RoleAdmin, Subject: "test"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, page string
		click      []string // the selectors clicked, in order
		path, file string
	}{
		{"recipients", "/#campaign/c1", []string{"#download"}, "/api/v2/account/demo/campaign/c1/recipients.csv", "campaign-c1-recipients.csv"},
		{"campaigns", "/", []string{`button[aria-controls="export-menu"]`, "#export-menu a"}, "/api/v2/account/demo/campaign/export.csv", "campaigns-demo.csv"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			asRole(t, local, auth.RoleAdmin).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tt.path, nil))
			want := rec.Body.String()
			if rec.Code != http.StatusOK || strings.Count(want, "\n") < 2 {
				t.Fatalf("the embedded download: %d %q", rec.Code, want)
			}

			tab := browsertest.Shared(t).NewTab(t, srv.URL)
			dir := t.TempDir()
			tab.Run(
				browser.SetDownloadBehavior(browser.SetDownloadBehaviorBehaviorAllow).WithDownloadPath(dir),
				// The session cookie the webtool's sign-in sets.
				network.SetCookie("__Host-parley_session", issued.AccessToken).WithURL(srv.URL).WithPath("/").WithSecure(true).WithHTTPOnly(true),
			)
			tab.Visit(tt.page)
			for _, sel := range tt.click {
				tab.Run(chromedp.Click(sel, chromedp.ByQuery))
			}
			// Chromium saves into <name>.crdownload and renames it when done.
			var names []string
			waitFor(t, "download saved", func() bool {
				entries, err := os.ReadDir(dir)
				names = names[:0]
				for _, e := range entries {
					names = append(names, e.Name())
				}
				return err == nil && len(names) == 1 && !strings.HasSuffix(names[0], ".crdownload")
			})
			if names[0] != tt.file {
				t.Errorf("the browser named the download %q; want %s", names[0], tt.file)
			}
			data, err := os.ReadFile(filepath.Join(dir, names[0]))
			if err != nil {
				t.Fatal(err)
			}
			if string(data) != want {
				t.Errorf("the browser saved\n%s\nwant\n%s", data, want)
			}
		})
	}
}
