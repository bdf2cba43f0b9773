package campaign

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/nyaruka/phonenumbers"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/window"
)

// intakeConsumers is a brand-like mix of 100,000 consumers: numbers of
// several countries written in the formats brands use, a few invalid.
func intakeConsumers() []Consumer {
	rng := rand.New(rand.NewPCG(7, 11))
	formats := []string{"+1202%07d", "1202%07d", "1(650)%07d", "+44791%07d", "+4915%08d", "+3361%07d", "+61412%06d", "+5511%09d", "+9198%08d", "12%08d"}
	out := make([]Consumer, 100_000)
	for i := range out {
		f := formats[rng.IntN(len(formats))]
		out[i] = Consumer{SMS: fmt.Sprintf(f, rng.IntN(10_000_000)), Variables: map[string]string{"1": "Jane"}}
	}
	return out
}

// BenchmarkIntake measures what intake does per recipient — validate and
// normalise the number, find its zones, place it in its delivery window,
// render the message with its opt-out text — and reports recipients/s.
// Run with -cpu 1 for the per-core figure.
func BenchmarkIntake(b *testing.B) { benchIntake(b, "") }

// BenchmarkIntakeDefaultCountry is BenchmarkIntake for an account with a
// default country, whose numbers without a plus phonenumbers reads.
func BenchmarkIntakeDefaultCountry(b *testing.B) { benchIntake(b, "US") }

func benchIntake(b *testing.B, country string) {
	consumers := intakeConsumers()
	s := &Service{}
	c := parley.Campaign{AccountID: "a", ID: "c", Channel: parley.ChannelSMS, Message: "Hi {{1}}, your plan renews soon.",
		Schedule: window.Schedule{Window: window.Default}, DefaultCountry: country}
	now := time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC)
	for b.Loop() {
		s.recipients(c, consumers, now, "")
	}
	b.ReportMetric(float64(len(consumers)*b.N)/b.Elapsed().Seconds(), "recipients/s")
}

// BenchmarkIntakeLibraryBaseline is the plain library path per row:
// phonenumbers Parse, IsValidNumber and GetTimezonesForNumber.
func BenchmarkIntakeLibraryBaseline(b *testing.B) {
	consumers := intakeConsumers()
	for b.Loop() {
		for _, c := range consumers {
			num, err := phonenumbers.Parse("+"+trimPlus(c.SMS), "ZZ")
			if err != nil || !phonenumbers.IsValidNumber(num) {
				continue
			}
			_, _ = phonenumbers.GetTimezonesForNumber(num)
		}
	}
	b.ReportMetric(float64(len(consumers)*b.N)/b.Elapsed().Seconds(), "recipients/s")
}

func trimPlus(s string) string {
	if len(s) > 0 && s[0] == '+' {
		return s[1:]
	}
	return s
}
