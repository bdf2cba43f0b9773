package xray

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// subsegment is an X-Ray subsegment document, sent on its own: one
// downstream call made while serving a traced invocation. The fields are
// those of X-Ray's segment document schema.
type subsegment struct {
	Name      string    `json:"name"`
	ID        string    `json:"id"`
	TraceID   string    `json:"trace_id"`
	ParentID  string    `json:"parent_id"`
	StartTime float64   `json:"start_time"`
	EndTime   float64   `json:"end_time"`
	Type      string    `json:"type"`
	Namespace string    `json:"namespace"`
	Error     bool      `json:"error,omitempty"`
	Throttle  bool      `json:"throttle,omitempty"`
	Fault     bool      `json:"fault,omitempty"`
	Cause     *cause    `json:"cause,omitempty"`
	HTTP      *httpInfo `json:"http,omitempty"`
	AWS       *awsInfo  `json:"aws,omitempty"`
}

type httpInfo struct {
	Request  *httpRequest  `json:"request,omitempty"`
	Response *httpResponse `json:"response,omitempty"`
}

type httpRequest struct {
	Method string `json:"method,omitempty"`
	URL    string `json:"url,omitempty"`
}

type httpResponse struct {
	Status        int    `json:"status,omitempty"`
	ContentLength *int64 `json:"content_length,omitempty"`
}

type awsInfo struct {
	Operation string `json:"operation,omitempty"`
	Region    string `json:"region,omitempty"`
	RequestID string `json:"request_id,omitempty"`
	TableName string `json:"table_name,omitempty"`
	QueueURL  string `json:"queue_url,omitempty"`
	Retries   int    `json:"retries,omitempty"`
}

// cause says why a call failed: the error's message, never a stack, a
// request body or a query string.
type cause struct {
	Exceptions []exception `json:"exceptions"`
}

type exception struct {
	ID      string `json:"id"`
	Message string `json:"message,omitempty"`
	Type    string `json:"type,omitempty"`
	Remote  bool   `json:"remote,omitempty"`
}

// now is the clock of the timestamps. Tracing only observes, so the
// system clock it is; tests assert nothing about the times it gives.
var now = time.Now

// newSubsegment starts a subsegment of the trace h under h's parent.
func newSubsegment(h traceHeader, name, namespace string) *subsegment {
	return &subsegment{
		Name:      cleanName(name),
		ID:        newID(),
		TraceID:   h.Root,
		ParentID:  h.Parent,
		StartTime: epoch(now()),
		Type:      "subsegment",
		Namespace: namespace,
	}
}

// end closes s.
func (s *subsegment) end() { s.EndTime = epoch(now()) }

// status records an HTTP status and the flags X-Ray derives from it:
// error for 4xx, throttle (and error) for 429, fault for 5xx.
func (s *subsegment) status(code int, contentLength int64) {
	if s.HTTP == nil {
		s.HTTP = &httpInfo{}
	}
	s.HTTP.Response = &httpResponse{Status: code}
	if contentLength >= 0 {
		s.HTTP.Response.ContentLength = &contentLength
	}
	s.Error, s.Throttle, s.Fault = false, false, false
	switch {
	case code == 429:
		s.Error, s.Throttle = true, true
	case code >= 400 && code < 500:
		s.Error = true
	case code >= 500:
		s.Fault = true
	}
}

// fail records err as the cause of s: a fault unless a 4xx status already
// made it an error.
func (s *subsegment) fail(err error, typ string, remote bool) {
	if !s.Error && !s.Throttle {
		s.Fault = true
	}
	s.Cause = &cause{Exceptions: []exception{{ID: newID(), Message: errorMessage(err), Type: typ, Remote: remote}}}
}

// errorMessage is err's message without the request URL a *url.Error
// puts in front (its query may carry a token), cut to maxText.
func errorMessage(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		err = ue.Err
	}
	return truncate(err.Error(), maxText)
}

// maxText bounds each text field recorded, well inside a datagram.
const maxText = 2048

// newID returns a random 64-bit id in 16 hex digits, never all zeros.
func newID() string {
	v := rand.Uint64()
	for v == 0 {
		v = rand.Uint64()
	}
	return fmt.Sprintf("%016x", v)
}

// epoch returns t in seconds since the Unix epoch, with microseconds.
func epoch(t time.Time) float64 {
	return float64(t.Unix()) + float64(t.Nanosecond()/1000)/1e6
}

// recordedURL returns u as X-Ray records it: scheme, host and path only.
// The query and fragment are left out, as they may carry tokens (a
// brand's webhook URL), and so is any user:password.
func recordedURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	r := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}
	return truncate(r.String(), maxText)
}

// cleanName makes name a valid segment name: at most 200 characters, each
// a Unicode letter or digit, a space, or one of _.:/%&#=+\-@.
func cleanName(name string) string {
	var b strings.Builder
	n := 0
	for _, r := range name {
		if n == 200 {
			break
		}
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == ' ' || strings.ContainsRune("_.:/%&#=+\\-@", r)) {
			r = '_'
		}
		b.WriteRune(r)
		n++
	}
	if b.Len() == 0 {
		return "unknown"
	}
	return b.String()
}

// truncate cuts s to at most n bytes without splitting a character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
