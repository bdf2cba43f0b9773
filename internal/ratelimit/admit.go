package ratelimit

import (
	"context"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// apiChannel is the key channel of the API call budgets Gate keeps, apart
// from every messaging channel.
const apiChannel parley.Channel = "api"

// Gate admits an account's calls of one kind at Limit, across every
// process that shares Limiter: a call whose slot is not due yet is refused
// with ETOOMANY and the wait until it would be admitted (Retry-After). A
// refused call takes no slot, so refusals never lengthen the wait, and a
// client that honours Retry-After is admitted.
type Gate struct {
	Limiter Admitter
	Limit   Limit
	Clock   parley.Clock
	// Name tells this gate's calls apart from other gates' (e.g.
	// "campaign-create").
	Name string
}

// Admit takes a slot of accountID's budget, or refuses the call.
func (g *Gate) Admit(ctx context.Context, accountID string) error {
	ok, at, err := g.Limiter.Admit(ctx, Key{AccountID: accountID, Channel: apiChannel, Sender: g.Name}, g.Limit, 1)
	if err != nil || ok {
		return err
	}
	wait := max(at.Sub(g.Clock.Now()), time.Millisecond)
	return parley.TooMany(wait, "account %s may make %g %s calls a second; retry in %s", accountID, g.Limit.Rate, g.Name, wait.Round(time.Millisecond))
}
