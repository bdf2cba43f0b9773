package parley

import (
	"maps"
	"strconv"
	"strings"
	"time"
)

// Step is one stage of a recipient's lifecycle, as LivePerson's outbound
// reporting counts them. Each is reached at most once: its first time is
// kept in the recipient's Timeline and counted once.
type Step int

// Lifecycle steps, in the order of Steps.
const (
	// StepAttempted: the recipient was taken into a campaign.
	StepAttempted Step = iota
	// StepEligible: it passed the checks at intake and waits to be sent.
	StepEligible
	// StepSkipped: it will never be sent (opted out, no delivery window,
	// its window never opened before the campaign expired).
	StepSkipped
	// StepSent: the gateway took the message.
	StepSent
	// StepDelivered: the gateway reported the message delivered.
	StepDelivered
	// StepRead: the gateway reported the message read.
	StepRead
	// StepFailed: the gateway refused the message or reported it failed.
	StepFailed
	// StepCancelled: the campaign was cancelled before it was sent.
	StepCancelled
	// StepOptedOut: the consumer opted out in reply to this message.
	StepOptedOut
	// StepResponded: the consumer replied to this message.
	StepResponded
	// StepConversationCreated: a reply to it opened a conversation.
	StepConversationCreated
	// StepConversationClosed: that conversation was closed.
	StepConversationClosed

	// NumSteps is how many steps there are.
	NumSteps
)

// Steps lists every step in order.
var Steps = [NumSteps]Step{
	StepAttempted, StepEligible, StepSkipped, StepSent, StepDelivered, StepRead, StepFailed,
	StepCancelled, StepOptedOut, StepResponded, StepConversationCreated, StepConversationClosed,
}

var stepNames = [NumSteps]string{
	"attempted", "eligible", "skipped", "sent", "delivered", "read", "failed",
	"cancelled", "optedOut", "responded", "conversationCreated", "conversationClosed",
}

// String is the step's name: attempted, eligible, …, conversationClosed.
func (s Step) String() string {
	if s < 0 || s >= NumSteps {
		return "step(" + strconv.Itoa(int(s)) + ")"
	}
	return stepNames[s]
}

// ParseStep returns the step named name (as String spells it).
func ParseStep(name string) (Step, bool) {
	for s, n := range stepNames {
		if n == name {
			return Step(s), true
		}
	}
	return 0, false
}

// Timeline holds when each step of a recipient's lifecycle first happened,
// in UTC; a zero time is a step not reached. A step is stamped once: a
// redelivered status report or a repeated reply never moves it.
type Timeline struct {
	Attempted           time.Time `json:"attempted,omitzero"`
	Eligible            time.Time `json:"eligible,omitzero"`
	Skipped             time.Time `json:"skipped,omitzero"`
	Sent                time.Time `json:"sent,omitzero"`
	Delivered           time.Time `json:"delivered,omitzero"`
	Read                time.Time `json:"read,omitzero"`
	Failed              time.Time `json:"failed,omitzero"`
	Cancelled           time.Time `json:"cancelled,omitzero"`
	OptedOut            time.Time `json:"optedOut,omitzero"`
	Responded           time.Time `json:"responded,omitzero"`
	ConversationCreated time.Time `json:"conversationCreated,omitzero"`
	ConversationClosed  time.Time `json:"conversationClosed,omitzero"`
}

// field is the stamp of step s.
func (t *Timeline) field(s Step) *time.Time {
	return [NumSteps]*time.Time{
		&t.Attempted, &t.Eligible, &t.Skipped, &t.Sent, &t.Delivered, &t.Read, &t.Failed,
		&t.Cancelled, &t.OptedOut, &t.Responded, &t.ConversationCreated, &t.ConversationClosed,
	}[s]
}

// At is when step s first happened; zero when it has not.
func (t Timeline) At(s Step) time.Time { return *t.field(s) }

// Stamp records that s happened at at, unless it is stamped already, and
// reports whether it stamped it. A zero at stamps nothing.
func (t *Timeline) Stamp(s Step, at time.Time) bool {
	f := t.field(s)
	if !f.IsZero() || at.IsZero() {
		return false
	}
	*f = at.UTC()
	return true
}

// Reached lists the steps stamped in t and not in before, in step order:
// what a change from before to t newly counts.
func (t Timeline) Reached(before Timeline) []Step {
	var out []Step
	for _, s := range Steps {
		if !t.At(s).IsZero() && before.At(s).IsZero() {
			out = append(out, s)
		}
	}
	return out
}

// IsZero reports whether no step is stamped.
func (t Timeline) IsZero() bool { return t == Timeline{} }

// StatusSteps lists the steps a recipient reaches when its status becomes
// status: intake's SCHEDULED and QUEUED are attempted and eligible, SKIPPED
// and EXPIRED are skipped (attempted too, as intake may skip), a delivery
// report of DELIVERED implies the message was sent, READ that it was
// delivered. SENDING and UNKNOWN reach none.
func StatusSteps(status RecipientStatus) []Step {
	switch status {
	case StatusScheduled, StatusQueued:
		return []Step{StepAttempted, StepEligible}
	case StatusSkipped, StatusExpired:
		return []Step{StepAttempted, StepSkipped}
	case StatusSent:
		return []Step{StepSent}
	case StatusDelivered:
		return []Step{StepSent, StepDelivered}
	case StatusRead:
		return []Step{StepSent, StepDelivered, StepRead}
	case StatusFailed, StatusUndelivered:
		return []Step{StepFailed}
	case StatusCancelled:
		return []Step{StepCancelled}
	}
	return nil
}

// StampStatus stamps the steps of status (see StatusSteps) at at.
func (t *Timeline) StampStatus(status RecipientStatus, at time.Time) {
	for _, s := range StatusSteps(status) {
		t.Stamp(s, at)
	}
}

// Error sources of a recipient's error, as LivePerson's transactions name
// where an error came from.
const (
	// ErrorSourceParley: Parley refused or stopped the recipient (an
	// invalid number, an opt-out, a cancelled campaign): a code of codes.go.
	ErrorSourceParley = "PARLEY"
	// ErrorSourceProvider: the gateway refused the message or reported it
	// failed, with the provider's own code.
	ErrorSourceProvider = "PROVIDER"
)

// ErrorSource says where r's error (its ErrorMessage, which holds a code)
// came from: "" when it has none, ErrorSourceParley for Parley's own codes
// (upper-case words), ErrorSourceProvider for anything else (Twilio's
// 30003, WhatsApp's 131026…).
func (r Recipient) ErrorSource() string {
	code := r.ErrorMessage
	switch {
	case code == "":
		return ""
	case isParleyCode(code):
		return ErrorSourceParley
	}
	return ErrorSourceProvider
}

// isParleyCode reports whether code is spelt like Parley's codes: upper
// case letters and underscores, then perhaps =<detail>.
func isParleyCode(code string) bool {
	name, _, _ := strings.Cut(code, "=")
	if name == "" {
		return false
	}
	for _, c := range name {
		if (c < 'A' || c > 'Z') && c != '_' {
			return false
		}
	}
	return true
}

// Sources of a campaign: how it was created, as LivePerson's reporting
// filters name them.
const (
	// SourceAPI: through the API, by a client's or a developer's token
	// (every Connect to Messaging deflection is).
	SourceAPI = "API"
	// SourceUI: in the web tool, by a signed-in user.
	SourceUI = "UI"
)

// Reporting apps, as LivePerson's reporting paths name them.
const (
	AppProactive = "prmsg"
	AppC2M       = "c2m"
)

// CountKey names one counter row: one account's steps in one UTC hour, of
// one campaign, skill, channel, handoff, source and app.
type CountKey struct {
	AccountID  string    `json:"accountId"`
	Hour       time.Time `json:"hour"` // UTC, truncated to the hour
	CampaignID string    `json:"campaignId"`
	Skill      string    `json:"skill"`
	Channel    Channel   `json:"channel"`
	// HandoffID is the API handoff of the recipients' campaign; ""
	// without one (see Recipient.HandoffID).
	HandoffID string `json:"handoffId,omitempty"`
	// Source is their campaign's (Campaign.Source).
	Source string `json:"source,omitempty"`
	// App is AppC2M for a Connect to Messaging deflection's recipients, ""
	// for a Proactive campaign's.
	App string `json:"app,omitempty"`
}

// ReportApp is the reporting app k counts for: AppC2M or AppProactive.
func (k CountKey) ReportApp() string {
	if k.App == "" {
		return AppProactive
	}
	return k.App
}

// CountRow is how many recipients reached each step within its key's hour,
// and how many of those that failed or were skipped did so with each
// error (see ErrorKey). A campaign's status row (see StatusKey) counts
// instead how many of its recipients are in each status: each change adds
// one to the status entered and takes one from the status left.
type CountRow struct {
	CountKey
	Counts   [NumSteps]int64           `json:"counts"`
	Errors   map[string]int64          `json:"errors,omitempty"`
	Statuses map[RecipientStatus]int64 `json:"statuses,omitempty"`
}

// StatusKey is the key of the status row of r's campaign: in the hour r
// was attempted (its campaign's creation), under its campaign, handoff and
// source, with no skill or channel (a recipient may change channel). Ok is
// false for a recipient never attempted, which no status row counts.
func StatusKey(r Recipient) (CountKey, bool) {
	at := r.Timeline.Attempted
	if at.IsZero() {
		return CountKey{}, false
	}
	return CountKey{AccountID: r.AccountID, Hour: HourOf(at), CampaignID: r.CampaignID, HandoffID: r.HandoffID, Source: r.Source, App: r.App}, true
}

// AddStatus adds n to status st.
func (r *CountRow) AddStatus(st RecipientStatus, n int64) {
	if r.Statuses == nil {
		r.Statuses = map[RecipientStatus]int64{}
	}
	r.Statuses[st] += n
	if r.Statuses[st] == 0 {
		delete(r.Statuses, st)
	}
}

// Add adds n to step s.
func (r *CountRow) Add(s Step, n int64) { r.Counts[s] += n }

// AddError adds n to the error key.
func (r *CountRow) AddError(key string, n int64) {
	if r.Errors == nil {
		r.Errors = map[string]int64{}
	}
	r.Errors[key] += n
}

// Merge adds every count of o into r.
func (r *CountRow) Merge(o CountRow) {
	for s := range r.Counts {
		r.Counts[s] += o.Counts[s]
	}
	for k, n := range o.Errors {
		r.AddError(k, n)
	}
	for st, n := range o.Statuses {
		r.AddStatus(st, n)
	}
}

// Counted reports whether r counts a step or an error: what analytics
// rows show.
func (r CountRow) Counted() bool {
	if r.Counts != [NumSteps]int64{} {
		return true
	}
	for _, n := range r.Errors {
		if n != 0 {
			return true
		}
	}
	return false
}

// IsZero reports whether every count is zero.
func (r CountRow) IsZero() bool {
	if r.Counted() {
		return false
	}
	for _, n := range r.Statuses {
		if n != 0 {
			return false
		}
	}
	return true
}

// MaxErrorKey bounds an error key, so that a provider's long code cannot
// swell the counters.
const MaxErrorKey = 64

// ErrorKey is how r's error is counted: its source and code joined by
// "_", as the transaction rows spell them (PROVIDER_30003,
// PARLEY_NO_WINDOW), at most MaxErrorKey bytes; "" when r has none.
func ErrorKey(r Recipient) string {
	if r.ErrorMessage == "" {
		return ""
	}
	k := r.ErrorSource() + "_" + r.ErrorMessage
	if len(k) > MaxErrorKey {
		k = strings.ToValidUTF8(k[:MaxErrorKey], "")
	}
	return k
}

// HourOf is the counter hour of t: t in UTC truncated to the hour.
func HourOf(t time.Time) time.Time { return t.UTC().Truncate(time.Hour) }

// CountQuery selects an account's counter rows: those whose hour is in
// [From, To), of the app (AppProactive or AppC2M; both when empty) and
// of the campaigns, skills, channels, handoffs and sources named (all
// when empty).
type CountQuery struct {
	AccountID   string
	From, To    time.Time
	App         string
	CampaignIDs []string
	Skills      []string
	Channels    []Channel
	HandoffIDs  []string
	Sources     []string
	// WithStatuses keeps the campaigns' status rows (see StatusKey) too;
	// without it, only rows that count a step or an error are kept.
	WithStatuses bool
}

// Keeps reports whether q keeps r, a row it matches: one that counts
// anything q asks for.
func (q CountQuery) Keeps(r CountRow) bool {
	if q.WithStatuses {
		return !r.IsZero()
	}
	return r.Counted()
}

// Matches reports whether k is selected by q (account, hour and filters).
func (q CountQuery) Matches(k CountKey) bool {
	h := k.Hour
	return k.AccountID == q.AccountID && !h.Before(HourOf(q.From)) && h.Before(q.To) &&
		(q.App == "" || k.ReportApp() == q.App) &&
		oneOf(q.CampaignIDs, k.CampaignID) && oneOf(q.Skills, k.Skill) && oneOf(q.Channels, k.Channel) &&
		oneOf(q.HandoffIDs, k.HandoffID) && oneOf(q.Sources, k.Source)
}

func oneOf[T comparable](set []T, v T) bool {
	if len(set) == 0 {
		return true
	}
	for _, s := range set {
		if s == v {
			return true
		}
	}
	return false
}

// Counts folds a transition of one recipient, from before to after, into
// the counter rows it changes: one count per step newly reached, in the
// UTC hour it was stamped, under after's campaign, skill, channel,
// handoff and source; when it newly failed or was skipped with an error,
// one count of its ErrorKey in that step's row; and when its status
// changed, the change in its campaign's status row (a before with no
// status is no recipient yet). Step rows come back in the order their
// first step was reached, the status row last.
func Counts(before, after Recipient) []CountRow {
	rows := stepCounts(before, after)
	if before.Status != after.Status {
		if k, ok := StatusKey(after); ok {
			r := CountRow{CountKey: k}
			r.AddStatus(after.Status, 1)
			if before.Status != "" {
				r.AddStatus(before.Status, -1)
			}
			rows = append(rows, r)
		}
	}
	return rows
}

// stepCounts are the step rows of Counts.
func stepCounts(before, after Recipient) []CountRow {
	var rows []CountRow
	errKey := ErrorKey(after)
	for _, s := range after.Timeline.Reached(before.Timeline) {
		k := CountKey{AccountID: after.AccountID, Hour: HourOf(after.Timeline.At(s)), CampaignID: after.CampaignID,
			Skill: after.Skill, Channel: after.Channel, HandoffID: after.HandoffID, Source: after.Source, App: after.App}
		i := len(rows)
		for j := range rows {
			if rows[j].CountKey == k {
				i = j
				break
			}
		}
		if i == len(rows) {
			rows = append(rows, CountRow{CountKey: k})
		}
		rows[i].Add(s, 1)
		if errKey != "" && (s == StepFailed || s == StepSkipped) {
			rows[i].AddError(errKey, 1)
			errKey = "" // one error per recipient
		}
	}
	return rows
}

// TakeIn prepares r, one of c's recipients, for intake: it carries c's
// skill, handoff and source, the app of a Connect to Messaging deflection,
// and its timeline the steps of its first status, at c.CreatedAt.
func (c Campaign) TakeIn(r *Recipient) {
	if r.Skill == "" {
		r.Skill = c.Skill
	}
	r.HandoffID, r.Source = c.HandoffID, c.Source
	if c.CallID != "" {
		r.App = AppC2M
	}
	r.Timeline.StampStatus(r.Status, c.CreatedAt)
}

// MergeRows sums rows of the same key into one, in the order each key
// first appears.
func MergeRows(rows []CountRow) []CountRow {
	var out []CountRow
	at := map[CountKey]int{}
	for _, r := range rows {
		if i, ok := at[r.CountKey]; ok {
			out[i].Merge(r)
			continue
		}
		at[r.CountKey] = len(out)
		r.Errors, r.Statuses = maps.Clone(r.Errors), maps.Clone(r.Statuses)
		out = append(out, r)
	}
	return out
}
