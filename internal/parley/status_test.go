package parley

import (
	"slices"
	"testing"
)

func TestAdvances(t *testing.T) {
	tests := []struct {
		from, to RecipientStatus
		want     bool
	}{
		{StatusSent, StatusDelivered, true},
		{StatusSent, StatusRead, true},
		{StatusDelivered, StatusRead, true},
		{StatusSent, StatusFailed, true},
		{StatusSent, StatusUndelivered, true},
		{StatusUnknown, StatusSent, true},
		{StatusUnknown, StatusDelivered, true},
		// a later delivery proves a reported failure wrong
		{StatusUndelivered, StatusDelivered, true},
		{StatusFailed, StatusRead, true},
		// never backwards
		{StatusDelivered, StatusSent, false},
		{StatusRead, StatusDelivered, false},
		{StatusDelivered, StatusUndelivered, false},
		{StatusRead, StatusFailed, false},
		{StatusFailed, StatusSent, false},
		// the first failure stands
		{StatusFailed, StatusUndelivered, false},
		{StatusUndelivered, StatusFailed, false},
		// repeats change nothing
		{StatusDelivered, StatusDelivered, false},
		{StatusSent, StatusSent, false},
		// statuses before a send or without one are never touched
		{StatusQueued, StatusDelivered, false},
		{StatusSending, StatusSent, false},
		{StatusScheduled, StatusDelivered, false},
		{StatusSkipped, StatusDelivered, false},
		{StatusCancelled, StatusRead, false},
		{StatusExpired, StatusSent, false},
		// UNKNOWN is not a report
		{StatusSent, StatusUnknown, false},
	}
	for _, tt := range tests {
		if got := Advances(tt.from, tt.to); got != tt.want {
			t.Errorf("Advances(%s, %s) = %v, want %v", tt.from, tt.to, got, tt.want)
		}
	}
}

func TestAdvancesFrom(t *testing.T) {
	tests := []struct {
		to   RecipientStatus
		want []RecipientStatus
	}{
		{StatusSent, []RecipientStatus{StatusUnknown}},
		{StatusFailed, []RecipientStatus{StatusUnknown, StatusSent}},
		{StatusDelivered, []RecipientStatus{StatusUnknown, StatusSent, StatusFailed, StatusUndelivered}},
		{StatusRead, []RecipientStatus{StatusUnknown, StatusSent, StatusFailed, StatusUndelivered, StatusDelivered}},
		{StatusQueued, nil},
		{StatusUnknown, nil},
	}
	for _, tt := range tests {
		if got := AdvancesFrom(tt.to); !slices.Equal(got, tt.want) {
			t.Errorf("AdvancesFrom(%s) = %v, want %v", tt.to, got, tt.want)
		}
		if got := IsDeliveryReport(tt.to); got != (tt.want != nil) {
			t.Errorf("IsDeliveryReport(%s) = %v", tt.to, got)
		}
	}
}

func TestDeliveryStatusesAreFinal(t *testing.T) {
	for _, s := range []RecipientStatus{StatusSent, StatusDelivered, StatusRead, StatusUndelivered, StatusFailed} {
		if !s.Final() {
			t.Errorf("%s is not Final", s)
		}
	}
	counts := map[RecipientStatus]int{StatusRead: 2, StatusUndelivered: 1}
	if got := CampaignStatus(counts); got != CampaignCompleted {
		t.Errorf("CampaignStatus(%v) = %s, want %s", counts, got, CampaignCompleted)
	}
}

func TestOptOutCovers(t *testing.T) {
	sms := OptOut{Channel: ChannelSMS}
	all := OptOut{Channel: ChannelAll}
	if !sms.Covers(ChannelSMS) || sms.Covers(ChannelWhatsApp) || !all.Covers(ChannelWhatsApp) || !all.Covers(ChannelSMS) {
		t.Error("Covers: an entry bars its own channel, and an all-channels entry every channel")
	}
}
