package phone

import (
	"sync"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// benchInputs is a brand-like mix of numbers from every calling code.
var benchInputs = sync.OnceValue(func() []string { return realistic(7, 20000) })

// benchNumbers runs f over the mixed corpus, one number per iteration, and
// reports the throughput.
func benchNumbers(b *testing.B, f func(string)) {
	in := benchInputs()
	for _, s := range in { // warm the lazily built automata and the caches
		f(s)
	}
	i := 0
	for b.Loop() {
		f(in[i])
		if i++; i == len(in) {
			i = 0
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "numbers/s")
}

var sink struct {
	s  string
	ok bool
	zs []string
}

func BenchmarkNormalizeLibrary(b *testing.B) {
	benchNumbers(b, func(s string) { sink.s, sink.ok = normalizeLibrary(s) })
}

func BenchmarkNormalize(b *testing.B) {
	benchNumbers(b, func(s string) { sink.s, sink.ok = Normalize(s) })
}

func BenchmarkNormalizeZonesLibrary(b *testing.B) {
	benchNumbers(b, func(s string) {
		if sink.s, sink.ok = normalizeLibrary(s); sink.ok {
			sink.zs = zonesLibrary(sink.s)
		}
	})
}

func BenchmarkNormalizeZones(b *testing.B) {
	benchNumbers(b, func(s string) {
		if sink.s, sink.ok = Normalize(s); sink.ok {
			sink.zs = Zones(sink.s)
		}
	})
}

// BenchmarkColdStart measures what the first number of a country costs in a
// fresh process: the automata its region needs are compiled then.
func BenchmarkColdStart(b *testing.B) {
	for _, tc := range []struct{ name, number string }{
		{"US", "+12025550123"},
		{"GB", "+447911123456"},
		{"DE", "+4915123456789"},
		{"IN", "+919876543210"},
		{"BR", "+5511961234567"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				plans = newPlanSet()
				if _, ok := Normalize(tc.number); !ok {
					b.Fatalf("%s is not valid", tc.number)
				}
			}
		})
	}
	b.Run("every-region", func(b *testing.B) {
		for b.Loop() {
			plans = newPlanSet()
			warmAll()
		}
	})
}

// warmAll builds the plan and number types of every region.
func warmAll() {
	for cc := range phonenumbers.GetSupportedCallingCodes() {
		for _, r := range planFor(cc).regions {
			r.numberType(nil)
		}
	}
}
