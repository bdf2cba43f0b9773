package httpapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/parleyhq/parley/internal/parley"
)

// LambdaHandler adapts h to API Gateway HTTP API (payload format 2.0)
// events, so the functions serve the same router as parley serve.
func LambdaHandler(h http.Handler) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		req, err := toRequest(ctx, ev)
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		w := &responseBuffer{header: http.Header{}, status: http.StatusOK}
		if aborted := serve(h, w, req); aborted && !w.overflowed {
			return events.APIGatewayV2HTTPResponse{}, errAborted
		}
		return w.event(), nil
	}
}

// MaxLambdaAnswer bounds the body of a Lambda answer: API Gateway takes at
// most 6 MB from a function, JSON-encoded, and escaping a CSV's quotes
// and line ends grows it; 4 MiB leaves room for that.
const MaxLambdaAnswer = 4 << 20

// errAborted fails an invocation whose handler cut its answer short
// (http.ErrAbortHandler): no partial answer is sent as if it were whole.
var errAborted = errors.New("the handler aborted its answer")

// errAnswerTooLarge is what a write past MaxLambdaAnswer returns.
var errAnswerTooLarge = errors.New("the answer exceeds what API Gateway takes from a function")

// serve runs h, reporting whether it aborted with http.ErrAbortHandler (as
// a download that fails midway does); any other panic goes on.
func serve(h http.Handler, w http.ResponseWriter, r *http.Request) (aborted bool) {
	defer func() {
		if v := recover(); v != nil {
			if v != http.ErrAbortHandler {
				panic(v)
			}
			aborted = true
		}
	}()
	h.ServeHTTP(w, r)
	return false
}

func toRequest(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (*http.Request, error) {
	body := []byte(ev.Body)
	if ev.IsBase64Encoded {
		decoded, err := base64.StdEncoding.DecodeString(ev.Body)
		if err != nil {
			return nil, err
		}
		body = decoded
	}
	path := ev.RawPath
	if path == "" {
		path = ev.RequestContext.HTTP.Path
	}
	u := &url.URL{Path: path, RawQuery: ev.RawQueryString}
	if unescaped, err := url.PathUnescape(path); err == nil {
		u.Path, u.RawPath = unescaped, path
	}
	if d := ev.RequestContext.DomainName; d != "" {
		// API Gateway serves HTTPS only; webhooks rebuild the URL a
		// provider signed from it (see Server.publicURL).
		ctx = context.WithValue(ctx, gatewayOriginKey{}, "https://"+d)
	}
	req, err := http.NewRequestWithContext(ctx, ev.RequestContext.HTTP.Method, u.RequestURI(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, v := range ev.Headers {
		// API Gateway joins repeated headers with commas.
		req.Header.Set(k, v)
	}
	if len(ev.Cookies) > 0 {
		req.Header.Set("Cookie", strings.Join(ev.Cookies, "; "))
	}
	req.Host = req.Header.Get("Host")
	req.RemoteAddr = ev.RequestContext.HTTP.SourceIP
	req.RequestURI = u.RequestURI()
	return req, nil
}

// responseBuffer is an http.ResponseWriter that becomes a Lambda response.
// It takes at most MaxLambdaAnswer bytes; past them it is overflowed and
// becomes a problem saying so.
type responseBuffer struct {
	header     http.Header
	status     int
	wrote      bool
	payload    bytes.Buffer
	overflowed bool
}

func (b *responseBuffer) Header() http.Header { return b.header }

func (b *responseBuffer) WriteHeader(status int) {
	if !b.wrote {
		b.status, b.wrote = status, true
	}
}

func (b *responseBuffer) Write(p []byte) (int, error) {
	b.WriteHeader(http.StatusOK)
	if b.overflowed || b.payload.Len()+len(p) > MaxLambdaAnswer {
		b.overflowed = true
		return 0, errAnswerTooLarge
	}
	return b.payload.Write(p)
}

func (b *responseBuffer) event() events.APIGatewayV2HTTPResponse {
	if b.overflowed {
		tooLarge := &responseBuffer{header: http.Header{}}
		writeProblem(tooLarge, problemOf(parley.Errorf(parley.ETOOLARGE,
			"the answer exceeds the %d MiB this deployment's functions may answer through API Gateway; page through a large campaign's recipients with GET …/campaign/{campaignId}/conversations?limit=1000&cursor=…", MaxLambdaAnswer>>20)))
		return tooLarge.event()
	}
	resp := events.APIGatewayV2HTTPResponse{StatusCode: b.status, Headers: map[string]string{}}
	for k, vs := range b.header {
		if k == "Set-Cookie" {
			resp.Cookies = vs
			continue
		}
		resp.Headers[k] = strings.Join(vs, ", ")
	}
	if utf8.Valid(b.payload.Bytes()) {
		resp.Body = b.payload.String()
	} else {
		resp.Body, resp.IsBase64Encoded = base64.StdEncoding.EncodeToString(b.payload.Bytes()), true
	}
	return resp
}
