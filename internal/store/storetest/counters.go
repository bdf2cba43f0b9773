package storetest

import (
	"context"
	"maps"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Counters checks that recipients' timelines are stamped once per step and
// counted once per account, hour, campaign, skill, channel, handoff and
// source, whatever is reported twice, and that each campaign's status row
// counts its recipients by status.
func Counters(t *testing.T, newStore func(t *testing.T) store.Store) {
	ctx := context.Background()
	s := newStore(t)
	c, rs := Fixture("acct1", "camp1", 3)
	c.Source = parley.SourceUI
	create(t, s, c, rs)
	other, ors := Fixture("acct1", "camp2", 1) // a Connect to Messaging deflection
	other.Skill, other.CallID, other.TemplateID, other.HandoffID, other.Source = "billing", "camp2", "H000000000000002", "H000000000000002", parley.SourceAPI
	ors[0].Channel = parley.ChannelWhatsApp
	create(t, s, other, ors)
	foreign, frs := Fixture("acct2", "camp1", 2)
	create(t, s, foreign, frs)

	t1, t2 := t0.Add(90*time.Minute), t0.Add(3*time.Hour+5*time.Minute) // hours 15:00 and 17:00
	ref := func(seq string) parley.Ref {
		return parley.Ref{AccountID: "acct1", CampaignID: "camp1", RecipientID: "00000" + seq}
	}
	change := func(id string, from, to parley.RecipientStatus, at time.Time) (parley.Recipient, error) {
		ch := parley.RecipientChange{From: []parley.RecipientStatus{from}, Status: to, At: at, ProviderMessageID: "SM" + id}
		if to == parley.StatusFailed {
			ch.ErrorMessage = "30003"
		}
		return s.UpdateRecipient(ctx, ref(id), ch)
	}
	for _, id := range []string{"1", "2", "3"} {
		if _, err := change(id, parley.StatusQueued, parley.StatusSending, t1); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := change("1", parley.StatusSending, parley.StatusSent, t1); err != nil {
		t.Fatal(err)
	}
	if _, err := change("2", parley.StatusSending, parley.StatusSent, t1); err != nil {
		t.Fatal(err)
	}
	if _, err := change("3", parley.StatusSending, parley.StatusFailed, t1); err != nil {
		t.Fatal(err)
	}
	// Recipient 1 delivered at t2, then read; a late second DELIVERED is
	// refused and a repeated reply stamps nothing.
	if _, err := s.UpdateRecipient(ctx, ref("1"), parley.RecipientChange{From: parley.AdvancesFrom(parley.StatusDelivered), Status: parley.StatusDelivered, At: t2, Carries: "SM1"}); err != nil {
		t.Fatal(err)
	}
	r, err := s.UpdateRecipient(ctx, ref("1"), parley.RecipientChange{From: parley.AdvancesFrom(parley.StatusRead), Status: parley.StatusRead, At: t2.Add(time.Minute), Carries: "SM1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateRecipient(ctx, ref("1"), parley.RecipientChange{From: parley.AdvancesFrom(parley.StatusDelivered), Status: parley.StatusDelivered, At: t2.Add(2 * time.Minute), Carries: "SM1"}); parley.ErrorCode(err) != parley.ECONFLICT {
		t.Fatalf("a second DELIVERED after READ: %v, want ECONFLICT", err)
	}
	if !r.Timeline.Delivered.Equal(t2) || !r.Timeline.Sent.Equal(t1) || !r.Timeline.Attempted.Equal(t0) || !r.Timeline.Read.Equal(t2.Add(time.Minute)) {
		t.Errorf("timeline of recipient 1 = %+v", r.Timeline)
	}
	if r.Skill != "sales" || r.Source != parley.SourceUI || r.HandoffID != "" || r.App != "" {
		t.Errorf("recipient skill %q, source %q, handoff %q, app %q; want the campaign's skill and source, no handoff or app", r.Skill, r.Source, r.HandoffID, r.App)
	}
	if got, err := s.Recipient(ctx, parley.Ref{AccountID: "acct1", CampaignID: "camp2", RecipientID: "000001"}); err != nil || got.HandoffID != "H000000000000002" || got.Source != parley.SourceAPI || got.App != parley.AppC2M {
		t.Errorf("deflection recipient %+v, %v; want its handoff and source", got, err)
	}
	for i, want := range []bool{true, false} {
		got, stamped, err := s.StampRecipient(ctx, ref("1"), parley.StepResponded, t2.Add(time.Duration(10+i)*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if stamped != want || !got.Timeline.Responded.Equal(t2.Add(10*time.Minute)) {
			t.Errorf("reply %d: stamped %v (want %v), responded at %v", i+1, stamped, want, got.Timeline.Responded)
		}
	}
	if _, _, err := s.StampRecipient(ctx, parley.Ref{AccountID: "acct1", CampaignID: "camp1", RecipientID: "nobody"}, parley.StepResponded, t2); parley.ErrorCode(err) != parley.ENOTFOUND {
		t.Errorf("stamping a missing recipient: %v, want ENOTFOUND", err)
	}
	got, err := s.Recipient(ctx, ref("1"))
	if err != nil {
		t.Fatal(err)
	}
	if got.Timeline != (parley.Timeline{Attempted: t0, Eligible: t0, Sent: t1, Delivered: t2, Read: t2.Add(time.Minute), Responded: t2.Add(10 * time.Minute)}) {
		t.Errorf("stored timeline = %+v", got.Timeline)
	}

	steps := func(pairs ...any) [parley.NumSteps]int64 {
		var c [parley.NumSteps]int64
		for i := 0; i < len(pairs); i += 2 {
			c[pairs[i].(parley.Step)] = int64(pairs[i+1].(int))
		}
		return c
	}
	key := func(hour time.Time, campaign, skill string, ch parley.Channel) parley.CountKey {
		k := parley.CountKey{AccountID: "acct1", Hour: hour, CampaignID: campaign, Skill: skill, Channel: ch, Source: parley.SourceUI}
		if campaign == "camp2" {
			k.HandoffID, k.Source, k.App = "H000000000000002", parley.SourceAPI, parley.AppC2M
		}
		return k
	}
	h0, h1, h2 := parley.HourOf(t0), parley.HourOf(t1), parley.HourOf(t2)
	all := []parley.CountRow{
		{CountKey: key(h0, "camp1", "sales", parley.ChannelSMS), Counts: steps(parley.StepAttempted, 3, parley.StepEligible, 3)},
		{CountKey: key(h0, "camp2", "billing", parley.ChannelWhatsApp), Counts: steps(parley.StepAttempted, 1, parley.StepEligible, 1)},
		{CountKey: key(h1, "camp1", "sales", parley.ChannelSMS), Counts: steps(parley.StepSent, 2, parley.StepFailed, 1), Errors: map[string]int64{"PROVIDER_30003": 1}},
		{CountKey: key(h2, "camp1", "sales", parley.ChannelSMS), Counts: steps(parley.StepDelivered, 1, parley.StepRead, 1, parley.StepResponded, 1)},
	}
	day := parley.CountQuery{AccountID: "acct1", From: t0.Add(-time.Hour), To: t0.Add(24 * time.Hour)}
	tests := []struct {
		name string
		q    parley.CountQuery
		want []parley.CountRow
	}{
		{"account day", day, all},
		{"one campaign", with(day, func(q *parley.CountQuery) { q.CampaignIDs = []string{"camp2"} }), all[1:2]},
		{"one skill", with(day, func(q *parley.CountQuery) { q.Skills = []string{"sales"} }), []parley.CountRow{all[0], all[2], all[3]}},
		{"one channel", with(day, func(q *parley.CountQuery) { q.Channels = []parley.Channel{parley.ChannelWhatsApp} }), all[1:2]},
		{"Connect to Messaging", with(day, func(q *parley.CountQuery) { q.App = parley.AppC2M }), all[1:2]},
		{"Proactive", with(day, func(q *parley.CountQuery) { q.App = parley.AppProactive }), []parley.CountRow{all[0], all[2], all[3]}},
		{"one handoff", with(day, func(q *parley.CountQuery) { q.HandoffIDs = []string{"H000000000000002", "H9"} }), all[1:2]},
		{"another handoff", with(day, func(q *parley.CountQuery) { q.HandoffIDs = []string{"H9"} }), nil},
		{"one source", with(day, func(q *parley.CountQuery) { q.Sources = []string{parley.SourceUI} }), []parley.CountRow{all[0], all[2], all[3]}},
		{"a campaign's statuses", parley.CountQuery{AccountID: "acct1", From: h0, To: h0.Add(time.Hour), CampaignIDs: []string{"camp1"}, WithStatuses: true}, []parley.CountRow{
			{CountKey: parley.CountKey{AccountID: "acct1", Hour: h0, CampaignID: "camp1", Source: parley.SourceUI},
				Statuses: map[parley.RecipientStatus]int64{parley.StatusRead: 1, parley.StatusSent: 1, parley.StatusFailed: 1}},
			all[0],
		}},
		{"a deflection's statuses", parley.CountQuery{AccountID: "acct1", From: h0, To: h0.Add(time.Hour), CampaignIDs: []string{"camp2"}, WithStatuses: true}, []parley.CountRow{
			{CountKey: parley.CountKey{AccountID: "acct1", Hour: h0, CampaignID: "camp2", HandoffID: "H000000000000002", Source: parley.SourceAPI, App: parley.AppC2M},
				Statuses: map[parley.RecipientStatus]int64{parley.StatusQueued: 1}},
			all[1],
		}},
		{"hours from inside the first", with(day, func(q *parley.CountQuery) { q.From, q.To = t0.Add(30*time.Minute), h2 }), all[:3]},
		{"nothing", with(day, func(q *parley.CountQuery) { q.From, q.To = t0.Add(-48*time.Hour), t0.Add(-24*time.Hour) }), nil},
		{"other account", parley.CountQuery{AccountID: "acct2", From: day.From, To: day.To}, []parley.CountRow{
			{CountKey: parley.CountKey{AccountID: "acct2", Hour: h0, CampaignID: "camp1", Skill: "sales", Channel: parley.ChannelSMS}, Counts: steps(parley.StepAttempted, 2, parley.StepEligible, 2)},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkRows(t, s, tt.q, tt.want) })
	}
}

// checkRows checks that s counts want for q.
func checkRows(t *testing.T, s store.Store, q parley.CountQuery, want []parley.CountRow) {
	t.Helper()
	rows, err := s.CountRows(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows %+v, want %d %+v", len(rows), rows, len(want), want)
	}
	for i := range rows {
		got, want := rows[i], want[i]
		if !got.Hour.Equal(want.Hour) || got.CampaignID != want.CampaignID || got.Skill != want.Skill || got.Channel != want.Channel ||
			got.AccountID != want.AccountID || got.HandoffID != want.HandoffID || got.Source != want.Source || got.App != want.App ||
			got.Counts != want.Counts || !maps.Equal(got.Errors, want.Errors) || !maps.Equal(got.Statuses, want.Statuses) {
			t.Errorf("row %d = %+v, want %+v", i, got, want)
		}
	}
}

// RangeClaimCounters checks that recipients claimed by ClaimRange and
// recorded by RecordRange count as those claimed and recorded one by one:
// after a range claim, a claim of one recipient alone and a cancellation,
// the records of SENT (two of them together) and FAILED fenced to the
// claims' attempt, a delivery report, a take-over and a release, the step
// rows count each send, the delivery, the failure and the cancellation
// once, and the campaign's status row each recipient once, in its last
// status.
func RangeClaimCounters(t *testing.T, newStore func(t *testing.T) store.Store) {
	ctx := context.Background()
	s := newStore(t)
	c, rs := Fixture("acct1", "camp1", 8)
	create(t, s, c, rs)
	t1 := t0.Add(90 * time.Minute)
	for i, g := range s.ClaimRange(ctx, rangeRefs(1, 5), rangeClaim("epoch-a")) {
		if !g.Claimed || g.Err != nil {
			t.Fatalf("range claim of recipient %d: %+v", i+1, g)
		}
	}
	if _, err := s.UpdateRecipient(ctx, rs[5].Ref(), rangeClaim("epoch-b")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateRecipient(ctx, rs[6].Ref(), parley.Cancellation(t1)); err != nil {
		t.Fatal(err)
	}
	sending := []parley.RecipientStatus{parley.StatusSending}
	recorded := s.RecordRange(ctx, []store.RangeRecord{
		{Ref: rs[0].Ref(), Claimant: "epoch-a", Change: parley.RecipientChange{From: sending, Attempt: 1, Status: parley.StatusSent, ProviderMessageID: "SM1", At: t1}},
		{Ref: rs[1].Ref(), Claimant: "epoch-a", Change: parley.RecipientChange{From: sending, Attempt: 1, Status: parley.StatusSent, ProviderMessageID: "SM2", At: t1}},
	})
	for i, g := range recorded {
		if !g.Claimed || g.Err != nil {
			t.Fatalf("record of recipient %d: %+v", i+1, g)
		}
	}
	changes := []struct {
		seq    int
		change parley.RecipientChange
	}{
		{1, parley.RecipientChange{From: parley.AdvancesFrom(parley.StatusDelivered), Status: parley.StatusDelivered, Carries: "SM1", At: t1}},
		{3, parley.RecipientChange{From: sending, Attempt: 1, Status: parley.StatusFailed, ProviderMessageID: "SM3", ErrorMessage: "30003", At: t1}},
		{6, parley.RecipientChange{From: sending, Attempt: 1, Status: parley.StatusSent, ProviderMessageID: "SM6", At: t1}},
		{4, parley.RecipientChange{From: sending, Attempt: 1, Status: parley.StatusSending, CountAttempt: true, Claimant: "epoch-c", DueAt: t1.Add(5 * time.Minute), At: t1}},
		{4, parley.RecipientChange{From: sending, Attempt: 2, Status: parley.StatusSent, ProviderMessageID: "SM4", At: t1}},
		{5, parley.RecipientChange{From: sending, Attempt: 1, Status: parley.StatusQueued, At: t1}},
	}
	for _, ch := range changes {
		if _, err := s.UpdateRecipient(ctx, rs[ch.seq-1].Ref(), ch.change); err != nil {
			t.Fatalf("recipient %d to %s: %v", ch.seq, ch.change.Status, err)
		}
	}
	// A reply to recipient 2, recorded but not reported on.
	if st, ok := s.(store.Stamps); ok {
		if _, stamped, err := st.StampRecipient(ctx, rs[1].Ref(), parley.StepResponded, t1); err != nil || !stamped {
			t.Fatalf("stamping recipient 2: %v, %v", stamped, err)
		}
	}
	for seq, want := range map[int]parley.RecipientStatus{1: parley.StatusDelivered, 2: parley.StatusSent, 3: parley.StatusFailed, 4: parley.StatusSent, 5: parley.StatusQueued, 7: parley.StatusCancelled, 8: parley.StatusQueued} {
		if r, err := s.Recipient(ctx, rs[seq-1].Ref()); err != nil || r.Status != want {
			t.Errorf("recipient %d is %s, %v; want %s", seq, r.Status, err, want)
		}
	}
	var intake, sent [parley.NumSteps]int64
	intake[parley.StepAttempted], intake[parley.StepEligible] = 8, 8
	sent[parley.StepSent], sent[parley.StepDelivered], sent[parley.StepFailed], sent[parley.StepCancelled] = 4, 1, 1, 1
	if _, ok := s.(store.Stamps); ok {
		sent[parley.StepResponded] = 1
	}
	key := func(hour time.Time) parley.CountKey {
		return parley.CountKey{AccountID: "acct1", Hour: hour, CampaignID: "camp1", Skill: "sales", Channel: parley.ChannelSMS}
	}
	h0, h1 := parley.HourOf(t0), parley.HourOf(t1)
	checkRows(t, s, parley.CountQuery{AccountID: "acct1", From: h0, To: h0.Add(24 * time.Hour)}, []parley.CountRow{
		{CountKey: key(h0), Counts: intake},
		{CountKey: key(h1), Counts: sent, Errors: map[string]int64{"PROVIDER_30003": 1}},
	})
	checkRows(t, s, parley.CountQuery{AccountID: "acct1", From: h0, To: h0.Add(time.Hour), CampaignIDs: []string{"camp1"}, WithStatuses: true}, []parley.CountRow{
		{CountKey: parley.CountKey{AccountID: "acct1", Hour: h0, CampaignID: "camp1"}, Statuses: map[parley.RecipientStatus]int64{
			parley.StatusSent: 3, parley.StatusDelivered: 1, parley.StatusFailed: 1, parley.StatusCancelled: 1, parley.StatusQueued: 2,
		}},
		{CountKey: key(h0), Counts: intake},
	})
}

func with(q parley.CountQuery, f func(*parley.CountQuery)) parley.CountQuery {
	f(&q)
	return q
}
