package httpapi

import (
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/parleyhq/parley/internal/web"
)

func TestLambdaHandler(t *testing.T) {
	var got *http.Request
	var gotBody string
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		b, _ := io.ReadAll(r.Body)
		gotBody = string(b)
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Add("Set-Cookie", "a=1")
		w.Header().Add("Set-Cookie", "b=2")
		w.Header().Add("Vary", "Accept")
		w.Header().Add("Vary", "Origin")
		w.WriteHeader(http.StatusTeapot)
		if r.URL.Query().Get("binary") == "1" {
			_, _ = w.Write([]byte{0xff, 0xfe, 0x00})
			return
		}
		_, _ = w.Write([]byte("héllo"))
	})
	tests := []struct {
		name     string
		ev       events.APIGatewayV2HTTPRequest
		wantPath string
		wantBody string
		wantB64  bool
	}{
		{
			name: "plain",
			ev: events.APIGatewayV2HTTPRequest{RawPath: "/api/v2/account/a%2Fb/campaign", RawQueryString: "x=1&y=2",
				Headers: map[string]string{"content-type": "application/json", "host": "example.com"}, Cookies: []string{"s=1", "t=2"},
				Body: `{"k":1}`, RequestContext: events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST", SourceIP: "203.0.113.7"}}},
			wantPath: "/api/v2/account/a/b/campaign", wantBody: `{"k":1}`,
		},
		{
			name: "base64 body, binary answer",
			ev: events.APIGatewayV2HTTPRequest{RawPath: "/x", RawQueryString: "binary=1", IsBase64Encoded: true,
				Body:           base64.StdEncoding.EncodeToString([]byte("raw\x00bytes")),
				RequestContext: events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "PUT"}}},
			wantPath: "/x", wantBody: "raw\x00bytes", wantB64: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := LambdaHandler(h)(context.Background(), tt.ev)
			if err != nil {
				t.Fatal(err)
			}
			if got.Method != tt.ev.RequestContext.HTTP.Method || got.URL.Path != tt.wantPath || got.URL.RawQuery != tt.ev.RawQueryString || gotBody != tt.wantBody {
				t.Errorf("request %s %s?%s body %q", got.Method, got.URL.Path, got.URL.RawQuery, gotBody)
			}
			if resp.StatusCode != http.StatusTeapot || resp.IsBase64Encoded != tt.wantB64 || len(resp.Cookies) != 2 || resp.Headers["Vary"] != "Accept, Origin" {
				t.Errorf("response %+v", resp)
			}
			if !tt.wantB64 && resp.Body != "héllo" {
				t.Errorf("body %q", resp.Body)
			}
		})
	}
	if got.Header.Get("Cookie") != "" {
		t.Errorf("cookies leaked between requests")
	}
	plain := tests[0].ev
	if _, err := LambdaHandler(h)(context.Background(), plain); err != nil || got.Header.Get("Cookie") != "s=1; t=2" || got.Host != "example.com" || got.RemoteAddr != "203.0.113.7" {
		t.Errorf("cookie %q host %q remote %q", got.Header.Get("Cookie"), got.Host, got.RemoteAddr)
	}
	bad := events.APIGatewayV2HTTPRequest{RawPath: "/x", IsBase64Encoded: true, Body: "%%%"}
	if _, err := LambdaHandler(h)(context.Background(), bad); err == nil {
		t.Error("an undecodable base64 body was accepted")
	}
}

// TestLambdaAnswerBounds checks what the adapter does with an answer API
// Gateway would refuse (too large: a problem saying so) and with one its
// handler cut short (the invocation fails: no partial answer looks whole).
func TestLambdaAnswerBounds(t *testing.T) {
	ev := events.APIGatewayV2HTTPRequest{RawPath: "/x", RequestContext: events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET"}}}
	large := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/csv")
		line := []byte(strings.Repeat("x", 1023) + "\n")
		for range MaxLambdaAnswer/len(line) + 1 {
			if _, err := w.Write(line); err != nil {
				panic(http.ErrAbortHandler) // as a download does
			}
		}
	})
	resp, err := LambdaHandler(large)(context.Background(), ev)
	if err != nil || resp.StatusCode != http.StatusRequestEntityTooLarge || resp.Headers["Content-Type"] != "application/problem+json" ||
		!strings.Contains(resp.Body, "conversations?limit=1000") {
		t.Errorf("too large an answer = %d %v %.200s, %v", resp.StatusCode, resp.Headers, resp.Body, err)
	}
	cut := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("id\n1\n"))
		panic(http.ErrAbortHandler)
	})
	if resp, err := LambdaHandler(cut)(context.Background(), ev); err == nil {
		t.Errorf("an answer cut short = %d %q, nil; want the invocation to fail", resp.StatusCode, resp.Body)
	}
	fits := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(make([]byte, MaxLambdaAnswer)) })
	if resp, err := LambdaHandler(fits)(context.Background(), ev); err != nil || resp.StatusCode != http.StatusOK || len(resp.Body) != MaxLambdaAnswer {
		t.Errorf("an answer of exactly the bound = %d (%d bytes), %v", resp.StatusCode, len(resp.Body), err)
	}
}

// TestLambdaServesWebtool: the api function serves the webtool's page and
// assets through the same adapter as the API, headers intact.
func TestLambdaServesWebtool(t *testing.T) {
	h := LambdaAuthorizedHandler((&Server{Web: web.MustNew(), Log: slog.New(slog.DiscardHandler)}).Handler())
	get := func(path string) events.APIGatewayV2HTTPResponse {
		resp, err := h(context.Background(), events.APIGatewayV2HTTPRequest{RawPath: path,
			RequestContext: events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET"}}})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	page := get("/")
	if page.StatusCode != 200 || page.Headers["Cache-Control"] != "no-cache" || page.Headers["Content-Security-Policy"] == "" ||
		!strings.Contains(page.Body, "<title>Parley</title>") {
		t.Fatalf("page: %d %v %.200s", page.StatusCode, page.Headers, page.Body)
	}
	css, _ := web.MustNew().Asset("app.css")
	if !strings.Contains(page.Body, css) {
		t.Fatalf("page does not name %s", css)
	}
	asset := get(css)
	if asset.StatusCode != 200 || !strings.Contains(asset.Headers["Cache-Control"], "immutable") || !strings.Contains(asset.Body, "prefers-color-scheme") {
		t.Errorf("asset: %d %v", asset.StatusCode, asset.Headers)
	}
	if other := get("/nothing-here"); other.StatusCode != 404 || !strings.Contains(other.Headers["Content-Type"], "problem+json") {
		t.Errorf("an unknown path: %d %v, want the API's 404 problem", other.StatusCode, other.Headers)
	}
}
