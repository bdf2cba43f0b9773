package dynamo_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// BenchmarkAccountAnalytics90Days reads 90 days of the counters of an
// account that ran 1,000 campaigns (one starting every 2.16 hours, each
// counting for 48 hours, 10 skills, 2 channels: about 22 rows in each of
// the 2,160 hourly items), as GET …/analytics?range=last90 does. It
// reports the items and read units one query takes and the DynamoDB
// requests it makes.
func BenchmarkAccountAnalytics90Days(b *testing.B) {
	ctx := context.Background()
	s, db, counter := newCounted(b)
	const campaigns, days, active = 1000, 90, 48
	end := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	start := end.AddDate(0, 0, -days)
	hours := days * 24
	var rows []parley.CountRow
	for i := range campaigns {
		first := start.Add(time.Duration(i*hours/campaigns) * time.Hour)
		for h := range active {
			at := first.Add(time.Duration(h) * time.Hour)
			if !at.Before(end) {
				break
			}
			row := parley.CountRow{CountKey: parley.CountKey{AccountID: "acct1", Hour: at, CampaignID: fmt.Sprintf("camp%04d", i),
				Skill: fmt.Sprintf("skill%d", i%10), Channel: []parley.Channel{parley.ChannelSMS, parley.ChannelWhatsApp}[i%2]}}
			if h == 0 {
				row.Add(parley.StepAttempted, 1000)
				row.Add(parley.StepEligible, 990)
				row.Add(parley.StepSkipped, 10)
			}
			row.Add(parley.StepSent, 20)
			row.Add(parley.StepDelivered, 19)
			row.Add(parley.StepFailed, 1)
			row.Add(parley.StepResponded, 3)
			row.Add(parley.StepOptedOut, 1)
			rows = append(rows, row)
		}
	}
	if err := s.FoldRows(ctx, "seed", rows, end); err != nil {
		b.Fatal(err)
	}
	q := parley.CountQuery{AccountID: "acct1", From: start, To: end}
	counter.Reset()
	db.items.Store(0)
	var got int
	for b.Loop() {
		out, err := s.CountRows(ctx, q)
		if err != nil {
			b.Fatal(err)
		}
		got = len(out)
	}
	if got != len(rows) {
		b.Fatalf("%d rows read, want %d", got, len(rows))
	}
	var requests int
	var rcu float64
	for op, u := range counter.Usage() {
		if op.Operation == "Query" {
			requests += u.Requests
			rcu += u.Computed.Read
		}
	}
	n := float64(b.N)
	b.ReportMetric(float64(db.items.Load())/n, "items/query")
	b.ReportMetric(float64(requests)/n, "requests/query")
	b.ReportMetric(rcu/n, "RCU/query")
	b.ReportMetric(float64(len(rows)), "rows")
}
