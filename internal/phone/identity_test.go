package phone

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
)

// TestMatchesLibrary proves the fast path gives phonenumbers' answers: for
// every calling code, example and random national numbers written many ways
// must normalise exactly as the library normalises them, and the inputs and
// their normalised forms must map to the same zones.
func TestMatchesLibrary(t *testing.T) {
	perCode := 1000
	if testing.Short() {
		perCode = 100
	}
	inputs := corpus(1, perCode)
	t.Logf("%d inputs", len(inputs))
	var (
		mu       sync.Mutex
		failures []string
		valid    int
	)
	forEachParallel(inputs, func(in string) {
		problems, ok := compare(in)
		mu.Lock()
		defer mu.Unlock()
		if ok {
			valid++
		}
		failures = append(failures, problems...)
	})
	t.Logf("%d valid", valid)
	for i, f := range failures {
		if i == 20 {
			t.Fatalf("… and %d more", len(failures)-i)
		}
		t.Error(f)
	}
}

// compare checks one input against the library and describes each
// disagreement.
func compare(in string) (problems []string, valid bool) {
	got, ok := Normalize(in)
	want, wantOK := normalizeLibrary(in)
	if got != want || ok != wantOK {
		problems = append(problems, fmt.Sprintf("Normalize(%q) = %q, %v; library %q, %v", in, got, ok, want, wantOK))
	}
	for _, s := range []string{in, want} {
		if s == "" {
			continue
		}
		if z, lz := Zones(s), zonesLibrary(s); !slices.Equal(z, lz) {
			problems = append(problems, fmt.Sprintf("Zones(%q) = %q; library %q", s, z, lz))
		}
	}
	return problems, wantOK
}

// forEachParallel calls f for every input, on all processors.
func forEachParallel(inputs []string, f func(string)) {
	var wg sync.WaitGroup
	n := runtime.GOMAXPROCS(0)
	for w := range n {
		wg.Go(func() {
			for i := w; i < len(inputs); i += n {
				f(inputs[i])
			}
		})
	}
	wg.Wait()
}

// TestFastPathCoverage guards the point of the fast path: a brand-like mix
// of numbers must almost never need phonenumbers itself.
func TestFastPathCoverage(t *testing.T) {
	in := realistic(11, 20000)
	fast := 0
	for _, s := range in {
		s = strings.TrimSpace(s)
		var buf [maxInput]byte
		digits, ok := scan(strings.TrimPrefix(s, "+"), buf[:0])
		if !ok {
			continue
		}
		switch n, out := parseDigits(digits); out {
		case unparseable:
			fast++
		case parsed:
			if _, exact := n.valid(); exact {
				fast++
			}
		}
	}
	if share := float64(fast) / float64(len(in)); share < 0.95 {
		t.Fatalf("%.1f%% of inputs took the fast path, want at least 95%%", 100*share)
	}
}
