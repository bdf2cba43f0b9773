package sandbox

import (
	"fmt"
	"slices"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// Fault kinds, named as the API takes them.
var faultKinds = map[string]parley.FailKind{
	"fail":       parley.FailPermanent,
	"error":      parley.FailTransient,
	"throttle":   parley.FailThrottled,
	"ineligible": parley.FailIneligible,
}

// defaultCodes are the provider codes a fault reports when it names none.
var defaultCodes = map[string]string{
	"fail": "21211", "error": "SANDBOX_UNAVAILABLE", "throttle": "20429", "ineligible": "131026",
}

// MaxFaults bounds the faults in force for one account.
const MaxFaults = 50

// Fault makes the sandbox refuse matching messages.
type Fault struct {
	// AccountID is the account whose messages the fault refuses; the
	// API sets it to the caller's. Empty (tests only) matches any.
	AccountID string         `json:"accountId,omitempty"`
	To        string         `json:"to,omitempty"`      // E.164 number or consumer id; empty: any
	Channel   parley.Channel `json:"channel,omitempty"` // empty: any
	Kind      string         `json:"kind"`              // fail, error, throttle or ineligible
	Code      string         `json:"code,omitempty"`    // the provider code reported
	// Times is how many sends the fault refuses; 0 means until cleared.
	Times int `json:"times,omitempty"`
	// RetryAfter is what a throttle fault asks for, in seconds.
	RetryAfter int `json:"retryAfter,omitempty"`
}

// Inject adds a fault and returns it as it is in force. It is EINVALID
// when the kind is unknown, and ECONFLICT when the account has MaxFaults in
// force already.
func (g *Gateway) Inject(f Fault) (Fault, error) {
	if _, ok := faultKinds[f.Kind]; !ok {
		return Fault{}, parley.FieldErrorf("kind", "kind %q is not one of fail, error, throttle, ineligible", f.Kind)
	}
	if f.Times < 0 || f.RetryAfter < 0 {
		return Fault{}, parley.FieldErrorf("times", "times and retryAfter cannot be negative")
	}
	if f.Code == "" {
		f.Code = defaultCodes[f.Kind]
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.faultsOf(f.AccountID)) >= MaxFaults {
		return Fault{}, parley.Errorf(parley.ECONFLICT, "account %s has %d sandbox faults in force, the most there may be: DELETE /sandbox/faults clears them", f.AccountID, MaxFaults)
	}
	g.faults = append(g.faults, f)
	return f, nil
}

// Faults lists the account's faults in force.
func (g *Gateway) Faults(accountID string) []Fault {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.faultsOf(accountID)
}

func (g *Gateway) faultsOf(accountID string) []Fault {
	out := []Fault{}
	for _, f := range g.faults {
		if f.AccountID == accountID {
			out = append(out, f)
		}
	}
	return out
}

// ClearFaults removes the account's faults.
func (g *Gateway) ClearFaults(accountID string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.faults = slices.DeleteFunc(g.faults, func(f Fault) bool { return f.AccountID == accountID })
}

// fault returns the error of the first fault matching m, using one of its
// times.
func (g *Gateway) fault(m parley.Message) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	i := slices.IndexFunc(g.faults, func(f Fault) bool {
		return (f.AccountID == "" || f.AccountID == m.AccountID) && (f.To == "" || f.To == m.To) && (f.Channel == "" || f.Channel == m.Channel)
	})
	if i < 0 {
		return nil
	}
	f := g.faults[i]
	if f.Times > 0 {
		if g.faults[i].Times--; g.faults[i].Times == 0 {
			g.faults = slices.Delete(g.faults, i, i+1)
		}
	}
	return &parley.SendError{
		Provider: string(Name), Code: f.Code, Kind: faultKinds[f.Kind],
		Reason:     fmt.Sprintf("sandbox fault %q for %s on %s", f.Kind, m.To, m.Channel),
		RetryAfter: time.Duration(f.RetryAfter) * time.Second,
	}
}
