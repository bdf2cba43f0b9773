package gateway

import (
	"context"

	"github.com/parleyhq/parley/internal/parley"
)

// TemplateSubmitter submits an account's WhatsApp message templates for
// review at the provider (Meta's Graph API; the sandbox reviews by itself),
// edits them, and deletes them there. Every refusal is a *parley.Error:
// EINVALID naming the template's field the provider found wrong, ECONFLICT
// when the name is taken at the provider, ETOOMANY when throttled,
// EUNPROCESSABLE when the channel's credentials cannot manage templates,
// EUNAVAILABLE when the provider could not be reached.
type TemplateSubmitter interface {
	// SubmitTemplate creates t in its WhatsApp Business Account (t.BusinessAccountID).
	SubmitTemplate(ctx context.Context, t parley.WhatsAppTemplate) (TemplateSubmission, error)
	// EditTemplate submits t's new category and components for t.MetaID.
	EditTemplate(ctx context.Context, t parley.WhatsAppTemplate) (TemplateSubmission, error)
	// DeleteTemplate deletes t (t.MetaID) at the provider; one the
	// provider no longer has counts as deleted.
	DeleteTemplate(ctx context.Context, t parley.WhatsAppTemplate) error
}

// TemplateSubmission is the provider's answer to a submitted template.
type TemplateSubmission struct {
	// ProviderID is the template's id at the provider (Meta's template
	// id); an edit keeps it.
	ProviderID string
	// Status is the template's status as the provider answered it:
	// usually PENDING, APPROVED when it was approved at once.
	Status parley.TemplateStatus
	// Category is the category the provider gave the template.
	Category string
	// Review, when set, is the provider's decision on the template, made
	// at submission and delivered at once (the sandbox's): it is applied
	// as a webhook's would be.
	Review *parley.TemplateReview
}

// TemplateUpdate is a change of a template's review status, as a
// provider's webhook delivered it.
type TemplateUpdate struct {
	// AccountID is the account whose webhook received the update.
	AccountID string
	// BusinessAccountID is the WhatsApp Business Account of the template.
	BusinessAccountID string
	// ProviderID, Name and Language identify the template at the provider.
	ProviderID string
	Name       string
	Language   string
	// Event is the provider's word for what happened, for the log.
	Event string
	// Review is what the event means, its Status "" when the event says
	// nothing about whether the template may be sent (the update then
	// changes nothing).
	Review parley.TemplateReview
}

// Names reports whether u is about t: the same WhatsApp Business Account,
// and Meta's id of t, or (for a template whose id is not saved yet) its
// name and language.
func (u TemplateUpdate) Names(t parley.WhatsAppTemplate) bool {
	if u.BusinessAccountID != t.BusinessAccountID {
		return false
	}
	if t.MetaID != "" {
		return u.ProviderID == t.MetaID
	}
	return u.Name == t.Name && u.Language == t.Language
}
