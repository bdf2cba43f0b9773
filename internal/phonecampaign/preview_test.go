package phonecampaign_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/clocktest"
	"github.com/parleyhq/parley/internal/dialer"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/phonecampaign"
	"github.com/parleyhq/parley/internal/store/embedded"
)

func TestPreviewOffersAcceptBCWThenDial(t *testing.T) {
	ctx := context.Background()
	s, clock := directoryOf(t, 2)
	svc := &phonecampaign.Service{Store: s, Clock: clock}
	bcw := 30
	script := &dialer.Script{Items: []dialer.ScriptItem{
		{Kind: dialer.ItemText, Label: "Introduce yourself."},
		{Kind: dialer.ItemChoice, Name: "plan", Label: "Which plan?", Options: []string{"basic", "plus"}, Required: true},
	}}
	c, voice, d := previewWithAnn(t, s, clock, dialer.Draft{BCWSeconds: &bcw, Script: script})
	pace := func() { t.Helper(); paceNow(t, s, d, c.ID, 2) }
	ann := func() dialer.Agent {
		t.Helper()
		a, err := d.Operator(ctx, "a1", "ann")
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	entry := func(id string) dialer.Entry {
		t.Helper()
		e, err := s.Entry(ctx, "a1", c.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}

	pace()
	if a := ann(); a.State != dialer.Busy || a.Offer == nil || a.Offer.ContactID != "k000" || len(voice.placed) != 0 {
		t.Fatalf("after the first round ann is %+v, %d calls placed; want k000 offered and nothing dialled", a, len(voice.placed))
	}
	if e := entry("k000"); e.Status != dialer.EntryInProgress || e.OfferedTo != "ann" {
		t.Fatalf("k000 is %+v", e)
	}
	// Skipping puts the contact back, its attempts untouched; the next is offered.
	if a, err := d.Skip(ctx, "a1", "ann"); err != nil || a.State != dialer.Online || a.Offer != nil {
		t.Fatalf("skip: %+v, %v", a, err)
	}
	if e := entry("k000"); e.Status != dialer.EntryWaiting || e.Attempts != 0 || !e.NextAttemptAt.Equal(clock.Now().Add(phonecampaign.SkipDelay)) {
		t.Fatalf("k000 after the skip: %+v", e)
	}
	pace()
	if a := ann(); a.Offer == nil || a.Offer.ContactID != "k001" {
		t.Fatalf("after the skip ann is offered %+v, want k001", a.Offer)
	}
	if _, err := d.Skip(ctx, "a1", "bob"); parley.ErrorCode(err) != parley.ENOTFOUND {
		t.Errorf("skip by an unknown operator: %v", err)
	}
	// Accepting starts the BCW: nothing is dialled before it passes.
	if a, err := d.Accept(ctx, "a1", "ann"); err != nil || a.Offer.AcceptedAt.IsZero() || a.CallID != "" {
		t.Fatalf("accept: %+v, %v", a, err)
	}
	if _, err := d.Skip(ctx, "a1", "ann"); parley.ErrorCode(err) != parley.ECONFLICT {
		t.Errorf("skip after accepting: %v, want ECONFLICT", err)
	}
	clock.Advance(29 * time.Second)
	pace()
	if len(voice.placed) != 0 {
		t.Fatalf("dialled %d calls before the BCW passed", len(voice.placed))
	}
	clock.Advance(time.Second)
	pace()
	pace()
	if len(voice.placed) != 1 || voice.placed[0].ContactID != "k001" {
		t.Fatalf("placed %+v, want one call to k001", voice.placed)
	}
	if a := ann(); a.CallID != "CA1" || a.State != dialer.Busy {
		t.Fatalf("ann after the dial: %+v", a)
	}
	// Answered, it is ann's: bridged at once, never offered to anyone else.
	if err := d.Answered(ctx, phonecampaign.Event{AccountID: "a1", CampaignID: c.ID, ProviderID: "CA1", At: clock.Now(), Answer: dialer.AnswerHuman}); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(voice.bridged) != "[CA1>ann]" {
		t.Fatalf("bridged %v", voice.bridged)
	}
	clock.Advance(2 * time.Minute)
	if err := d.Ended(ctx, phonecampaign.Event{AccountID: "a1", CampaignID: c.ID, ProviderID: "CA1", At: clock.Now()}, 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	if a := ann(); a.State != dialer.WrapUp {
		t.Fatalf("ann after the call: %s", a.State)
	}
	if _, err := d.CompleteSession(ctx, "a1", "ann", "sold", map[string]string{"plan": "gold"}); parley.ErrorField(err) != "answers.plan" {
		t.Fatalf("an answer off the script: %v, want an error on answers.plan", err)
	}
	for _, answers := range []map[string]string{nil, {"plan": ""}} {
		_, err := d.CompleteSession(ctx, "a1", "ann", "sold", answers)
		if parley.ErrorCode(err) != parley.EINVALID || parley.ErrorField(err) != "answers.plan" || !strings.Contains(err.Error(), "required") {
			t.Fatalf("a wrap-up without the required plan (%v): %v, want EINVALID on answers.plan", answers, err)
		}
	}
	if _, err := d.WrapUp(ctx, "a1", "ann", "sold"); parley.ErrorField(err) != "answers.plan" {
		t.Fatalf("a wrap-up without answers: %v, want an error on answers.plan", err)
	}
	if a := ann(); a.State != dialer.WrapUp {
		t.Fatalf("a refused wrap-up moved ann to %s", a.State)
	}
	if call, err := d.CompleteSession(ctx, "a1", "ann", "sold", map[string]string{"plan": "plus"}); err != nil || call.Params["plan"] != "plus" {
		t.Fatalf("wrap-up: %+v, %v", call, err)
	}
	for want, q := range map[int]map[string]string{1: {"plan": "plus"}, 0: {"plan": "basic"}} {
		if got, err := d.Sessions(ctx, "a1", phonecampaign.SessionQuery{SessionFilter: dialer.SessionFilter{Params: q}}); err != nil || len(got.Sessions) != want {
			t.Errorf("sessions with %v: %d, %v; want %d", q, len(got.Sessions), err, want)
		}
	}
	if a := ann(); a.State != dialer.Online || a.Offer != nil || a.CallID != "" {
		t.Fatalf("ann after wrap-up: %+v", a)
	}
	if e := entry("k001"); e.Status != dialer.EntryProcessed || e.Result != "sold" || e.Operator != "ann" || e.OfferedTo != "" || e.Attempts != 1 {
		t.Fatalf("k001 after its session: %+v", e)
	}

	// The skipped contact comes back; unanswered, its operator is free again.
	pace()
	if a := ann(); a.Offer == nil || a.Offer.ContactID != "k000" {
		t.Fatalf("ann is offered %+v, want k000 again", a.Offer)
	}
	if _, err := d.Accept(ctx, "a1", "ann"); err != nil {
		t.Fatal(err)
	}
	clock.Advance(30 * time.Second)
	pace()
	if len(voice.placed) != 2 {
		t.Fatalf("placed %d calls, want 2", len(voice.placed))
	}
	if err := d.Answered(ctx, phonecampaign.Event{AccountID: "a1", CampaignID: c.ID, ProviderID: "CA2", At: clock.Now(), Answer: dialer.AnswerMachine}); err != nil {
		t.Fatal(err)
	}
	if a := ann(); a.State != dialer.Online || a.Offer != nil {
		t.Fatalf("ann after a machine answered: %+v", a)
	}
	if fmt.Sprint(voice.ended) != "[hangup CA2]" || len(voice.bridged) != 1 {
		t.Errorf("machine: ended %v, bridged %v", voice.ended, voice.bridged)
	}
	calls, err := s.PhoneCalls(ctx, "a1", c.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range calls {
		if k.Abandoned {
			t.Errorf("preview call %s abandoned", k.ProviderID)
		}
	}

	// The machine was a person after all: flagged, the call counts as
	// abandoned, once, in the statistics and in the pacer's counts.
	before, _, err := s.PacerState(ctx, "a1", c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Misdetected(ctx, "a1", c.ID, "CA1"); parley.ErrorCode(err) != parley.ECONFLICT {
		t.Errorf("flagging a bridged call: %v, want ECONFLICT", err)
	}
	for range 2 {
		if k, err := d.Misdetected(ctx, "a1", c.ID, "CA2"); err != nil || !k.Abandoned || !k.Misdetected {
			t.Fatalf("misdetected: %+v, %v", k, err)
		}
	}
	after, _, err := s.PacerState(ctx, "a1", c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if after.Live != before.Live+1 || after.Abandoned != before.Abandoned+1 {
		t.Errorf("pacer counts live %v→%v, abandoned %v→%v; want one more of each", before.Live, after.Live, before.Abandoned, after.Abandoned)
	}
	st, err := svc.Stats(ctx, "a1", c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Calls.Live != 2 || st.Calls.Machine != 0 || st.Calls.Abandoned != 1 || st.Calls.CallAbandonRate != 0.5 {
		t.Errorf("call stats after the flag: %+v", st.Calls)
	}
	if _, err := d.Misdetected(ctx, "a1", c.ID, "nope"); parley.ErrorCode(err) != parley.ENOTFOUND {
		t.Errorf("flagging no call: %v, want ENOTFOUND", err)
	}
}

func TestPreviewOfflineReturnsTheOffer(t *testing.T) {
	ctx := context.Background()
	s, clock := directoryOf(t, 1)
	c, voice, d := previewWithAnn(t, s, clock, dialer.Draft{})
	if err := d.Pace(ctx, phonecampaign.PaceJob{AccountID: "a1", CampaignID: c.ID}); err != nil {
		t.Fatal(err)
	}
	// An offer stays however long the operator reads it.
	clock.Advance(10 * time.Minute)
	_, v, _ := s.PacerState(ctx, "a1", c.ID)
	if err := d.Pace(ctx, phonecampaign.PaceJob{AccountID: "a1", CampaignID: c.ID, Version: v}); err != nil {
		t.Fatal(err)
	}
	if e, _ := s.Entry(ctx, "a1", c.ID, "k000"); e.OfferedTo != "ann" || e.Attempts != 0 {
		t.Fatalf("k000 after 10 minutes offered: %+v", e)
	}
	a, err := d.SetState(ctx, "a1", "ann", "", dialer.Offline)
	if err != nil || a.State != dialer.Offline || a.Offer != nil {
		t.Fatalf("offline: %+v, %v", a, err)
	}
	if e, _ := s.Entry(ctx, "a1", c.ID, "k000"); e.Status != dialer.EntryWaiting || e.OfferedTo != "" {
		t.Errorf("k000 after ann left: %+v", e)
	}
	if len(voice.placed) != 0 {
		t.Errorf("dialled %d calls without an acceptance", len(voice.placed))
	}
}

// previewWithAnn creates a preview campaign of the directory's contacts,
// calling all day, with d's BCW and script, routed to group sales, whose
// operator ann is Online.
func previewWithAnn(t *testing.T, s *embedded.Store, clock *clocktest.Clock, d dialer.Draft) (dialer.Campaign, *recordingVoice, *phonecampaign.Dialer) {
	t.Helper()
	ctx := context.Background()
	d.Name, d.Mode, d.OperatorGroup = "p", dialer.ModePreview, "sales"
	d.CallingHours, d.CallerIDs = &dialer.Hours{Start: "00:00", End: "24:00"}, []string{"+12025550100"}
	created, err := (&phonecampaign.Service{Store: s, Clock: clock}).Create(ctx, "a1", d)
	if err != nil {
		t.Fatal(err)
	}
	voice := &recordingVoice{}
	dl := &phonecampaign.Dialer{Store: s, Clock: clock, Voice: voice, Jobs: &jobs{}}
	if _, err := dl.AddMember(ctx, "a1", "sales", "ann"); err != nil {
		t.Fatal(err)
	}
	if _, err := dl.SetState(ctx, "a1", "ann", "", dialer.Online); err != nil {
		t.Fatal(err)
	}
	return created.Campaign, voice, dl
}
