package awscost_test

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"
)

// timer is an SDK middleware that adds up how long the emulator takes to
// answer each operation (a Query by the index it reads, if any): a diagnosis of where a run's wall time goes,
// which the cost model never reads.
type timer struct {
	mu    sync.Mutex
	spent map[string]timing
}

// timing is one operation's calls and their total and slowest durations.
type timing struct {
	calls          int
	total, slowest time.Duration
}

// add returns the calls of s and u together.
func (s timing) add(u timing) timing {
	return timing{calls: s.calls + u.calls, total: s.total + u.total, slowest: max(s.slowest, u.slowest)}
}

// attach adds the timer to cfg's API options.
func (t *timer) attach(cfg *aws.Config) {
	cfg.APIOptions = append(cfg.APIOptions, func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("awscost.Timer", t.initialize), middleware.After)
	})
}

func (t *timer) initialize(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	start := time.Now()
	out, md, err := next.HandleInitialize(ctx, in)
	d := time.Since(start)
	op := awsmiddleware.GetServiceID(ctx) + "." + awsmiddleware.GetOperationName(ctx)
	if q, ok := in.Parameters.(*dynamodb.QueryInput); ok && q.IndexName != nil {
		op += " [" + *q.IndexName + "]"
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.spent == nil {
		t.spent = map[string]timing{}
	}
	s := t.spent[op]
	s.calls++
	s.total += d
	s.slowest = max(s.slowest, d)
	t.spent[op] = s
	return out, md, err
}

// take returns what the timer saw since the last take, and forgets it.
func (t *timer) take() map[string]timing {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := t.spent
	t.spent = nil
	return out
}

// writeTimings writes the timings of each phase, slowest operation first.
func writeTimings(w io.Writer, phases []string, spent map[string]map[string]timing) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "phase\toperation\tcalls\ttotal\tmean\tslowest\t\n")
	for _, phase := range phases {
		ops := spent[phase]
		names := make([]string, 0, len(ops))
		for op := range ops {
			names = append(names, op)
		}
		slices.SortFunc(names, func(x, y string) int { return cmp.Compare(ops[y].total, ops[x].total) })
		for _, op := range names {
			s := ops[op]
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t\n", phase, op, s.calls, s.total.Round(time.Millisecond),
				(s.total / time.Duration(s.calls)).Round(10*time.Microsecond), s.slowest.Round(time.Millisecond))
		}
	}
	return tw.Flush()
}
