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

// Fault makes the sandbox refuse matching messages.
type Fault struct {
	To      string         `json:"to,omitempty"`      // E.164 number or consumer id; empty: any
	Channel parley.Channel `json:"channel,omitempty"` // empty: any
	Kind    string         `json:"kind"`              // fail, error, throttle or ineligible
	Code    string         `json:"code,omitempty"`    // the provider code reported
	// Times is how many sends the fault refuses; 0 means until cleared.
	Times int `json:"times,omitempty"`
	// RetryAfter is what a throttle fault asks for, in seconds.
	RetryAfter int `json:"retryAfter,omitempty"`
}

// Inject adds a fault. It is EINVALID when the kind is unknown.
func (g *Gateway) Inject(f Fault) error {
	if _, ok := faultKinds[f.Kind]; !ok {
		return parley.FieldErrorf("kind", "kind %q is not one of fail, error, throttle, ineligible", f.Kind)
	}
	if f.Times < 0 || f.RetryAfter < 0 {
		return parley.FieldErrorf("times", "times and retryAfter cannot be negative")
	}
	if f.Code == "" {
		f.Code = defaultCodes[f.Kind]
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.faults = append(g.faults, f)
	return nil
}

// Faults lists the faults in force.
func (g *Gateway) Faults() []Fault {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]Fault{}, g.faults...)
}

// ClearFaults removes every fault.
func (g *Gateway) ClearFaults() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.faults = nil
}

// fault returns the error of the first fault matching m, using one of its
// times.
func (g *Gateway) fault(m parley.Message) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	i := slices.IndexFunc(g.faults, func(f Fault) bool {
		return (f.To == "" || f.To == m.To) && (f.Channel == "" || f.Channel == m.Channel)
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
		Provider: "sandbox", Code: f.Code, Kind: faultKinds[f.Kind],
		Reason:     fmt.Sprintf("sandbox fault %q for %s on %s", f.Kind, m.To, m.Channel),
		RetryAfter: time.Duration(f.RetryAfter) * time.Second,
	}
}
