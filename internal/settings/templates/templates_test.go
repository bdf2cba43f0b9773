package templates_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/clocktest"
	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/settings/templates"
	storeembedded "github.com/parleyhq/parley/internal/store/embedded"
	"github.com/parleyhq/parley/internal/testworld"
)

var t0 = time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC)

// submitter records what reaches the provider and answers as told: PENDING
// under ids 1001, 1002… unless refuse is set.
type submitter struct {
	calls  []string
	refuse error
	review *parley.TemplateReview
	next   int
}

func (s *submitter) SubmitTemplate(_ context.Context, t parley.WhatsAppTemplate) (gateway.TemplateSubmission, error) {
	s.calls = append(s.calls, "submit "+t.Name)
	if s.refuse != nil {
		return gateway.TemplateSubmission{}, s.refuse
	}
	s.next++
	return gateway.TemplateSubmission{ProviderID: fmt.Sprint(1000 + s.next), Status: parley.TemplatePending, Review: s.review}, nil
}

func (s *submitter) EditTemplate(_ context.Context, t parley.WhatsAppTemplate) (gateway.TemplateSubmission, error) {
	s.calls = append(s.calls, "edit "+t.MetaID)
	return gateway.TemplateSubmission{ProviderID: t.MetaID, Status: parley.TemplatePending}, s.refuse
}

func (s *submitter) DeleteTemplate(_ context.Context, t parley.WhatsAppTemplate) error {
	s.calls = append(s.calls, "delete "+t.MetaID)
	return s.refuse
}

// submitters gives sub for the sending number +12025550100 only.
type submitters struct{ sub *submitter }

func (s submitters) Templates(_ context.Context, _, number string) (gateway.TemplateSubmitter, error) {
	if number != "+12025550100" {
		return nil, parley.FieldErrorf("outboundNumber", "%s is not a sender", number)
	}
	return s.sub, nil
}

// campaigns says the campaigns in active may send.
type campaigns struct{ active map[string]bool }

func (c campaigns) ActiveCampaigns(_ context.Context, _ string, ids []string) ([]string, error) {
	var out []string
	for _, id := range ids {
		if c.active[id] {
			out = append(out, id)
		}
	}
	return out, nil
}

func newService(t *testing.T) (*templates.Service, *submitter, *storeembedded.Store, *clocktest.Clock) {
	s, _ := testworld.Open(t)
	sub := &submitter{}
	clock := clocktest.New(t0)
	return &templates.Service{Store: s, Submitters: submitters{sub}, Campaigns: campaigns{map[string]bool{"C1": true}}, Clock: clock}, sub, s, clock
}

func definition() parley.WhatsAppTemplate {
	return parley.WhatsAppTemplate{Name: "renewal", Language: "en_US", Category: parley.CategoryMarketing,
		BusinessAccountID: "102290129340398", OutboundNumber: "+12025550100", Body: "Hi {{1}}, renew soon.", BodyExamples: []string{"Ann"}}
}

func TestCreate(t *testing.T) {
	svc, sub, store, _ := newService(t)
	ctx := context.Background()
	def := definition()
	def.Status, def.MetaID, def.Version = parley.TemplateApproved, "42", 7 // Parley's to set
	tpl, err := svc.Create(ctx, "acct1", def)
	if err != nil {
		t.Fatal(err)
	}
	if tpl.Status != parley.TemplatePending || tpl.MetaID != "1001" || tpl.Version != 1 || tpl.AccountID != "acct1" ||
		!strings.HasPrefix(tpl.ID, "WA") || len(tpl.History) != 1 || !tpl.CreatedAt.Equal(t0) {
		t.Errorf("created %+v", tpl)
	}
	if saved, err := store.Template(ctx, "acct1", tpl.ID); err != nil || saved.MetaID != "1001" {
		t.Errorf("saved %+v, %v", saved, err)
	}
	refused := []struct {
		name  string
		edit  func(*parley.WhatsAppTemplate)
		code  string
		field string
	}{
		{"invalid", func(t *parley.WhatsAppTemplate) { t.Name = "Renewal" }, parley.EINVALID, "name"},
		{"name taken in the language", func(t *parley.WhatsAppTemplate) {}, parley.ECONFLICT, "name"},
		{"id taken", func(t *parley.WhatsAppTemplate) { t.ID, t.Name = tpl.ID, "other" }, parley.ECONFLICT, "id"},
		{"plain SMS id", func(t *parley.WhatsAppTemplate) { t.ID, t.Name = parley.PlainSMSTemplateID, "other" }, parley.EINVALID, "id"},
		{"no sender", func(t *parley.WhatsAppTemplate) { t.Name, t.OutboundNumber = "other", "+12025550199" }, parley.EINVALID, "outboundNumber"},
	}
	for _, tt := range refused {
		def := definition()
		tt.edit(&def)
		_, err := svc.Create(ctx, "acct1", def)
		if parley.ErrorCode(err) != tt.code || parley.ErrorField(err) != tt.field {
			t.Errorf("%s: %v; want %s on %q", tt.name, err, tt.code, tt.field)
		}
	}
	if len(sub.calls) != 1 {
		t.Errorf("refused templates reached the provider: %v", sub.calls)
	}
	// What the provider refuses is not saved.
	sub.refuse = parley.FieldErrorf("body", "Meta refused the template")
	other := definition()
	other.Language = "fr"
	if _, err := svc.Create(ctx, "acct1", other); parley.ErrorField(err) != "body" {
		t.Errorf("a refusal by Meta: %v", err)
	}
	if ts, _ := store.Templates(ctx, "acct1"); len(ts) != 1 {
		t.Errorf("%d templates saved; want only the first", len(ts))
	}
	// Without submitters nothing can be created.
	svc.Submitters = nil
	if _, err := svc.Create(ctx, "acct1", other); parley.ErrorCode(err) != parley.EUNPROCESSABLE {
		t.Errorf("without submitters: %v", err)
	}
}

func TestCreateReviewedAtOnce(t *testing.T) {
	svc, sub, _, _ := newService(t)
	sub.review = &parley.TemplateReview{Status: parley.TemplateRejected, Reason: "INVALID_FORMAT", At: t0}
	tpl, err := svc.Create(context.Background(), "acct1", definition())
	if err != nil || tpl.Status != parley.TemplateRejected || tpl.Reason != "INVALID_FORMAT" || tpl.Version != 2 ||
		len(tpl.History) != 2 || tpl.History[0].Status != parley.TemplatePending {
		t.Errorf("created %+v, %v; want PENDING then REJECTED", tpl, err)
	}
}

func TestReview(t *testing.T) {
	svc, _, store, _ := newService(t)
	ctx := context.Background()
	tpl, err := svc.Create(ctx, "acct1", definition())
	if err != nil {
		t.Fatal(err)
	}
	update := func(event string, st parley.TemplateStatus, at time.Time) gateway.TemplateUpdate {
		return gateway.TemplateUpdate{AccountID: "acct1", BusinessAccountID: tpl.BusinessAccountID, ProviderID: tpl.MetaID,
			Name: tpl.Name, Language: tpl.Language, Event: event, Review: parley.TemplateReview{Status: st, At: at}}
	}
	otherWABA := update("APPROVED", parley.TemplateApproved, t0)
	otherWABA.BusinessAccountID = "999"
	otherAccount := update("APPROVED", parley.TemplateApproved, t0)
	otherAccount.AccountID = "acct2"
	steps := []struct {
		name    string
		u       gateway.TemplateUpdate
		changed bool
		want    parley.TemplateStatus
	}{
		{"another WABA", otherWABA, false, parley.TemplatePending},
		{"another account", otherAccount, false, parley.TemplatePending},
		{"an event that says nothing", update("FLAGGED", "", t0), false, parley.TemplatePending},
		{"approved", update("APPROVED", parley.TemplateApproved, t0.Add(time.Minute)), true, parley.TemplateApproved},
		{"approved again", update("APPROVED", parley.TemplateApproved, t0.Add(time.Minute)), false, parley.TemplateApproved},
		{"a late PENDING", update("PENDING", parley.TemplatePending, t0.Add(time.Hour)), false, parley.TemplateApproved},
		{"paused", update("PAUSED", parley.TemplatePaused, t0.Add(2*time.Hour)), true, parley.TemplatePaused},
		{"an approval older than the pause", update("APPROVED", parley.TemplateApproved, t0.Add(90*time.Minute)), false, parley.TemplatePaused},
		{"approved after the pause", update("APPROVED", parley.TemplateApproved, t0.Add(3*time.Hour)), true, parley.TemplateApproved},
	}
	for _, st := range steps {
		changed, err := svc.Review(ctx, st.u)
		got, _ := store.Template(ctx, "acct1", tpl.ID)
		if err != nil || changed != st.changed || got.Status != st.want {
			t.Errorf("%s: changed %v, %v; status %s; want %v, %s", st.name, changed, err, got.Status, st.changed, st.want)
		}
	}
	got, _ := store.Template(ctx, "acct1", tpl.ID)
	if len(got.History) != 4 || got.Version != 4 || !got.ReviewedAt.Equal(t0.Add(3*time.Hour)) {
		t.Errorf("after the reviews: version %d, history %+v, reviewed %v", got.Version, got.History, got.ReviewedAt)
	}
}

func TestUpdate(t *testing.T) {
	svc, sub, store, clock := newService(t)
	ctx := context.Background()
	tpl, err := svc.Create(ctx, "acct1", definition())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Update(ctx, "acct1", tpl.ID, definition()); parley.ErrorCode(err) != parley.ECONFLICT || !strings.Contains(err.Error(), "PENDING") {
		t.Errorf("editing a PENDING template: %v", err)
	}
	review := func(st parley.TemplateStatus, at time.Time) {
		t.Helper()
		if _, err := svc.Review(ctx, gateway.TemplateUpdate{AccountID: "acct1", BusinessAccountID: tpl.BusinessAccountID, ProviderID: tpl.MetaID,
			Review: parley.TemplateReview{Status: st, Reason: "INVALID_FORMAT", At: at}}); err != nil {
			t.Fatal(err)
		}
	}
	review(parley.TemplateRejected, t0)
	clock.Advance(time.Minute) // the edit comes after the rejection
	edit := definition()
	edit.Body = "Hello {{1}}, time to renew."
	for _, tt := range []struct {
		field string
		edit  func(*parley.WhatsAppTemplate)
	}{
		{"name", func(t *parley.WhatsAppTemplate) { t.Name = "renewal_2" }},
		{"language", func(t *parley.WhatsAppTemplate) { t.Language = "fr" }},
		{"wabaId", func(t *parley.WhatsAppTemplate) { t.BusinessAccountID = "1" }},
		{"outboundNumber", func(t *parley.WhatsAppTemplate) { t.OutboundNumber = "+12025550199" }},
		{"version", func(t *parley.WhatsAppTemplate) { t.Version = 1 }},
		{"body", func(t *parley.WhatsAppTemplate) { t.Body = "" }},
	} {
		bad := edit
		tt.edit(&bad)
		if _, err := svc.Update(ctx, "acct1", tpl.ID, bad); parley.ErrorField(err) != tt.field {
			t.Errorf("an edit of %s: %v", tt.field, err)
		}
	}
	edited, err := svc.Update(ctx, "acct1", tpl.ID, edit)
	if err != nil || edited.Status != parley.TemplatePending || edited.Body != edit.Body || edited.MetaID != tpl.MetaID || edited.Reason != "" ||
		len(edited.History) != 3 || sub.calls[len(sub.calls)-1] != "edit "+tpl.MetaID {
		t.Fatalf("edited %+v, %v (calls %v)", edited, err, sub.calls)
	}
	// The rejection of the old definition, delivered again, does not
	// reject the new one.
	review(parley.TemplateRejected, t0)
	if got, _ := store.Template(ctx, "acct1", tpl.ID); got.Status != parley.TemplatePending {
		t.Errorf("a redelivered rejection after the edit: %s", got.Status)
	}
	review(parley.TemplateApproved, t0.Add(time.Hour))
	if _, err := svc.Update(ctx, "acct1", tpl.ID, edit); parley.ErrorCode(err) != parley.ECONFLICT || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("editing an APPROVED template: %v", err)
	}
	review(parley.TemplateDisabled, t0.Add(2*time.Hour))
	if _, err := svc.Update(ctx, "acct1", tpl.ID, edit); parley.ErrorCode(err) != parley.ECONFLICT {
		t.Errorf("editing a DISABLED template: %v", err)
	}
	if _, err := svc.Update(ctx, "acct1", "WA404", edit); parley.ErrorCode(err) != parley.ENOTFOUND {
		t.Errorf("editing no template: %v", err)
	}
	if got, _ := store.Template(ctx, "acct1", tpl.ID); got.Body != edit.Body {
		t.Errorf("saved body %q", got.Body)
	}
}

func TestDeleteRefusedWhileInUse(t *testing.T) {
	svc, sub, store, _ := newService(t)
	ctx := context.Background()
	tpl, err := svc.Create(ctx, "acct1", definition())
	if err != nil {
		t.Fatal(err)
	}
	h := parley.Handoff{AccountID: "acct1", ID: "H000000000000001", Title: "Renewals", Version: 1,
		Channels: []parley.HandoffChannel{{Channel: parley.ChannelWhatsApp, OutboundNumber: "+12025550100", TemplateID: tpl.ID}}}
	if err := store.PutHandoff(ctx, h); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"C1", "C2"} { // C1 active, C2 finished
		if err := store.UseTemplate(ctx, "acct1", tpl.ID, c); err != nil {
			t.Fatal(err)
		}
	}
	err = svc.Delete(ctx, "acct1", tpl.ID)
	if parley.ErrorCode(err) != parley.ECONFLICT || !strings.Contains(err.Error(), `API handoff H000000000000001 ("Renewals")`) ||
		!strings.Contains(err.Error(), "active campaign C1") || strings.Contains(err.Error(), "C2") {
		t.Errorf("Delete while in use = %v", err)
	}
	if err := store.DeleteHandoff(ctx, "acct1", h.ID); err != nil {
		t.Fatal(err)
	}
	svc.Campaigns = campaigns{}
	if err := svc.Delete(ctx, "acct1", tpl.ID); err != nil {
		t.Fatal(err)
	}
	if sub.calls[len(sub.calls)-1] != "delete "+tpl.MetaID {
		t.Errorf("Meta was not asked to delete it: %v", sub.calls)
	}
	if err := svc.Delete(ctx, "acct1", tpl.ID); parley.ErrorCode(err) != parley.ENOTFOUND {
		t.Errorf("deleting it again: %v", err)
	}
}
