package dialer

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/window"
)

const newYork = "+12015550123" // America/New_York

// localNoon returns noon of a Wednesday a week or two from now in zone,
// so the tests hold whatever the date.
func localNoon(t *testing.T, zone string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	d := time.Now().In(loc).AddDate(0, 0, 7)
	for d.Weekday() != time.Wednesday {
		d = d.AddDate(0, 0, 1)
	}
	return time.Date(d.Year(), d.Month(), d.Day(), 12, 0, 0, 0, loc)
}

func intp(n int) *int    { return &n }
func boolp(b bool) *bool { return &b }

func validDraft() Draft {
	return Draft{Name: "Renewals", Mode: ModePredictive, OperatorGroup: "sales", CallerIDs: []string{"+12125550123", "+16505550100"}}
}

func TestNewCampaignDefaults(t *testing.T) {
	now := localNoon(t, "UTC")
	c, err := NewCampaign("acct", "c1", validDraft(), now)
	if err != nil {
		t.Fatal(err)
	}
	if c.PickupPercent != DefaultPickupPercent || c.Goal != GoalAllProcessed || c.PhoneField != "phone" ||
		c.Hours != window.Default || c.MaxAttempts != DefaultMaxAttempts || c.DropLockout != 0 || c.State != CampaignActive {
		t.Errorf("defaults: %+v", c)
	}
	if cfg := c.PacerConfig(0.01); cfg.InitialPickup != 0.5 || cfg.Mode != ModePredictive {
		t.Errorf("pacer config %+v, want predictive at 0.5", cfg)
	}

	d := validDraft()
	d.Mode, d.BCWSeconds = ModePreview, intp(15)
	d.DropLockout = &Lockout{Enabled: true}
	d.CallingHours = &Hours{Start: "09:00", End: "17:30", Days: []string{"MON", "FRI"}}
	d.Contacts = Source{FilterID: "f1", PhoneField: "param:mobile"}
	c, err = NewCampaign("acct", "c2", d, now)
	if err != nil {
		t.Fatal(err)
	}
	if c.BCW != 15*time.Second || c.DropLockout != DefaultDropLockout || c.Hours.Start != 9*60 || c.Hours.End != 17*60+30 ||
		!c.Hours.Days[time.Monday] || c.Hours.Days[time.Tuesday] || c.PhoneField != "param:mobile" || c.FilterID != "f1" {
		t.Errorf("preview campaign: %+v", c)
	}
}

func TestNewCampaignErrors(t *testing.T) {
	cases := []struct {
		field string
		edit  func(*Draft)
	}{
		{"name", func(d *Draft) { d.Name = " " }},
		{"name", func(d *Draft) { d.Name = strings.Repeat("x", MaxNameLength+1) }},
		{"mode", func(d *Draft) { d.Mode = "" }},
		{"mode", func(d *Draft) { d.Mode = "robo" }},
		{"bcwSeconds", func(d *Draft) { d.BCWSeconds = intp(10) }},
		{"bcwSeconds", func(d *Draft) { d.Mode, d.BCWSeconds = ModePreview, intp(MaxBCWSeconds+1) }},
		{"pickupRate", func(d *Draft) { d.PickupPercent = intp(0) }},
		{"pickupRate", func(d *Draft) { d.PickupPercent = intp(101) }},
		{"pickupRate", func(d *Draft) { d.Mode, d.PickupPercent = ModePreview, intp(50) }},
		{"pickupRate", func(d *Draft) { d.Mode, d.PickupPercent = ModeProgressive, intp(50) }},
		{"operatorGroup", func(d *Draft) { d.OperatorGroup = "" }},
		{"goal", func(d *Draft) { d.Goal = "forever" }},
		{"contacts.phoneField", func(d *Draft) { d.Contacts.PhoneField = "email" }},
		{"contacts.phoneField", func(d *Draft) { d.Contacts.PhoneField = "param:" }},
		{"callingHours.start", func(d *Draft) { d.CallingHours = &Hours{Start: "8am", End: "21:00"} }},
		{"callingHours", func(d *Draft) { d.CallingHours = &Hours{Start: "21:00", End: "08:00"} }},
		{"callingHours.days[1]", func(d *Draft) { d.CallingHours = &Hours{Start: "08:00", End: "21:00", Days: []string{"MON", "Funday"}} }},
		{"callerIds", func(d *Draft) { d.CallerIDs = nil }},
		{"callerIds[1]", func(d *Draft) { d.CallerIDs = []string{"+12125550123", "12"} }},
		{"callerIds[1]", func(d *Draft) { d.CallerIDs = []string{"+12125550123", "+1 212 555 0123"} }},
		{"maxAttempts", func(d *Draft) { d.MaxAttempts = intp(0) }},
		{"maxAttempts", func(d *Draft) { d.MaxAttempts = intp(MaxMaxAttempts + 1) }},
		{"dropLockout.hours", func(d *Draft) { d.DropLockout = &Lockout{Enabled: true, Hours: intp(0)} }},
		{"rules[0].action", func(d *Draft) { d.Rules = []Rule{{}} }},
		{"rules[0].action", func(d *Draft) { d.Rules = []Rule{{Action: "hang_up"}} }},
		{"rules[0].delayMinutes", func(d *Draft) { d.Rules = []Rule{{Action: ActionCallAgain, DelayMinutes: -1}} }},
		{"rules[0].delayMinutes", func(d *Draft) { d.Rules = []Rule{{Action: ActionDelete, DelayMinutes: 5}} }},
		{"rules[1].name", func(d *Draft) {
			d.Rules = []Rule{{Action: ActionDelete}, {Action: ActionSetParameter, Name: "bad name"}}
		}},
		{"rules[0].name", func(d *Draft) { d.Rules = []Rule{{Action: ActionDelete, Name: "x"}} }},
		{"rules[0].when.attemptsAtLeast", func(d *Draft) {
			d.Rules = []Rule{{Action: ActionDelete, When: Conditions{AttemptsAtLeast: intp(0)}}}
		}},
		{"rules[0].when", func(d *Draft) {
			d.Rules = []Rule{{Action: ActionDelete, When: Conditions{AttemptsAtLeast: intp(3), AttemptsAtMost: intp(2)}}}
		}},
		{"rules[0].when.results[0]", func(d *Draft) {
			d.Rules = []Rule{{Action: ActionDelete, When: Conditions{Results: []string{" "}}}}
		}},
	}
	for _, c := range cases {
		d := validDraft()
		c.edit(&d)
		_, err := NewCampaign("acct", "c1", d, time.Now())
		if parley.ErrorCode(err) != parley.EINVALID || parley.ErrorField(err) != c.field {
			t.Errorf("want an invalid %s, got %v", c.field, err)
		}
	}
}

func TestDraftJSON(t *testing.T) {
	body := `{"name":"Win-back","mode":"preview","bcwSeconds":20,"operatorGroup":"retention","goal":"endless",
	  "contacts":{"filterId":"lapsed","phoneField":"phone"},"callingHours":{"start":"10:00","end":"18:00"},
	  "callerIds":["+12125550123"],"maxAttempts":5,"dropLockout":{"enabled":true,"hours":48},
	  "rules":[{"when":{"connected":false,"attemptsAtMost":4},"action":"call_again","delayMinutes":120}]}`
	var d Draft
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		t.Fatal(err)
	}
	c, err := NewCampaign("acct", "c1", d, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if c.Goal != GoalEndless || c.BCW != 20*time.Second || c.MaxAttempts != 5 || c.DropLockout != 48*time.Hour ||
		len(c.Rules) != 1 || *c.Rules[0].When.Connected || c.Rules[0].DelayMinutes != 120 {
		t.Errorf("decoded campaign %+v", c)
	}
}

func TestCallerIDRotation(t *testing.T) {
	c := Campaign{CallerIDs: []string{"+1", "+2", "+3"}}
	var got []string
	for n := range uint64(5) {
		got = append(got, c.CallerID(n))
	}
	if want := []string{"+1", "+2", "+3", "+1", "+2"}; !slices.Equal(got, want) {
		t.Errorf("rotation %v, want %v", got, want)
	}
}

func TestTransitionAndClone(t *testing.T) {
	c := Campaign{ID: "c1", Name: "A", State: CampaignActive, CallerIDs: []string{"+1"}}
	steps := []struct {
		action string
		want   CampaignState
		code   string
	}{
		{"resume", "", parley.ECONFLICT},
		{"suspend", CampaignSuspended, ""},
		{"suspend", "", parley.ECONFLICT},
		{"resume", CampaignActive, ""},
		{"terminate", CampaignTerminated, ""},
		{"resume", "", parley.ECONFLICT},
		{"terminate", "", parley.ECONFLICT},
		{"explode", "", parley.EINVALID},
	}
	for _, s := range steps {
		next, err := c.Transition(s.action)
		if parley.ErrorCode(err) != s.code || next != s.want {
			t.Fatalf("%s from %s: %q, %v; want %q, %q", s.action, c.State, next, err, s.want, s.code)
		}
		if err == nil {
			c.State = next
		}
	}
	now := time.Now()
	cl := c.Clone("c2", "", now)
	if cl.ID != "c2" || cl.Name != "A" || cl.State != CampaignActive || cl.ClonedFrom != "c1" || !cl.CreatedAt.Equal(now) {
		t.Errorf("clone %+v", cl)
	}
	cl.CallerIDs[0] = "+9"
	if c.CallerIDs[0] != "+1" {
		t.Error("the clone shares its caller ids with the original")
	}
}

func TestAfterCall(t *testing.T) {
	noon := localNoon(t, "America/New_York")
	base := Campaign{ID: "c1", State: CampaignActive, Hours: window.Default, MaxAttempts: 3, DropLockout: 72 * time.Hour}
	notConnectedAgain := Rule{When: Conditions{Connected: boolp(false)}, Action: ActionCallAgain, DelayMinutes: 60}
	cases := []struct {
		name     string
		rules    []Rule
		attempts int // before the call
		outcome  CallOutcome
		status   EntryStatus
		reason   string
		next     time.Time
		params   map[string]string
	}{
		{name: "no rule: processed", outcome: CallOutcome{Connected: true, Result: "sale"},
			status: EntryProcessed, reason: ReasonNoRule},
		{name: "not connected: again in an hour", rules: []Rule{notConnectedAgain},
			status: EntryWaiting, next: noon.Add(time.Hour)},
		{name: "connected: rule does not hold", rules: []Rule{notConnectedAgain}, outcome: CallOutcome{Connected: true},
			status: EntryProcessed, reason: ReasonNoRule},
		{name: "attempts used up", rules: []Rule{notConnectedAgain}, attempts: 2,
			status: EntryProcessed, reason: ReasonMaxAttempts},
		{name: "delay lands after hours: next morning", rules: []Rule{{Action: ActionCallAgain, DelayMinutes: 10 * 60}},
			status: EntryWaiting, next: time.Date(noon.Year(), noon.Month(), noon.Day()+1, 8, 0, 0, 0, noon.Location())},
		{name: "result deletes", outcome: CallOutcome{Connected: true, Result: "wrong_number"},
			rules:  []Rule{{When: Conditions{Results: []string{"wrong_number", "deceased"}}, Action: ActionDelete}, notConnectedAgain},
			status: EntryDeleted},
		{name: "first deciding rule wins", rules: []Rule{notConnectedAgain, {Action: ActionDelete}},
			status: EntryWaiting, next: noon.Add(time.Hour)},
		{name: "parameters set by every rule that holds",
			rules: []Rule{
				{Action: ActionSetParameter, Name: "tier", Value: "a"},
				{When: Conditions{Connected: boolp(true)}, Action: ActionSetParameter, Name: "never", Value: "x"},
				notConnectedAgain,
				{Action: ActionSetParameter, Name: "tier", Value: "b"},
			},
			status: EntryWaiting, next: noon.Add(time.Hour), params: map[string]string{"tier": "b", "keep": "1"}},
		{name: "attempts condition", attempts: 1,
			rules:  []Rule{{When: Conditions{AttemptsAtMost: intp(1)}, Action: ActionCallAgain}, {When: Conditions{AttemptsAtLeast: intp(2)}, Action: ActionDelete}},
			status: EntryDeleted},
		{name: "abandoned without rule: after the lockout", outcome: CallOutcome{Abandoned: true},
			status: EntryWaiting, next: noon.Add(72 * time.Hour)},
		{name: "abandoned: call again waits out the lockout", outcome: CallOutcome{Abandoned: true}, rules: []Rule{notConnectedAgain},
			status: EntryWaiting, next: noon.Add(72 * time.Hour)},
		{name: "abandoned on the last attempt", outcome: CallOutcome{Abandoned: true}, attempts: 2,
			status: EntryProcessed, reason: ReasonMaxAttempts},
	}
	for _, c := range cases {
		camp := base
		camp.Rules = c.rules
		c.outcome.At = noon
		e := Entry{ContactID: "k1", Phone: newYork, Status: EntryInProgress, Attempts: c.attempts, Params: map[string]string{"keep": "1"}}
		got := camp.AfterCall(e, c.outcome)
		if got.Status != c.status || got.Reason != c.reason || !got.NextAttemptAt.Equal(c.next) || got.Attempts != c.attempts+1 {
			t.Errorf("%s: status %s reason %q next %v attempts %d; want %s %q %v %d", c.name, got.Status, got.Reason, got.NextAttemptAt, got.Attempts, c.status, c.reason, c.next, c.attempts+1)
		}
		if c.params != nil && !mapsEqual(got.Params, c.params) {
			t.Errorf("%s: params %v, want %v", c.name, got.Params, c.params)
		}
		if e.Params["tier"] != "" {
			t.Errorf("%s: AfterCall changed the entry it was given", c.name)
		}
	}
	// A number without a known zone cannot be placed in calling hours.
	camp := base
	camp.Rules = []Rule{notConnectedAgain}
	if got := camp.AfterCall(Entry{Phone: "+999"}, CallOutcome{At: noon}); got.Status != EntryProcessed || got.Reason != ReasonNoHours {
		t.Errorf("unknown zone: %+v", got)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestCallable(t *testing.T) {
	noon := localNoon(t, "America/New_York")
	c := Campaign{State: CampaignActive, Hours: window.Default, MaxAttempts: 3}
	waiting := Entry{Phone: newYork, Status: EntryWaiting, NextAttemptAt: noon.Add(-time.Minute)}
	voice := parley.OptOut{Phone: newYork, Channel: ChannelVoice}
	all := parley.OptOut{Phone: newYork, Channel: parley.ChannelAll}
	sms := parley.OptOut{Phone: newYork, Channel: parley.ChannelSMS}
	suspended := c
	suspended.State = CampaignSuspended
	cases := []struct {
		name    string
		c       Campaign
		e       Entry
		at      time.Time
		optOuts []parley.OptOut
		reason  string
	}{
		{"due", c, waiting, noon, nil, ""},
		{"an SMS opt-out does not bar calls", c, waiting, noon, []parley.OptOut{sms}, ""},
		{"do-not-call", c, waiting, noon, []parley.OptOut{sms, voice}, ReasonDoNotCall},
		{"opted out of everything", c, waiting, noon, []parley.OptOut{all}, ReasonDoNotCall},
		{"not yet due", c, waiting, noon.Add(-2 * time.Minute), nil, "not due"},
		{"after hours in the contact's zone", c, waiting, noon.Add(10 * time.Hour), nil, ReasonNoHours},
		{"attempts used up", c, Entry{Phone: newYork, Status: EntryWaiting, Attempts: 3}, noon, nil, ReasonMaxAttempts},
		{"processed", c, Entry{Phone: newYork, Status: EntryProcessed}, noon, nil, "processed"},
		{"campaign suspended", suspended, waiting, noon, nil, "campaign suspended"},
	}
	for _, tc := range cases {
		ok, reason := tc.c.Callable(tc.e, tc.at, tc.optOuts)
		if ok != (tc.reason == "") || reason != tc.reason {
			t.Errorf("%s: callable %v (%q), want reason %q", tc.name, ok, reason, tc.reason)
		}
	}
}

func TestCounts(t *testing.T) {
	var n Counts
	for _, e := range []Entry{
		{Status: EntryProcessed, Connected: true},
		{Status: EntryWaiting, Abandoned: true},
		{Status: EntryInProgress},
		{Status: EntryDeleted},
	} {
		n.Add(e)
	}
	if n != (Counts{Processed: 1, Waiting: 1, InProgress: 1, Deleted: 1, Connected: 1, Abandoned: 1}) {
		t.Errorf("counts %+v", n)
	}
	if n.Done(GoalAllProcessed) || (Counts{Processed: 3, Deleted: 1}).Done(GoalEndless) || !(Counts{Processed: 3}).Done(GoalAllProcessed) {
		t.Error("Done is wrong")
	}
}

func FuzzNewCampaign(f *testing.F) {
	f.Add(`{"name":"A","mode":"predictive","pickupRate":40,"operatorGroup":"g","callerIds":["+12125550123"],"rules":[{"action":"call_again","delayMinutes":5}]}`)
	f.Add(`{"name":"B","mode":"preview","bcwSeconds":9,"operatorGroup":"g","callerIds":["+16505550100"],"callingHours":{"start":"09:00","end":"17:00","days":["MON"]},"dropLockout":{"enabled":true,"hours":5}}`)
	f.Fuzz(func(t *testing.T, body string) {
		var d Draft
		if json.Unmarshal([]byte(body), &d) != nil {
			return
		}
		c, err := NewCampaign("acct", "c1", d, time.Now())
		if err != nil {
			if parley.ErrorCode(err) != parley.EINVALID || parley.ErrorField(err) == "" {
				t.Fatalf("error %v is not EINVALID on a field", err)
			}
			return
		}
		switch {
		case c.Name == "" || c.OperatorGroup == "" || len(c.CallerIDs) == 0:
			t.Fatalf("accepted without name, group or caller id: %+v", c)
		case c.MaxAttempts < 1 || c.MaxAttempts > MaxMaxAttempts:
			t.Fatalf("max attempts %d", c.MaxAttempts)
		case c.Mode == ModePredictive && (c.PickupPercent < 1 || c.PickupPercent > 100):
			t.Fatalf("pickup %d", c.PickupPercent)
		case c.Hours.Start >= c.Hours.End:
			t.Fatalf("hours %v", c.Hours)
		}
		for _, id := range c.CallerIDs {
			if !strings.HasPrefix(id, "+") {
				t.Fatalf("caller id %q", id)
			}
		}
	})
}
