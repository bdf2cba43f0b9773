package phonecampaign_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/clocktest"
	"github.com/parleyhq/parley/internal/dialer"
	"github.com/parleyhq/parley/internal/directory"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/phonecampaign"
	"github.com/parleyhq/parley/internal/store/embedded"
)

func setup(t *testing.T) (*phonecampaign.Service, *embedded.Store) {
	t.Helper()
	s, err := embedded.Open(filepath.Join(t.TempDir(), "store.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	now := time.Now()
	contacts := []directory.Contact{
		{ID: "k1", Phone: "+12025550101", Params: map[string]string{"tier": "gold", "mobile": "+12025550201"}},
		{ID: "k2", Phone: "+12025550102", Params: map[string]string{"tier": "silver"}},
		{ID: "k3", Params: map[string]string{"tier": "gold"}}, // no number
		{ID: "k4", Phone: "+12025550104", Params: map[string]string{"tier": "gold", "mobile": "not a number"}},
	}
	for _, c := range contacts {
		c.AccountID, c.Version, c.CreatedAt, c.UpdatedAt = "a1", 1, now, now
		if err := s.PutContact(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	gold := directory.Filter{AccountID: "a1", ID: "gold", Name: "gold", Match: directory.MatchAll,
		Conditions: []directory.Condition{{Field: "param:tier", Op: directory.OpEquals, Value: "gold"}}}
	if err := s.PutFilter(ctx, gold); err != nil {
		t.Fatal(err)
	}
	n := 0
	return &phonecampaign.Service{Store: s, Clock: clocktest.New(now), NewID: func() string { n++; return fmt.Sprintf("p%d", n) }}, s
}

func draft(filter, field string) dialer.Draft {
	return dialer.Draft{Name: "Renewals", Mode: dialer.ModeProgressive, OperatorGroup: "sales", CallerIDs: []string{"+12025550100"},
		Contacts: dialer.Source{FilterID: filter, PhoneField: field}}
}

func TestCreateFillsFromTheFilter(t *testing.T) {
	ctx := context.Background()
	svc, s := setup(t)
	got, err := svc.Create(ctx, "a1", draft("gold", ""))
	if err != nil {
		t.Fatal(err)
	}
	if got.Entries != 2 || got.Skipped != 1 {
		t.Errorf("gold by phone: %d entries, %d skipped; want 2 and 1", got.Entries, got.Skipped)
	}
	byParam, err := svc.Create(ctx, "a1", draft("gold", "param:mobile"))
	if err != nil {
		t.Fatal(err)
	}
	if byParam.Entries != 1 || byParam.Skipped != 2 {
		t.Errorf("gold by param:mobile: %d entries, %d skipped; want 1 and 2", byParam.Entries, byParam.Skipped)
	}
	es, _ := s.Entries(ctx, "a1", byParam.Campaign.ID, "", 10)
	if len(es) != 1 || es[0].Phone != "+12025550201" || es[0].Status != dialer.EntryWaiting {
		t.Errorf("entries %+v", es)
	}
	all, err := svc.Create(ctx, "a1", draft("", ""))
	if err != nil || all.Entries != 3 {
		t.Errorf("without a filter: %+v, %v", all, err)
	}
	if _, err := svc.Create(ctx, "a1", draft("nope", "")); parley.ErrorField(err) != "contacts.filterId" {
		t.Errorf("unknown filter: %v", err)
	}
	if _, err := svc.Create(ctx, "a1", dialer.Draft{}); parley.ErrorCode(err) != parley.EINVALID {
		t.Errorf("empty draft: %v", err)
	}
}

func TestControlCloneAddStats(t *testing.T) {
	ctx := context.Background()
	svc, _ := setup(t)
	created, err := svc.Create(ctx, "a1", draft("gold", ""))
	if err != nil {
		t.Fatal(err)
	}
	id := created.Campaign.ID
	for _, step := range []struct {
		action string
		want   dialer.CampaignState
		code   string
	}{
		{"suspend", dialer.CampaignSuspended, ""},
		{"suspend", dialer.CampaignSuspended, ""}, // repeated: the campaign as it is
		{"resume", dialer.CampaignActive, ""},
		{"terminate", dialer.CampaignTerminated, ""},
		{"resume", "", parley.ECONFLICT},
		{"explode", "", parley.EINVALID},
	} {
		c, err := svc.Control(ctx, "a1", id, step.action)
		if parley.ErrorCode(err) != step.code || (err == nil && c.State != step.want) {
			t.Fatalf("%s: %s, %v; want %s %q", step.action, c.State, err, step.want, step.code)
		}
	}
	if _, err := svc.AddContacts(ctx, "a1", id, []string{"k2"}); parley.ErrorCode(err) != parley.ECONFLICT {
		t.Errorf("add to a terminated campaign: %v", err)
	}
	clone, err := svc.Clone(ctx, "a1", id, "Renewals again")
	if err != nil {
		t.Fatal(err)
	}
	if clone.Campaign.State != dialer.CampaignActive || clone.Campaign.ClonedFrom != id || clone.Campaign.Name != "Renewals again" || clone.Entries != 2 {
		t.Errorf("clone %+v", clone)
	}
	added, err := svc.AddContacts(ctx, "a1", clone.Campaign.ID, []string{"k2", "k1", "k3", "nope"})
	if err != nil {
		t.Fatal(err)
	}
	outcomes := fmt.Sprint(added[0].Outcome, added[1].Outcome, added[2].Outcome, added[3].Outcome)
	if outcomes != "addedpresentfailedfailed" || added[2].Detail == "" {
		t.Errorf("added %+v", added)
	}
	st, err := svc.Stats(ctx, "a1", clone.Campaign.ID)
	if err != nil || st.Waiting != 3 || st.Processed != 0 {
		t.Errorf("stats %+v, %v", st, err)
	}
	page, err := svc.Entries(ctx, "a1", clone.Campaign.ID, "", 2)
	if err != nil || len(page.Entries) != 2 || page.Next == "" {
		t.Errorf("first page %+v, %v", page, err)
	}
	if _, err := svc.Stats(ctx, "a1", "nope"); parley.ErrorCode(err) != parley.ENOTFOUND {
		t.Errorf("stats of nothing: %v", err)
	}
}
