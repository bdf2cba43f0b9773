package parley_test

import (
	"slices"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

func TestEvents(t *testing.T) {
	t0 := time.Date(2030, 1, 2, 15, 0, 0, 0, time.UTC)
	base := parley.Recipient{AccountID: "a", CampaignID: "c", ID: "000001", Channel: parley.ChannelSMS, Phone: "+12025550101", Skill: "renewals"}
	at := func(status parley.RecipientStatus, when time.Duration, steps ...parley.Step) parley.Recipient {
		r := base
		r.Status = status
		r.Timeline.StampStatus(status, t0.Add(when))
		for _, s := range steps {
			r.Timeline.Stamp(s, t0.Add(when))
		}
		return r
	}
	queued := at(parley.StatusQueued, 0)
	sent := at(parley.StatusSent, 0)
	delivered := at(parley.StatusDelivered, 0)
	failed := at(parley.StatusFailed, 0)
	failed.ErrorMessage = "30003"
	replied := at(parley.StatusDelivered, 0, parley.StepResponded, parley.StepConversationCreated)
	for _, tc := range []struct {
		name          string
		before, after parley.Recipient
		want          []parley.EventType
	}{
		{"intake publishes nothing", parley.Recipient{}, queued, nil},
		{"a send", queued, sent, []parley.EventType{parley.EventSent}},
		{"a delivery report implies the send", queued, delivered, []parley.EventType{parley.EventSent, parley.EventDelivered}},
		{"the same report again", delivered, delivered, nil},
		{"a failure carries its code", queued, failed, []parley.EventType{parley.EventFailed}},
		{"a reply that opens a conversation", delivered, replied, []parley.EventType{parley.EventReplied, parley.EventConversationCreated}},
		{"skipped at intake", parley.Recipient{}, at(parley.StatusSkipped, 0), []parley.EventType{parley.EventSkipped}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			evs := parley.Events(tc.before, tc.after)
			var types []parley.EventType
			for _, ev := range evs {
				types = append(types, ev.Type)
				if ev.AccountID != "a" || ev.CampaignID != "c" || ev.RecipientID != "000001" || ev.Consumer != "+12025550101" || ev.Skill != "renewals" || ev.At.IsZero() {
					t.Errorf("event %+v", ev)
				}
				if ev.Type == parley.EventFailed && ev.ErrorCode != "30003" {
					t.Errorf("failed event without its code: %+v", ev)
				}
			}
			if !slices.Equal(types, tc.want) {
				t.Errorf("events %v, want %v", types, tc.want)
			}
			// The same change yields the same ids; each step its own.
			again := parley.Events(tc.before, tc.after)
			seen := map[string]bool{}
			for i, ev := range evs {
				if again[i].ID != ev.ID || seen[ev.ID] || ev.ID == "" {
					t.Errorf("event ids %v then %v", evs, again)
				}
				seen[ev.ID] = true
			}
		})
	}
	sent2 := sent
	sent2.ID = "000002"
	if parley.Events(queued, sent)[0].ID == parley.Events(queued, sent2)[0].ID {
		t.Error("two recipients' sends share an id")
	}
}

func TestCampaignEvents(t *testing.T) {
	t0 := time.Date(2030, 1, 2, 15, 0, 0, 0, time.UTC)
	active := parley.Campaign{AccountID: "a", ID: "c", Channel: parley.ChannelSMS, Skill: "renewals"}
	paused := active
	paused.State, paused.StateChangedAt = parley.StatePaused, t0
	resumed := paused
	resumed.State, resumed.StateChangedAt = parley.StateActive, t0.Add(time.Minute)
	done := resumed
	done.CompletedAt = t0.Add(time.Hour)
	for _, tc := range []struct {
		name          string
		before, after parley.Campaign
		want          []string
	}{
		{"a pause", active, paused, []string{"PAUSED"}},
		{"a resume", paused, resumed, []string{parley.CampaignResumed}},
		{"completion", resumed, done, []string{parley.CampaignCompleted}},
		{"no change", done, done, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, ev := range parley.CampaignEvents(tc.before, tc.after) {
				got = append(got, ev.Status)
				if ev.Type != parley.EventCampaignStateChanged || ev.CampaignID != "c" || ev.At.IsZero() || ev.ID == "" {
					t.Errorf("event %+v", ev)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("statuses %v, want %v", got, tc.want)
			}
		})
	}
	if parley.CampaignEvents(active, paused)[0].ID == parley.CampaignEvents(resumed, func() parley.Campaign { c := paused; c.StateChangedAt = t0.Add(2 * time.Minute); return c }())[0].ID {
		t.Error("two pauses share an id")
	}
}
