package dialer

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/directory"
	"github.com/parleyhq/parley/internal/parley"
)

// Rule actions.
const (
	ActionCallAgain    = "call_again"
	ActionDelete       = "delete"
	ActionSetParameter = "set_parameter"
)

// MaxCallAgainDelay bounds a call-again rule's delay.
const MaxCallAgainDelay = 30 * 24 * time.Hour

// Rule is evaluated after each call of a contact: when its conditions hold
// it calls the contact again after a delay, deletes it from the campaign,
// or sets one of its parameters.
type Rule struct {
	When         Conditions `json:"when"`
	Action       string     `json:"action"`
	DelayMinutes int        `json:"delayMinutes,omitempty"` // call_again
	Name         string     `json:"name,omitempty"`         // set_parameter
	Value        string     `json:"value,omitempty"`        // set_parameter
}

// Conditions of a rule; every one that is set must hold, and a rule
// without any holds after every call.
type Conditions struct {
	// Connected, when set, is whether a live person was on the call with
	// an operator.
	Connected *bool `json:"connected,omitempty"`
	// Results, when set, are operator's results one of which the call's
	// must be.
	Results []string `json:"results,omitempty"`
	// AttemptsAtLeast and AttemptsAtMost bound the contact's attempts so
	// far, this call included.
	AttemptsAtLeast *int `json:"attemptsAtLeast,omitempty"`
	AttemptsAtMost  *int `json:"attemptsAtMost,omitempty"`
}

func (r Rule) validate(field string) error {
	c := r.When
	if c.AttemptsAtLeast != nil && (*c.AttemptsAtLeast < 1 || *c.AttemptsAtLeast > MaxMaxAttempts) {
		return parley.FieldErrorf(field+".when.attemptsAtLeast", "%d is out of range 1 to %d", *c.AttemptsAtLeast, MaxMaxAttempts)
	}
	if c.AttemptsAtMost != nil && (*c.AttemptsAtMost < 1 || *c.AttemptsAtMost > MaxMaxAttempts) {
		return parley.FieldErrorf(field+".when.attemptsAtMost", "%d is out of range 1 to %d", *c.AttemptsAtMost, MaxMaxAttempts)
	}
	if c.AttemptsAtLeast != nil && c.AttemptsAtMost != nil && *c.AttemptsAtLeast > *c.AttemptsAtMost {
		return parley.FieldErrorf(field+".when", "attemptsAtLeast %d is above attemptsAtMost %d: the rule could never hold", *c.AttemptsAtLeast, *c.AttemptsAtMost)
	}
	for i, res := range c.Results {
		if strings.TrimSpace(res) == "" {
			return parley.FieldErrorf(fmt.Sprintf("%s.when.results[%d]", field, i), "a result cannot be empty")
		}
	}
	switch r.Action {
	case ActionCallAgain:
		if r.DelayMinutes < 0 || time.Duration(r.DelayMinutes)*time.Minute > MaxCallAgainDelay {
			return parley.FieldErrorf(field+".delayMinutes", "%d is out of range; call again after 0 to %d minutes", r.DelayMinutes, int(MaxCallAgainDelay/time.Minute))
		}
	case ActionDelete:
	case ActionSetParameter:
		if !directory.ValidParamName(r.Name) {
			return parley.FieldErrorf(field+".name", "%q is not a parameter name: use 1 to 64 letters, digits, '_', '-' or '.'", r.Name)
		}
		if len(r.Value) > 1000 {
			return parley.FieldErrorf(field+".value", "the value has %d bytes; at most 1000 are allowed", len(r.Value))
		}
	case "":
		return parley.FieldErrorf(field+".action", "choose an action: call_again, delete or set_parameter")
	default:
		return parley.FieldErrorf(field+".action", "%q is not an action; use call_again, delete or set_parameter", r.Action)
	}
	if r.Action != ActionCallAgain && r.DelayMinutes != 0 {
		return parley.FieldErrorf(field+".delayMinutes", "only a call_again rule has a delay")
	}
	if r.Action != ActionSetParameter && (r.Name != "" || r.Value != "") {
		return parley.FieldErrorf(field+".name", "only a set_parameter rule sets a parameter")
	}
	return nil
}

// holds reports whether the conditions hold after a call with outcome o,
// the contact's attempts-th.
func (c Conditions) holds(o CallOutcome, attempts int) bool {
	switch {
	case c.Connected != nil && *c.Connected != o.Connected:
		return false
	case len(c.Results) > 0 && !slices.Contains(c.Results, o.Result):
		return false
	case c.AttemptsAtLeast != nil && attempts < *c.AttemptsAtLeast:
		return false
	case c.AttemptsAtMost != nil && attempts > *c.AttemptsAtMost:
		return false
	}
	return true
}

// EntryStatus is where a contact stands in a campaign.
type EntryStatus string

// The entry statuses.
const (
	EntryWaiting    EntryStatus = "waiting"     // to be called (at NextAttemptAt)
	EntryInProgress EntryStatus = "in_progress" // being called or talked to
	EntryProcessed  EntryStatus = "processed"   // done with
	EntryDeleted    EntryStatus = "deleted"     // removed by a rule
)

// Why an entry was processed without a rule deciding so.
const (
	ReasonNoRule      = "no_rule"      // no call-again or delete rule held
	ReasonMaxAttempts = "max_attempts" // a rule asked to call again, but the attempts are used up
	ReasonNoHours     = "no_hours"     // no calling hours open in the contact's time zones
	ReasonDoNotCall   = "do_not_call"  // the number is on the account's opt-out list
)

// Entry is one contact of a campaign.
type Entry struct {
	ContactID     string            `json:"contactId"`
	Phone         string            `json:"phone"` // E.164
	Status        EntryStatus       `json:"status"`
	Attempts      int               `json:"attempts"`
	NextAttemptAt time.Time         `json:"nextAttemptAt,omitzero"`
	Operator      string            `json:"operator,omitempty"`
	Result        string            `json:"result,omitempty"`
	Connected     bool              `json:"connected"`
	Refused       bool              `json:"refused"`
	Abandoned     bool              `json:"abandoned"`
	Reason        string            `json:"reason,omitempty"`
	Params        map[string]string `json:"params,omitempty"`
	// CallID is the provider id of the call in progress.
	CallID string `json:"callId,omitempty"`
	// OfferedTo is, in preview mode, the operator the entry is offered to
	// (until its call ends, or they skip it).
	OfferedTo string `json:"offeredTo,omitempty"`
	// ClaimedAt is when the entry was claimed for its current call.
	ClaimedAt time.Time `json:"claimedAt,omitzero"`
	// Rev is the entry's revision: each change is written on the condition
	// of the stored one, so that one attempt is claimed once.
	Rev int `json:"rev"`
}

// CallOutcome is how one call of a contact ended.
type CallOutcome struct {
	At time.Time
	// Connected is true when a live person talked to an operator.
	Connected bool
	// Abandoned is true when a live person answered and no operator came
	// within Grace (the recorded message was played).
	Abandoned bool
	// Refused is true when the person declined the call.
	Refused  bool
	Operator string
	Result   string // the operator's result, if they gave one
}

// AfterCall returns e after the call that ended with o: its attempt
// counted, the rules applied in order (every set_parameter that holds; the
// first call_again or delete that holds decides), the next attempt placed
// in the contact's calling hours. A call_again beyond MaxAttempts
// processes the contact instead. An abandoned call that no rule decides is
// called again once its drop lockout has passed (attempts permitting): the
// person answered and was never served. A call again after an abandoned
// call waits out the drop lockout whatever the rule's delay.
func (c Campaign) AfterCall(e Entry, o CallOutcome) Entry {
	e.Attempts++
	e.Connected, e.Abandoned, e.Refused = o.Connected, o.Abandoned, o.Refused
	e.Operator, e.Result, e.Reason = o.Operator, o.Result, ""
	e.NextAttemptAt = time.Time{}
	decided := false
	again := time.Duration(-1)
	for _, r := range c.Rules {
		if !r.When.holds(o, e.Attempts) {
			continue
		}
		switch {
		case r.Action == ActionSetParameter:
			e.Params = setParam(e.Params, r.Name, r.Value)
		case decided:
		case r.Action == ActionDelete:
			decided = true
		case r.Action == ActionCallAgain:
			decided, again = true, time.Duration(r.DelayMinutes)*time.Minute
		}
	}
	switch {
	case decided && again < 0:
		e.Status = EntryDeleted
		return e
	case !decided && o.Abandoned:
		again = 0
	case !decided:
		e.Status, e.Reason = EntryProcessed, ReasonNoRule
		return e
	}
	if e.Attempts >= c.MaxAttempts {
		e.Status, e.Reason = EntryProcessed, ReasonMaxAttempts
		return e
	}
	earliest := o.At.Add(again)
	if o.Abandoned && c.DropLockout > 0 {
		earliest = later(earliest, o.At.Add(c.DropLockout))
	}
	next, ok := c.NextCallTime(e.Phone, earliest)
	if !ok {
		e.Status, e.Reason = EntryProcessed, ReasonNoHours
		return e
	}
	e.Status, e.NextAttemptAt = EntryWaiting, next
	return e
}

// setParam returns params with name set to value, leaving params as it was.
func setParam(params map[string]string, name, value string) map[string]string {
	out := maps.Clone(params)
	if out == nil {
		out = map[string]string{}
	}
	out[name] = value
	return out
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// Callable reports whether e may be called at now: waiting and due,
// attempts left, not on the do-not-call list (optOuts are the account's
// entries for e's number), and inside the calling hours in every time zone
// of the number. The reason says why not.
func (c Campaign) Callable(e Entry, now time.Time, optOuts []parley.OptOut) (ok bool, reason string) {
	switch {
	case c.State != CampaignActive:
		return false, "campaign " + string(c.State)
	case e.Status != EntryWaiting:
		return false, string(e.Status)
	case e.NextAttemptAt.After(now):
		return false, "not due"
	case e.Attempts >= c.MaxAttempts:
		return false, ReasonMaxAttempts
	case DoNotCall(optOuts):
		return false, ReasonDoNotCall
	}
	if next, ok := c.NextCallTime(e.Phone, now); !ok || next.After(now) {
		return false, ReasonNoHours
	}
	return true, ""
}

// DoNotCall reports whether any of a number's opt-out entries bars calls.
func DoNotCall(optOuts []parley.OptOut) bool {
	for _, o := range optOuts {
		if o.Covers(ChannelVoice) {
			return true
		}
	}
	return false
}

// Counts are a campaign's contacts by where they stand.
type Counts struct {
	Processed  int `json:"processed"`
	Waiting    int `json:"waiting"`
	InProgress int `json:"inProgress"`
	Deleted    int `json:"deleted"`
	Connected  int `json:"connected"`
	Abandoned  int `json:"abandoned"`
}

// Add counts e.
func (n *Counts) Add(e Entry) {
	switch e.Status {
	case EntryProcessed:
		n.Processed++
	case EntryWaiting:
		n.Waiting++
	case EntryInProgress:
		n.InProgress++
	case EntryDeleted:
		n.Deleted++
	}
	if e.Connected {
		n.Connected++
	}
	if e.Abandoned {
		n.Abandoned++
	}
}

// Done reports whether a campaign with these counts has reached goal: all
// contacts processed (or deleted) for GoalAllProcessed; never for
// GoalEndless.
func (n Counts) Done(goal Goal) bool {
	return goal == GoalAllProcessed && n.Waiting == 0 && n.InProgress == 0
}
