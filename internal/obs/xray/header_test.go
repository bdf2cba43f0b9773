package xray

import (
	"context"
	"strings"
	"testing"
)

func TestParseHeader(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want traceHeader
		ok   bool
	}{
		{testHeader, traceHeader{Root: testRoot, Parent: testParent, Sampled: true, Lineage: "a87bd80c:0"}, true},
		{"Root=" + testRoot + ";Parent=" + testParent + ";Sampled=1", traceHeader{Root: testRoot, Parent: testParent, Sampled: true}, true},
		{"Sampled=1; Parent=" + testParent + " ; Root=" + testRoot, traceHeader{Root: testRoot, Parent: testParent, Sampled: true}, true},
		{"Root=" + testRoot + ";Parent=" + testParent + ";Sampled=0", traceHeader{Root: testRoot, Parent: testParent}, true},
		{"Root=" + testRoot + ";Sampled=?", traceHeader{Root: testRoot}, true},
		{"Root=" + testRoot + ";Self=1-67891234-abcdef012345678912345678;Foo=bar;junk", traceHeader{Root: testRoot}, true},
		{"Root=" + testRoot + ";Parent=NOTHEX0123456789;Sampled=1", traceHeader{Root: testRoot, Sampled: true}, true},
		{"Root=" + testRoot + ";Parent=" + testParent + ";Sampled=1;Lineage=a\r\nX-Evil: 1", traceHeader{Root: testRoot, Parent: testParent, Sampled: true}, true},
		{"Root=" + testRoot + ";Root=1-00000000-000000000000000000000000", traceHeader{Root: testRoot}, true},
		{"Root=" + testRoot + ";Sampled=1;Sampled=0", traceHeader{Root: testRoot, Sampled: true}, true},
		{"Lineage=a87bd80c:1|68fd508a:5;Root=" + testRoot, traceHeader{Root: testRoot, Lineage: "a87bd80c:1|68fd508a:5"}, true},
		{"", traceHeader{}, false},
		{"Parent=" + testParent + ";Sampled=1", traceHeader{}, false},
		{"Root=2-581cf771-a006649127e371903a2de979;Sampled=1", traceHeader{}, false},
		{"Root=1-581cf771-a006649127e371903a2de97;Sampled=1", traceHeader{}, false},
		{"Root=1-581CF771-A006649127E371903A2DE979;Sampled=1", traceHeader{}, false},
		{"root=" + testRoot, traceHeader{}, false},
		{"Root=" + testRoot + ";" + strings.Repeat("x", maxHeader), traceHeader{}, false},
	} {
		got, ok := parseHeader(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseHeader(%q) = %+v, %v; want %+v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestDownstreamHeader(t *testing.T) {
	h, _ := parseHeader(testHeader)
	if got, want := h.downstream("0123456789abcdef", false), "Root="+testRoot+";Parent=0123456789abcdef;Sampled=1"; got != want {
		t.Errorf("downstream = %q, want %q", got, want)
	}
	if got, want := h.downstream("0123456789abcdef", true), "Root="+testRoot+";Parent=0123456789abcdef;Sampled=1;Lineage=a87bd80c:0"; got != want {
		t.Errorf("downstream with lineage = %q, want %q", got, want)
	}
	h.Sampled = false
	if got, want := h.downstream(testParent, false), "Root="+testRoot+";Parent="+testParent+";Sampled=0"; got != want {
		t.Errorf("unsampled downstream = %q, want %q", got, want)
	}
}

func TestFromContext(t *testing.T) {
	t.Setenv("_X_AMZN_TRACE_ID", testHeader)
	if _, ok := fromContext(context.Background()); ok {
		t.Error("a context without a trace header has one: the process-wide variable must not count")
	}
	if h, ok := fromContext(invocation(testHeader)); !ok || !h.recorded() {
		t.Errorf("fromContext = %+v, %v; want the sampled header", h, ok)
	}
	if h, ok := fromContext(invocation("Root=" + testRoot + ";Sampled=1")); !ok || h.recorded() {
		t.Errorf("a header without a parent is recorded: %+v", h)
	}
}

// FuzzParseHeader checks the parser of a header that comes from outside:
// it never panics, what it accepts is well formed, and the header passed
// on from it parses back to the same trace and carries nothing but what
// a header value may.
func FuzzParseHeader(f *testing.F) {
	for _, s := range []string{
		testHeader,
		"Root=" + testRoot + ";Parent=" + testParent + ";Sampled=0",
		"Root=" + testRoot,
		"Sampled=1;Root=" + testRoot + ";Lineage=a87bd80c:1|68fd508a:5",
		"Root=1-;Parent=;Sampled=",
		";;==;",
		"Root=" + testRoot + ";Lineage=\r\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, ok := parseHeader(s)
		if !ok {
			if h != (traceHeader{}) {
				t.Fatalf("rejected %q but returned %+v", s, h)
			}
			return
		}
		if !validRoot(h.Root) || (h.Parent != "" && !validID(h.Parent)) || (h.Lineage != "" && !validLineage(h.Lineage)) {
			t.Fatalf("parseHeader(%q) = %+v: not well formed", s, h)
		}
		for _, withLineage := range []bool{false, true} {
			id := newID()
			out := h.downstream(id, withLineage)
			for i := 0; i < len(out); i++ {
				if c := out[i]; c < 0x21 || c > 0x7e {
					t.Fatalf("downstream header %q has byte %#x", out, c)
				}
			}
			back, ok := parseHeader(out)
			want := traceHeader{Root: h.Root, Parent: id, Sampled: h.Sampled}
			if withLineage {
				want.Lineage = h.Lineage
			}
			if !ok || back != want {
				t.Fatalf("downstream %q parses to %+v, %v; want %+v", out, back, ok, want)
			}
		}
	})
}
