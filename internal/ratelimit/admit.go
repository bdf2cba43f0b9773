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
// with ETOOMANY and the wait (Retry-After). A refused call keeps its slot,
// so a client that retries faster than it is told waits longer; one that
// honours Retry-After gets the full rate.
type Gate struct {
	Limiter Limiter
	Limit   Limit
	Clock   parley.Clock
	// Name tells this gate's calls apart from other gates' (e.g.
	// "campaign-create").
	Name string
}

// Admit takes a slot of accountID's budget, or refuses the call.
func (g *Gate) Admit(ctx context.Context, accountID string) error {
	at, err := g.Limiter.Reserve(ctx, Key{AccountID: accountID, Channel: apiChannel, Sender: g.Name}, g.Limit, 1)
	if err != nil {
		return err
	}
	if wait := at.Sub(g.Clock.Now()); wait > 0 {
		return parley.TooMany(wait, "account %s may make %g %s calls a second; retry in %s", accountID, g.Limit.Rate, g.Name, wait.Round(time.Millisecond))
	}
	return nil
}
