// Package dialer is the logic of telephone campaigns: the pacer that
// decides how many calls to place, the campaign's settings and the rules
// evaluated after each call. It is pure: no I/O, no clock, no goroutines.
// Everything it keeps between decisions is a plain value (State) that the
// store holds, so any process, woken by a queue message or a schedule, can
// load it, decide, record what happened and write it back.
//
// # Pacing
//
// In preview mode an operator accepts a contact, reads it for the campaign's
// BCW seconds and only then is the call placed: the pacer places nothing.
// In progressive mode each Online (ready) operator has at most one call
// ringing for them, so every answered call finds its operator and nothing
// is ever abandoned. In predictive mode the pacer dials ahead: it places
// calls for operators who are still talking or wrapping up but will
// probably be free by the time the new calls are answered.
//
// Predictive decisions use a marginal abandonment rule. Over the horizon h
// in which a call placed now would be answered (the learned mean time from
// dial to a live connect, plus the 2 s an answered call may wait), the
// pacer models
//
//   - supply S: the Online operators, plus one Bernoulli variable per busy
//     or wrapping-up operator, the probability that they are free within h
//     given how long they have already talked or wrapped up (from the
//     learned talk and wrap-up histograms), and
//   - demand A: one certain answer per connected call already waiting, and
//     one Bernoulli variable per call still ringing, the probability that
//     it ends in a live connect given how long it has rung (from the learned
//     ring-time histograms of connects and of other outcomes).
//
// A new call is abandoned if it is answered when the other answers have
// already taken every operator, so its conditional abandonment probability
// is P(A ≥ S). The pacer adds calls one at a time, each adding its own
// Bernoulli answer to A, while P(A ≥ S) stays at or below a limit ρ. This is
// the binomial, finite-horizon counterpart of the Erlang-C probability that
// an arriving call finds no free agent; every call placed satisfies the
// limit, so the share of live answers abandoned stays under ρ as far as the
// model is right.
//
// The model is not exactly right (answers come at different instants within
// the horizon; the learned rates lag a campaign whose answer rate moves), so
// ρ is set by feedback from what really happened: it starts at the aim (a
// margin under the 3% ceiling) and shrinks with the square of how far the
// campaign's cumulative abandonment, and that of its last hour, run over
// the aim. Both are counted against live answers, including the estimated
// share of live people that answering-machine detection takes for machines
// and hangs up on.
//
// The pacer falls back to progressive below MinOperators logged-in operators
// (small teams cannot pool the variance) and until it has seen MinOutcomes
// call outcomes and MinHandled handled calls. Lines in flight never exceed
// MaxLinesPerOperator (3) times the operators expected to be available
// within the horizon, and are never fewer than the Online operators while
// contacts are waiting.
package dialer

import (
	"math"
	"time"
)

// Mode is how a telephone campaign places its calls.
type Mode string

// The dialing modes.
const (
	ModePreview     Mode = "preview"
	ModeProgressive Mode = "progressive"
	ModePredictive  Mode = "predictive"
)

// OperatorState is what an operator is doing.
type OperatorState string

// The operator states.
const (
	Online  OperatorState = "online"  // ready for a call
	Busy    OperatorState = "busy"    // on a call
	WrapUp  OperatorState = "wrap_up" // after a call, recording its result
	Offline OperatorState = "offline" // not taking calls
)

// Pacing constants.
const (
	// MaxAbandon is the regulatory ceiling: abandoned calls as a share of
	// live-answered calls.
	MaxAbandon = 0.03
	// Grace is how long an answered call may wait for an operator before it
	// gets the recorded message and counts as abandoned.
	Grace = 2 * time.Second
	// MinOperators is the fewest logged-in operators predictive mode works
	// with; below it the pacer is progressive.
	MinOperators = 5
	// MinOutcomes and MinHandled are the history predictive mode needs: call
	// outcomes (connect or not) and handled calls (talk and wrap-up).
	MinOutcomes = 50
	MinHandled  = 10
	// MaxLinesPerOperator bounds the calls in flight per operator expected
	// to be available.
	MaxLinesPerOperator = 3
	// aimShare is the share of MaxAbandon the feedback aims at.
	aimShare = 0.8
	// memory is the effective number of recent observations the learned
	// distributions weigh.
	memory = 300
	// priorWeight is how many outcomes the initial pickup estimate counts as.
	priorWeight = 20
	// pseudoLive is how many live answers at the aim rate the cumulative
	// feedback starts from, so that the first few answers do not swing ρ.
	pseudoLive = 200
	// pseudoLiveHour is the same for the last hour's feedback.
	pseudoLiveHour = 30
)

// decay is the factor each new observation multiplies older ones by.
const decay = 1 - 1.0/memory

// Config is the part of a telephone campaign's settings the pacer uses.
type Config struct {
	Mode Mode `json:"mode"`
	// InitialPickup is the estimated share of calls that connect to a live
	// person (0 < p ≤ 1), used until real outcomes outweigh it.
	InitialPickup float64 `json:"initialPickup"`
	// DetectorHumanLoss is the estimated share of live people that
	// answering-machine detection takes for machines; each counts as an
	// abandoned live answer.
	DetectorHumanLoss float64 `json:"detectorHumanLoss"`
}

// Operator is one operator of the campaign's group as the pacer sees them.
type Operator struct {
	State OperatorState `json:"state"`
	Since time.Time     `json:"since"` // when they entered State
	// Leaving is set when a Busy or WrapUp operator has asked to go
	// Offline when their call is done: they are no capacity to dial for.
	Leaving bool `json:"leaving,omitempty"`
}

// Line is a call in flight: placed and not yet bridged to an operator or
// ended. ConnectedAt is set once a live person is on the line (answered
// and not a machine) and the call waits for an operator.
type Line struct {
	PlacedAt    time.Time `json:"placedAt"`
	ConnectedAt time.Time `json:"connectedAt,omitzero"`
}

// Snapshot is the campaign's situation at one instant.
type Snapshot struct {
	Now       time.Time
	Operators []Operator
	Lines     []Line
	// Callable is how many contacts may be called now (in their calling
	// hours, not locked out, attempts left).
	Callable int
}

// Decision is what the pacer decided.
type Decision struct {
	Dial int  `json:"dial"` // calls to place now
	Mode Mode `json:"mode"` // the mode the decision was made in (progressive when predictive falls back)
	// Capacity is the operators expected to be available within the horizon.
	Capacity float64 `json:"capacity"`
	// Risk is P(A ≥ S) after the decision: the chance that one more answered
	// call would find no operator. Limit is the ρ it was held to.
	Risk  float64 `json:"risk"`
	Limit float64 `json:"limit"`
}

// Slot is five minutes of live answers, for the rolling hour.
type Slot struct {
	Start     int64   `json:"start"` // Unix time / 300
	Live      float64 `json:"live"`
	Abandoned float64 `json:"abandoned"`
}

const slotSeconds = 300

// State is everything the pacer learns and counts. It is a plain value:
// store it as JSON and load it in any process. Each Record method must be
// applied once per event (the caller makes that so, with a conditional
// write keyed by the call).
type State struct {
	// Prior is the initial pickup estimate.
	Prior float64 `json:"prior"`
	// ConnectRing and OtherRing are the times from dial to a live connect,
	// and to any other end (no answer, busy, failed, machine).
	ConnectRing Histogram `json:"connectRing"`
	OtherRing   Histogram `json:"otherRing"`
	// Talk and Wrap are operators' talk and wrap-up times.
	Talk Histogram `json:"talk"`
	Wrap Histogram `json:"wrap"`
	// Outcomes and Handled count what the histograms have seen.
	Outcomes int `json:"outcomes"`
	Handled  int `json:"handled"`
	// Live and Abandoned are the campaign's cumulative live answers and
	// abandoned calls (with the detector's estimated losses).
	Live      float64 `json:"live"`
	Abandoned float64 `json:"abandoned"`
	// Hour is the last hour in twelve five-minute slots.
	Hour [12]Slot `json:"hour"`
	// Indexed says the campaign's open entries and calls are on the
	// store's listings the pacer reads; a state saved before there were
	// such listings lacks it, and its campaign is indexed once.
	Indexed bool `json:"indexed,omitempty"`
}

// NewState returns the state of a campaign that has placed no call yet.
func NewState(cfg Config) State {
	return State{
		Prior:       clamp(cfg.InitialPickup, 0.01, 1),
		ConnectRing: newHistogram(2*time.Second, 45),
		OtherRing:   newHistogram(2*time.Second, 45),
		Talk:        newHistogram(10*time.Second, 180),
		Wrap:        newHistogram(2*time.Second, 90),
		Indexed:     true,
	}
}

// RecordOutcome records how a placed call first resolved: connected to a
// live person (as the detector judged) after ring, or ended otherwise.
func (s *State) RecordOutcome(connected bool, ring time.Duration) {
	// Both decay together, so their masses keep the pickup ratio.
	s.ConnectRing.Decay(decay)
	s.OtherRing.Decay(decay)
	if connected {
		s.ConnectRing.Add(ring)
	} else {
		s.OtherRing.Add(ring)
	}
	s.Outcomes++
}

// RecordHandled records a call an operator handled: talk, then wrap-up.
func (s *State) RecordHandled(talk, wrap time.Duration) {
	s.Talk.Decay(decay)
	s.Talk.Add(talk)
	s.Wrap.Decay(decay)
	s.Wrap.Add(wrap)
	s.Handled++
}

// RecordLive records a live answer at at: bridged to an operator, or
// abandoned (no operator within Grace). lossShare is the configured
// DetectorHumanLoss: the live people the detector hung up on are estimated
// in proportion to those it let through.
func (s *State) RecordLive(at time.Time, abandoned bool, lossShare float64) {
	lossShare = clamp(lossShare, 0, 0.5)
	extra := lossShare / (1 - lossShare)
	live, lost := 1+extra, extra
	if abandoned {
		lost++
	}
	s.Live += live
	s.Abandoned += lost
	slot := s.slot(at)
	slot.Live += live
	slot.Abandoned += lost
}

// RecordMisdetected records a call the detector hung up on as a machine
// that was found to be a live person: one more live answer, abandoned, on
// top of the estimated detector losses (a conservative count).
func (s *State) RecordMisdetected(at time.Time) {
	s.Live++
	s.Abandoned++
	slot := s.slot(at)
	slot.Live++
	slot.Abandoned++
}

func (s *State) slot(at time.Time) *Slot {
	start := at.Unix() / slotSeconds
	slot := &s.Hour[start%int64(len(s.Hour))]
	if slot.Start != start {
		*slot = Slot{Start: start}
	}
	return slot
}

// LastHour returns the live answers and abandoned calls of the hour before now.
func (s *State) LastHour(now time.Time) (live, abandoned float64) {
	cur := now.Unix() / slotSeconds
	for _, slot := range s.Hour {
		if slot.Start > cur-int64(len(s.Hour)) && slot.Start <= cur {
			live += slot.Live
			abandoned += slot.Abandoned
		}
	}
	return live, abandoned
}

// AbandonRate is the cumulative abandoned share of live answers.
func (s *State) AbandonRate() float64 {
	if s.Live == 0 {
		return 0
	}
	return s.Abandoned / s.Live
}

// Pickup is the learned share of calls that connect to a live person.
func (s *State) Pickup() float64 {
	c, o := s.ConnectRing.Mass(), s.OtherRing.Mass()
	return (c + priorWeight*s.Prior) / (c + o + priorWeight)
}

// model is the learned distributions as one decision reads them.
type model struct {
	pickup                 float64
	connect, other         Survival
	talk, wrap             Survival
	horizon                time.Duration
	wrapFits               []float64 // wrapFits[i]: P(a whole wrap-up takes at most i·step)
	connectMass, otherMass float64
}

// step is the resolution of the busy operators' free-time sum.
const step = time.Second

func (s *State) model() *model {
	m := &model{
		pickup:  s.Pickup(),
		connect: s.ConnectRing.Survival(),
		other:   s.OtherRing.Survival(),
		talk:    s.Talk.Survival(),
		wrap:    s.Wrap.Survival(),
		horizon: s.ConnectRing.Mean() + Grace,
	}
	m.connectMass, m.otherMass = m.connect.Mass(), m.other.Mass()
	for x := time.Duration(0); x <= m.horizon+step; x += step {
		m.wrapFits = append(m.wrapFits, m.wrap.EndsWithin(0, x))
	}
	return m
}

// connectChance is the probability that a call that has rung for elapsed
// without resolving ends in a live connect.
func (m *model) connectChance(elapsed time.Duration) float64 {
	if m.connectMass == 0 || m.otherMass == 0 || elapsed <= 0 {
		return m.pickup
	}
	ca := m.pickup * m.connect.Above(elapsed) / m.connectMass
	oa := (1 - m.pickup) * m.other.Above(elapsed) / m.otherMass
	if ca+oa == 0 {
		return 0
	}
	return ca / (ca + oa)
}

// freeWithin is the probability that an operator in op's state since
// op.Since is Online again within the horizon.
func (m *model) freeWithin(op Operator, now time.Time) float64 {
	elapsed := now.Sub(op.Since)
	switch {
	case op.State == Online:
		return 1
	case op.Leaving:
		return 0
	}
	switch op.State {
	case WrapUp:
		return m.wrap.EndsWithin(elapsed, m.horizon)
	case Busy:
		// The talk ends at some x within the horizon, then the whole
		// wrap-up must fit into what is left: sum over talk ends.
		var p, prev float64
		n := int(m.horizon / step)
		for i := 1; i <= n; i++ {
			ended := m.talk.EndsWithin(elapsed, time.Duration(i)*step)
			p += (ended - prev) * m.wrapFits[n-i+1]
			prev = ended
		}
		return clamp(p, 0, 1)
	}
	return 0
}

// limit is ρ: the aim, shrunk by the square of how far the cumulative
// abandonment runs over it and the cube of how far the last hour's does.
func (s *State) limit(now time.Time) float64 {
	hl, ha := s.LastHour(now)
	aim := hourAim(hl)
	cum := (s.Abandoned + aim*pseudoLive) / (s.Live + pseudoLive)
	hour := (ha + aim*pseudoLiveHour) / (hl + pseudoLiveHour)
	m := math.Min(math.Pow(aim/cum, 2), math.Pow(aim/hour, 3))
	return aim * clamp(m, 0.02, 1.5)
}

// Rolling-hour bounds: no hour's abandonment may reach HourCeiling, with
// confidence 1−hourRisk.
const (
	HourCeiling = 0.05
	hourRisk    = 0.005
	// minHourLive is the fewest live answers an hour is taken to hold, so
	// that a quiet hour does not stop the campaign.
	minHourLive = 40
)

// hourAim is the abandonment rate to aim at when an hour holds about n live
// answers: at most aimShare of MaxAbandon, and low enough that the hour's
// abandoned calls, Poisson with mean rate·n, exceed HourCeiling·n with
// probability at most hourRisk. Small teams answer few calls an hour, so
// their counts are lumpy and they aim lower.
func hourAim(n float64) float64 {
	n = math.Max(n, minHourLive)
	ceiling := int(math.Floor(HourCeiling * n))
	lo, hi := 0.0, MaxAbandon*aimShare
	if poissonAbove(hi*n, ceiling) <= hourRisk {
		return hi
	}
	for range 30 {
		mid := (lo + hi) / 2
		if poissonAbove(mid*n, ceiling) <= hourRisk {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

// poissonAbove is P(X > k) for X Poisson with mean mu.
func poissonAbove(mu float64, k int) float64 {
	term := math.Exp(-mu)
	cdf := term
	for i := 1; i <= k; i++ {
		term *= mu / float64(i)
		cdf += term
	}
	return math.Max(0, 1-cdf)
}

// Decide returns how many calls to place now.
func Decide(cfg Config, s *State, snap Snapshot) Decision {
	if cfg.Mode == ModePreview {
		return Decision{Mode: ModePreview}
	}
	var ready, loggedIn int
	for _, op := range snap.Operators {
		if op.State != Offline {
			loggedIn++
		}
		if op.State == Online {
			ready++
		}
	}
	lines := len(snap.Lines)
	if cfg.Mode != ModePredictive || loggedIn < MinOperators || s.Outcomes < MinOutcomes || s.Handled < MinHandled {
		return Decision{Mode: ModeProgressive, Dial: min(max(0, ready-lines), snap.Callable), Capacity: float64(ready)}
	}

	m := s.model()
	supply := []float64{1} // distribution of S, the operators free within h
	capacity := 0.0
	for _, op := range snap.Operators {
		q := m.freeWithin(op, snap.Now)
		if q > 0 {
			supply = addBernoulli(supply, q)
			capacity += q
		}
	}
	demand := []float64{1} // distribution of A, the live answers within h
	for _, l := range snap.Lines {
		if !l.ConnectedAt.IsZero() {
			demand = addBernoulli(demand, 1)
			continue
		}
		demand = addBernoulli(demand, m.connectChance(snap.Now.Sub(l.PlacedAt)))
	}
	rho := s.limit(snap.Now)
	maxLines := max(ready, int(MaxLinesPerOperator*capacity))
	d := Decision{Mode: ModePredictive, Capacity: capacity, Limit: rho}
	d.Risk = atLeast(demand, supply)
	for d.Dial < snap.Callable && lines+d.Dial < maxLines && d.Risk <= rho {
		demand = addBernoulli(demand, m.pickup)
		d.Dial++
		d.Risk = atLeast(demand, supply)
	}
	return d
}

// addBernoulli returns the distribution of X+B, where X has distribution
// dist (dist[k] = P(X = k)) and B is 1 with probability q.
func addBernoulli(dist []float64, q float64) []float64 {
	out := make([]float64, len(dist)+1)
	for k, pk := range dist {
		out[k] += pk * (1 - q)
		out[k+1] += pk * q
	}
	return out
}

// atLeast returns P(A ≥ S) for independent A and S.
func atLeast(a, s []float64) float64 {
	// tail[k] = P(A ≥ k)
	tail := make([]float64, len(a)+1)
	for k := len(a) - 1; k >= 0; k-- {
		tail[k] = tail[k+1] + a[k]
	}
	var p float64
	for k, sk := range s {
		if k < len(tail) {
			p += sk * tail[k]
		}
	}
	return p
}
