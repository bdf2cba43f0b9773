package campaign_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/campaign"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// TestDailyRecipientLimit holds an account to its daily recipient limit
// per channel: a create takes what is left and refuses the consumers past
// it (DAILY_LIMIT_REACHED, saying when the limit resets), the recipients
// kept numbered from r1; a create with no room is rejected, another
// account is not held back, and the next UTC day starts afresh.
func TestDailyRecipientLimit(t *testing.T) {
	w := newWorld(t)
	w.svc.Daily = w.store
	at := now
	w.svc.Clock = parley.ClockFunc(func() time.Time { return at })
	ctx := context.Background()
	if err := w.store.PutAccount(ctx, parley.Account{ID: "acct1", DailyRecipientLimit: 3}); err != nil {
		t.Fatal(err)
	}
	if a, err := w.svc.Create(ctx, "acct1", draft("+12025550101", "+12025550102")); err != nil || len(a.Accepted) != 2 {
		t.Fatalf("within the limit: %+v, %v", a, err)
	}
	a, err := w.svc.Create(ctx, "acct1", draft("+12025550103", "+12025550104", "+12025550105"))
	if err != nil || len(a.Accepted) != 1 || len(a.Failed) != 2 || len(a.Recipients) != 1 || a.Campaign.Recipients != 1 {
		t.Fatalf("past the limit: %+v, %v", a, err)
	}
	if a.Recipients[0].ID != parley.RecipientID(1) || a.Accepted[0].RecipientID != a.Recipients[0].ID || a.Accepted[0].Index != 0 {
		t.Errorf("the recipient kept: %+v, outcome %+v", a.Recipients[0], a.Accepted[0])
	}
	for i, f := range a.Failed {
		if f.Index != i+1 || f.Error != parley.CodeDailyLimit || !strings.Contains(f.Detail, "2026-11-22T00:00:00Z") || f.RecipientID != "" {
			t.Errorf("refused consumer %+v", f)
		}
	}
	var rejected *campaign.RejectedError
	if _, err := w.svc.Create(ctx, "acct1", draft("+12025550106")); !errors.As(err, &rejected) || rejected.Failed[0].Error != parley.CodeDailyLimit {
		t.Fatalf("no room left: %v", err)
	}
	if a, err := w.svc.Create(ctx, "acct2", draft("+12025550106")); err != nil || len(a.Accepted) != 1 {
		t.Errorf("another account: %+v, %v", a, err)
	}
	at = now.Add(9 * time.Hour) // 00:00 UTC the next day
	if a, err := w.svc.Create(ctx, "acct1", draft("+12025550106")); err != nil || len(a.Accepted) != 1 {
		t.Errorf("the next day: %+v, %v", a, err)
	}
}

// failingStore fails every campaign it is asked to persist.
type failingStore struct{ campaign.Store }

func (failingStore) CreateCampaign(context.Context, parley.Campaign, []parley.Recipient) error {
	return parley.Errorf(parley.EUNAVAILABLE, "the table is away")
}

// TestDailyLimitGivenBackOnFailure: a create that could not be persisted
// takes nothing from the day's count.
func TestDailyLimitGivenBackOnFailure(t *testing.T) {
	w := newWorld(t)
	w.svc.Daily = w.store
	w.svc.Store = failingStore{w.store}
	ctx := context.Background()
	if _, err := w.svc.Create(ctx, "acct1", draft("+12025550101", "+12025550102")); parley.ErrorCode(err) != parley.EUNAVAILABLE {
		t.Fatalf("create on a failing store: %v", err)
	}
	key := store.DailyKey{AccountID: "acct1", Channel: parley.ChannelSMS, Day: now.Format(time.DateOnly)}
	if n, err := w.store.DailyCount(ctx, key); err != nil || n != 0 {
		t.Errorf("after a failed persist the count is %d, %v; want 0", n, err)
	}
}

// TestParseReportsTheDailyLimit: a parse refuses the consumers a create
// would refuse now (DAILY_LIMIT_REACHED), and takes nothing, so a create
// after it still gets the room left.
func TestParseReportsTheDailyLimit(t *testing.T) {
	w := newWorld(t)
	w.svc.Daily = w.store
	ctx := context.Background()
	if err := w.store.PutAccount(ctx, parley.Account{ID: "acct1", DailyRecipientLimit: 2}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Create(ctx, "acct1", draft("+12025550101")); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		a, err := w.svc.Parse(ctx, "acct1", draft("+12025550102", "+12025550103", "+12025550104"))
		if err != nil || len(a.Accepted) != 1 || len(a.Failed) != 2 {
			t.Fatalf("parse past the limit: %+v, %v", a, err)
		}
		for i, f := range a.Failed {
			if f.Index != i+1 || f.Error != parley.CodeDailyLimit || !strings.Contains(f.Detail, "resets at") {
				t.Errorf("parse refused %+v", f)
			}
		}
	}
	key := store.DailyKey{AccountID: "acct1", Channel: parley.ChannelSMS, Day: now.Format(time.DateOnly)}
	if n, err := w.store.DailyCount(ctx, key); err != nil || n != 1 {
		t.Errorf("after two parses the count is %d, %v; want 1 (the create's)", n, err)
	}
	if a, err := w.svc.Create(ctx, "acct1", draft("+12025550102", "+12025550103")); err != nil || len(a.Accepted) != 1 || len(a.Failed) != 1 {
		t.Errorf("create after the parses: %+v, %v", a, err)
	}
	if a, err := w.svc.Parse(ctx, "acct2", draft("+12025550102")); err != nil || len(a.Accepted) != 1 {
		t.Errorf("another account's parse: %+v, %v", a, err)
	}
}
