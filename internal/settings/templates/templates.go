// Package templates keeps each account's WhatsApp message templates through
// their life with Meta: a template is checked against Meta's rules,
// submitted for review through the account's WhatsApp channel, and moved by
// Meta's status updates from PENDING to APPROVED, REJECTED, PAUSED or
// DISABLED. Campaigns and API handoffs name an APPROVED one by id
// (LivePerson's templateId); an APPROVED template is read-only, and one
// that a handoff or an active campaign uses cannot be deleted.
package templates

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Store is what the service needs from persistence: the templates, and
// the handoffs that may use them.
type Store interface {
	store.Templates
	Handoffs(ctx context.Context, accountID string) ([]parley.Handoff, error)
}

// Submitters gives the template submitter of an account's WhatsApp
// sending number (*router.Router is one); its refusals name
// outboundNumber.
type Submitters interface {
	Templates(ctx context.Context, accountID, outboundNumber string) (gateway.TemplateSubmitter, error)
}

// Campaigns tells which of the given campaigns may still send: not
// cancelled, with recipients left to send to (*campaign.Service is one).
type Campaigns interface {
	ActiveCampaigns(ctx context.Context, accountID string, ids []string) ([]string, error)
}

// Service creates, edits, reviews and deletes templates.
type Service struct {
	Store Store
	// Submitters submits templates to Meta (or the sandbox); nil refuses
	// every submission.
	Submitters Submitters
	// Campaigns, when set, keeps a template that active campaigns send
	// from being deleted.
	Campaigns Campaigns
	Clock     parley.Clock
}

// saveAttempts bounds how often a review is applied again when the
// template changed under it.
const saveAttempts = 3

// Create checks t, submits it to Meta through the account's WhatsApp
// channel and saves it as version 1, PENDING (or as Meta answered), under
// a new id unless it names one. A review the provider made at once (the
// sandbox's) is applied as a webhook's. Nothing is saved when t is
// invalid or the provider refuses it.
func (s *Service) Create(ctx context.Context, accountID string, t parley.WhatsAppTemplate) (parley.WhatsAppTemplate, error) {
	if err := t.Validate(); err != nil {
		return parley.WhatsAppTemplate{}, err
	}
	t = submitted(t)
	t.AccountID = accountID
	if t.ID == "" {
		t.ID = "WA" + strings.ReplaceAll(uuid.Must(uuid.NewV7()).String(), "-", "")
	}
	if t.ID == parley.PlainSMSTemplateID {
		return parley.WhatsAppTemplate{}, parley.FieldErrorf("id", "id %s means a plain SMS campaign", t.ID)
	}
	if err := s.free(ctx, t); err != nil {
		return parley.WhatsAppTemplate{}, err
	}
	submitter, err := s.submitter(ctx, t)
	if err != nil {
		return parley.WhatsAppTemplate{}, err
	}
	sub, err := submitter.SubmitTemplate(ctx, t)
	if err != nil {
		return parley.WhatsAppTemplate{}, err
	}
	now := s.Clock.Now()
	t.MetaID, t.Version, t.CreatedAt, t.UpdatedAt = sub.ProviderID, 1, now, now
	t = accepted(t, sub, now)
	if err := s.Store.PutTemplate(ctx, t); err != nil {
		return parley.WhatsAppTemplate{}, fmt.Errorf("save template %s, submitted to Meta as %s: %w", t.ID, t.MetaID, err)
	}
	return s.applyAtOnce(ctx, t, sub)
}

// Update replaces the definition of a template Meta rejected or paused
// and submits it again for review. An APPROVED template is read-only, a
// PENDING one is under review and a DISABLED one is done: all three are
// ECONFLICT. Its name, language, WABA and sending number stay as
// submitted. When t.Version is set it is the version the edit was made
// to, and the edit is ECONFLICT if the template changed since.
func (s *Service) Update(ctx context.Context, accountID, id string, t parley.WhatsAppTemplate) (parley.WhatsAppTemplate, error) {
	current, err := s.Store.Template(ctx, accountID, id)
	if err != nil {
		return parley.WhatsAppTemplate{}, err
	}
	switch current.Status {
	case parley.TemplateApproved:
		return parley.WhatsAppTemplate{}, parley.Errorf(parley.ECONFLICT,
			"template %s (%s) is APPROVED and read-only: create a new template for a new text", id, current.Name)
	case parley.TemplatePending:
		return parley.WhatsAppTemplate{}, parley.Errorf(parley.ECONFLICT,
			"template %s (%s) is PENDING: Meta is reviewing it, and it can be edited once rejected or paused", id, current.Name)
	case parley.TemplateDisabled:
		return parley.WhatsAppTemplate{}, parley.Errorf(parley.ECONFLICT,
			"template %s (%s) is DISABLED by Meta and can no longer be edited", id, current.Name)
	}
	if t.Version != 0 && t.Version != current.Version {
		return parley.WhatsAppTemplate{}, &parley.Error{Code: parley.ECONFLICT, Field: "version",
			Message: fmt.Sprintf("template %s is at version %d; the edit was made to version %d", id, current.Version, t.Version)}
	}
	if err := t.Validate(); err != nil {
		return parley.WhatsAppTemplate{}, err
	}
	for _, f := range []struct{ field, was, is string }{
		{"name", current.Name, t.Name}, {"language", current.Language, t.Language},
		{"wabaId", current.BusinessAccountID, t.BusinessAccountID}, {"outboundNumber", current.OutboundNumber, t.OutboundNumber},
	} {
		if f.was != f.is {
			return parley.WhatsAppTemplate{}, parley.FieldErrorf(f.field, "%s stays %q once submitted to Meta; create a new template to change it", f.field, f.was)
		}
	}
	next := submitted(t)
	next.AccountID, next.ID, next.MetaID, next.CreatedAt = accountID, id, current.MetaID, current.CreatedAt
	next.History, next.ReviewedAt = current.History, current.ReviewedAt
	submitter, err := s.submitter(ctx, next)
	if err != nil {
		return parley.WhatsAppTemplate{}, err
	}
	var sub gateway.TemplateSubmission
	if next.MetaID == "" {
		sub, err = submitter.SubmitTemplate(ctx, next)
	} else {
		sub, err = submitter.EditTemplate(ctx, next)
	}
	if err != nil {
		return parley.WhatsAppTemplate{}, err
	}
	now := s.Clock.Now()
	next.MetaID, next.Version, next.UpdatedAt = sub.ProviderID, current.Version+1, now
	// Reviews of the definition before the edit (Meta's times are whole
	// seconds) no longer apply; a redelivered rejection changes nothing.
	next.ReviewedAt = now.Truncate(time.Second)
	next = accepted(next, sub, now)
	if err := s.Store.PutTemplate(ctx, next); parley.ErrorCode(err) == parley.ECONFLICT {
		return parley.WhatsAppTemplate{}, &parley.Error{Code: parley.ECONFLICT, Field: "version",
			Message: fmt.Sprintf("template %s changed while it was edited; read it again", id)}
	} else if err != nil {
		return parley.WhatsAppTemplate{}, fmt.Errorf("save template %s: %w", id, err)
	}
	return s.applyAtOnce(ctx, next, sub)
}

// Delete deletes a template at Meta and in Parley, unless an API handoff
// or an active campaign uses it: then it is ECONFLICT naming them.
func (s *Service) Delete(ctx context.Context, accountID, id string) error {
	t, err := s.Store.Template(ctx, accountID, id)
	if err != nil {
		return err
	}
	if err := s.unused(ctx, t); err != nil {
		return err
	}
	if t.MetaID != "" {
		submitter, err := s.submitter(ctx, t)
		if err != nil {
			return err
		}
		if err := submitter.DeleteTemplate(ctx, t); err != nil {
			return err
		}
	}
	return s.Store.DeleteTemplate(ctx, accountID, id)
}

// unused is ECONFLICT naming the handoffs and active campaigns that use t.
func (s *Service) unused(ctx context.Context, t parley.WhatsAppTemplate) error {
	hs, err := s.Store.Handoffs(ctx, t.AccountID)
	if err != nil {
		return fmt.Errorf("list handoffs: %w", err)
	}
	var users []string
	for _, h := range hs {
		if slices.ContainsFunc(h.Channels, func(c parley.HandoffChannel) bool { return c.TemplateID == t.ID }) {
			users = append(users, fmt.Sprintf("API handoff %s (%q)", h.ID, h.Title))
		}
	}
	if s.Campaigns != nil {
		ids, err := s.Store.TemplateCampaigns(ctx, t.AccountID, t.ID)
		if err != nil {
			return fmt.Errorf("list the campaigns of template %s: %w", t.ID, err)
		}
		active, err := s.Campaigns.ActiveCampaigns(ctx, t.AccountID, ids)
		if err != nil {
			return err
		}
		for _, c := range active {
			users = append(users, "active campaign "+c)
		}
	}
	if len(users) == 0 {
		return nil
	}
	return parley.Errorf(parley.ECONFLICT, "template %s (%s) is in use by %s: change the handoffs to another template, or cancel the campaigns, before deleting it",
		t.ID, t.Name, strings.Join(users, ", "))
}

// Review applies a template status update a provider's webhook delivered
// to the account's template it names (by Meta's id, else by WABA, name and
// language), and reports whether it changed the template. An update for
// no template of the account, or one that says nothing about sending,
// changes nothing; so do a repeat and a late one (see
// parley.WhatsAppTemplate.Reviewed), so redelivery is harmless.
func (s *Service) Review(ctx context.Context, u gateway.TemplateUpdate) (bool, error) {
	if u.Review.Status == "" {
		return false, nil
	}
	if u.Review.At.IsZero() {
		u.Review.At = s.Clock.Now()
	}
	for range saveAttempts {
		ts, err := s.Store.Templates(ctx, u.AccountID)
		if err != nil {
			return false, fmt.Errorf("list templates: %w", err)
		}
		i := slices.IndexFunc(ts, func(t parley.WhatsAppTemplate) bool { return u.Names(t) })
		if i < 0 {
			return false, nil
		}
		changed, err := s.apply(ctx, ts[i], u.Review)
		if parley.ErrorCode(err) != parley.ECONFLICT {
			return changed, err
		}
	}
	return false, parley.Errorf(parley.EUNAVAILABLE, "template %s kept changing while its status update was applied", u.ProviderID)
}

// apply saves t with review r as its next version, when r changes it.
func (s *Service) apply(ctx context.Context, t parley.WhatsAppTemplate, r parley.TemplateReview) (bool, error) {
	next, changed := t.Reviewed(r)
	if !changed {
		return false, nil
	}
	next.Version, next.UpdatedAt = t.Version+1, s.Clock.Now()
	if err := s.Store.PutTemplate(ctx, next); err != nil {
		return false, err
	}
	return true, nil
}

// applyAtOnce applies the review the provider made at submission, if any,
// and returns the template as saved.
func (s *Service) applyAtOnce(ctx context.Context, t parley.WhatsAppTemplate, sub gateway.TemplateSubmission) (parley.WhatsAppTemplate, error) {
	if sub.Review == nil {
		return t, nil
	}
	u := gateway.TemplateUpdate{AccountID: t.AccountID, BusinessAccountID: t.BusinessAccountID, ProviderID: t.MetaID,
		Name: t.Name, Language: t.Language, Event: string(sub.Review.Status), Review: *sub.Review}
	if _, err := s.Review(ctx, u); err != nil {
		return parley.WhatsAppTemplate{}, err
	}
	return s.Store.Template(ctx, t.AccountID, t.ID)
}

// Get returns one of the account's templates.
func (s *Service) Get(ctx context.Context, accountID, id string) (parley.WhatsAppTemplate, error) {
	return s.Store.Template(ctx, accountID, id)
}

// List returns the account's templates.
func (s *Service) List(ctx context.Context, accountID string) ([]parley.WhatsAppTemplate, error) {
	return s.Store.Templates(ctx, accountID)
}

// free is ECONFLICT when t's id exists, or another template of the account
// has its name in its language.
func (s *Service) free(ctx context.Context, t parley.WhatsAppTemplate) error {
	ts, err := s.Store.Templates(ctx, t.AccountID)
	if err != nil {
		return fmt.Errorf("list templates: %w", err)
	}
	for _, other := range ts {
		switch {
		case other.ID == t.ID:
			return &parley.Error{Code: parley.ECONFLICT, Field: "id", Message: fmt.Sprintf("template %s exists", t.ID)}
		case other.NameKey() == t.NameKey():
			return &parley.Error{Code: parley.ECONFLICT, Field: "name",
				Message: fmt.Sprintf("template %s already has the name %q in %s; names are unique per language in an account", other.ID, t.Name, t.Language)}
		}
	}
	return nil
}

// submitter is the submitter of t's sending number.
func (s *Service) submitter(ctx context.Context, t parley.WhatsAppTemplate) (gateway.TemplateSubmitter, error) {
	if s.Submitters == nil {
		return nil, &parley.Error{Code: parley.EUNPROCESSABLE, Field: "outboundNumber", Message: "this server submits no WhatsApp templates"}
	}
	return s.Submitters.Templates(ctx, t.AccountID, t.OutboundNumber)
}

// submitted is t's definition without what Parley sets.
func submitted(t parley.WhatsAppTemplate) parley.WhatsAppTemplate {
	t.Status, t.MetaID, t.Reason, t.ReviewedAt, t.History = "", "", "", time.Time{}, nil
	t.Version, t.CreatedAt, t.UpdatedAt = 0, time.Time{}, time.Time{}
	return t
}

// accepted is t as the provider took it at now: its status (PENDING, or
// APPROVED at once) and the category Meta gave it.
func accepted(t parley.WhatsAppTemplate, sub gateway.TemplateSubmission, now time.Time) parley.WhatsAppTemplate {
	t.Status, t.Reason = sub.Status, ""
	if t.Status == "" {
		t.Status = parley.TemplatePending
	}
	if sub.Category != "" {
		t.Category = sub.Category
	}
	t.History = t.WithHistory(t.Status, "", now)
	return t
}
