package parley

import (
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/window"
)

func TestCampaignPhase(t *testing.T) {
	now := time.Unix(1_900_000_000, 0).UTC()
	for _, tc := range []struct {
		name string
		c    Campaign
		want string
	}{
		{"before launch", Campaign{LaunchAt: now.Add(time.Hour)}, PhaseScheduled},
		{"at launch", Campaign{LaunchAt: now}, PhaseRunning},
		{"launched", Campaign{LaunchAt: now.Add(-time.Hour)}, PhaseRunning},
		{"no recipient to send", Campaign{}, PhaseRunning},
		{"paused", Campaign{State: StatePaused, LaunchAt: now.Add(time.Hour)}, PhasePaused},
		{"cancelled", Campaign{State: StateCancelled, CompletedAt: now}, PhaseCancelled},
		{"completed", Campaign{LaunchAt: now.Add(-time.Hour), CompletedAt: now}, PhaseFinished},
		{"completed, end passed", Campaign{CompletedAt: now, Schedule: window.Schedule{EndAt: now.Add(-time.Minute)}}, PhaseFinished},
		{"end passed unfinished", Campaign{Schedule: window.Schedule{EndAt: now}}, PhaseExpired},
		{"paused, end passed", Campaign{State: StatePaused, Schedule: window.Schedule{EndAt: now.Add(-time.Minute)}}, PhaseExpired},
		{"end to come", Campaign{LaunchAt: now.Add(-time.Hour), Schedule: window.Schedule{EndAt: now.Add(time.Minute)}}, PhaseRunning},
	} {
		if got := tc.c.Phase(now); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
		if !ValidPhase(tc.want) {
			t.Errorf("%s is not listed in Phases", tc.want)
		}
	}
}

func TestCompletes(t *testing.T) {
	for _, tc := range []struct {
		counts map[RecipientStatus]int
		want   bool
	}{
		{map[RecipientStatus]int{StatusSent: 3, StatusFailed: 1, StatusSkipped: 2}, true},
		{map[RecipientStatus]int{StatusSent: 3, StatusQueued: 1}, false},
		{map[RecipientStatus]int{StatusSending: 1}, false},
		{map[RecipientStatus]int{StatusScheduled: 5}, false},
		{map[RecipientStatus]int{StatusCancelled: 5}, true},
	} {
		if got := Completes(tc.counts); got != tc.want {
			t.Errorf("Completes(%v) = %v, want %v", tc.counts, got, tc.want)
		}
	}
}
