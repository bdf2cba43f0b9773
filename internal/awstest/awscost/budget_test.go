package awscost_test

import (
	"os"
	"strings"
	"testing"
)

// budget is the most the flow may cost from intake to DELIVERED (the fold
// of the table's stream included, lifecycle events on no EventBridge bus,
// as a stack deploys by default), in dollars per million recipients at
// on-demand prices: the figure measured when it was set (2.145 at 6,000
// recipients, 2.112 at 600), rounded up by about 5%. Every change that
// lowers the cost lowers the budget with it.
const budget = 2.25

// sizeSpread is how much more a recipient may cost at one size of the run
// than at another: the cost per recipient must not grow with the run.
const sizeSpread = 0.05

// TestCostBudget runs the measured flow of BenchmarkCostPerRecipient at 600
// and at 6,000 recipients on moto_server (some minutes; set PARLEY_COST=1)
// and fails when either costs more than budget per recipient, or the two
// differ by more than sizeSpread. It counts requests, units and events,
// never time.
func TestCostBudget(t *testing.T) {
	if os.Getenv("PARLEY_COST") != "1" {
		t.Skip("set PARLEY_COST=1 to run the cost flow at 600 and 6,000 recipients on moto_server")
	}
	sizes := []struct {
		name      string
		campaigns int
	}{
		{"600 recipients", 6},
		{"6,000 recipients", 60},
	}
	var costs []float64
	for _, size := range sizes {
		m := measure(t, size.campaigns)
		var table strings.Builder
		m.write(t, &table)
		cost := delivered(m.bill())
		t.Logf("%s: delivered $%.4f per million recipients\n%s", size.name, cost, table.String())
		if cost > budget {
			t.Errorf("%s cost $%.4f per million recipients to DELIVERED, over the budget of $%.2f", size.name, cost, budget)
		}
		costs = append(costs, cost)
	}
	lo, hi := costs[0], costs[0]
	for _, c := range costs[1:] {
		lo, hi = min(lo, c), max(hi, c)
	}
	if hi > lo*(1+sizeSpread) {
		t.Errorf("the cost per recipient grows with the run: $%.4f to $%.4f per million recipients across %d sizes, more than %.0f%% apart", lo, hi, len(sizes), 100*sizeSpread)
	}
}
