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

// nextIn returns the first instant at or after t at which w is open in loc.
//
// It walks loc's offset periods rather than building each day's opening
// with time.Date, which moves a local time that does not exist (a
// daylight-saving gap, a midnight that is skipped) and picks one of the two
// instants of a repeated one. Within a period the local clock is UTC plus a
// fixed offset, so the next opening there is plain arithmetic; when it would
// fall past the period's end, the search goes on from that end under the
// next offset.
func (w Window) nextIn(t time.Time, loc *time.Location) (time.Time, bool) {
	limit := t.Add(horizon)
	for cur := t; cur.Before(limit); {
		local := cur.In(loc)
		_, offset := local.Zone()
		_, end := local.ZoneBounds()
		if w.OpenIn(cur, loc) {
			return cur, true
		}
		open, ok := w.nextOpening(wall(local))
		if !ok {
			return time.Time{}, false
		}
		at := open.Add(-time.Duration(offset) * time.Second)
		if end.IsZero() || at.Before(end) {
			return at, true
		}
		cur = end
	}
	return time.Time{}, false
}

// wall returns t's local date and clock as the same reading in UTC, where
// they can be stepped through without any zone's discontinuities.
func wall(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

// nextOpening returns the first opening of w (its Start on an allowed day)
// after the wall-clock reading now, read in UTC; ok is false when w allows
// no day.
func (w Window) nextOpening(now time.Time) (time.Time, bool) {
	y, m, d := now.Date()
	for day := range 8 {
		open := time.Date(y, m, d+day, 0, w.Start, 0, 0, time.UTC)
		if open.After(now) && w.Days[open.Weekday()] {
			return open, true
		}
	}
	return time.Time{}, false
}
