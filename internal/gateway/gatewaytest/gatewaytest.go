// Package gatewaytest is the contract suite every channel gateway passes:
// the behaviours common to all providers (a taken message has an id, a
// refusal is a *parley.SendError of the right kind naming the provider,
// transport failures and egress refusals are classified alike, a cancelled
// context ends a send, no error carries a credential), run against each
// provider's fake from the provider package's tests.
package gatewaytest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/egress"
	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/parley"
)

// Outcome is how a fake provider answers the sends that reach it.
type Outcome int

// The outcomes a fake can be told to give.
const (
	// Take accepts the message, as the provider does a valid one.
	Take Outcome = iota
	// Refuse refuses the message for good (an invalid number, say), with
	// Harness.PermanentCode.
	Refuse
	// Unavailable answers as the provider does when it is down: a 5xx, or
	// its "service unavailable" error.
	Unavailable
	// Throttle asks the sender to slow down (a 429 or the provider's
	// throttling error), with a Retry-After of Harness.RetryAfter when the
	// provider gives one.
	Throttle
	// Hang holds the request unanswered until its client gives up (see
	// Switch.Wrap).
	Hang
)

// Behaviour names one case of the suite.
type Behaviour string

// The suite's cases.
const (
	Taken            Behaviour = "Taken"
	Permanent        Behaviour = "Permanent"
	Transient        Behaviour = "Transient"
	Throttled        Behaviour = "Throttled"
	TransportFailure Behaviour = "TransportFailure"
	Cancelled        Behaviour = "Cancelled"
	EgressRefused    Behaviour = "EgressRefused"
)

// Harness is what a provider package gives the suite.
type Harness struct {
	// Provider is the name the gateway's *parley.SendError values carry.
	Provider string
	// Start starts a fake provider for one case; it is stopped when t ends.
	Start func(t *testing.T) *Fake
	// PermanentCode is the provider's code for the fake's Refuse answer.
	PermanentCode string
	// RetryAfter is the wait the gateway must report for the fake's
	// Throttle answer; zero when the provider gives none.
	RetryAfter time.Duration
	// Secrets are the credentials the fake's gateway uses (tokens, keys),
	// none of which may appear in an error.
	Secrets []string
	// Lacks names the behaviours the provider does not have, each with the
	// reason; the suite skips those.
	Lacks map[Behaviour]string
}

// Fake is one fake provider and the gateway under test on it.
type Fake struct {
	// Sender is the gateway, sending to the fake through a client that may
	// reach it (the fake listens on loopback).
	Sender gateway.Sender
	// Through returns the gateway sending to the fake through client
	// instead; nil for a provider without HTTP.
	Through func(client *http.Client) gateway.Sender
	// Answer makes the fake answer the next sends with o.
	Answer func(o Outcome)
	// Held receives a value each time the fake holds a request (Hang); nil
	// for a provider without HTTP.
	Held <-chan struct{}
	// Close stops the fake's server, so that sends get no answer; nil for
	// a provider without HTTP.
	Close func()
	// Message is a message the provider takes.
	Message parley.Message
}

// Switch is the outcome a fake's handler gives, set through Fake.Answer
// and read by the handler; safe for concurrent use. The zero value is not
// usable: see NewSwitch.
type Switch struct {
	mu      sync.Mutex
	outcome Outcome
	held    chan struct{}
}

// NewSwitch returns a switch set to Take.
func NewSwitch() *Switch { return &Switch{held: make(chan struct{}, 1)} }

// Set makes the handler answer with o from now on.
func (s *Switch) Set(o Outcome) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.outcome = o
}

// Outcome is the answer the handler is to give.
func (s *Switch) Outcome() Outcome {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.outcome
}

// Held receives a value each time Wrap holds a request.
func (s *Switch) Held() <-chan struct{} { return s.held }

// holdBound ends a held request that its client never gave up on, so that
// the server can close; the suite fails such a send anyway.
const holdBound = time.Minute

// Wrap returns next, except that while the outcome is Hang each request is
// read to its end (so that the server notices the client hanging up) and
// left unanswered until its client gives up.
func (s *Switch) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.Outcome() != Hang {
			next.ServeHTTP(w, r)
			return
		}
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case s.held <- struct{}{}:
		default:
		}
		t := time.NewTimer(holdBound)
		defer t.Stop()
		select {
		case <-r.Context().Done():
		case <-t.C:
		}
	})
}

// Run runs the suite on the provider h describes.
func Run(t *testing.T, h Harness) {
	cases := []struct {
		behaviour Behaviour
		test      func(*testing.T, Harness, *Fake)
	}{
		{Taken, testTaken},
		{Permanent, testPermanent},
		{Transient, testTransient},
		{Throttled, testThrottled},
		{TransportFailure, testTransportFailure},
		{Cancelled, testCancelled},
		{EgressRefused, testEgressRefused},
	}
	for _, c := range cases {
		t.Run(string(c.behaviour), func(t *testing.T) {
			if reason, ok := h.Lacks[c.behaviour]; ok {
				t.Skipf("%s lacks this: %s", h.Provider, reason)
			}
			c.test(t, h, h.Start(t))
		})
	}
}

// sendError checks that a failed send returned no id and a
// *parley.SendError naming the provider, of kind and (when code is not
// empty) with code, carrying none of the harness's secrets, and returns it.
func sendError(t *testing.T, h Harness, id string, err error, kind parley.FailKind, code string) *parley.SendError {
	t.Helper()
	if err == nil {
		t.Fatalf("Send = %q, nil; want a %s error", id, kind)
	}
	if id != "" {
		t.Errorf("Send returned id %q with error %v", id, err)
	}
	noSecrets(t, h, err)
	var se *parley.SendError
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is not a *parley.SendError", err, err)
	}
	if se.Provider != h.Provider {
		t.Errorf("SendError names provider %q, want %q", se.Provider, h.Provider)
	}
	if se.Kind != kind || (code != "" && se.Code != code) {
		t.Errorf("SendError is %s %q (%s), want %s %q", se.Kind, se.Code, se.Reason, kind, code)
	}
	return se
}

// noSecrets checks that err, printed, carries none of the harness's
// secrets.
func noSecrets(t *testing.T, h Harness, err error) {
	t.Helper()
	for _, secret := range h.Secrets {
		for _, text := range []string{err.Error(), fmt.Sprintf("%+v", err)} {
			if secret != "" && strings.Contains(text, secret) {
				t.Errorf("error %q contains a credential", text)
			}
		}
	}
}

// send sends the fake's message through g with the outcome o.
func send(t *testing.T, f *Fake, g gateway.Sender, o Outcome) (string, error) {
	t.Helper()
	f.Answer(o)
	return g.Send(context.Background(), f.Message)
}

func testTaken(t *testing.T, _ Harness, f *Fake) {
	id, err := send(t, f, f.Sender, Take)
	if err != nil || id == "" {
		t.Fatalf("Send = %q, %v; want a provider message id", id, err)
	}
}

func testPermanent(t *testing.T, h Harness, f *Fake) {
	id, err := send(t, f, f.Sender, Refuse)
	sendError(t, h, id, err, parley.FailPermanent, h.PermanentCode)
}

func testTransient(t *testing.T, h Harness, f *Fake) {
	id, err := send(t, f, f.Sender, Unavailable)
	sendError(t, h, id, err, parley.FailTransient, "")
}

func testThrottled(t *testing.T, h Harness, f *Fake) {
	id, err := send(t, f, f.Sender, Throttle)
	if se := sendError(t, h, id, err, parley.FailThrottled, ""); se.RetryAfter != h.RetryAfter {
		t.Errorf("RetryAfter = %s, want %s", se.RetryAfter, h.RetryAfter)
	}
}

func testTransportFailure(t *testing.T, h Harness, f *Fake) {
	f.Close()
	id, err := send(t, f, f.Sender, Take)
	sendError(t, h, id, err, parley.FailTransient, "")
}

// testCancelled cancels a send the fake holds: Send must return, with an
// error that says so (no timing is asserted: a gateway that ignored its
// context would hang the test).
func testCancelled(t *testing.T, h Harness, f *Fake) {
	f.Answer(Hang)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type result struct {
		id  string
		err error
	}
	done := make(chan result, 1)
	go func() {
		id, err := f.Sender.Send(ctx, f.Message)
		done <- result{id, err}
	}()
	var r result
	select {
	case <-f.Held:
		cancel()
		r = <-done
	case r = <-done:
		t.Fatalf("Send returned %q, %v before the fake held its request", r.id, r.err)
	}
	if r.err == nil || r.id != "" {
		t.Fatalf("cancelled Send = %q, %v; want an error", r.id, r.err)
	}
	if !errors.Is(r.err, context.Canceled) {
		t.Errorf("cancelled Send = %v, which does not wrap context.Canceled", r.err)
	}
	noSecrets(t, h, r.err)
}

// egressClient is a client with the production egress policy: it refuses
// the fake's loopback address.
var egressClient = egress.Policy{}.Client(5 * time.Second)

func testEgressRefused(t *testing.T, h Harness, f *Fake) {
	id, err := send(t, f, f.Through(egressClient), Take)
	sendError(t, h, id, err, parley.FailConfig, gateway.CodeEgressRefused)
}
