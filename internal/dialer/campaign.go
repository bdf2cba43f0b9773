package dialer

import (
	"cmp"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parleyhq/parley/internal/directory"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/phone"
	"github.com/parleyhq/parley/internal/tz"
	"github.com/parleyhq/parley/internal/window"
)

// ChannelVoice is the channel of telephone campaigns on the opt-out list
// (see parley.ChannelVoice).
const ChannelVoice = parley.ChannelVoice

// Goal says when a telephone campaign is done.
type Goal string

// The goals.
const (
	// GoalAllProcessed ends the campaign when its last contact is processed.
	GoalAllProcessed Goal = "all_processed"
	// GoalEndless keeps the campaign running: contacts may be added at any
	// time through the API.
	GoalEndless Goal = "endless"
)

// State of a telephone campaign.
type CampaignState string

// The campaign states. Only an active campaign places calls; a terminated
// or completed one never does again.
const (
	CampaignActive     CampaignState = "active"
	CampaignSuspended  CampaignState = "suspended"
	CampaignTerminated CampaignState = "terminated"
	CampaignCompleted  CampaignState = "completed"
)

// Defaults and bounds of a telephone campaign's settings.
const (
	DefaultPickupPercent = 50
	DefaultMaxAttempts   = 3
	MaxMaxAttempts       = 20
	DefaultDropLockout   = 72 * time.Hour
	MaxBCWSeconds        = 600
	MaxCallerIDs         = 50
	MaxRules             = 50
	MaxNameLength        = 200
	// DefaultPhoneField is the contact field whose number is called.
	DefaultPhoneField = directory.FieldPhone
)

// Campaign is a telephone campaign: contacts of the directory, selected by a
// saved filter, called in one mode and routed to one operator group.
type Campaign struct {
	AccountID string `json:"accountId"`
	ID        string `json:"id"`
	Name      string `json:"name"`
	Mode      Mode   `json:"mode"`
	// BCW is, in preview mode, the time from an operator's acceptance of a
	// contact to the dialing of its number.
	BCW time.Duration `json:"bcw"`
	// PickupPercent is, in predictive mode, the initial estimate of the
	// share of calls that a live person answers: 50 means two dials per
	// Online operator at start.
	PickupPercent int    `json:"pickupPercent"`
	OperatorGroup string `json:"operatorGroup"`
	Goal          Goal   `json:"goal"`
	// FilterID is the saved contact filter that selects the campaign's
	// contacts; empty means every contact of the directory.
	FilterID string `json:"filterId,omitempty"`
	// PhoneField is the contact field whose number is called: "phone" or
	// "param:<name>".
	PhoneField string `json:"phoneField"`
	// Hours are the calling hours, in each contact's own time zone.
	Hours window.Window `json:"hours"`
	// CallerIDs are the numbers calls are placed from, in rotation.
	CallerIDs   []string `json:"callerIds"`
	MaxAttempts int      `json:"maxAttempts"`
	// DropLockout is how long an abandoned contact is not called again;
	// zero when the lockout is off.
	DropLockout time.Duration `json:"dropLockout"`
	Rules       []Rule        `json:"rules,omitempty"`
	// Script is the call script its operators fill in, if any.
	Script *Script       `json:"script,omitempty"`
	State  CampaignState `json:"state"`
	// ClonedFrom is the campaign this one was created from, if any.
	ClonedFrom string    `json:"clonedFrom,omitempty"`
	CreatedAt  time.Time `json:"createdAt"`
}

// PacerConfig is the campaign's configuration as the pacer reads it.
func (c Campaign) PacerConfig(detectorHumanLoss float64) Config {
	return Config{Mode: c.Mode, InitialPickup: float64(c.PickupPercent) / 100, DetectorHumanLoss: detectorHumanLoss}
}

// CallerID returns the caller id of the n-th call the campaign places.
func (c Campaign) CallerID(n uint64) string {
	if len(c.CallerIDs) == 0 {
		return ""
	}
	return c.CallerIDs[n%uint64(len(c.CallerIDs))]
}

// CallerIDFor returns the caller id of a contact's attempt: the ids in
// rotation from a place the contact id picks, so that the campaign's calls
// spread over them and each attempt of a contact comes from the next.
func (c Campaign) CallerIDFor(contactID string, attempt int) string {
	h := fnv.New64a()
	h.Write([]byte(contactID))
	return c.CallerID(h.Sum64() + uint64(max(attempt, 0)))
}

// NextCallTime returns the first instant at or after earliest when the
// campaign's calling hours are open in every time zone number may be in.
// ok is false when no zone is known for the number or the hours never open
// in all of its zones at once.
func (c Campaign) NextCallTime(number string, earliest time.Time) (time.Time, bool) {
	names := tz.Names(number)
	if names == nil {
		return time.Time{}, false
	}
	locs, err := tz.Locations(names)
	if err != nil {
		return time.Time{}, false
	}
	return c.hours().Next(earliest, locs)
}

func (c Campaign) hours() window.Window {
	if c.Hours == (window.Window{}) {
		return window.Default
	}
	return c.Hours
}

// Draft is a telephone campaign as the API creates it.
type Draft struct {
	Name          string   `json:"name"`
	Mode          Mode     `json:"mode"`
	BCWSeconds    *int     `json:"bcwSeconds,omitempty"`
	PickupPercent *int     `json:"pickupRate,omitempty"`
	OperatorGroup string   `json:"operatorGroup"`
	Goal          Goal     `json:"goal,omitempty"`
	Contacts      Source   `json:"contacts"`
	CallingHours  *Hours   `json:"callingHours,omitempty"`
	CallerIDs     []string `json:"callerIds"`
	MaxAttempts   *int     `json:"maxAttempts,omitempty"`
	DropLockout   *Lockout `json:"dropLockout,omitempty"`
	Rules         []Rule   `json:"rules,omitempty"`
	Script        *Script  `json:"script,omitempty"`
}

// Source selects the campaign's contacts.
type Source struct {
	FilterID   string `json:"filterId,omitempty"`
	PhoneField string `json:"phoneField,omitempty"`
}

// Hours are calling hours as the API carries them.
type Hours struct {
	Start string   `json:"start"`
	End   string   `json:"end"`
	Days  []string `json:"days,omitempty"`
}

// Lockout is the drop lockout as the API carries it.
type Lockout struct {
	Enabled bool `json:"enabled"`
	Hours   *int `json:"hours,omitempty"`
}

// NewCampaign validates d and returns the campaign it describes, with the
// defaults filled in. Every error is a parley.Error naming its field.
func NewCampaign(accountID, id string, d Draft, now time.Time) (Campaign, error) {
	c := Campaign{
		AccountID: accountID, ID: id, Name: strings.TrimSpace(d.Name), Mode: d.Mode,
		OperatorGroup: strings.TrimSpace(d.OperatorGroup), Goal: cmp.Or(d.Goal, GoalAllProcessed),
		FilterID: d.Contacts.FilterID, PhoneField: cmp.Or(d.Contacts.PhoneField, DefaultPhoneField),
		Hours: window.Default, MaxAttempts: DefaultMaxAttempts, Rules: d.Rules, Script: d.Script,
		State: CampaignActive, CreatedAt: now,
	}
	switch n := utf8.RuneCountInString(c.Name); {
	case n == 0:
		return Campaign{}, parley.FieldErrorf("name", "a campaign needs a name")
	case n > MaxNameLength:
		return Campaign{}, parley.FieldErrorf("name", "the name has %d characters; at most %d are allowed", n, MaxNameLength)
	}
	if err := c.setMode(d); err != nil {
		return Campaign{}, err
	}
	if c.OperatorGroup == "" {
		return Campaign{}, parley.FieldErrorf("operatorGroup", "name the operator group the campaign's calls are routed to")
	}
	if c.Goal != GoalAllProcessed && c.Goal != GoalEndless {
		return Campaign{}, parley.FieldErrorf("goal", "%q is not a goal; use all_processed or endless", d.Goal)
	}
	if err := ValidPhoneField("contacts.phoneField", c.PhoneField); err != nil {
		return Campaign{}, err
	}
	if h := d.CallingHours; h != nil {
		w, err := window.Parse("callingHours", h.Start, h.End, h.Days)
		if err != nil {
			if fe, ok := errors.AsType[*window.FieldError](err); ok {
				return Campaign{}, parley.FieldErrorf(fe.Field, "%s", fe.Message)
			}
			return Campaign{}, parley.FieldErrorf("callingHours", "%v", err)
		}
		c.Hours = w
	}
	ids, err := callerIDs(d.CallerIDs)
	if err != nil {
		return Campaign{}, err
	}
	c.CallerIDs = ids
	if d.MaxAttempts != nil {
		if *d.MaxAttempts < 1 || *d.MaxAttempts > MaxMaxAttempts {
			return Campaign{}, parley.FieldErrorf("maxAttempts", "%d is out of range; allow 1 to %d attempts per contact", *d.MaxAttempts, MaxMaxAttempts)
		}
		c.MaxAttempts = *d.MaxAttempts
	}
	if l := d.DropLockout; l != nil && l.Enabled {
		c.DropLockout = DefaultDropLockout
		if l.Hours != nil {
			if *l.Hours < 1 || *l.Hours > 24*30 {
				return Campaign{}, parley.FieldErrorf("dropLockout.hours", "%d is out of range; use 1 to 720 hours", *l.Hours)
			}
			c.DropLockout = time.Duration(*l.Hours) * time.Hour
		}
	}
	if len(c.Rules) > MaxRules {
		return Campaign{}, parley.FieldErrorf("rules", "%d rules; at most %d are allowed", len(c.Rules), MaxRules)
	}
	for i := range c.Rules {
		if err := c.Rules[i].validate(fmt.Sprintf("rules[%d]", i)); err != nil {
			return Campaign{}, err
		}
	}
	if err := c.Script.validate("script"); err != nil {
		return Campaign{}, err
	}
	return c, nil
}

func (c *Campaign) setMode(d Draft) error {
	switch d.Mode {
	case ModePreview:
		if d.PickupPercent != nil {
			return parley.FieldErrorf("pickupRate", "a preview campaign has no pickup rate; it dials after each operator's BCW")
		}
		if d.BCWSeconds != nil {
			if *d.BCWSeconds < 0 || *d.BCWSeconds > MaxBCWSeconds {
				return parley.FieldErrorf("bcwSeconds", "%d is out of range; use 0 to %d seconds", *d.BCWSeconds, MaxBCWSeconds)
			}
			c.BCW = time.Duration(*d.BCWSeconds) * time.Second
		}
	case ModeProgressive, ModePredictive:
		if d.BCWSeconds != nil {
			return parley.FieldErrorf("bcwSeconds", "only a preview campaign has a BCW time")
		}
		if d.PickupPercent != nil && d.Mode == ModeProgressive {
			return parley.FieldErrorf("pickupRate", "only a predictive campaign has a pickup rate")
		}
		if d.Mode == ModePredictive {
			c.PickupPercent = DefaultPickupPercent
			if d.PickupPercent != nil {
				if *d.PickupPercent < 1 || *d.PickupPercent > 100 {
					return parley.FieldErrorf("pickupRate", "%d is out of range; give the expected answered share as a percentage from 1 to 100", *d.PickupPercent)
				}
				c.PickupPercent = *d.PickupPercent
			}
		}
	case "":
		return parley.FieldErrorf("mode", "choose a mode: preview, progressive or predictive")
	default:
		return parley.FieldErrorf("mode", "%q is not a mode; use preview, progressive or predictive", d.Mode)
	}
	return nil
}

func callerIDs(raw []string) ([]string, error) {
	switch {
	case len(raw) == 0:
		return nil, parley.FieldErrorf("callerIds", "give at least one number to call from")
	case len(raw) > MaxCallerIDs:
		return nil, parley.FieldErrorf("callerIds", "%d numbers; at most %d are allowed", len(raw), MaxCallerIDs)
	}
	out := make([]string, 0, len(raw))
	seen := map[string]int{}
	for i, r := range raw {
		e164, ok := phone.Normalize(r)
		if !ok {
			return nil, parley.FieldErrorf(fmt.Sprintf("callerIds[%d]", i), "%q is not a valid phone number in E.164 form", r)
		}
		if j, dup := seen[e164]; dup {
			return nil, parley.FieldErrorf(fmt.Sprintf("callerIds[%d]", i), "%s repeats callerIds[%d]", e164, j)
		}
		seen[e164] = i
		out = append(out, e164)
	}
	return out, nil
}

// ValidPhoneField checks a contact field name that holds a number: "phone"
// or "param:<name>".
func ValidPhoneField(field, name string) error {
	if name == directory.FieldEmail || name == directory.FieldName || directory.ValidField(field, name) != nil {
		return parley.FieldErrorf(field, "%q is not a contact field that holds a number; use phone or param:<name>", name)
	}
	return nil
}

// Clone returns a new active campaign with c's settings, as "create a
// campaign" from an existing one does.
func (c Campaign) Clone(id, name string, now time.Time) Campaign {
	out := c
	out.ID, out.Name, out.State, out.ClonedFrom, out.CreatedAt = id, cmp.Or(name, c.Name), CampaignActive, c.ID, now
	out.CallerIDs = append([]string(nil), c.CallerIDs...)
	out.Rules = append([]Rule(nil), c.Rules...)
	return out
}

// Transition returns the state c moves to when a manager asks for action
// ("suspend", "resume" or "terminate"), or an ECONFLICT error when c's state
// does not allow it.
func (c Campaign) Transition(action string) (CampaignState, error) {
	switch {
	case action == "suspend" && c.State == CampaignActive:
		return CampaignSuspended, nil
	case action == "resume" && c.State == CampaignSuspended:
		return CampaignActive, nil
	case action == "terminate" && (c.State == CampaignActive || c.State == CampaignSuspended):
		return CampaignTerminated, nil
	case action != "suspend" && action != "resume" && action != "terminate":
		return "", parley.FieldErrorf("action", "%q is not an action; use suspend, resume or terminate", action)
	}
	return "", parley.Errorf(parley.ECONFLICT, "campaign %s is %s; it cannot %s", c.ID, c.State, action)
}
