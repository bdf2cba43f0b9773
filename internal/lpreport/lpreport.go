package lpreport

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// Apps are the reporting apps LivePerson names in the path.
var Apps = []string{"prmsg", "c2m"}

// Limits LivePerson documents.
const (
	// MaxAnalyticsWindow is the longest attempted interval of an
	// analytics request.
	MaxAnalyticsWindow = 60 * 24 * time.Hour
	// MaxTransactionsWindow is the longest of a transactions request.
	MaxTransactionsWindow = 24 * time.Hour
	// MaxBody bounds a request body.
	MaxBody = 64 << 10
	// maxFilterValues bounds each filter list.
	maxFilterValues = 1000
)

// lpChannels maps LivePerson's channel names to Parley's.
var lpChannels = map[string]parley.Channel{"sms": parley.ChannelSMS, "wa": parley.ChannelWhatsApp, "inapp": parley.ChannelInApp}

// LPChannel is Parley's channel c as LivePerson spells it.
func LPChannel(c parley.Channel) string {
	for name, pc := range lpChannels {
		if pc == c {
			return name
		}
	}
	return string(c)
}

// CheckApp refuses an app that is not prmsg or c2m.
func CheckApp(app string) error {
	if !slices.Contains(Apps, app) {
		return parley.FieldErrorf("app", "app %q is not one of prmsg, c2m", app)
	}
	return nil
}

// Window is the attempted interval of a request, [Start, End).
type Window struct {
	Start, End time.Time
}

// Millis are the window's bounds in epoch milliseconds.
func (w Window) Millis() (int64, int64) { return w.Start.UnixMilli(), w.End.UnixMilli() }

// ParseWindow reads attemptedStartTime and attemptedEndTime (epoch
// milliseconds) from q, refusing other parameters except those in extra.
// When required is false and both are absent, def is the window.
func ParseWindow(q url.Values, max time.Duration, required bool, def Window, extra ...string) (Window, error) {
	for name, vs := range q {
		if name != "attemptedStartTime" && name != "attemptedEndTime" && !slices.Contains(extra, name) {
			return Window{}, parley.FieldErrorf(name, "unknown query parameter %s", name)
		}
		if len(vs) > 1 {
			return Window{}, parley.FieldErrorf(name, "%s is given more than once", name)
		}
	}
	s, e := q.Get("attemptedStartTime"), q.Get("attemptedEndTime")
	if !required && s == "" && e == "" {
		return def, nil
	}
	start, err := millis("attemptedStartTime", s)
	if err != nil {
		return Window{}, err
	}
	end, err := millis("attemptedEndTime", e)
	if err != nil {
		return Window{}, err
	}
	switch {
	case !end.After(start):
		return Window{}, parley.FieldErrorf("attemptedEndTime", "attemptedEndTime must be after attemptedStartTime")
	case end.Sub(start) > max:
		return Window{}, parley.FieldErrorf("attemptedEndTime", "the interval may not exceed %s", days(max))
	}
	return Window{start, end}, nil
}

func days(d time.Duration) string {
	if d%(24*time.Hour) == 0 && d > 24*time.Hour {
		return strconv.Itoa(int(d/(24*time.Hour))) + " days"
	}
	return strconv.Itoa(int(d/time.Hour)) + " hours"
}

func millis(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, parley.FieldErrorf(name, "%s is required (epoch milliseconds)", name)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || n > 253402300799999 {
		return time.Time{}, parley.FieldErrorf(name, "%s must be epoch milliseconds, not %q", name, v)
	}
	return time.UnixMilli(n).UTC(), nil
}

// Filters are an analytics request's body filters.
type Filters struct {
	Channels   []string `json:"channels,omitempty"`
	Skills     []string `json:"skills,omitempty"`
	HandoffIDs []string `json:"handoffids,omitempty"`
	Source     []string `json:"source,omitempty"`
}

// ParseFilters reads an analytics body; an empty body filters nothing.
func ParseFilters(body []byte) (Filters, error) {
	var f Filters
	if err := decodeStrict(body, &f); err != nil {
		return Filters{}, err
	}
	if err := checkLists(map[string][]string{"channels": f.Channels, "skills": f.Skills, "handoffids": f.HandoffIDs, "source": f.Source}); err != nil {
		return Filters{}, err
	}
	for _, src := range f.Source {
		if !slices.Contains(Sources, strings.ToUpper(src)) {
			return Filters{}, parley.FieldErrorf("source", "source %q is not one of %s", src, strings.Join(Sources, ", "))
		}
	}
	return f, checkChannels(f.Channels)
}

// Sources are the values of the source filter, as LivePerson names them:
// campaigns created through the API, in the web tool, or by LivePerson's
// workflows (which create no campaign in Parley, so LPWF matches nothing).
var Sources = []string{parley.SourceAPI, parley.SourceUI, "LPWF"}

// decodeStrict decodes a JSON body into v, refusing unknown fields by
// name; an empty body leaves v as it is.
func decodeStrict(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) && ute.Field != "" {
			return parley.FieldErrorf(ute.Field, "%s must be %s", ute.Field, kindOf(ute.Type.Kind()))
		}
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			name = strings.Trim(name, `"`)
			return parley.FieldErrorf(name, "unknown field %s", name)
		}
		return parley.Errorf(parley.EINVALID, "the body is not valid JSON: %v", err)
	}
	if dec.More() {
		return parley.Errorf(parley.EINVALID, "the body holds more than one JSON value")
	}
	return nil
}

// kindOf names what a JSON value of Go kind k must be.
func kindOf(k reflect.Kind) string {
	switch k {
	case reflect.Int, reflect.Int64:
		return "a whole number"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "a list of strings"
}

// checkLists bounds each named filter list.
func checkLists(lists map[string][]string) error {
	for name, list := range lists {
		if len(list) > maxFilterValues {
			return parley.FieldErrorf(name, "%s may list at most %d values", name, maxFilterValues)
		}
	}
	return nil
}

// checkChannels refuses a channel LivePerson does not name.
func checkChannels(channels []string) error {
	for _, c := range channels {
		if _, ok := lpChannels[strings.ToLower(c)]; !ok {
			return parley.FieldErrorf("channels", "channel %q is not one of sms, wa, inapp", c)
		}
	}
	return nil
}

// Query is the counter query of an analytics request of app (prmsg or
// c2m), of one campaign or (campaignID "") the whole account.
func (f Filters) Query(accountID, app, campaignID string, w Window) parley.CountQuery {
	q := parley.CountQuery{AccountID: accountID, App: app, From: w.Start, To: w.End, Skills: f.Skills, HandoffIDs: f.HandoffIDs}
	if campaignID != "" {
		q.CampaignIDs = []string{campaignID}
	}
	for _, c := range f.Channels {
		q.Channels = append(q.Channels, lpChannels[strings.ToLower(c)])
	}
	for _, src := range f.Source {
		q.Sources = append(q.Sources, strings.ToUpper(src))
	}
	return q
}

// Grouping is what analytics rows are grouped by beyond channel, skill
// and day: LivePerson groups by handoff and source too when the request
// filters by them, and names them in each row.
type Grouping struct {
	Handoff, Source bool
}

// Grouping is the grouping f asks for.
func (f Filters) Grouping() Grouping {
	return Grouping{Handoff: len(f.HandoffIDs) > 0, Source: len(f.Source) > 0}
}

// Row is one analytics row: one channel, skill and UTC day (and handoff
// and source, when grouped by them).
type Row struct {
	Channel              string `json:"channel"`
	Skill                string `json:"skill"`
	HandoffID            string `json:"handoffid,omitempty"`
	Source               string `json:"source,omitempty"`
	TransactionDay       string `json:"transactionday"`
	Attempted            int64  `json:"attempted"`
	Eligible             int64  `json:"eligible"`
	Skipped              int64  `json:"skipped"`
	Sent                 int64  `json:"sent"`
	Failed               int64  `json:"failed"`
	Delivered            int64  `json:"delivered"`
	Read                 int64  `json:"read"`
	ConversationsCreated int64  `json:"conversationscreated"`
	ConversationsClosed  int64  `json:"conversationsclosed"`
	// CSAT is the average satisfaction rating of the row's conversations:
	// always null, as Parley's conversations carry no rating.
	CSAT *string `json:"csat"`
	// ErrorAggregation counts the row's failed and skipped recipients by
	// error: errorSource_errorCode, as the transaction rows spell them.
	ErrorAggregation map[string]int64 `json:"error_aggregation"`
}

// DayLayout is how LivePerson writes a transactionday.
const DayLayout = "01-02-2006"

// Rows sums hourly counter rows by channel, skill and UTC day (and handoff
// and source as g asks), in day, channel, skill, handoff, source order.
// Rows of nothing but zeros are left out.
func Rows(rows []parley.CountRow, g Grouping) []Row {
	type key struct {
		day                               time.Time
		channel, skill, handoffID, source string
	}
	sums := map[key]*parley.CountRow{}
	var keys []key
	for _, r := range rows {
		if !r.Counted() {
			continue
		}
		h := r.Hour.UTC()
		k := key{day: time.Date(h.Year(), h.Month(), h.Day(), 0, 0, 0, 0, time.UTC), channel: LPChannel(r.Channel), skill: r.Skill}
		if g.Handoff {
			k.handoffID = r.HandoffID
		}
		if g.Source {
			k.source = r.Source
		}
		if sums[k] == nil {
			sums[k] = &parley.CountRow{}
			keys = append(keys, k)
		}
		sums[k].Merge(r)
	}
	slices.SortFunc(keys, func(a, b key) int {
		if c := a.day.Compare(b.day); c != 0 {
			return c
		}
		return cmp.Or(strings.Compare(a.channel, b.channel), strings.Compare(a.skill, b.skill),
			strings.Compare(a.handoffID, b.handoffID), strings.Compare(a.source, b.source))
	})
	out := make([]Row, 0, len(keys))
	for _, k := range keys {
		sum := sums[k]
		c := sum.Counts
		errs := sum.Errors
		if errs == nil {
			errs = map[string]int64{}
		}
		out = append(out, Row{
			Channel: k.channel, Skill: k.skill, HandoffID: k.handoffID, Source: k.source, TransactionDay: k.day.Format(DayLayout),
			Attempted: c[parley.StepAttempted], Eligible: c[parley.StepEligible], Skipped: c[parley.StepSkipped],
			Sent: c[parley.StepSent], Failed: c[parley.StepFailed], Delivered: c[parley.StepDelivered],
			Read: c[parley.StepRead], ConversationsCreated: c[parley.StepConversationCreated],
			ConversationsClosed: c[parley.StepConversationClosed], ErrorAggregation: errs,
		})
	}
	return out
}

// Metadata echoes a request, as LivePerson's requestMetadata does.
type Metadata struct {
	AccountID          string   `json:"accountId"`
	App                string   `json:"app"`
	AttemptedStartTime int64    `json:"attemptedStartTime"`
	AttemptedEndTime   int64    `json:"attemptedEndTime"`
	Filters            *Filters `json:"filters,omitempty"`
}

// Analytics is an analytics answer.
type Analytics struct {
	RequestMetadata Metadata `json:"requestMetadata"`
	Analytics       []Row    `json:"analytics"`
}
