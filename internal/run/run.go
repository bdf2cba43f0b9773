// Package run holds the two concurrency helpers the services share: a
// sleep that ends with its context, and a bounded pool that calls a
// function for each of a list of items. It depends on the standard library
// only.
package run

import (
	"context"
	"sync"
	"time"
)

// Sleep waits for d, or until ctx is done, whichever comes first. It
// returns ctx.Err() when ctx is done (at once if it already is, whatever
// d), else nil once d has passed; d <= 0 does not wait.
//
// Sleep runs on the wall clock: a caller with an injected parley.Clock
// measures d with it (slot.Sub(clock.Now())) and sleeps that long.
func Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Each calls fn for every item, at most n at a time (n < 1 counts as 1),
// and waits for the calls it started. The first error fn returns is
// Each's: the context the running calls were given is cancelled, and no
// further item is started. When ctx ends first, the items not yet started
// are skipped and Each returns ctx.Err(); it also does when ctx ended after
// the last item started.
func Each[T any](ctx context.Context, n int, items []T, fn func(ctx context.Context, item T) error) error {
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	slots := make(chan struct{}, max(n, 1))
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for _, item := range items {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-slots }()
			if err := fn(ctx, item); err != nil {
				once.Do(func() { first = err; cancel() })
			}
		})
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return parent.Err()
}
