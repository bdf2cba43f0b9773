package dialer

import (
	"container/heap"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// The simulator is a seeded discrete-event model of a campaign: calls ring,
// are answered by people or machines, pass answering-machine detection (or
// fail it), wait up to Grace for an operator, are talked and wrapped up. It
// drives the real pacer (Decide and the State's Record methods) and tells it
// only what a running system would see; it keeps the ground truth itself.

// simParams describe one run.
type simParams struct {
	Seed      uint64
	Mode      Mode
	Operators int
	Duration  time.Duration
	// Per-dial outcome shares; the rest ring out unanswered.
	Human, Machine, Busy float64
	TalkMean             time.Duration // exponential
	WrapMin, WrapMax     time.Duration // uniform
	// Detector errors: the share of live people taken for machines (hung
	// up on: abandoned) and of machines taken for people (bridged).
	HumanLoss, MachinePass float64
	// At ChangeAt (when non-zero) the human share becomes HumanAfter (when
	// non-zero) and operators above OperatorsAfter (when non-zero) log off
	// as soon as they finish their current call.
	ChangeAt       time.Duration
	HumanAfter     float64
	OperatorsAfter int
	// Unannounced operators log off without telling the pacer first.
	Unannounced bool
	// Restart makes the run store and reload the pacer's state as JSON
	// every so many events, as a process that stops between events would.
	Restart int
}

// baseline is the acceptance scenario: 20 operators, 30% live answers,
// 180 s handling (150 s talk, 20–40 s wrap-up).
func baseline(seed uint64, mode Mode) simParams {
	return simParams{
		Seed: seed, Mode: mode, Operators: 20, Duration: 8 * time.Hour,
		Human: 0.30, Machine: 0.15, Busy: 0.10,
		TalkMean: 150 * time.Second, WrapMin: 20 * time.Second, WrapMax: 40 * time.Second,
		HumanLoss: 0.005, MachinePass: 0.05,
	}
}

// simResult is the ground truth of a run.
type simResult struct {
	Dials        int
	Live         int // live people who answered
	Dropped      int // of them, with no operator within Grace
	DetectorLost int // of them, taken for machines
	Occupancy    float64
	DialsPerMin  float64
	MaxHourRate  float64 // the worst rolling hour's abandoned share of live answers
	// Violations lists decisions that broke the line bounds.
	Violations []string
	// Modes counts decisions by the mode they were made in.
	Modes map[Mode]int
}

// AbandonRate is the abandoned share (dropped and detector losses) of live answers.
func (r simResult) AbandonRate() float64 {
	if r.Live == 0 {
		return 0
	}
	return float64(r.Dropped+r.DetectorLost) / float64(r.Live)
}

type callKind int

const (
	kindHuman callKind = iota
	kindMachine
	kindBusy
	kindNoAnswer
)

type simCall struct {
	id          int
	kind        callKind
	placedAt    time.Duration
	connectedAt time.Duration // -1 until connected and waiting
	active      bool
	owner       int // the operator a preview call was placed for, else -1
}

type simOperator struct {
	state    OperatorState
	since    time.Duration
	leaving  bool
	onCall   bool // Busy talking, not just holding a preview contact
	talk     time.Duration
	occupied time.Duration // busy and wrap-up time
	loggedIn time.Duration
}

type eventKind int

const (
	evResolve eventKind = iota
	evGraceEnd
	evTalkEnd
	evWrapEnd
	evChange
	evTick
	evPreviewDial
)

type event struct {
	at   time.Duration
	seq  int
	kind eventKind
	id   int
}

type eventQueue []event

func (q eventQueue) Len() int { return len(q) }
func (q eventQueue) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}
func (q eventQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *eventQueue) Push(x any)   { *q = append(*q, x.(event)) }
func (q *eventQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

type sim struct {
	p       simParams
	cfg     Config
	state   State
	rng     *rand.Rand
	epoch   time.Time
	now     time.Duration
	queue   eventQueue
	seq     int
	events  int
	calls   []*simCall
	low     int              // no call before calls[low] is in flight
	lines   map[int]*simCall // in flight: ringing or connected and waiting
	waiting []*simCall       // connected, waiting for an operator, oldest first
	ops     []*simOperator
	human   float64
	res     simResult
	// per minute ground truth, for the rolling hour
	minuteLive, minuteAbandoned []int
}

func runSim(p simParams) simResult {
	s := &sim{
		p:     p,
		cfg:   Config{Mode: p.Mode, InitialPickup: 0.5, DetectorHumanLoss: p.HumanLoss},
		rng:   rand.New(rand.NewPCG(p.Seed, p.Seed^0x9e3779b97f4a7c15)),
		epoch: time.Unix(0, 0).UTC(),
		lines: map[int]*simCall{},
		human: p.Human,
	}
	s.state = NewState(s.cfg)
	s.res.Modes = map[Mode]int{}
	minutes := int(p.Duration/time.Minute) + 1
	s.minuteLive = make([]int, minutes)
	s.minuteAbandoned = make([]int, minutes)
	for range p.Operators {
		s.ops = append(s.ops, &simOperator{state: Online})
	}
	if p.ChangeAt > 0 {
		s.schedule(p.ChangeAt, evChange, 0)
	}
	s.schedule(0, evTick, 0)
	for s.queue.Len() > 0 {
		e := heap.Pop(&s.queue).(event)
		if e.at > p.Duration {
			break
		}
		s.now = e.at
		s.handle(e)
		s.events++
		if p.Restart > 0 && s.events%p.Restart == 0 {
			s.restart()
		}
		s.pace()
	}
	s.now = p.Duration
	var occupied, loggedIn time.Duration
	for _, op := range s.ops {
		s.account(op)
		occupied += op.occupied
		loggedIn += op.loggedIn
	}
	s.res.Occupancy = float64(occupied) / float64(loggedIn)
	s.res.DialsPerMin = float64(s.res.Dials) / p.Duration.Minutes()
	s.res.MaxHourRate = s.maxHourRate()
	return s.res
}

func (s *sim) schedule(at time.Duration, kind eventKind, id int) {
	s.seq++
	heap.Push(&s.queue, event{at: at, seq: s.seq, kind: kind, id: id})
}

// restart stores the pacer's state and loads it back, as a new process would.
func (s *sim) restart() {
	b, err := json.Marshal(s.state)
	if err != nil {
		panic(err)
	}
	var fresh State
	if err := json.Unmarshal(b, &fresh); err != nil {
		panic(err)
	}
	s.state = fresh
}

func (s *sim) uniform(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(s.rng.Float64()*float64(hi-lo))
}

func (s *sim) handle(e event) {
	switch e.kind {
	case evTick:
		s.schedule(s.now+5*time.Second, evTick, 0)
	case evResolve:
		s.resolve(s.calls[e.id])
	case evGraceEnd:
		c := s.calls[e.id]
		if c.active && c.connectedAt >= 0 {
			s.endLine(c)
			s.removeWaiting(c)
			if c.kind == kindHuman {
				s.res.Dropped++
				s.minuteAbandoned[s.minute()]++
			}
			// The system cannot tell a machine that got through the
			// detector from a person: both count as abandoned.
			s.state.RecordLive(s.at(), true, s.cfg.DetectorHumanLoss)
		}
	case evTalkEnd:
		op := s.ops[e.id]
		s.setState(op, WrapUp)
		s.schedule(s.now+s.uniform(s.p.WrapMin, s.p.WrapMax), evWrapEnd, e.id)
	case evWrapEnd:
		op := s.ops[e.id]
		s.state.RecordHandled(op.talk, s.now-op.since)
		if op.leaving {
			s.setState(op, Offline)
			return
		}
		s.setState(op, Online)
		if len(s.waiting) > 0 {
			c := s.waiting[0]
			s.waiting = s.waiting[1:]
			s.bridge(c, e.id)
		}
	case evPreviewDial:
		s.place(e.id)
	case evChange:
		if s.p.HumanAfter > 0 {
			s.human = s.p.HumanAfter
		}
		if s.p.OperatorsAfter > 0 {
			for _, op := range s.ops[s.p.OperatorsAfter:] {
				if op.state == Online {
					s.setState(op, Offline)
				} else {
					op.leaving = true
				}
			}
		}
	}
}

func (s *sim) at() time.Time { return s.epoch.Add(s.now) }

func (s *sim) minute() int { return min(int(s.now/time.Minute), len(s.minuteLive)-1) }

func (s *sim) account(op *simOperator) {
	d := s.now - op.since
	if op.state != Offline {
		op.loggedIn += d
	}
	if (op.state == Busy && op.onCall) || op.state == WrapUp {
		op.occupied += d
	}
	op.since = s.now
}

func (s *sim) setState(op *simOperator, st OperatorState) {
	s.account(op)
	op.state = st
	op.onCall = false
}

func (s *sim) place(owner int) {
	c := &simCall{id: len(s.calls), placedAt: s.now, connectedAt: -1, active: true, owner: owner}
	u := s.rng.Float64()
	// When the human share changes, machines, busy and unanswered calls
	// share the rest in their original proportions.
	rest := (1 - s.human) / (1 - s.p.Human)
	var ring time.Duration
	switch {
	case u < s.human:
		c.kind = kindHuman
		ring = s.uniform(4*time.Second, 20*time.Second) + s.uniform(1500*time.Millisecond, 3*time.Second)
	case u < s.human+s.p.Machine*rest:
		c.kind = kindMachine
		ring = s.uniform(4*time.Second, 20*time.Second) + s.uniform(1500*time.Millisecond, 3*time.Second)
	case u < s.human+(s.p.Machine+s.p.Busy)*rest:
		c.kind = kindBusy
		ring = s.uniform(2*time.Second, 6*time.Second)
	default:
		c.kind = kindNoAnswer
		ring = 30 * time.Second
	}
	s.calls = append(s.calls, c)
	s.lines[c.id] = c
	s.res.Dials++
	s.schedule(s.now+ring, evResolve, c.id)
}

func (s *sim) endLine(c *simCall) {
	c.active = false
	delete(s.lines, c.id)
}

func (s *sim) removeWaiting(c *simCall) {
	for i, w := range s.waiting {
		if w == c {
			s.waiting = append(s.waiting[:i], s.waiting[i+1:]...)
			return
		}
	}
}

// resolve is the end of a call's ring: answered and judged by the detector,
// or not answered.
func (s *sim) resolve(c *simCall) {
	ring := s.now - c.placedAt
	connect := false
	switch c.kind {
	case kindHuman:
		s.res.Live++
		s.minuteLive[s.minute()]++
		if s.p.Mode != ModePreview && s.rng.Float64() < s.p.HumanLoss {
			s.res.DetectorLost++
			s.minuteAbandoned[s.minute()]++
		} else {
			connect = true
		}
	case kindMachine:
		connect = s.p.Mode == ModePreview || s.rng.Float64() < s.p.MachinePass
	}
	s.state.RecordOutcome(connect, ring)
	if c.owner >= 0 {
		if connect {
			s.bridge(c, c.owner)
		} else {
			s.endLine(c)
			s.setState(s.ops[c.owner], Online)
		}
		return
	}
	if !connect {
		s.endLine(c)
		return
	}
	for i, op := range s.ops {
		if op.state == Online {
			s.bridge(c, i)
			return
		}
	}
	c.connectedAt = s.now
	s.waiting = append(s.waiting, c)
	s.schedule(s.now+Grace, evGraceEnd, c.id)
}

func (s *sim) bridge(c *simCall, opIndex int) {
	op := s.ops[opIndex]
	s.endLine(c)
	s.setState(op, Busy)
	op.onCall = true
	if c.kind == kindHuman {
		op.talk = time.Duration(s.rng.ExpFloat64() * float64(s.p.TalkMean))
		s.state.RecordLive(s.at(), false, s.cfg.DetectorHumanLoss)
	} else {
		// The operator hears a machine and marks the call so.
		op.talk = s.uniform(5*time.Second, 15*time.Second)
	}
	s.schedule(s.now+op.talk, evTalkEnd, opIndex)
}

// pace asks the pacer and places what it decides.
func (s *sim) pace() {
	if s.p.Mode == ModePreview {
		s.preview()
		return
	}
	snap := Snapshot{Now: s.at(), Callable: math.MaxInt32}
	ready := 0
	for _, op := range s.ops {
		snap.Operators = append(snap.Operators, Operator{State: op.state, Since: s.epoch.Add(op.since), Leaving: op.leaving && !s.p.Unannounced})
		if op.state == Online {
			ready++
		}
	}
	for _, c := range s.sortedLines() {
		l := Line{PlacedAt: s.epoch.Add(c.placedAt)}
		if c.connectedAt >= 0 {
			l.ConnectedAt = s.epoch.Add(c.connectedAt)
		}
		snap.Lines = append(snap.Lines, l)
	}
	d := Decide(s.cfg, &s.state, snap)
	s.res.Modes[d.Mode]++
	for range d.Dial {
		s.place(-1)
	}
	lines := len(s.lines)
	if lines < ready {
		s.res.Violations = append(s.res.Violations, fmt.Sprintf("at %v: %d lines for %d Online operators", s.now, lines, ready))
	}
	if d.Mode == ModePredictive && d.Dial > 0 && float64(lines) > math.Max(float64(ready), MaxLinesPerOperator*d.Capacity) {
		s.res.Violations = append(s.res.Violations, fmt.Sprintf("at %v: %d lines for capacity %.2f", s.now, lines, d.Capacity))
	}
}

// preview gives each Online operator a contact: they accept it, read it
// for the BCW, then the call is placed for them and is theirs whatever
// happens (no detector: the operator hears a machine themselves).
func (s *sim) preview() {
	for i, op := range s.ops {
		if op.state == Online {
			s.setState(op, Busy)
			s.res.Modes[ModePreview]++
			s.schedule(s.now+previewBCW, evPreviewDial, i)
		}
	}
}

const previewBCW = 10 * time.Second

func (s *sim) sortedLines() []*simCall {
	for s.low < len(s.calls) && !s.calls[s.low].active {
		s.low++
	}
	out := make([]*simCall, 0, len(s.lines))
	for _, c := range s.calls[s.low:] {
		if c.active {
			out = append(out, c)
		}
	}
	return out
}

func (s *sim) maxHourRate() float64 {
	worst := 0.0
	for end := 60; end <= len(s.minuteLive); end++ {
		live, ab := 0, 0
		for m := end - 60; m < end; m++ {
			live += s.minuteLive[m]
			ab += s.minuteAbandoned[m]
		}
		if live > 0 {
			worst = math.Max(worst, float64(ab)/float64(live))
		}
	}
	return worst
}
