package xray

import (
	"context"
	"strings"
)

// HeaderName is the HTTP header X-Ray's trace context travels in.
const HeaderName = "X-Amzn-Trace-Id"

// lambdaTraceKey is the context key aws-lambda-go stores an invocation's
// trace header under: a plain string, as the runtime library defines it.
const lambdaTraceKey = "x-amzn-trace-id"

// traceHeader is what a trace header says: the trace (Root), the segment
// that calls (Parent), whether the trace is recorded, and Lambda's
// recursive-loop lineage, which is passed on to AWS calls unchanged.
type traceHeader struct {
	Root    string
	Parent  string
	Sampled bool
	Lineage string
}

// fromContext returns the trace header of the invocation ctx belongs to.
// Only the context counts, as with the X-Ray SDK: _X_AMZN_TRACE_ID is
// process-wide and would attribute a call made outside an invocation (at
// init, or by a goroutine that outlived its invocation) to whichever
// invocation runs at the time.
func fromContext(ctx context.Context) (traceHeader, bool) {
	s, _ := ctx.Value(lambdaTraceKey).(string)
	if s == "" {
		return traceHeader{}, false
	}
	return parseHeader(s)
}

// recorded reports whether calls made under h are to be recorded: the
// trace is sampled and says which segment the calls belong to.
func (h traceHeader) recorded() bool { return h.Sampled && h.Parent != "" }

// parseHeader parses a trace header such as
// "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1;Lineage=a87bd80c:0".
// Fields are ;-separated key=value pairs in any order, keys as X-Ray
// spells them; unknown fields are ignored, and so is a second field of
// the same key. It reports false when the header has no valid Root. A
// Parent or Lineage that is not well formed is dropped; Sampled is true
// only for "1".
func parseHeader(s string) (traceHeader, bool) {
	if len(s) > maxHeader {
		return traceHeader{}, false
	}
	var h traceHeader
	var seenRoot, seenParent, seenSampled, seenLineage bool
	for field := range strings.SplitSeq(s, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(field), "=")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch k {
		case "Root":
			if !seenRoot {
				seenRoot = true
				if validRoot(v) {
					h.Root = v
				}
			}
		case "Parent":
			if !seenParent {
				seenParent = true
				if validID(v) {
					h.Parent = v
				}
			}
		case "Sampled":
			if !seenSampled {
				seenSampled = true
				h.Sampled = v == "1"
			}
		case "Lineage":
			if !seenLineage {
				seenLineage = true
				if validLineage(v) {
					h.Lineage = v
				}
			}
		}
	}
	if h.Root == "" {
		return traceHeader{}, false
	}
	return h, true
}

// maxHeader bounds the trace header parsed; real ones are under 150 bytes.
const maxHeader = 1024

// downstream returns the header a call recorded as subsegment id carries,
// with the lineage when withLineage.
func (h traceHeader) downstream(id string, withLineage bool) string {
	var b strings.Builder
	b.WriteString("Root=")
	b.WriteString(h.Root)
	if id != "" {
		b.WriteString(";Parent=")
		b.WriteString(id)
	}
	if h.Sampled {
		b.WriteString(";Sampled=1")
	} else {
		b.WriteString(";Sampled=0")
	}
	if withLineage && h.Lineage != "" {
		b.WriteString(";Lineage=")
		b.WriteString(h.Lineage)
	}
	return b.String()
}

// validRoot reports whether s is an X-Ray trace id: "1-", 8 hex digits of
// epoch seconds, "-", 24 hex digits.
func validRoot(s string) bool {
	return len(s) == 35 && s[0] == '1' && s[1] == '-' && s[10] == '-' && isHex(s[2:10]) && isHex(s[11:])
}

// validID reports whether s is a segment id: 16 hex digits.
func validID(s string) bool { return len(s) == 16 && isHex(s) }

// validLineage accepts Lambda's lineage ("a87bd80c:0", several joined by
// "|") loosely, as its format is Lambda's, but only in characters that
// are safe to pass on in a header.
func validLineage(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == ':' || c == '|' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return len(s) > 0
}
