package window

import (
	"archive/zip"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// reference is Next by brute force: the request instant when it is open,
// else the first whole minute after it that is open in every zone, looked
// for minute by minute within the same horizon.
func reference(w Window, t time.Time, zones []*time.Location) (time.Time, bool) {
	if w.Open(t, zones) {
		return t, true
	}
	start := t.Truncate(time.Minute).Add(time.Minute)
	for u := start; u.Before(start.Add(horizon)); u = u.Add(time.Minute) {
		if w.Open(u, zones) {
			return u, true
		}
	}
	return time.Time{}, false
}

// TestNextAtDaylightSavingChanges holds the cases where building each
// day's opening from the local date loses the first open instant: a gap
// that swallows the opening, a repeated hour whose first occurrence is the
// opening, a day whose midnight does not exist, and two zones whose windows
// meet only on the night one of them repeats an hour.
func TestNextAtDaylightSavingChanges(t *testing.T) {
	ny, syd, scl := loc(t, "America/New_York"), loc(t, "Australia/Sydney"), loc(t, "America/Santiago")
	boise, la := loc(t, "America/Boise"), loc(t, "America/Los_Angeles")
	utc := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	window := func(start, end string, days ...string) Window {
		w, err := Parse("w", start, end, days)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	tests := []struct {
		name  string
		w     Window
		from  string
		zones []*time.Location
		want  string // "" when there is no open instant
	}{
		{"New York 02:30-04:00 on the spring-forward night opens at 03:00 EDT",
			window("02:30", "04:00"), "2027-03-14T06:30:00Z", []*time.Location{ny}, "2027-03-14T07:00:00Z"},
		{"New York 02:00-03:00 does not exist on the spring-forward night: the next day",
			window("02:00", "03:00"), "2027-03-14T06:30:00Z", []*time.Location{ny}, "2027-03-15T06:00:00Z"},
		{"Sydney 02:00-03:00 on the fall-back night opens at the first 02:00 (AEDT)",
			window("02:00", "03:00"), "2027-04-03T14:00:00Z", []*time.Location{syd}, "2027-04-03T15:00:00Z"},
		{"Sydney: between the two 02:00s the window is still open",
			window("02:00", "03:00"), "2027-04-03T15:59:00Z", []*time.Location{syd}, "2027-04-03T15:59:00Z"},
		{"Sydney: after the first 02:00-03:00 the repeated hour is open again",
			window("02:00", "03:00"), "2027-04-03T16:00:00Z", []*time.Location{syd}, "2027-04-03T16:00:00Z"},
		{"Santiago Sunday-only 00:00-02:00 on the day whose midnight is skipped opens at 01:00",
			window("00:00", "02:00", "SUN"), "2026-09-05T16:00:00Z", []*time.Location{scl}, "2026-09-06T04:00:00Z"},
		{"Boise and Los Angeles 00:30-01:30 meet only on the fall-back night",
			window("00:30", "01:30"), "2026-10-31T12:00:00Z", []*time.Location{boise, la}, "2026-11-01T08:00:00Z"},
		{"Boise and Los Angeles 00:30-01:30: after that night, a year later",
			window("00:30", "01:30"), "2026-11-01T08:30:00Z", []*time.Location{boise, la}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from := utc(tt.from)
			got, ok := tt.w.Next(from, tt.zones)
			ref, refOK := reference(tt.w, from, tt.zones)
			if ok != refOK || !got.Equal(ref) {
				t.Fatalf("Next = %s, %v; the minute-by-minute reference %s, %v", got, ok, ref, refOK)
			}
			if tt.want == "" {
				if ok {
					t.Fatalf("Next = %s, want no open instant", got)
				}
				return
			}
			if want := utc(tt.want); !ok || !got.Equal(want) {
				t.Fatalf("Next = %s, %v; want %s", got.UTC(), ok, want)
			}
		})
	}
}

// TestNextMatchesReference is the property on a sample: for random zones
// of the tz database, windows and instants — most of them near a change of
// offset in 2026–2030 — Next gives the reference's answer. make verify
// runs the full sweep (TestNextSweep).
func TestNextMatchesReference(t *testing.T) {
	names := zoneNames(t)
	rng := rand.New(rand.NewPCG(15, 2026))
	from, to := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
	for range 60 {
		z := loc(t, names[rng.IntN(len(names))])
		zones := []*time.Location{z}
		if rng.IntN(3) == 0 {
			zones = append(zones, loc(t, names[rng.IntN(len(names))]))
		}
		trs := transitions(z, from, to)
		for range 8 {
			t0 := from.Add(time.Duration(rng.Int64N(int64(to.Sub(from)))))
			if len(trs) > 0 && rng.IntN(4) > 0 {
				t0 = trs[rng.IntN(len(trs))].Add(time.Duration(rng.IntN(6*60)-4*60) * time.Minute)
			}
			checkReference(t, anyWindow(rng), t0, zones)
		}
	}
}

// TestNextSweep checks Next against the reference for every zone of the
// tz database: around each change of offset from 2026 to 2030, from every
// half hour of the three hours before it to the hour after, for windows of
// 30, 60, 90 minutes and 13 hours opening at every hour of the day, every
// day or Sundays only. It takes minutes, so it runs only when PARLEY_SWEEP
// is set (make verify).
func TestNextSweep(t *testing.T) {
	if os.Getenv("PARLEY_SWEEP") == "" {
		t.Skip("the full sweep runs in make verify (PARLEY_SWEEP=1)")
	}
	from, to := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
	var windows []Window
	for start := 0; start < 24*60; start += 60 {
		for _, length := range []int{30, 60, 90, 13 * 60} {
			if end := start + length; end <= 24*60 {
				windows = append(windows, Window{Start: start, End: end, Days: AllDays})
				sunday := Window{Start: start, End: end}
				sunday.Days[time.Sunday] = true
				windows = append(windows, sunday)
			}
		}
	}
	var cases atomic.Int64
	t.Cleanup(func() { t.Logf("%d cases", cases.Load()) })
	for _, name := range zoneNames(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			z := loc(t, name)
			zones := []*time.Location{z}
			for _, tr := range transitions(z, from, to) {
				for d := -3 * time.Hour; d < time.Hour; d += 30 * time.Minute {
					for _, w := range windows {
						checkReference(t, w, tr.Add(d), zones)
						cases.Add(1)
					}
				}
			}
		})
	}
}

func checkReference(t *testing.T, w Window, t0 time.Time, zones []*time.Location) {
	t.Helper()
	got, ok := w.Next(t0, zones)
	want, wantOK := reference(w, t0, zones)
	if ok != wantOK || !got.Equal(want) {
		t.Fatalf("window %s zones %v from %s: Next = %s, %v; reference %s, %v", w, zones, t0.UTC(), got.UTC(), ok, want.UTC(), wantOK)
	}
}

// anyWindow is a random window of any length and days, not only an SMS one.
func anyWindow(rng *rand.Rand) Window {
	start := rng.IntN(24*60-1) / 15 * 15
	w := Window{Start: start, End: start + 1 + rng.IntN(24*60-start)}
	for d := range w.Days {
		w.Days[d] = rng.IntN(3) != 0
	}
	w.Days[rng.IntN(7)] = true
	return w
}

// zoneNames lists every zone of the tz database Go embeds.
func zoneNames(t *testing.T) []string {
	t.Helper()
	root, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env GOROOT: %v", err)
	}
	r, err := zip.OpenReader(filepath.Join(strings.TrimSpace(string(root)), "lib", "time", "zoneinfo.zip"))
	if err != nil {
		t.Fatalf("the tz database: %v", err)
	}
	defer r.Close()
	var names []string
	for _, f := range r.File {
		if !strings.HasSuffix(f.Name, "/") {
			names = append(names, f.Name)
		}
	}
	slices.Sort(names)
	if len(names) < 300 {
		t.Fatalf("only %d zones in the tz database", len(names))
	}
	return names
}
