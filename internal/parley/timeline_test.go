package parley_test

import (
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

func TestTimelineStampsOnce(t *testing.T) {
	t0 := time.Date(2026, 11, 21, 14, 30, 0, 0, time.FixedZone("x", 3600))
	var tl parley.Timeline
	if !tl.Stamp(parley.StepSent, t0) || tl.Stamp(parley.StepSent, t0.Add(time.Hour)) || tl.Stamp(parley.StepRead, time.Time{}) {
		t.Fatal("a step is stamped once, at its first time, never at zero")
	}
	if got := tl.At(parley.StepSent); !got.Equal(t0) || got.Location() != time.UTC {
		t.Errorf("sent at %v, want %v in UTC", got, t0)
	}
	before := tl
	tl.StampStatus(parley.StatusRead, t0.Add(time.Minute))
	if got := tl.Reached(before); len(got) != 2 || got[0] != parley.StepDelivered || got[1] != parley.StepRead {
		t.Errorf("READ after SENT reaches %v, want delivered, read", got)
	}
	if got := tl.Reached(tl); len(got) != 0 {
		t.Errorf("no change reaches %v", got)
	}
}

func TestStatusSteps(t *testing.T) {
	tests := []struct {
		status parley.RecipientStatus
		want   []parley.Step
	}{
		{parley.StatusQueued, []parley.Step{parley.StepAttempted, parley.StepEligible}},
		{parley.StatusScheduled, []parley.Step{parley.StepAttempted, parley.StepEligible}},
		{parley.StatusSkipped, []parley.Step{parley.StepAttempted, parley.StepSkipped}},
		{parley.StatusExpired, []parley.Step{parley.StepAttempted, parley.StepSkipped}},
		{parley.StatusSending, nil},
		{parley.StatusUnknown, nil},
		{parley.StatusSent, []parley.Step{parley.StepSent}},
		{parley.StatusDelivered, []parley.Step{parley.StepSent, parley.StepDelivered}},
		{parley.StatusRead, []parley.Step{parley.StepSent, parley.StepDelivered, parley.StepRead}},
		{parley.StatusFailed, []parley.Step{parley.StepFailed}},
		{parley.StatusUndelivered, []parley.Step{parley.StepFailed}},
		{parley.StatusCancelled, []parley.Step{parley.StepCancelled}},
	}
	for _, tt := range tests {
		got := parley.StatusSteps(tt.status)
		if len(got) != len(tt.want) {
			t.Errorf("%s: %v, want %v", tt.status, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("%s: %v, want %v", tt.status, got, tt.want)
			}
		}
	}
}

func TestStepNames(t *testing.T) {
	for _, s := range parley.Steps {
		if got, ok := parley.ParseStep(s.String()); !ok || got != s {
			t.Errorf("ParseStep(%q) = %v, %v", s.String(), got, ok)
		}
	}
	if _, ok := parley.ParseStep("opened"); ok {
		t.Error("an unknown step parses")
	}
}

func TestCounts(t *testing.T) {
	t0 := time.Date(2026, 11, 21, 14, 30, 0, 0, time.UTC)
	before := parley.Recipient{AccountID: "a", CampaignID: "c", Skill: "sales", Channel: parley.ChannelSMS}
	before.Timeline.StampStatus(parley.StatusQueued, t0)
	after := before
	after.Timeline.StampStatus(parley.StatusSent, t0.Add(10*time.Minute))
	after.Timeline.StampStatus(parley.StatusDelivered, t0.Add(40*time.Minute))
	rows := parley.Counts(before, after)
	if len(rows) != 2 {
		t.Fatalf("rows %+v, want one for 14:00 and one for 15:00", rows)
	}
	if rows[0].Hour != time.Date(2026, 11, 21, 14, 0, 0, 0, time.UTC) || rows[0].Counts[parley.StepSent] != 1 || rows[0].Counts[parley.StepAttempted] != 0 {
		t.Errorf("first row %+v", rows[0])
	}
	if rows[1].Hour != time.Date(2026, 11, 21, 15, 0, 0, 0, time.UTC) || rows[1].Counts[parley.StepDelivered] != 1 || rows[1].Skill != "sales" {
		t.Errorf("second row %+v", rows[1])
	}
	if got := parley.Counts(after, after); len(got) != 0 {
		t.Errorf("the same recipient again counts %+v", got)
	}
	if merged := parley.MergeRows(append(rows, rows...)); len(merged) != 2 || merged[1].Counts[parley.StepDelivered] != 2 {
		t.Errorf("merged %+v", merged)
	}
}

// TestCountsErrorsAndOrigin checks that a failure counts its error once,
// in the failed step's row, and that rows carry the recipient's handoff
// and source as intake gives them.
func TestCountsErrorsAndOrigin(t *testing.T) {
	t0 := time.Date(2026, 11, 21, 14, 30, 0, 0, time.UTC)
	c := parley.Campaign{AccountID: "a", ID: "call1", Skill: "sales", CallID: "call1", TemplateID: "H000000000000001", HandoffID: "H000000000000001", Source: parley.SourceAPI, CreatedAt: t0}
	before := parley.Recipient{AccountID: "a", CampaignID: "call1", Channel: parley.ChannelSMS, Status: parley.StatusQueued}
	c.TakeIn(&before)
	if before.HandoffID != c.HandoffID || before.Source != parley.SourceAPI || before.Skill != "sales" || before.App != parley.AppC2M {
		t.Fatalf("taken in %+v", before)
	}
	after := before
	after.ErrorMessage = "30003"
	after.Timeline.StampStatus(parley.StatusSent, t0.Add(10*time.Minute))
	after.Timeline.StampStatus(parley.StatusFailed, t0.Add(40*time.Minute))
	rows := parley.Counts(before, after)
	if len(rows) != 2 || rows[0].Errors != nil || rows[1].Errors["PROVIDER_30003"] != 1 || len(rows[1].Errors) != 1 {
		t.Fatalf("rows %+v, want the error counted once, at 15:00", rows)
	}
	if k := rows[1].CountKey; k.HandoffID != "H000000000000001" || k.Source != parley.SourceAPI || k.ReportApp() != parley.AppC2M {
		t.Errorf("key %+v, want the handoff, the source and the c2m app", k)
	}
	if got := parley.Counts(after, after); len(got) != 0 {
		t.Errorf("the failure reported again counts %+v", got)
	}
	proactive := parley.Recipient{AccountID: "a", CampaignID: "p", Status: parley.StatusSkipped, ErrorMessage: parley.CodeOptedOut}
	(parley.Campaign{AccountID: "a", ID: "p", TemplateID: "H000000000000001", HandoffID: "H000000000000001", Source: parley.SourceUI, CreatedAt: t0}).TakeIn(&proactive)
	rows = parley.Counts(parley.Recipient{}, proactive)
	if len(rows) != 2 || rows[0].HandoffID != "H000000000000001" || rows[0].ReportApp() != parley.AppProactive || rows[0].Errors["PARLEY_"+parley.CodeOptedOut] != 1 ||
		rows[1].Statuses[parley.StatusSkipped] != 1 || rows[1].Counted() {
		t.Errorf("skipped at intake: %+v, want its step row and its campaign's status row", rows)
	}
	long := parley.Recipient{ErrorMessage: strings.Repeat("x", 200)}
	if k := parley.ErrorKey(long); len(k) != parley.MaxErrorKey {
		t.Errorf("key of a long code is %d bytes", len(k))
	}
}

// TestCountsStatuses checks the status row: a change moves one count from
// the status left to the status entered, in the campaign's creation hour
// whenever it happens, under no skill or channel; a change that keeps the
// status moves nothing.
func TestCountsStatuses(t *testing.T) {
	t0 := time.Date(2026, 11, 21, 14, 30, 0, 0, time.UTC)
	c := parley.Campaign{AccountID: "a", ID: "c", Skill: "sales", Source: parley.SourceAPI, CreatedAt: t0}
	queued := parley.Recipient{AccountID: "a", CampaignID: "c", Channel: parley.ChannelWhatsApp, Status: parley.StatusQueued}
	c.TakeIn(&queued)
	want := parley.CountKey{AccountID: "a", Hour: parley.HourOf(t0), CampaignID: "c", Source: parley.SourceAPI}
	status := func(rows []parley.CountRow) parley.CountRow {
		t.Helper()
		for _, r := range rows {
			if r.Statuses != nil {
				if r.CountKey != want {
					t.Errorf("status row key %+v, want %+v", r.CountKey, want)
				}
				return r
			}
		}
		return parley.CountRow{}
	}
	if got := status(parley.Counts(parley.Recipient{}, queued)); !maps.Equal(got.Statuses, map[parley.RecipientStatus]int64{parley.StatusQueued: 1}) {
		t.Errorf("intake: %+v", got.Statuses)
	}
	sent := queued
	sent.Status, sent.Channel = parley.StatusSent, parley.ChannelSMS // a fallback
	sent.Timeline.StampStatus(parley.StatusSent, t0.Add(5*time.Hour))
	if got := status(parley.Counts(queued, sent)); !maps.Equal(got.Statuses, map[parley.RecipientStatus]int64{parley.StatusQueued: -1, parley.StatusSent: 1}) {
		t.Errorf("sent hours later: %+v", got.Statuses)
	}
	if got := status(parley.Counts(sent, sent)); got.Statuses != nil {
		t.Errorf("the same status again: %+v", got.Statuses)
	}
	if _, ok := parley.StatusKey(parley.Recipient{Status: parley.StatusFailed}); ok {
		t.Error("a recipient never attempted has a status key")
	}
	merged := parley.MergeRows(append(parley.Counts(parley.Recipient{}, queued), parley.Counts(queued, sent)...))
	if got := status(merged); !maps.Equal(got.Statuses, map[parley.RecipientStatus]int64{parley.StatusSent: 1}) {
		t.Errorf("merged %+v", got.Statuses)
	}
}

func TestErrorSource(t *testing.T) {
	for code, want := range map[string]string{
		"": "", parley.CodeOptedOut: parley.ErrorSourceParley, "MISSING_VARIABLE=2": parley.ErrorSourceParley,
		"30003": parley.ErrorSourceProvider, "131026": parley.ErrorSourceProvider, "Undelivered": parley.ErrorSourceProvider,
	} {
		if got := (parley.Recipient{ErrorMessage: code}).ErrorSource(); got != want {
			t.Errorf("source of %q = %q, want %q", code, got, want)
		}
	}
}

func TestCountQueryMatches(t *testing.T) {
	h := time.Date(2026, 11, 21, 14, 0, 0, 0, time.UTC)
	k := parley.CountKey{AccountID: "a", Hour: h, CampaignID: "c", Skill: "sales", Channel: parley.ChannelSMS}
	tests := []struct {
		name string
		q    parley.CountQuery
		want bool
	}{
		{"hour inside", parley.CountQuery{AccountID: "a", From: h.Add(30 * time.Minute), To: h.Add(time.Hour)}, true},
		{"to excluded", parley.CountQuery{AccountID: "a", From: h.Add(-time.Hour), To: h}, false},
		{"other account", parley.CountQuery{AccountID: "b", From: h, To: h.Add(time.Hour)}, false},
		{"campaign", parley.CountQuery{AccountID: "a", From: h, To: h.Add(time.Hour), CampaignIDs: []string{"x", "c"}}, true},
		{"skill", parley.CountQuery{AccountID: "a", From: h, To: h.Add(time.Hour), Skills: []string{"billing"}}, false},
		{"channel", parley.CountQuery{AccountID: "a", From: h, To: h.Add(time.Hour), Channels: []parley.Channel{parley.ChannelWhatsApp}}, false},
	}
	for _, tt := range tests {
		if got := tt.q.Matches(k); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}
