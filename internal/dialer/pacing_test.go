package dialer

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

var seeds = []uint64{1, 2, 3, 4, 5, 6}

// TestPredictiveBeatsProgressive is the acceptance scenario: 20 operators,
// 30% live answers, 180 s handling.
func TestPredictiveBeatsProgressive(t *testing.T) {
	for _, seed := range seeds {
		prog := runSim(baseline(seed, ModeProgressive))
		pred := runSim(baseline(seed, ModePredictive))
		if prog.Dropped != 0 {
			t.Errorf("seed %d: progressive dropped %d answered calls", seed, prog.Dropped)
		}
		if pred.Occupancy < 0.85 {
			t.Errorf("seed %d: predictive occupancy %.3f, want ≥ 0.85", seed, pred.Occupancy)
		}
		if pred.Occupancy < prog.Occupancy+0.10 {
			t.Errorf("seed %d: predictive occupancy %.3f is not 10 points above progressive's %.3f", seed, pred.Occupancy, prog.Occupancy)
		}
		if rate := pred.AbandonRate(); rate > MaxAbandon {
			t.Errorf("seed %d: predictive abandoned %.2f%% of live answers, want ≤ 3%%", seed, 100*rate)
		}
		if pred.MaxHourRate > HourCeiling {
			t.Errorf("seed %d: a rolling hour abandoned %.2f%%, want ≤ 5%%", seed, 100*pred.MaxHourRate)
		}
		for _, r := range []simResult{prog, pred} {
			if len(r.Violations) > 0 {
				t.Errorf("seed %d: line bounds broken: %s", seed, strings.Join(r.Violations[:min(3, len(r.Violations))], "; "))
			}
		}
		// Before it has history, predictive runs progressive.
		if pred.Modes[ModeProgressive] == 0 || pred.Modes[ModePredictive] == 0 {
			t.Errorf("seed %d: decisions by mode %v, want a progressive warm-up then predictive", seed, pred.Modes)
		}
	}
}

// TestPredictiveAdapts changes the campaign mid-run: the answer rate halves,
// or half the operators log off after their current call.
func TestPredictiveAdapts(t *testing.T) {
	cases := map[string]func(*simParams){
		"answer rate halves": func(p *simParams) { p.HumanAfter = p.Human / 2 },
		"operators 20 to 10": func(p *simParams) { p.OperatorsAfter = 10 },
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			for _, seed := range seeds {
				p := baseline(seed, ModePredictive)
				p.ChangeAt = 4 * time.Hour
				change(&p)
				r := runSim(p)
				if rate := r.AbandonRate(); rate > MaxAbandon {
					t.Errorf("seed %d: abandoned %.2f%% of live answers, want ≤ 3%%", seed, 100*rate)
				}
				if r.MaxHourRate > HourCeiling {
					t.Errorf("seed %d: a rolling hour abandoned %.2f%%, want ≤ 5%%", seed, 100*r.MaxHourRate)
				}
				if len(r.Violations) > 0 {
					t.Errorf("seed %d: line bounds broken: %s", seed, r.Violations[0])
				}
			}
		})
	}
}

// TestOperatorsLeaveUnannounced: operators who log off without saying so
// first are capacity the pacer dialled for; the campaign still stays under
// the cumulative ceiling.
func TestOperatorsLeaveUnannounced(t *testing.T) {
	for _, seed := range seeds {
		p := baseline(seed, ModePredictive)
		p.ChangeAt = 4 * time.Hour
		p.OperatorsAfter = 10
		p.Unannounced = true
		r := runSim(p)
		if rate := r.AbandonRate(); rate > MaxAbandon {
			t.Errorf("seed %d: abandoned %.2f%% of live answers, want ≤ 3%%", seed, 100*rate)
		}
	}
}

// TestSmallTeamIsProgressive: below MinOperators predictive mode never
// dials ahead, so nothing is dropped.
func TestSmallTeamIsProgressive(t *testing.T) {
	for _, seed := range seeds[:3] {
		p := baseline(seed, ModePredictive)
		p.Operators = MinOperators - 1
		r := runSim(p)
		if r.Modes[ModePredictive] != 0 || r.Dropped != 0 {
			t.Errorf("seed %d: %d operators: modes %v, %d dropped; want progressive only, none dropped", seed, p.Operators, r.Modes, r.Dropped)
		}
	}
}

// TestPreviewNeverAbandons: a preview call belongs to the operator who
// accepted it.
func TestPreviewNeverAbandons(t *testing.T) {
	for _, seed := range seeds[:3] {
		r := runSim(baseline(seed, ModePreview))
		if r.Dropped != 0 || r.DetectorLost != 0 || r.Live == 0 {
			t.Errorf("seed %d: preview: %d live, %d dropped, %d lost; want live answers and none abandoned", seed, r.Live, r.Dropped, r.DetectorLost)
		}
	}
}

// TestStateSurvivesRestart: storing and reloading the pacer's state between
// events changes nothing, so the pacer may run in any process.
func TestStateSurvivesRestart(t *testing.T) {
	p := baseline(7, ModePredictive)
	p.Duration = 2 * time.Hour
	want := runSim(p)
	p.Restart = 37
	if got := runSim(p); !reflect.DeepEqual(got, want) {
		t.Errorf("with restarts: %+v\nwithout: %+v", got, want)
	}
}

// TestSimTable prints the comparison the pacer is judged by; it runs with
// go test -v only, since the tests above check the same runs.
func TestSimTable(t *testing.T) {
	if !testing.Verbose() {
		t.Skip("prints a table: run with -v")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-26s %4s %9s %8s %9s %9s %8s\n", "scenario", "seed", "occupancy", "abandon", "worst hr", "dials/min", "live")
	row := func(name string, seed uint64, r simResult) {
		fmt.Fprintf(&b, "%-26s %4d %8.1f%% %7.2f%% %8.2f%% %9.1f %8d\n", name, seed, 100*r.Occupancy, 100*r.AbandonRate(), 100*r.MaxHourRate, r.DialsPerMin, r.Live)
	}
	for _, seed := range seeds {
		row("preview (BCW 10 s)", seed, runSim(baseline(seed, ModePreview)))
		row("progressive", seed, runSim(baseline(seed, ModeProgressive)))
		row("predictive", seed, runSim(baseline(seed, ModePredictive)))
		p := baseline(seed, ModePredictive)
		p.ChangeAt, p.HumanAfter = 4*time.Hour, p.Human/2
		row("predictive, answers halve", seed, runSim(p))
		p = baseline(seed, ModePredictive)
		p.ChangeAt, p.OperatorsAfter = 4*time.Hour, 10
		row("predictive, 20→10 ops", seed, runSim(p))
		p.Unannounced = true
		row("  …unannounced", seed, runSim(p))
	}
	t.Log(b.String())
}

// BenchmarkSimulatedHour runs the predictive acceptance scenario and
// reports simulated hours per second.
func BenchmarkSimulatedHour(b *testing.B) {
	p := baseline(1, ModePredictive)
	p.Duration = time.Hour
	start := time.Now()
	for i := 0; b.Loop(); i++ {
		p.Seed = uint64(i)
		runSim(p)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "sim-hours/s")
}
