package window

import (
	"math/rand/v2"
	"testing"
	"time"

	_ "time/tzdata"
)

func loc(t testing.TB, name string) *time.Location {
	t.Helper()
	l, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestParse(t *testing.T) {
	tests := []struct {
		start, end string
		days       []string
		want       string
		field      string
	}{
		{"08:00", "21:00", nil, "08:00-21:00 MON,TUE,WED,THU,FRI,SAT,SUN", ""},
		{"09:30", "17:00", []string{"mon", " FRI "}, "09:30-17:00 MON,FRI", ""},
		{"00:00", "24:00", []string{"SAT", "SUN"}, "00:00-24:00 SAT,SUN", ""},
		{"8:00", "21:00", nil, "", "deliveryWindow.start"},
		{"08:00", "25:00", nil, "", "deliveryWindow.end"},
		{"24:00", "24:00", nil, "", "deliveryWindow.start"},
		{"08:60", "21:00", nil, "", "deliveryWindow.start"},
		{"21:00", "08:00", nil, "", "deliveryWindow"},
		{"08:00", "08:00", nil, "", "deliveryWindow"},
		{"08:00", "21:00", []string{"MON", "Funday"}, "", "deliveryWindow.days[1]"},
	}
	for _, tt := range tests {
		w, err := Parse("deliveryWindow", tt.start, tt.end, tt.days)
		if tt.field != "" {
			if err == nil || fieldOf(err) != tt.field {
				t.Errorf("Parse(%s, %s, %v) = %v, want an error on %s", tt.start, tt.end, tt.days, err, tt.field)
			}
			continue
		}
		if err != nil || w.String() != tt.want {
			t.Errorf("Parse(%s, %s, %v) = %s, %v; want %s", tt.start, tt.end, tt.days, w, err, tt.want)
		}
	}
}

func TestNext(t *testing.T) {
	ny, la, tokyo := loc(t, "America/New_York"), loc(t, "America/Los_Angeles"), loc(t, "Asia/Tokyo")
	weekdays, _ := Parse("w", "09:00", "17:00", []string{"MON", "TUE", "WED", "THU", "FRI"})
	at := func(l *time.Location, s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", s, l)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	tests := []struct {
		name  string
		w     Window
		from  time.Time
		zones []*time.Location
		want  time.Time
		ok    bool
	}{
		{"open now", Default, at(ny, "2026-11-21 10:00"), []*time.Location{ny}, at(ny, "2026-11-21 10:00"), true},
		{"seed example: 6 PM PST campaign to a 9 PM EST recipient goes at 8 AM EST", Default, at(la, "2026-11-20 18:00"), []*time.Location{ny}, at(ny, "2026-11-21 08:00"), true},
		{"before opening", Default, at(ny, "2026-11-21 06:59"), []*time.Location{ny}, at(ny, "2026-11-21 08:00"), true},
		{"at closing", Default, at(ny, "2026-11-21 21:00"), []*time.Location{ny}, at(ny, "2026-11-22 08:00"), true},
		{"last open minute", Default, at(ny, "2026-11-21 20:59"), []*time.Location{ny}, at(ny, "2026-11-21 20:59"), true},
		{"both coasts: waits for LA", Default, at(ny, "2026-11-21 08:30"), []*time.Location{ny, la}, at(la, "2026-11-21 08:00"), true},
		{"both coasts: open together until NY closes", Default, at(ny, "2026-11-21 20:30"), []*time.Location{ny, la}, at(ny, "2026-11-21 20:30"), true},
		{"both coasts: NY closed, then LA closed", Default, at(ny, "2026-11-21 21:30"), []*time.Location{ny, la}, at(la, "2026-11-22 08:00"), true},
		{"weekend skipped", weekdays, at(ny, "2026-11-20 17:30"), []*time.Location{ny}, at(ny, "2026-11-23 09:00"), true},
		{"no common window", weekdays, at(ny, "2026-11-23 09:00"), []*time.Location{ny, tokyo}, time.Time{}, false},
		{"spring forward day", Default, at(ny, "2026-03-08 01:30"), []*time.Location{ny}, at(ny, "2026-03-08 08:00"), true},
		{"fall back day", Default, at(ny, "2026-11-01 01:30"), []*time.Location{ny}, at(ny, "2026-11-01 08:00"), true},
		{"no zones: always the instant itself", Default, at(ny, "2026-11-21 03:00"), nil, at(ny, "2026-11-21 03:00"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.w.Next(tt.from, tt.zones)
			if ok != tt.ok || !got.Equal(tt.want) {
				t.Errorf("Next = %s, %v; want %s, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestMidnightTransition(t *testing.T) {
	// Santiago moves its clocks at local midnight. On the day clocks spring
	// forward the hour 00:00–01:00 does not exist, so a 00:00–01:00 window
	// does not open that day at all; on every other day it opens at 00:00.
	scl := loc(t, "America/Santiago")
	w := Window{Start: 0, End: 60, Days: AllDays}
	for day := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC); day.Year() < 2028; day = day.Add(24 * time.Hour) {
		got, ok := w.Next(day, []*time.Location{scl})
		if !ok || !w.OpenIn(got, scl) || got.Sub(day) > 48*time.Hour {
			t.Fatalf("Next(%s) = %s, %v", day, got, ok)
		}
		for u := day.Add(time.Minute); u.Before(got); u = u.Add(time.Minute) {
			if w.OpenIn(u, scl) {
				t.Fatalf("Next(%s) = %s skipped the open minute %s", day, got, u)
			}
		}
	}
}

func TestSchedule(t *testing.T) {
	ny := loc(t, "America/New_York")
	zones := []*time.Location{ny}
	now := time.Date(2026, 11, 21, 15, 0, 0, 0, time.UTC) // 10:00 in New York
	tests := []struct {
		name string
		s    Schedule
		want time.Time
		ok   bool
	}{
		{"now", Schedule{Window: Default}, now, true},
		{"future start", Schedule{Window: Default, StartAt: now.Add(48 * time.Hour)}, now.Add(48 * time.Hour), true},
		{"start at night waits for the window", Schedule{Window: Default, StartAt: time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)}, time.Date(2026, 11, 22, 13, 0, 0, 0, time.UTC), true},
		{"end before the next window", Schedule{Window: Default, StartAt: time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC), EndAt: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}, time.Time{}, false},
		{"ended", Schedule{Window: Default, EndAt: now}, time.Time{}, false},
	}
	for _, tt := range tests {
		got, ok := tt.s.Due(now, zones)
		if ok != tt.ok || !got.Equal(tt.want) {
			t.Errorf("%s: Due = %s, %v; want %s, %v", tt.name, got, ok, tt.want, tt.ok)
		}
		if ok && !tt.s.OpenAt(got, zones) {
			t.Errorf("%s: Due %s is not open", tt.name, got)
		}
	}
}

// transitions returns the instants in [from, to) at which loc's offset
// changes, to the minute.
func transitions(loc *time.Location, from, to time.Time) []time.Time {
	var out []time.Time
	_, prev := from.In(loc).Zone()
	for t := from; t.Before(to); t = t.Add(time.Hour) {
		if _, off := t.In(loc).Zone(); off != prev {
			u := t.Add(-time.Hour)
			for ; ; u = u.Add(time.Minute) {
				if _, o := u.In(loc).Zone(); o == off {
					break
				}
			}
			out = append(out, u)
			prev = off
		}
	}
	return out
}

// zoneSets are zone sets real phone numbers map to, including numbers that
// map to several zones.
var zoneSets = [][]string{
	{"America/New_York"}, {"America/Los_Angeles"}, {"America/Chicago", "America/New_York"},
	{"America/Denver", "America/Phoenix"}, {"Europe/London"}, {"Europe/Berlin"}, {"Australia/Sydney"},
	{"Australia/Adelaide", "Australia/Sydney", "Australia/Perth"}, {"America/Santiago"}, {"Asia/Kolkata"},
	{"America/Sao_Paulo"}, {"Pacific/Auckland"}, {"Asia/Tehran"}, {"Africa/Cairo"}, {"America/Havana"},
	{"Pacific/Chatham"}, {"Australia/Lord_Howe"}, {"America/St_Johns", "America/Halifax"},
}

// TestNeverOutsideWindow is the property: whatever the zones, window and
// instant — including around every DST transition of 2026 and 2027 in those
// zones — the instant chosen is open in all zones, is not before the
// request, and no earlier open minute was skipped.
func TestNeverOutsideWindow(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	from, to := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC)
	var instants []time.Time
	sets := make([][]*time.Location, len(zoneSets))
	for i, names := range zoneSets {
		for _, n := range names {
			l := loc(t, n)
			sets[i] = append(sets[i], l)
			for _, tr := range transitions(l, from, to) {
				for d := -3 * time.Hour; d <= 3*time.Hour; d += 17 * time.Minute {
					instants = append(instants, tr.Add(d))
				}
			}
		}
	}
	for range 2000 {
		instants = append(instants, from.Add(time.Duration(rng.Int64N(int64(to.Sub(from))))))
	}
	checked := 0
	for _, t0 := range instants {
		zones := sets[rng.IntN(len(sets))]
		w := randomWindow(rng)
		got, ok := w.Next(t0, zones)
		if !ok {
			continue
		}
		checked++
		if got.Before(t0) || !w.Open(got, zones) {
			t.Fatalf("window %s zones %v from %s: Next = %s is outside the window", w, zones, t0, got)
		}
		if got.Sub(t0) < 36*time.Hour {
			for u := t0.Truncate(time.Minute).Add(time.Minute); u.Before(got); u = u.Add(time.Minute) {
				if w.Open(u, zones) {
					t.Fatalf("window %s zones %v from %s: Next = %s skipped the open minute %s", w, zones, t0, got, u)
				}
			}
		}
	}
	if checked < len(instants)/2 {
		t.Errorf("only %d of %d instants had an open window; the property was barely exercised", checked, len(instants))
	}
}

func randomWindow(rng *rand.Rand) Window {
	if rng.IntN(3) == 0 {
		return Default
	}
	start := SMSEarliest + rng.IntN(10*60)
	w := Window{Start: start, End: start + 30 + rng.IntN(SMSLatest-start-29)}
	for d := range w.Days {
		w.Days[d] = rng.IntN(4) != 0
	}
	w.Days[rng.IntN(7)] = true
	return w
}

func fieldOf(err error) string {
	if fe, ok := err.(*FieldError); ok {
		return fe.Field
	}
	return ""
}

func TestZeroScheduleIsDefault(t *testing.T) {
	ny := []*time.Location{loc(t, "America/New_York")}
	night := time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC) // 22:00 in New York
	if (Schedule{}).OpenAt(night, ny) {
		t.Error("a zero schedule is open at 22:00 local; it must mean the default 08:00-21:00 window")
	}
	got, ok := Schedule{}.Due(night, ny)
	if want := time.Date(2026, 11, 21, 13, 0, 0, 0, time.UTC); !ok || !got.Equal(want) {
		t.Errorf("zero schedule Due = %s, %v; want %s", got, ok, want)
	}
}
