package xray

import (
	"net/http"
)

// transport records each request of a traced invocation as a "remote"
// subsegment named after the host (from the request to the answer's
// headers, or to the error), and passes the trace on in
// X-Amzn-Trace-Id. As the X-Ray SDKs do, it sends the header to every
// host, in AWS or not: it reveals only the trace's ids and the sampling
// decision, and lets a traced downstream service join the trace. Lambda's
// lineage is not passed on outside AWS calls.
type transport struct {
	base http.RoundTripper
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	h, ok := fromContext(req.Context())
	if !ok {
		return t.base.RoundTrip(req)
	}
	// A RoundTripper must not change the request it is given.
	out := req.Clone(req.Context())
	if !h.recorded() {
		out.Header.Set(HeaderName, h.downstream(h.Parent, false))
		return t.base.RoundTrip(out)
	}
	seg := newSubsegment(h, req.URL.Host, "remote")
	seg.HTTP = &httpInfo{Request: &httpRequest{Method: req.Method, URL: recordedURL(req.URL)}}
	out.Header.Set(HeaderName, h.downstream(seg.ID, false))
	resp, err := t.base.RoundTrip(out)
	if err != nil {
		seg.fail(err, "", false)
	} else {
		seg.status(resp.StatusCode, resp.ContentLength)
	}
	seg.end()
	send(seg)
	return resp, err
}
