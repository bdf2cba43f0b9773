package dialer

import (
	"encoding/json"
	"math"
	"testing"
	"time"
)

var t0 = time.Unix(0, 0).UTC().Add(1000 * time.Hour)

func TestHistogram(t *testing.T) {
	h := newHistogram(10*time.Second, 4)
	for _, d := range []time.Duration{5 * time.Second, 15 * time.Second, 15 * time.Second, 2 * time.Minute} {
		h.Add(d)
	}
	s := h.Survival()
	if s.Mass() != 4 {
		t.Errorf("mass %v, want 4", s.Mass())
	}
	if got := s.Above(10 * time.Second); got != 3 {
		t.Errorf("above 10 s: %v, want 3", got)
	}
	if got := s.Above(15 * time.Second); got != 2 {
		t.Errorf("above 15 s (half of the 10–20 s bucket): %v, want 2", got)
	}
	if got := s.EndsWithin(10*time.Second, 10*time.Second); math.Abs(got-2.0/3) > 1e-9 {
		t.Errorf("ends within 10 s after 10 s: %v, want 2/3", got)
	}
	if got := s.EndsWithin(time.Hour, time.Second); got != 1 {
		t.Errorf("past everything observed: %v, want 1", got)
	}
	h.Decay(0.5)
	if got := h.Mass(); got != 2 {
		t.Errorf("decayed mass %v, want 2", got)
	}
	// Buckets 0, 1, 1 and 3 at their middles: (5+15+15+35)/4 = 17.5 s.
	if got := h.Mean(); got != 17500*time.Millisecond {
		t.Errorf("mean %v, want 17.5s", got)
	}
}

// trained returns a state that has seen a steady campaign: 30% connects
// after 4–20 s, others after 30 s, 150 s talks and 30 s wrap-ups.
func trained() State {
	s := NewState(Config{InitialPickup: 0.5})
	for i := range 400 {
		if i%10 < 3 {
			s.RecordOutcome(true, time.Duration(4+i%17)*time.Second)
		} else {
			s.RecordOutcome(false, 30*time.Second)
		}
		if i%4 == 0 {
			s.RecordHandled(time.Duration(60+i%180)*time.Second, 30*time.Second)
		}
	}
	return s
}

func operators(states ...OperatorState) []Operator {
	ops := make([]Operator, len(states))
	for i, st := range states {
		ops[i] = Operator{State: st, Since: t0.Add(-20 * time.Second)}
	}
	return ops
}

func repeat(st OperatorState, n int) []OperatorState {
	out := make([]OperatorState, n)
	for i := range out {
		out[i] = st
	}
	return out
}

func TestDecideProgressive(t *testing.T) {
	s := NewState(Config{InitialPickup: 0.5})
	ops := operators(Online, Online, Online, Busy, WrapUp, Offline)
	lines := []Line{{PlacedAt: t0.Add(-5 * time.Second)}}
	cases := []struct {
		name     string
		cfg      Config
		callable int
		want     int
	}{
		{"one line per Online operator", Config{Mode: ModeProgressive}, 100, 2},
		{"no more than callable", Config{Mode: ModeProgressive}, 1, 1},
		{"preview places nothing", Config{Mode: ModePreview}, 100, 0},
		{"predictive without history", Config{Mode: ModePredictive}, 100, 2},
	}
	for _, c := range cases {
		d := Decide(c.cfg, &s, Snapshot{Now: t0, Operators: ops, Lines: lines, Callable: c.callable})
		if d.Dial != c.want {
			t.Errorf("%s: dial %d, want %d", c.name, d.Dial, c.want)
		}
	}
	// With history but fewer than MinOperators logged in: progressive.
	s = trained()
	d := Decide(Config{Mode: ModePredictive}, &s, Snapshot{Now: t0, Operators: operators(Online, Online, Busy, Busy), Callable: 100})
	if d.Mode != ModeProgressive || d.Dial != 2 {
		t.Errorf("4 operators: %+v, want progressive with 2 dials", d)
	}
}

func TestDecidePredictive(t *testing.T) {
	s := trained()
	cfg := Config{Mode: ModePredictive}
	allOnline := Decide(cfg, &s, Snapshot{Now: t0, Operators: operators(repeat(Online, 10)...), Callable: 1000})
	if allOnline.Mode != ModePredictive {
		t.Fatalf("mode %s, want predictive", allOnline.Mode)
	}
	if allOnline.Dial < 10 || float64(allOnline.Dial) > MaxLinesPerOperator*allOnline.Capacity {
		t.Errorf("10 Online: dial %d for capacity %.1f, want between 10 and 3 per operator", allOnline.Dial, allOnline.Capacity)
	}
	// It stops where one more call would risk more than the limit (or at
	// the line cap).
	if allOnline.Risk <= allOnline.Limit && float64(allOnline.Dial+1) <= MaxLinesPerOperator*allOnline.Capacity {
		t.Errorf("stopped at %d calls with risk %.4f under the limit %.4f", allOnline.Dial, allOnline.Risk, allOnline.Limit)
	}

	// Operators who just started talking will not be free for minutes.
	justBusy := operators(repeat(Busy, 10)...)
	for i := range justBusy {
		justBusy[i].Since = t0
	}
	if d := Decide(cfg, &s, Snapshot{Now: t0, Operators: justBusy, Callable: 1000}); d.Dial > 1 {
		t.Errorf("10 operators just busy: dial %d, want at most 1", d.Dial)
	}

	// Operators near the end of their wrap-up are nearly free: dial ahead,
	// unless they are leaving.
	wrapping := operators(repeat(WrapUp, 10)...)
	for i := range wrapping {
		wrapping[i].Since = t0.Add(-29 * time.Second)
	}
	ahead := Decide(cfg, &s, Snapshot{Now: t0, Operators: wrapping, Callable: 1000})
	if ahead.Dial < 5 {
		t.Errorf("10 operators finishing wrap-up: dial %d, want dialling ahead", ahead.Dial)
	}
	for i := range wrapping {
		wrapping[i].Leaving = true
	}
	if d := Decide(cfg, &s, Snapshot{Now: t0, Operators: wrapping, Callable: 1000}); d.Dial != 0 {
		t.Errorf("10 operators leaving after wrap-up: dial %d, want 0", d.Dial)
	}

	// Calls already ringing take capacity; an answered call waiting takes
	// an operator for certain.
	var lines []Line
	for range 10 {
		lines = append(lines, Line{PlacedAt: t0.Add(-2 * time.Second)})
	}
	lines = append(lines, Line{PlacedAt: t0.Add(-10 * time.Second), ConnectedAt: t0})
	withLines := Decide(cfg, &s, Snapshot{Now: t0, Operators: operators(repeat(Online, 10)...), Lines: lines, Callable: 1000})
	if withLines.Dial >= allOnline.Dial {
		t.Errorf("with 11 lines in flight: dial %d, want fewer than %d", withLines.Dial, allOnline.Dial)
	}
}

func TestLimitFollowsAbandonment(t *testing.T) {
	s := trained()
	calm := s.limit(t0)
	for range 300 {
		s.RecordLive(t0, false, 0)
	}
	for range 30 {
		s.RecordLive(t0, true, 0)
	}
	if hot := s.limit(t0); hot >= calm/4 {
		t.Errorf("limit %.4f after 9%% abandoned, want far below %.4f", hot, calm)
	}
	// An hour later the last hour is quiet, but the cumulative rate still
	// holds the limit down.
	if later := s.limit(t0.Add(2 * time.Hour)); later >= calm {
		t.Errorf("limit %.4f two hours later, want below %.4f", later, calm)
	}
}

func TestRecordLive(t *testing.T) {
	s := NewState(Config{})
	s.RecordLive(t0, false, 0.2)
	s.RecordLive(t0.Add(time.Minute), true, 0.2)
	// Each live answer let through stands for 1/(1−0.2) live people, 0.25
	// of them lost to the detector.
	if math.Abs(s.Live-2.5) > 1e-9 || math.Abs(s.Abandoned-1.5) > 1e-9 {
		t.Errorf("live %v abandoned %v, want 2.5 and 1.5", s.Live, s.Abandoned)
	}
	if l, a := s.LastHour(t0.Add(30 * time.Minute)); math.Abs(l-2.5) > 1e-9 || math.Abs(a-1.5) > 1e-9 {
		t.Errorf("last hour %v/%v, want 2.5/1.5", l, a)
	}
	if l, _ := s.LastHour(t0.Add(61 * time.Minute)); l != 0 {
		t.Errorf("an hour later the last hour holds %v live answers, want 0", l)
	}
	// A slot reused twelve slots later starts afresh.
	s.RecordLive(t0.Add(time.Hour), false, 0)
	if l, _ := s.LastHour(t0.Add(time.Hour)); l != 1 {
		t.Errorf("reused slot holds %v, want 1", l)
	}
}

func TestHourAim(t *testing.T) {
	if got := hourAim(400); got != MaxAbandon*aimShare {
		t.Errorf("400 live an hour: aim %.4f, want the full %.4f", got, MaxAbandon*aimShare)
	}
	small, smaller := hourAim(150), hourAim(60)
	if !(smaller < small && small < MaxAbandon*aimShare) {
		t.Errorf("aims %.4f (60/h) and %.4f (150/h): want lower for fewer answers", smaller, small)
	}
	if p := poissonAbove(small*150, 7); p > hourRisk+1e-6 {
		t.Errorf("P(hour over 5%%) at aim %.4f is %.4f, want ≤ %v", small, p, hourRisk)
	}
	if p := poissonAbove(2, 0); math.Abs(p-(1-math.Exp(-2))) > 1e-12 {
		t.Errorf("poissonAbove(2, 0) = %v", p)
	}
}

func TestStateJSON(t *testing.T) {
	s := trained()
	s.RecordLive(t0, true, 0.01)
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back State
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	snap := Snapshot{Now: t0, Operators: operators(repeat(WrapUp, 12)...), Callable: 100}
	cfg := Config{Mode: ModePredictive}
	if a, b := Decide(cfg, &s, snap), Decide(cfg, &back, snap); a != b {
		t.Errorf("decision before storing %+v, after %+v", a, b)
	}
}
