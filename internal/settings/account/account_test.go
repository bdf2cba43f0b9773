package account_test

import (
	"context"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/settings/account"
	"github.com/parleyhq/parley/internal/testworld"
)

func TestSettings(t *testing.T) {
	s, _ := testworld.Open(t)
	at := time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC)
	svc := &account.Service{Store: s, Clock: parley.ClockFunc(func() time.Time { return at })}
	ctx := context.Background()
	got, err := svc.Settings(ctx, "acct1")
	if err != nil || got.OptOutText != account.DefaultOptOut || got.HelpText != account.DefaultHelp ||
		got.OptOutConfirmText != account.DefaultOptOutConfirm || got.OptInConfirmText != account.DefaultOptInConfirm {
		t.Fatalf("defaults = %+v, %v", got, err)
	}
	if _, err := svc.Update(ctx, parley.Account{ID: "acct1", OptOutText: "Reply END to quit"}); parley.ErrorField(err) != "optOutText" {
		t.Fatalf("an opt-out text without STOP: %v", err)
	}
	if got, _ := svc.Settings(ctx, "acct1"); got.OptOutText != account.DefaultOptOut {
		t.Errorf("a rejected update was saved: %+v", got)
	}
	if got.DailyRecipientLimit != parley.DefaultDailyRecipientLimit {
		t.Errorf("default daily recipient limit %d, want %d", got.DailyRecipientLimit, parley.DefaultDailyRecipientLimit)
	}
	for _, bad := range []int{-1, parley.MaxDailyRecipientLimit + 1} {
		if _, err := svc.Update(ctx, parley.Account{ID: "acct1", DailyRecipientLimit: bad}); parley.ErrorField(err) != "dailyRecipientLimit" {
			t.Errorf("daily recipient limit %d: %v", bad, err)
		}
	}
	if got, err := svc.Update(ctx, parley.Account{ID: "acct1", DailyRecipientLimit: 500}); err != nil || got.DailyRecipientLimit != 500 {
		t.Fatalf("daily recipient limit 500: %+v, %v", got, err)
	}
	saved, err := svc.Update(ctx, parley.Account{ID: "acct1", OptOutText: "Txt STOP to end", DefaultSkill: "care"})
	if err != nil || saved.OptOutText != "Txt STOP to end" || !saved.UpdatedAt.Equal(at) || saved.HelpText != account.DefaultHelp {
		t.Fatalf("Update = %+v, %v", saved, err)
	}
}
