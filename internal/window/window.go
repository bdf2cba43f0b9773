// Package window decides when a consumer may be messaged: a campaign's local
// delivery window (time of day and days of week) must be open in every time
// zone the consumer's number may be in, between the campaign's optional start
// and end. Local times come from the tz database through time.Location, so
// daylight-saving changes are handled by the zone rules, never by fixed
// offsets.
//
// The package is pure: it does no I/O and reads no clock.
package window

import (
	"fmt"
	"strings"
	"time"
)

// Window is a daily local window [Start, End) on the allowed weekdays.
// Start and End are minutes after local midnight; End may be 24:00.
type Window struct {
	Start int     `json:"start"`
	End   int     `json:"end"`
	Days  [7]bool `json:"days"` // indexed by time.Weekday
}

// SMS bounds: an SMS window can never reach outside 08:00–21:00 local.
const (
	SMSEarliest = 8 * 60
	SMSLatest   = 21 * 60
)

// AllDays allows every weekday.
var AllDays = [7]bool{true, true, true, true, true, true, true}

// Default is the window a campaign gets when it names none: 08:00–21:00,
// every day.
var Default = Window{Start: SMSEarliest, End: SMSLatest, Days: AllDays}

// Always is open at every instant.
var Always = Window{Start: 0, End: 24 * 60, Days: AllDays}

var dayNames = map[string]time.Weekday{
	"SUN": time.Sunday, "MON": time.Monday, "TUE": time.Tuesday, "WED": time.Wednesday,
	"THU": time.Thursday, "FRI": time.Friday, "SAT": time.Saturday,
}

// FieldError names the part of a window that is wrong.
type FieldError struct {
	Field, Message string
}

// Error implements error.
func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

func fieldErrorf(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// Parse reads a window as the API carries it: "HH:MM" start and end and day
// names (MON…SUN; none means every day). field prefixes error field names.
func Parse(field, start, end string, days []string) (Window, error) {
	var w Window
	var err error
	if w.Start, err = parseClock(field+".start", start, false); err != nil {
		return Window{}, err
	}
	if w.End, err = parseClock(field+".end", end, true); err != nil {
		return Window{}, err
	}
	if w.Start >= w.End {
		return Window{}, fieldErrorf(field, "window start %s must be before its end %s", start, end)
	}
	if len(days) == 0 {
		w.Days = AllDays
	}
	for i, d := range days {
		wd, ok := dayNames[strings.ToUpper(strings.TrimSpace(d))]
		if !ok {
			return Window{}, fieldErrorf(fmt.Sprintf("%s.days[%d]", field, i), "%q is not a day; use MON, TUE, WED, THU, FRI, SAT or SUN", d)
		}
		w.Days[wd] = true
	}
	return w, nil
}

func parseClock(field, s string, end bool) (int, error) {
	var h, m int
	if len(s) != 5 || s[2] != ':' {
		return 0, fieldErrorf(field, "%q is not a time of day HH:MM", s)
	}
	if _, err := fmt.Sscanf(s, "%02d:%02d", &h, &m); err != nil || m > 59 || h > 24 || (h == 24 && (m != 0 || !end)) {
		return 0, fieldErrorf(field, "%q is not a time of day HH:MM (00:00 to 23:59, or 24:00 as an end)", s)
	}
	return h*60 + m, nil
}

// String formats the window as "08:00-21:00 MON,TUE,…".
func (w Window) String() string {
	var days []string
	for _, name := range []string{"MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"} {
		if w.Days[dayNames[name]] {
			days = append(days, name)
		}
	}
	return fmt.Sprintf("%02d:%02d-%02d:%02d %s", w.Start/60, w.Start%60, w.End/60, w.End%60, strings.Join(days, ","))
}

// WithinSMS reports whether w stays inside the SMS bounds.
func (w Window) WithinSMS() bool { return w.Start >= SMSEarliest && w.End <= SMSLatest }

// OpenIn reports whether w is open at t in loc.
func (w Window) OpenIn(t time.Time, loc *time.Location) bool {
	local := t.In(loc)
	if !w.Days[local.Weekday()] {
		return false
	}
	minute := local.Hour()*60 + local.Minute()
	return minute >= w.Start && minute < w.End
}

// Open reports whether w is open at t in every one of zones.
func (w Window) Open(t time.Time, zones []*time.Location) bool {
	for _, z := range zones {
		if !w.OpenIn(t, z) {
			return false
		}
	}
	return true
}

// horizon bounds the search for a common open instant: a weekly window
// repeats, so if none opens in this long, none ever will.
const horizon = 15 * 24 * time.Hour

// Next returns t when w is open at t in every one of zones, else the first
// whole minute after t when it is. ok is false when there is none within horizon.
func (w Window) Next(t time.Time, zones []*time.Location) (time.Time, bool) {
	if w.Open(t, zones) {
		return t, true
	}
	t = t.Truncate(time.Minute).Add(time.Minute)
	limit := t.Add(horizon)
	for t.Before(limit) {
		moved := false
		for _, z := range zones {
			if w.OpenIn(t, z) {
				continue
			}
			next, ok := w.nextIn(t, z)
			if !ok {
				return time.Time{}, false
			}
			t, moved = next, true
		}
		if !moved {
			return t, true
		}
	}
	return time.Time{}, false
}

// nextIn returns the first instant after t at which w opens in loc.
func (w Window) nextIn(t time.Time, loc *time.Location) (time.Time, bool) {
	local := t.In(loc)
	for day := 0; day <= 8; day++ {
		y, m, d := local.Date()
		open := time.Date(y, m, d+day, w.Start/60, w.Start%60, 0, 0, loc)
		if !open.After(t) {
			continue
		}
		if w.OpenIn(open, loc) {
			return open, true
		}
		// The opening fell into a daylight-saving gap or outside the
		// allowed days; the first open minute of that day, if any, follows.
		if u, ok := w.firstOpenMinute(open, loc); ok {
			return u, true
		}
	}
	return time.Time{}, false
}

// firstOpenMinute scans the local day of from, minute by minute, for the
// first instant at which w is open in loc. It runs only on days whose
// nominal opening does not exist locally.
func (w Window) firstOpenMinute(from time.Time, loc *time.Location) (time.Time, bool) {
	y, m, d := from.In(loc).Date()
	end := time.Date(y, m, d+1, 0, 0, 0, 0, loc)
	for u := from; u.Before(end); u = u.Add(time.Minute) {
		if w.OpenIn(u, loc) {
			return u, true
		}
	}
	return time.Time{}, false
}
