package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/parleyhq/parley/internal/app"
	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/httpapi"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// downloadFixture stores one campaign of 40 recipients in a's store, with
// cells a spreadsheet would run.
func downloadFixture(t *testing.T, a *app.App) {
	t.Helper()
	c, rs := storetest.Fixture("demo", "c1", 40)
	c.Name = "=renewals"
	for i := range rs {
		if i%3 == 0 {
			rs[i].Body, rs[i].ErrorMessage = "-5% off", "@provider said no"
		}
	}
	if err := a.Store.CreateCampaign(context.Background(), c, rs); err != nil {
		t.Fatal(err)
	}
}

// lambdaGet plays GET path through the api function's handler, as API
// Gateway passes it on once the authorizer let a token of account and
// role through.
func lambdaGet(t *testing.T, a *app.App, account string, role auth.Role, path string, headers map[string]string) events.APIGatewayV2HTTPResponse {
	t.Helper()
	ev := events.APIGatewayV2HTTPRequest{Version: "2.0", RawPath: path, Headers: headers,
		RequestContext: events.APIGatewayV2HTTPRequestContext{DomainName: "abc123.execute-api.us-east-1.amazonaws.com",
			HTTP:       events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: http.MethodGet, Path: path, SourceIP: "203.0.113.7"},
			Authorizer: &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: map[string]any{auth.ContextAccount: account, auth.ContextRole: string(role), auth.ContextSubject: "client-demo"}}}}
	resp, err := httpapi.LambdaAuthorizedHandler(a.API.Handler())(context.Background(), ev)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return resp
}

// follow fetches a download's link as a browser does: no credentials.
func follow(t *testing.T, link string) (http.Header, string) {
	t.Helper()
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s, %v", link, resp.StatusCode, body, err)
	}
	return resp.Header, string(body)
}

// TestDownloadsThroughTheBucketAWS downloads both CSVs from the api
// function on AWS (moto_server's S3) and from parley serve on the embedded
// backend, for a role that sees numbers and one that sees them masked: the
// function answers 303 to a presigned link (or the link as JSON to a caller
// asking for it), and the file behind it is byte for byte the one the
// embedded backend streams, named as there.
func TestDownloadsThroughTheBucketAWS(t *testing.T) {
	aws, local := awsApp(t), embeddedApp(t)
	if aws.API.Exports == nil || local.API.Exports != nil {
		t.Fatal("the aws backend on an emulator must keep downloads in a bucket, the embedded one stream them")
	}
	downloadFixture(t, aws)
	downloadFixture(t, local)
	for _, role := range []auth.Role{auth.RoleAdmin, auth.RoleSupport} {
		for _, path := range []string{"/api/v2/account/demo/campaign/export.csv", "/api/v2/account/demo/campaign/c1/recipients.csv"} {
			t.Run(string(role)+path, func(t *testing.T) {
				rec := httptest.NewRecorder()
				asRole(t, local, role).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
				if rec.Code != http.StatusOK {
					t.Fatalf("embedded: %d %s", rec.Code, rec.Body)
				}
				want, disposition := rec.Body.String(), rec.Header().Get("Content-Disposition")
				if strings.Count(want, "\n") < 2 || !strings.Contains(want, "'=renewals") && !strings.Contains(want, "'-5% off") {
					t.Fatalf("embedded download %q: want neutralised rows", want)
				}

				resp := lambdaGet(t, aws, "demo", role, path, map[string]string{"accept": "text/html,*/*;q=0.8"})
				link := resp.Headers["Location"]
				if resp.StatusCode != http.StatusSeeOther || link == "" || resp.Headers["Cache-Control"] != "no-store" {
					t.Fatalf("aws: %d %v %s; want 303 to the file", resp.StatusCode, resp.Headers, resp.Body)
				}
				header, got := follow(t, link)
				if got != want {
					t.Errorf("the linked file differs from the streamed one:\n%s\nwant\n%s", got, want)
				}
				if cd := header.Get("Content-Disposition"); cd != disposition {
					t.Errorf("the linked file's Content-Disposition %q; want %q", cd, disposition)
				}

				resp = lambdaGet(t, aws, "demo", role, path, map[string]string{"accept": "application/json"})
				var answer httpapi.ExportLinkResponse
				if err := json.Unmarshal([]byte(resp.Body), &answer); resp.StatusCode != http.StatusOK || err != nil || answer.URL == "" || answer.ExpiresAt.IsZero() {
					t.Fatalf("aws, asking for JSON: %d %s, %v", resp.StatusCode, resp.Body, err)
				}
				if answer.URL == link {
					t.Error("two downloads share one link")
				}
				if _, got := follow(t, answer.URL); got != want {
					t.Errorf("the file linked in JSON differs from the streamed one")
				}
			})
		}
	}

	t.Run("another account", func(t *testing.T) {
		resp := lambdaGet(t, aws, "other", auth.RoleAdmin, "/api/v2/account/demo/campaign/c1/recipients.csv", nil)
		if resp.StatusCode != http.StatusForbidden || resp.Headers["Location"] != "" {
			t.Fatalf("another account's admin: %d %v; want 403 and no link", resp.StatusCode, resp.Headers)
		}
	})
	t.Run("unknown campaign", func(t *testing.T) {
		resp := lambdaGet(t, aws, "demo", auth.RoleAdmin, "/api/v2/account/demo/campaign/nope/recipients.csv", nil)
		if resp.StatusCode != http.StatusNotFound || resp.Headers["Content-Type"] != "application/problem+json" {
			t.Fatalf("unknown campaign: %d %v %s; want a 404 problem", resp.StatusCode, resp.Headers, resp.Body)
		}
	})
}

// TestDownloadMaskingDiffers guards the comparison above: a support
// caller's download is not an admin's.
func TestDownloadMaskingDiffers(t *testing.T) {
	a := embeddedApp(t)
	downloadFixture(t, a)
	get := func(role auth.Role) string {
		rec := httptest.NewRecorder()
		asRole(t, a, role).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v2/account/demo/campaign/c1/recipients.csv", nil))
		return rec.Body.String()
	}
	admin, support := get(auth.RoleAdmin), get(auth.RoleSupport)
	if !strings.Contains(admin, "'+12025550001") || strings.Contains(support, "'+12025550001") || !strings.Contains(support, "****") {
		t.Fatalf("admin's download\n%s\nsupport's\n%s", admin, support)
	}
}
