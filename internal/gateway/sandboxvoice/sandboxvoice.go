// Package sandboxvoice is the voice gateway of `parley serve` and of the
// tests: it places no real call, but simulates what people and operators
// do — who answers and after how long, answering machines, busy lines, how
// long a person talks and an operator wraps up — deterministically from a
// seed, on the injected clock. It reports each call's events through the
// same path as the provider's status webhooks (Sink), so the dialing
// runtime cannot tell it from Twilio.
//
// The operators it simulates are those set through it (SetState, which
// POST /sandbox/operators calls): they accept each contact offered to them
// in preview mode after a think time, and every operator a call is
// bridged to talks, then wraps up with a result and an answer to each
// question of the campaign's call script.
package sandboxvoice

import (
	"container/heap"
	"context"
	crand "crypto/rand"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/parleyhq/parley/internal/dialer"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/phonecampaign"
)

// Sink receives the simulation's events: the dialing runtime
// (*phonecampaign.Dialer) is one.
type Sink interface {
	Answered(ctx context.Context, ev phonecampaign.Event) error
	Ended(ctx context.Context, ev phonecampaign.Event, talk time.Duration) error
	CompleteSession(ctx context.Context, accountID, agentID, result string, answers map[string]string) (dialer.Call, error)
	Accept(ctx context.Context, accountID, agentID string) (dialer.Agent, error)
	SetState(ctx context.Context, accountID, agentID, group string, state dialer.OperatorState) (dialer.Agent, error)
	Script(ctx context.Context, accountID, campaignID string) (*dialer.Script, error)
}

// Profile is how the simulated people and operators behave.
type Profile struct {
	// Live, Machine and Busy are the shares of calls a person answers, a
	// machine answers, and that find the line busy; the rest ring out.
	Live, Machine, Busy float64
	// Ring is the mean time to an answer; RingOut how long an unanswered
	// call rings.
	Ring, RingOut time.Duration
	// Talk and Wrap are the mean talk and wrap-up times, and Think the
	// mean time an operator reads a contact offered before accepting it
	// (exponential, with a floor of a tenth of the mean).
	Talk, Wrap, Think time.Duration
	// Results are the results simulated operators give, in turn by draw.
	Results []string
}

// DefaultProfile is a plausible outbound campaign.
var DefaultProfile = Profile{
	Live: 0.30, Machine: 0.15, Busy: 0.05,
	Ring: 12 * time.Second, RingOut: 30 * time.Second,
	Talk: 90 * time.Second, Wrap: 15 * time.Second, Think: 5 * time.Second,
	Results: []string{"interested", "not_interested", "call_back"},
}

// Voice is the simulated voice gateway. Its zero value is not usable: use
// New. It is safe for concurrent use.
type Voice struct {
	clock   parley.Clock
	profile Profile

	// run tells this gateway's calls from those of an earlier process on
	// the same store, whose numbering also started at 1.
	run string

	mu     sync.Mutex
	rng    *rand.Rand
	sink   Sink
	n      int // calls placed
	seq    int // events scheduled
	events events
	calls  map[string]*call
	placed []phonecampaign.PlaceCall
	// operators are the simulated operators, by account and id.
	operators map[[2]string]bool
}

type call struct {
	p      phonecampaign.PlaceCall
	answer dialer.Answer
	talk   time.Duration
	ended  bool
}

// New returns a simulated gateway on clock, drawing from seed.
func New(clock parley.Clock, seed uint64, p Profile) *Voice {
	return &Voice{clock: clock, profile: p, run: strings.ToUpper(crand.Text()[:8]), rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		calls: map[string]*call{}, operators: map[[2]string]bool{}}
}

// SetSink sets where events go (the runtime is built after the gateway it
// uses).
func (v *Voice) SetSink(s Sink) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.sink = s
}

var _ phonecampaign.VoiceGateway = (*Voice)(nil)

// PlaceCall implements phonecampaign.VoiceGateway: it draws the call's fate
// and schedules its answer (or end).
func (v *Voice) PlaceCall(ctx context.Context, p phonecampaign.PlaceCall) (string, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.n++
	id := fmt.Sprintf("SB%s%08d", v.run, v.n)
	c := &call{p: p, talk: v.duration(v.profile.Talk)}
	v.calls[id] = c
	v.placed = append(v.placed, p)
	now := v.clock.Now()
	ev := phonecampaign.Event{AccountID: p.AccountID, CampaignID: p.CampaignID, ProviderID: id}
	switch r := v.rng.Float64(); {
	case r < v.profile.Live:
		c.answer = dialer.AnswerHuman
	case r < v.profile.Live+v.profile.Machine:
		c.answer = dialer.AnswerMachine
	case r < v.profile.Live+v.profile.Machine+v.profile.Busy:
		c.answer = dialer.AnswerBusy
	default:
		c.answer = dialer.AnswerNoAnswer
	}
	switch c.answer {
	case dialer.AnswerHuman, dialer.AnswerMachine:
		ev.At, ev.Answer = now.Add(v.duration(v.profile.Ring)), c.answer
		v.schedule(ev.At, func(ctx context.Context, s Sink) error { return s.Answered(ctx, ev) })
	case dialer.AnswerBusy:
		ev.At, ev.Answer = now.Add(2*time.Second), dialer.AnswerBusy
		v.schedule(ev.At, func(ctx context.Context, s Sink) error { return v.end(ctx, s, ev, 0) })
	default:
		ev.At, ev.Answer = now.Add(v.profile.RingOut), dialer.AnswerNoAnswer
		v.schedule(ev.At, func(ctx context.Context, s Sink) error { return v.end(ctx, s, ev, 0) })
	}
	return id, nil
}

// duration draws an exponential duration of mean m, at least m/10.
func (v *Voice) duration(m time.Duration) time.Duration {
	d := time.Duration(v.rng.ExpFloat64() * float64(m))
	return max(d, m/10).Round(time.Millisecond)
}

func (v *Voice) end(ctx context.Context, s Sink, ev phonecampaign.Event, talk time.Duration) error {
	v.mu.Lock()
	c := v.calls[ev.ProviderID]
	already := c.ended
	c.ended = true
	v.mu.Unlock()
	if already {
		return nil
	}
	return s.Ended(ctx, ev, talk)
}

// Bridge implements phonecampaign.VoiceGateway: the person talks for their
// drawn time, then hangs up, and the operator wraps up.
func (v *Voice) Bridge(ctx context.Context, k dialer.Call, operatorID string) error {
	providerID := k.ProviderID
	v.mu.Lock()
	defer v.mu.Unlock()
	c, ok := v.calls[providerID]
	if !ok || c.ended {
		return parley.Errorf(parley.ENOTFOUND, "sandbox call %s is not in progress", providerID)
	}
	now := v.clock.Now()
	ev := phonecampaign.Event{AccountID: c.p.AccountID, CampaignID: c.p.CampaignID, ProviderID: providerID, At: now.Add(c.talk), Answer: dialer.AnswerHuman}
	wrap := v.duration(v.profile.Wrap)
	result := ""
	if len(v.profile.Results) > 0 {
		result = v.profile.Results[v.rng.IntN(len(v.profile.Results))]
	}
	talk := c.talk
	v.schedule(ev.At, func(ctx context.Context, s Sink) error { return v.end(ctx, s, ev, talk) })
	v.schedule(ev.At.Add(wrap), func(ctx context.Context, s Sink) error {
		script, err := s.Script(ctx, c.p.AccountID, c.p.CampaignID)
		if err != nil {
			return err
		}
		_, err = s.CompleteSession(ctx, c.p.AccountID, operatorID, result, v.answers(script))
		return err
	})
	return nil
}

// answers draws an answer to each question of a call script: a checkbox
// true or false, one of a choice's options, a note for an input.
func (v *Voice) answers(s *dialer.Script) map[string]string {
	if s == nil {
		return nil
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	out := map[string]string{}
	for _, it := range s.Items {
		switch it.Kind {
		case dialer.ItemCheckbox:
			out[it.Name] = strconv.FormatBool(v.rng.IntN(2) == 1)
		case dialer.ItemChoice:
			out[it.Name] = it.Options[v.rng.IntN(len(it.Options))]
		case dialer.ItemInput:
			out[it.Name] = "noted by a simulated operator"
		}
	}
	return out
}

// SetState sets a simulated operator's state through the sink, and takes
// them on: from then on they accept the contacts offered to them (see
// Offered).
func (v *Voice) SetState(ctx context.Context, accountID, agentID, group string, state dialer.OperatorState) (dialer.Agent, error) {
	v.mu.Lock()
	v.operators[[2]string{accountID, agentID}] = true
	sink := v.sink
	v.mu.Unlock()
	if sink == nil {
		return dialer.Agent{}, parley.Errorf(parley.EUNAVAILABLE, "the simulated voice gateway has no dialing runtime yet")
	}
	return sink.SetState(ctx, accountID, agentID, group, state)
}

// Offered implements phonecampaign.OfferWatcher: a simulated operator
// accepts the contact offered to them after a think time. The offers of
// other operators are theirs to take.
func (v *Voice) Offered(ctx context.Context, a dialer.Agent) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if !v.operators[[2]string{a.AccountID, a.ID}] || a.Offer == nil {
		return
	}
	v.schedule(v.clock.Now().Add(v.duration(v.profile.Think)), func(ctx context.Context, s Sink) error {
		_, err := s.Accept(ctx, a.AccountID, a.ID)
		if c := parley.ErrorCode(err); c == parley.ECONFLICT || c == parley.ENOTFOUND {
			return nil // the offer was withdrawn meanwhile
		}
		return err
	})
}

// Abandon implements phonecampaign.VoiceGateway: the message plays and the
// call ends.
func (v *Voice) Abandon(ctx context.Context, c dialer.Call) error { return v.hangup(c.ProviderID) }

// Hangup implements phonecampaign.VoiceGateway.
func (v *Voice) Hangup(ctx context.Context, c dialer.Call) error { return v.hangup(c.ProviderID) }

func (v *Voice) hangup(providerID string) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	c, ok := v.calls[providerID]
	if !ok {
		return parley.Errorf(parley.ENOTFOUND, "sandbox call %s was never placed", providerID)
	}
	c.ended = true
	return nil
}

// Placed returns the calls placed so far, in order.
func (v *Voice) Placed() []phonecampaign.PlaceCall {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]phonecampaign.PlaceCall(nil), v.placed...)
}

// Next returns when the next simulated event is due; ok is false when
// none is pending.
func (v *Voice) Next() (at time.Time, ok bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.events) == 0 {
		return time.Time{}, false
	}
	return v.events[0].at, true
}

// Fire delivers every event due at the clock's now, in time order, to the
// sink, and says how many it delivered. An event whose delivery fails is
// delivered again on the next Fire, as a provider retries a webhook.
func (v *Voice) Fire(ctx context.Context) (int, error) {
	n := 0
	for {
		v.mu.Lock()
		if len(v.events) == 0 || v.events[0].at.After(v.clock.Now()) || v.sink == nil {
			v.mu.Unlock()
			return n, nil
		}
		e := heap.Pop(&v.events).(*event)
		sink := v.sink
		v.mu.Unlock()
		if err := e.fire(ctx, sink); err != nil {
			v.mu.Lock()
			heap.Push(&v.events, e)
			v.mu.Unlock()
			return n, err
		}
		n++
	}
}

// schedule adds an event; v.mu is held.
func (v *Voice) schedule(at time.Time, fire func(context.Context, Sink) error) {
	v.seq++
	heap.Push(&v.events, &event{at: at, seq: v.seq, fire: fire})
}

type event struct {
	at   time.Time
	seq  int
	fire func(context.Context, Sink) error
}

// events is a min-heap by time, then by scheduling order.
type events []*event

func (h events) Len() int { return len(h) }
func (h events) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].seq < h[j].seq
}
func (h events) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *events) Push(x any)   { *h = append(*h, x.(*event)) }
func (h *events) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

// ParseProfile reads a profile as parley serve --voice takes it: comma
// separated name=value pairs over DefaultProfile, the shares live, machine
// and busy (from 0 to 1, together at most 1) and the durations ring,
// ringout, talk, wrap and think (such as 1500ms or 2m). An empty string is
// DefaultProfile.
func ParseProfile(s string) (Profile, error) {
	p := DefaultProfile
	shares := map[string]*float64{"live": &p.Live, "machine": &p.Machine, "busy": &p.Busy}
	durations := map[string]*time.Duration{"ring": &p.Ring, "ringout": &p.RingOut, "talk": &p.Talk, "wrap": &p.Wrap, "think": &p.Think}
	for _, pair := range strings.Split(s, ",") {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		name, value, ok := strings.Cut(pair, "=")
		if !ok {
			return Profile{}, fmt.Errorf("voice profile: %q is not name=value", pair)
		}
		name = strings.ToLower(strings.TrimSpace(name))
		value = strings.TrimSpace(value)
		switch {
		case shares[name] != nil:
			f, err := strconv.ParseFloat(value, 64)
			if err != nil || !(f >= 0 && f <= 1) {
				return Profile{}, fmt.Errorf("voice profile: %s=%q is not a share from 0 to 1", name, value)
			}
			*shares[name] = f
		case durations[name] != nil:
			d, err := time.ParseDuration(value)
			if err != nil || d <= 0 || d > time.Hour {
				return Profile{}, fmt.Errorf("voice profile: %s=%q is not a duration from 1ms to 1h", name, value)
			}
			*durations[name] = d
		default:
			return Profile{}, fmt.Errorf("voice profile: unknown %q; use live, machine, busy, ring, ringout, talk, wrap, think", name)
		}
	}
	if sum := p.Live + p.Machine + p.Busy; sum > 1 {
		return Profile{}, fmt.Errorf("voice profile: live, machine and busy add up to %.2f, more than 1", sum)
	}
	return p, nil
}
