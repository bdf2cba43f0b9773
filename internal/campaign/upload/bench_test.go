package upload

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// uploadCSV returns a brand-like upload of n rows for a template with an
// image header and two body variables: valid mobile numbers of every region,
// written in the shapes brands use, with some invalid numbers and some
// repeated ones.
func uploadCSV(n int) []byte {
	r := rand.New(rand.NewPCG(5, 6))
	var examples []string
	for region := range phonenumbers.GetSupportedRegions() {
		if num := phonenumbers.GetExampleNumberForType(region, phonenumbers.MOBILE); num != nil {
			examples = append(examples, phonenumbers.Format(num, phonenumbers.E164)[1:])
		}
	}
	slices.Sort(examples)
	var b bytes.Buffer
	b.WriteString("Phone,H1,B1,B2\n")
	var written []string
	for i := range n {
		e := examples[r.IntN(len(examples))]
		keep := max(len(e)-4, 1)
		number := e[:keep] + fmt.Sprintf("%04d", r.IntN(10000))[:len(e)-keep]
		switch k := r.IntN(100); {
		case k < 2:
			number = strconv.Itoa(r.IntN(1_000_000)) // invalid
		case k < 3 && len(written) > 0:
			number = written[r.IntN(len(written))] // repeated
		case k < 30:
			number = "+" + number
		case k < 40:
			number = number[:3] + " " + number[3:6] + "-" + number[6:]
		}
		written = append(written, number)
		fmt.Fprintf(&b, "%s,https://cdn.example.org/img/%d.png,Customer %d,%04d\n", number, i, i, r.IntN(10000))
	}
	return b.Bytes()
}

func BenchmarkParseCSV(b *testing.B) {
	const n = 100_000
	data := uploadCSV(n)
	shape := Shape{Header: "image", BodyVars: 2}
	rows, err := ParseCSV(bytes.NewReader(data), shape, n)
	if err != nil || len(rows) != n {
		b.Fatalf("%d rows, %v", len(rows), err)
	}
	failed := 0
	for _, r := range rows {
		if r.Error != "" {
			failed++
		}
	}
	b.Logf("%d rows, %d failed", len(rows), failed)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ParseCSV(bytes.NewReader(data), shape, n); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
