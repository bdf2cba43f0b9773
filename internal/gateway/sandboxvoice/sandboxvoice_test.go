package sandboxvoice_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/clocktest"
	"github.com/parleyhq/parley/internal/dialer"
	"github.com/parleyhq/parley/internal/gateway/sandboxvoice"
	"github.com/parleyhq/parley/internal/phonecampaign"
)

// trace is a Sink that writes down what it receives.
type trace struct{ lines []string }

func (s *trace) Answered(ctx context.Context, ev phonecampaign.Event) error {
	s.lines = append(s.lines, fmt.Sprintf("%s answered %s", ev.ProviderID, ev.Answer))
	return nil
}

func (s *trace) Ended(ctx context.Context, ev phonecampaign.Event, talk time.Duration) error {
	s.lines = append(s.lines, fmt.Sprintf("%s ended %s after %s", ev.ProviderID, ev.Answer, talk))
	return nil
}

func (s *trace) CompleteSession(ctx context.Context, accountID, agentID, result string, answers map[string]string) (dialer.Call, error) {
	s.lines = append(s.lines, agentID+" wrapped up: "+result)
	return dialer.Call{}, nil
}

func (s *trace) Accept(ctx context.Context, accountID, agentID string) (dialer.Agent, error) {
	s.lines = append(s.lines, agentID+" accepted")
	return dialer.Agent{}, nil
}

func (s *trace) SetState(ctx context.Context, accountID, agentID, group string, state dialer.OperatorState) (dialer.Agent, error) {
	s.lines = append(s.lines, agentID+" "+string(state))
	return dialer.Agent{AccountID: accountID, ID: agentID, Group: group, Operator: dialer.Operator{State: state}}, nil
}

func (s *trace) Script(ctx context.Context, accountID, campaignID string) (*dialer.Script, error) {
	return nil, nil
}

func run(t *testing.T, seed uint64) ([]string, map[dialer.Answer]int) {
	ctx := context.Background()
	clock := clocktest.New(time.Now())
	v := sandboxvoice.New(clock, seed, sandboxvoice.DefaultProfile)
	s := &trace{}
	v.SetSink(s)
	for i := range 400 {
		if _, err := v.PlaceCall(ctx, phonecampaign.PlaceCall{AccountID: "a1", CampaignID: "c1", ContactID: fmt.Sprint(i), Attempt: 1}); err != nil {
			t.Fatal(err)
		}
	}
	answers := map[dialer.Answer]int{}
	bridged := 0
	for {
		at, ok := v.Next()
		if !ok {
			break
		}
		clock.Advance(at.Sub(clock.Now()))
		before := len(s.lines)
		if _, err := v.Fire(ctx); err != nil {
			t.Fatal(err)
		}
		for _, l := range s.lines[before:] {
			var id string
			var a dialer.Answer
			if n, _ := fmt.Sscanf(l, "%s answered %s", &id, &a); n == 2 {
				answers[a]++
				if a == dialer.AnswerHuman {
					bridged++
					if err := v.Bridge(ctx, dialer.Call{ProviderID: id}, fmt.Sprint("op", bridged)); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
	}
	// Each gateway numbers its calls under a tag of its own; the
	// simulation is what must repeat.
	for i, l := range s.lines {
		s.lines[i] = runTag.ReplaceAllString(l, "SB$1")
	}
	return s.lines, answers
}

var runTag = regexp.MustCompile(`SB[A-Z2-7]{8}([0-9]{8})`)

func TestCallIDsDifferAcrossProcesses(t *testing.T) {
	ctx := context.Background()
	clock := clocktest.New(time.Now())
	p := phonecampaign.PlaceCall{AccountID: "a1", CampaignID: "c1", ContactID: "k1", Attempt: 1}
	a, err := sandboxvoice.New(clock, 1, sandboxvoice.DefaultProfile).PlaceCall(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	// A process started again on the same store numbers its calls from 1
	// again: its ids must not be the earlier process's.
	b, err := sandboxvoice.New(clock, 1, sandboxvoice.DefaultProfile).PlaceCall(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if a == b || !runTag.MatchString(a) || !runTag.MatchString(b) {
		t.Fatalf("call ids %q and %q", a, b)
	}
}

func TestSimulationIsDeterministicAndFollowsItsProfile(t *testing.T) {
	a, answers := run(t, 3)
	b, _ := run(t, 3)
	c, _ := run(t, 4)
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Error("one seed gave two different simulations")
	}
	if fmt.Sprint(a) == fmt.Sprint(c) {
		t.Error("two seeds gave one simulation")
	}
	// 400 calls at 30% live and 15% machines: well within ±8 points.
	if h := answers[dialer.AnswerHuman]; h < 88 || h > 152 {
		t.Errorf("%d of 400 answered by a person, want about 120", h)
	}
	if m := answers[dialer.AnswerMachine]; m < 28 || m > 92 {
		t.Errorf("%d of 400 answered by a machine, want about 60", m)
	}
	ended, wrapped := 0, 0
	for _, l := range a {
		var id, word string
		if n, _ := fmt.Sscanf(l, "%s %s", &id, &word); n == 2 && word == "ended" {
			ended++
		}
		if n, _ := fmt.Sscanf(l, "%s wrapped", &id); n == 1 && len(id) > 2 && id[:2] == "op" {
			wrapped++
		}
	}
	if want := 400 - answers[dialer.AnswerMachine]; ended != want {
		t.Errorf("%d calls ended, want every call but the machines' (%d)", ended, want)
	}
	if wrapped != answers[dialer.AnswerHuman] {
		t.Errorf("%d wrap-ups for %d bridged calls", wrapped, answers[dialer.AnswerHuman])
	}
}

func TestParseProfile(t *testing.T) {
	fast := sandboxvoice.DefaultProfile
	fast.Live, fast.Ring, fast.Talk, fast.Wrap = 0.6, 500*time.Millisecond, 3*time.Second, time.Second
	for _, tc := range []struct {
		in   string
		want sandboxvoice.Profile
		err  string
	}{
		{"", sandboxvoice.DefaultProfile, ""},
		{"live=0.6, ring=500ms,talk=3s,wrap=1s", fast, ""},
		{"live=1.2", sandboxvoice.Profile{}, "share from 0 to 1"},
		{"live=0.7,machine=0.3,busy=0.1", sandboxvoice.Profile{}, "more than 1"},
		{"talk=-1s", sandboxvoice.Profile{}, "duration"},
		{"talk", sandboxvoice.Profile{}, "name=value"},
		{"colour=red", sandboxvoice.Profile{}, "unknown"},
		{"live=NaN", sandboxvoice.Profile{}, "share"},
	} {
		got, err := sandboxvoice.ParseProfile(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: err %v, want one saying %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%q: %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

// TestSimulatedOperatorsAcceptOffers: an operator set through the gateway
// accepts a contact offered to them after a think time; another
// operator's offer is left to them.
func TestSimulatedOperatorsAcceptOffers(t *testing.T) {
	ctx := context.Background()
	clock := clocktest.New(time.Now())
	v := sandboxvoice.New(clock, 1, sandboxvoice.DefaultProfile)
	s := &trace{}
	v.SetSink(s)
	ann, err := v.SetState(ctx, "a1", "ann", "care", dialer.Online)
	if err != nil {
		t.Fatal(err)
	}
	offer := &dialer.Offer{CampaignID: "c1", ContactID: "k1"}
	ann.Offer = offer
	v.Offered(ctx, ann)
	v.Offered(ctx, dialer.Agent{AccountID: "a1", ID: "bob", Offer: offer})
	v.Offered(ctx, dialer.Agent{AccountID: "a2", ID: "ann", Offer: offer}) // another account's ann
	at, ok := v.Next()
	if !ok || at.Before(clock.Now().Add(sandboxvoice.DefaultProfile.Think/10)) {
		t.Fatalf("next event at %v (%v); want ann's acceptance after a think time", at, ok)
	}
	clock.Advance(at.Sub(clock.Now()))
	if _, err := v.Fire(ctx); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(s.lines, "; "); got != "ann online; ann accepted" {
		t.Errorf("sink saw %q; want ann set online, then her acceptance only", got)
	}
	if _, ok := v.Next(); ok {
		t.Error("events left: only ann's offer is the gateway's to accept")
	}
}
