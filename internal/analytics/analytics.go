// Package analytics answers the analytics of an account and of one
// campaign, with seed 001's definitions, from the lifecycle counters
// (store.Counters): never from the recipients themselves.
//
//   - Success rate: messages delivered to the messaging gateway over
//     messages sent. A message is sent when the gateway took it (step
//     sent) and delivered when the gateway reported it delivered (step
//     delivered).
//   - Response rate: messages that got a response over messages delivered.
//   - Opt-out rate: opt-outs attributed to a campaign (a STOP answering
//     its message) over messages delivered.
//   - Delivery status: sent, delivered, failed. Response status: delivered,
//     responded, not responded (delivered less responded).
//   - Messages per day in the account's time zone, or per hour when the
//     range is one day: sent, delivered, failed and responded in each.
//
// A rate whose denominator is zero is absent (null), never 0 % or NaN.
package analytics

import (
	"context"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// Counters reads the lifecycle counters (store.Counters).
type Counters interface {
	CountRows(ctx context.Context, q parley.CountQuery) ([]parley.CountRow, error)
}

// Accounts gives an account's settings, whose time zone days are counted
// in (store.Accounts is one).
type Accounts interface {
	Account(ctx context.Context, accountID string) (parley.Account, error)
}

// Campaigns gives one campaign (store.Campaigns is one).
type Campaigns interface {
	Campaign(ctx context.Context, accountID, campaignID string) (parley.Campaign, error)
}

// Service answers analytics.
type Service struct {
	Counters  Counters
	Accounts  Accounts
	Campaigns Campaigns
	Clock     parley.Clock
}

// Quick date ranges, as the analytics page names them.
const (
	RangeToday      = "today"
	RangeThisWeek   = "thisWeek"
	RangeThisMonth  = "thisMonth"
	RangeLast30     = "last30"
	RangeLast60     = "last60"
	RangeLast90     = "last90"
	RangeYearToDate = "yearToDate"
)

// Ranges lists the quick ranges.
var Ranges = []string{RangeToday, RangeThisWeek, RangeThisMonth, RangeLast30, RangeLast60, RangeLast90, RangeYearToDate}

// MaxDays bounds a range: a year to date and then some.
const MaxDays = 400

// dateLayout is how From and To are written: a day in the account's zone.
const dateLayout = "2006-01-02"

// Query is what analytics to answer. From and To are days (YYYY-MM-DD) in
// the account's time zone, both included; Range is a quick range instead.
// With neither, an account's analytics cover the last 30 days, a
// campaign's every day from its creation to today.
type Query struct {
	AccountID  string
	CampaignID string // "" for the whole account
	From, To   string
	Range      string
	Skills     []string
	Channels   []parley.Channel
}

// Counts are the steps the selected messages reached.
type Counts struct {
	Attempted           int64 `json:"attempted"`
	Eligible            int64 `json:"eligible"`
	Skipped             int64 `json:"skipped"`
	Sent                int64 `json:"sent"`
	Delivered           int64 `json:"delivered"`
	Read                int64 `json:"read"`
	Failed              int64 `json:"failed"`
	Cancelled           int64 `json:"cancelled"`
	OptedOut            int64 `json:"optedOut"`
	Responded           int64 `json:"responded"`
	ConversationCreated int64 `json:"conversationsCreated"`
	ConversationClosed  int64 `json:"conversationsClosed"`
}

func (c *Counts) add(n [parley.NumSteps]int64) {
	for s, p := range [parley.NumSteps]*int64{
		&c.Attempted, &c.Eligible, &c.Skipped, &c.Sent, &c.Delivered, &c.Read, &c.Failed,
		&c.Cancelled, &c.OptedOut, &c.Responded, &c.ConversationCreated, &c.ConversationClosed,
	} {
		*p += n[s]
	}
}

// DeliveryStatus is the delivery status chart.
type DeliveryStatus struct {
	Sent      int64 `json:"sent"`
	Delivered int64 `json:"delivered"`
	Failed    int64 `json:"failed"`
}

// ResponseStatus is the response status chart.
type ResponseStatus struct {
	Delivered    int64 `json:"delivered"`
	Responded    int64 `json:"responded"`
	NotResponded int64 `json:"notResponded"`
}

// Bucket is one day (or hour) of the messages chart; Start is its first
// instant, in the account's zone.
type Bucket struct {
	Start     time.Time `json:"start"`
	Sent      int64     `json:"sent"`
	Delivered int64     `json:"delivered"`
	Failed    int64     `json:"failed"`
	Responded int64     `json:"responded"`
}

// Granularities of the messages chart.
const (
	ByDay  = "day"
	ByHour = "hour"
)

// Report is the analytics of a query. Rates are percentages rounded to
// two decimals, nil when their denominator is zero.
type Report struct {
	AccountID      string           `json:"accountId"`
	CampaignID     string           `json:"campaignId,omitempty"`
	TimeZone       string           `json:"timeZone"`
	From           string           `json:"from"`
	To             string           `json:"to"`
	Range          string           `json:"range,omitempty"`
	Skills         []string         `json:"skills"`
	Channels       []parley.Channel `json:"channels"`
	Counts         Counts           `json:"counts"`
	SuccessRate    *float64         `json:"successRate"`
	ResponseRate   *float64         `json:"responseRate"`
	OptOutRate     *float64         `json:"optOutRate"`
	DeliveryStatus DeliveryStatus   `json:"deliveryStatus"`
	ResponseStatus ResponseStatus   `json:"responseStatus"`
	Granularity    string           `json:"granularity"`
	Messages       []Bucket         `json:"messages"`
}

// Answer computes the analytics q asks for. It is EINVALID (naming the
// parameter) for a range it cannot read, ENOTFOUND for an unknown
// campaign.
func (s *Service) Answer(ctx context.Context, q Query) (Report, error) {
	acct, err := s.Accounts.Account(ctx, q.AccountID)
	if err != nil && parley.ErrorCode(err) != parley.ENOTFOUND { // none stored: the defaults
		return Report{}, err
	}
	loc, err := acct.Location()
	if err != nil {
		return Report{}, err
	}
	var created time.Time
	if q.CampaignID != "" {
		c, err := s.Campaigns.Campaign(ctx, q.AccountID, q.CampaignID)
		if err != nil {
			return Report{}, err
		}
		created = c.CreatedAt
	}
	first, last, err := Days(q, s.Clock.Now().In(loc), created)
	if err != nil {
		return Report{}, err
	}
	from, to := first, last.AddDate(0, 0, 1)
	cq := parley.CountQuery{AccountID: q.AccountID, From: from, To: to, Skills: q.Skills, Channels: q.Channels}
	if q.CampaignID != "" {
		cq.CampaignIDs = []string{q.CampaignID}
	}
	rows, err := s.Counters.CountRows(ctx, cq)
	if err != nil {
		return Report{}, err
	}
	rep := Report{
		AccountID: q.AccountID, CampaignID: q.CampaignID, TimeZone: loc.String(), Range: q.Range,
		From: first.Format(dateLayout), To: last.Format(dateLayout),
		Skills: nonNil(q.Skills), Channels: nonNil(q.Channels), Granularity: ByDay,
	}
	if last.Equal(first) {
		rep.Granularity = ByHour
	}
	rep.Messages = buckets(from, to, loc, rep.Granularity)
	for _, r := range rows {
		rep.Counts.add(r.Counts)
		b := &rep.Messages[bucketOf(from, r.Hour.In(loc), rep.Granularity, len(rep.Messages))]
		b.Sent += r.Counts[parley.StepSent]
		b.Delivered += r.Counts[parley.StepDelivered]
		b.Failed += r.Counts[parley.StepFailed]
		b.Responded += r.Counts[parley.StepResponded]
	}
	c := rep.Counts
	rep.SuccessRate, rep.ResponseRate, rep.OptOutRate = rate(c.Delivered, c.Sent), rate(c.Responded, c.Delivered), rate(c.OptedOut, c.Delivered)
	rep.DeliveryStatus = DeliveryStatus{Sent: c.Sent, Delivered: c.Delivered, Failed: c.Failed}
	rep.ResponseStatus = ResponseStatus{Delivered: c.Delivered, Responded: c.Responded, NotResponded: max(0, c.Delivered-c.Responded)}
	return rep, nil
}

// Days returns the first and last day q covers, each at midnight in now's
// zone: its From and To, or its quick range ending today, or (with
// neither) the last 30 days, or for a campaign created at created, every
// day from its creation to today.
func Days(q Query, now time.Time, created time.Time) (first, last time.Time, err error) {
	loc := now.Location()
	today := midnight(now)
	switch {
	case q.Range != "" && (q.From != "" || q.To != ""):
		return first, last, parley.FieldErrorf("range", "range %q cannot be combined with from and to", q.Range)
	case q.Range != "":
		first, ok := quickStart(q.Range, today)
		if !ok {
			return first, last, parley.FieldErrorf("range", "range %q is not one of %s", q.Range, strings.Join(Ranges, ", "))
		}
		return first, today, nil
	case q.From == "" && q.To == "" && !created.IsZero():
		first = midnight(created.In(loc))
		if first.After(today) {
			first = today
		}
		if today.Sub(first) > MaxDays*24*time.Hour {
			first = today.AddDate(0, 0, -MaxDays+1)
		}
		return first, today, nil
	case q.From == "" && q.To == "":
		return today.AddDate(0, 0, -29), today, nil
	}
	first, last = today.AddDate(0, 0, -29), today
	if q.From != "" {
		if first, err = time.ParseInLocation(dateLayout, q.From, loc); err != nil {
			return first, last, parley.FieldErrorf("from", "from %q is not a date (YYYY-MM-DD)", q.From)
		}
	}
	if q.To != "" {
		if last, err = time.ParseInLocation(dateLayout, q.To, loc); err != nil {
			return first, last, parley.FieldErrorf("to", "to %q is not a date (YYYY-MM-DD)", q.To)
		}
	}
	switch {
	case last.Before(first):
		return first, last, parley.FieldErrorf("to", "to %s is before from %s", last.Format(dateLayout), first.Format(dateLayout))
	case last.Sub(first) >= MaxDays*24*time.Hour:
		return first, last, parley.FieldErrorf("from", "from %s to %s is more than %d days", first.Format(dateLayout), last.Format(dateLayout), MaxDays)
	}
	return first, last, nil
}

// quickStart is the first day of the quick range r ending today.
func quickStart(r string, today time.Time) (time.Time, bool) {
	switch r {
	case RangeToday:
		return today, true
	case RangeThisWeek: // weeks start on Monday (ISO 8601)
		return today.AddDate(0, 0, -((int(today.Weekday()) + 6) % 7)), true
	case RangeThisMonth:
		return time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, today.Location()), true
	case RangeLast30:
		return today.AddDate(0, 0, -29), true
	case RangeLast60:
		return today.AddDate(0, 0, -59), true
	case RangeLast90:
		return today.AddDate(0, 0, -89), true
	case RangeYearToDate:
		return time.Date(today.Year(), 1, 1, 0, 0, 0, 0, today.Location()), true
	}
	return time.Time{}, false
}

func midnight(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
}

// buckets are the empty buckets of [from, to): days (DST days are 23 or
// 25 hours long) or hours.
func buckets(from, to time.Time, loc *time.Location, by string) []Bucket {
	var out []Bucket
	for t := from; t.Before(to); {
		out = append(out, Bucket{Start: t.In(loc)})
		if by == ByHour {
			t = t.Add(time.Hour)
		} else {
			t = t.AddDate(0, 0, 1)
		}
	}
	return out
}

// bucketOf is the index of the bucket at holds.
func bucketOf(from, at time.Time, by string, n int) int {
	var i int
	if by == ByHour {
		i = int(at.Sub(from) / time.Hour)
	} else {
		i = int(midnight(at).Sub(from).Hours()+12) / 24 // rounding absorbs DST's 23 and 25 h days
	}
	return min(max(i, 0), n-1)
}

// rate is num/den as a percentage with two decimals; nil when den is 0.
func rate(num, den int64) *float64 {
	if den == 0 {
		return nil
	}
	r := math.Round(float64(num)*10000/float64(den)) / 100
	return &r
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return slices.Clone(s)
}
