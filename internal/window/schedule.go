package window

import "time"

// Schedule is a campaign's sending policy: its window and the span in which
// it may send. A zero Window means Default, a zero StartAt "from
// acceptance", a zero EndAt no end.
type Schedule struct {
	Window  Window    `json:"window"`
	StartAt time.Time `json:"startAt"`
	EndAt   time.Time `json:"endAt"`
}

// Due returns when a recipient in zones may first be sent to, at or after
// now. ok is false when no open instant falls before EndAt (or at all): the
// recipient expires unsent.
func (s Schedule) Due(now time.Time, zones []*time.Location) (time.Time, bool) {
	from := now
	if s.StartAt.After(from) {
		from = s.StartAt
	}
	due, ok := s.window().Next(from, zones)
	if !ok || (!s.EndAt.IsZero() && !due.Before(s.EndAt)) {
		return time.Time{}, false
	}
	return due, true
}

// OpenAt reports whether a message may go out at t: inside the span and
// with the window open in all zones.
func (s Schedule) OpenAt(t time.Time, zones []*time.Location) bool {
	if t.Before(s.StartAt) || (!s.EndAt.IsZero() && !t.Before(s.EndAt)) {
		return false
	}
	return s.window().Open(t, zones)
}

func (s Schedule) window() Window {
	if s.Window == (Window{}) {
		return Default
	}
	return s.Window
}
