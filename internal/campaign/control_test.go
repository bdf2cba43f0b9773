package campaign_test

import (
	"context"
	"testing"

	"github.com/parleyhq/parley/internal/parley"
)

func TestPauseResumeCancel(t *testing.T) {
	w := newWorld(t)
	got, err := w.svc.Create(context.Background(), "acct1", draft("+12025550101", "+12025550102"))
	if err != nil {
		t.Fatal(err)
	}
	id := got.Campaign.ID
	ctx := context.Background()
	steps := []struct {
		name  string
		do    func() (parley.Campaign, error)
		state parley.CampaignState
		code  string
	}{
		{"pause", func() (parley.Campaign, error) { return w.svc.Pause(ctx, "acct1", id) }, parley.StatePaused, ""},
		{"pause again", func() (parley.Campaign, error) { return w.svc.Pause(ctx, "acct1", id) }, parley.StatePaused, ""},
		{"resume", func() (parley.Campaign, error) { return w.svc.Resume(ctx, "acct1", id) }, parley.StateActive, ""},
		{"cancel", func() (parley.Campaign, error) { return w.svc.Cancel(ctx, "acct1", id) }, parley.StateCancelled, ""},
		{"cancel again", func() (parley.Campaign, error) { return w.svc.Cancel(ctx, "acct1", id) }, parley.StateCancelled, ""},
		{"resume a cancelled campaign", func() (parley.Campaign, error) { return w.svc.Resume(ctx, "acct1", id) }, parley.StateCancelled, parley.ECONFLICT},
		{"pause another account's", func() (parley.Campaign, error) { return w.svc.Pause(ctx, "acct2", id) }, "", parley.ENOTFOUND},
	}
	for _, st := range steps {
		c, err := st.do()
		if parley.ErrorCode(err) != st.code || (st.code != parley.ENOTFOUND && c.State != st.state) {
			t.Fatalf("%s: %q, %v; want %q, %q", st.name, c.State, err, st.state, st.code)
		}
	}
	rep, err := w.svc.Report(ctx, "acct1", id)
	if err != nil || rep.Status != "CANCELLED" {
		t.Fatalf("report %s, %v", rep.Status, err)
	}
	for _, r := range rep.Recipients {
		if r.Status != parley.StatusCancelled || r.ErrorMessage != parley.CodeCancelled {
			t.Errorf("recipient %s: %s %q", r.ID, r.Status, r.ErrorMessage)
		}
	}
}
