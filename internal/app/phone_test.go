package app_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/app"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/dialer"
	"github.com/parleyhq/parley/internal/directory"
	"github.com/parleyhq/parley/internal/gateway/sandboxvoice"
	"github.com/parleyhq/parley/internal/obs"
)

// jumpClock is the wall clock moved by an offset the test can change, as
// parley serve --clock runs: the embedded queue's delays pass in real
// time, the calling hours on this clock.
type jumpClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *jumpClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *jumpClock) jump(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// fastCalls is a simulated campaign whose calls last about a second.
var fastCalls = sandboxvoice.Profile{Live: 0.5, Machine: 0.2, Busy: 0.1,
	Ring: 300 * time.Millisecond, RingOut: time.Second, Talk: 800 * time.Millisecond, Wrap: 200 * time.Millisecond,
	Results: []string{"interested", "not_interested"}}

// running runs a's dispatcher and the simulated calls' events until the
// returned stop is called.
func running(a *app.App) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { a.Dispatcher.Run(ctx, a.Queue, 2) })
	wg.Go(func() {
		for ctx.Err() == nil {
			_, _ = a.Voice.Fire(ctx)
			time.Sleep(20 * time.Millisecond)
		}
	})
	return func() { cancel(); wg.Wait() }
}

func setOperators(t *testing.T, a *app.App, n int, state dialer.OperatorState) {
	t.Helper()
	for i := range n {
		if _, err := a.Dialer.SetState(context.Background(), "a1", fmt.Sprintf("op%d", i), "sales", state); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPhoneCampaignSurvivesRestart runs a small predictive campaign on the
// sandbox voice gateway through the queue, as parley serve does: created
// outside its calling hours it places no call, the window check starts it
// when they open, and after the process stops half-way a new process on
// the same data directory finishes it from the stored pacer state and the
// pace job left on the queue, without a window check.
func TestPhoneCampaignSurvivesRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a campaign in real time")
	}
	ctx := context.Background()
	const contacts, operators = 12, 3
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	// 03:00 tomorrow in New York, where the contacts' (202) numbers are.
	now := time.Now().In(ny)
	clock := &jumpClock{offset: time.Until(time.Date(now.Year(), now.Month(), now.Day()+1, 3, 0, 0, 0, ny))}
	cfg := config.Config{Backend: config.BackendEmbedded, DataDir: t.TempDir(), Gateway: config.GatewaySandbox, Workers: 2, MPS: 1e6, Burst: 100}
	open := func() *app.App {
		t.Helper()
		a, err := app.New(ctx, cfg, obs.Discard(), app.WithClock(clock), app.WithVoiceProfile(fastCalls))
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	a := open()
	for i := range contacts {
		at := clock.Now()
		k := directory.Contact{AccountID: "a1", ID: fmt.Sprintf("k%03d", i), Phone: fmt.Sprintf("+1202555%04d", 1000+i), Version: 1, CreatedAt: at, UpdatedAt: at}
		if err := a.Store.PutContact(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	pickup, once := 50, 1
	created, err := a.PhoneCampaigns.Create(ctx, "a1", dialer.Draft{Name: "renewals", Mode: dialer.ModePredictive, PickupPercent: &pickup,
		OperatorGroup: "sales", CallerIDs: []string{"+12025550100", "+12025550199"}, MaxAttempts: &once})
	if err != nil {
		t.Fatal(err)
	}
	id := created.Campaign.ID
	stats := func(a *app.App) dialer.Counts {
		t.Helper()
		st, err := a.PhoneCampaigns.Stats(ctx, "a1", id)
		if err != nil {
			t.Fatal(err)
		}
		return st.Counts
	}
	setOperators(t, a, operators, dialer.Online)
	stop := running(a)

	time.Sleep(1500 * time.Millisecond)
	if n := len(a.Voice.Placed()); n != 0 {
		t.Fatalf("%d calls placed at 03:00, outside the calling hours", n)
	}
	clock.jump(6 * time.Hour) // 09:00
	if err := a.WindowCheck(ctx, false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "four contacts processed", func() bool { return stats(a).Processed >= 4 })

	// The operators leave; once their calls are done the process stops.
	setOperators(t, a, operators, dialer.Offline)
	waitFor(t, "the calls in flight ending", func() bool {
		as, err := a.Store.PhoneAgents(ctx, "a1")
		if err != nil {
			t.Fatal(err)
		}
		for _, op := range as {
			if op.State != dialer.Offline {
				return false
			}
		}
		return stats(a).InProgress == 0
	})
	stop()
	before := stats(a)
	state, version, err := a.Store.PacerState(ctx, "a1", id)
	if err != nil {
		t.Fatal(err)
	}
	placed := len(a.Voice.Placed())
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if before.Processed == contacts {
		t.Fatalf("the campaign finished before the restart: %+v", before)
	}

	a = open()
	defer a.Close()
	if got := stats(a); got != before {
		t.Fatalf("after the restart the entries count %+v, before %+v", got, before)
	}
	stop = running(a)
	defer stop()
	setOperators(t, a, operators, dialer.Online)
	waitFor(t, "the campaign completing", func() bool {
		c, err := a.Store.PhoneCampaign(ctx, "a1", id)
		if err != nil {
			t.Fatal(err)
		}
		return c.State == dialer.CampaignCompleted
	})
	after := stats(a)
	if after.Processed != contacts || after.Waiting != 0 || after.InProgress != 0 {
		t.Errorf("completed with %+v", after)
	}
	if after.Connected < before.Connected {
		t.Errorf("connected went from %d to %d", before.Connected, after.Connected)
	}
	end, endVersion, err := a.Store.PacerState(ctx, "a1", id)
	if err != nil {
		t.Fatal(err)
	}
	if endVersion <= version || end.Outcomes < state.Outcomes+contacts-before.Processed {
		t.Errorf("pacer state went from version %d (%d outcomes) to %d (%d outcomes): it did not carry on", version, state.Outcomes, endVersion, end.Outcomes)
	}
	t.Logf("before the restart: %d calls, %+v; after: %d more calls, %+v", placed, before, len(a.Voice.Placed()), after)
}
