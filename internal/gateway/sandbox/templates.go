package sandbox

import (
	"context"
	"strings"

	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/parley"
)

var _ gateway.TemplateSubmitter = (*Gateway)(nil)

// RejectPrefix starts the name of every template the sandbox rejects; it
// approves all others.
const RejectPrefix = "reject_"

// RejectReason is the reason the sandbox gives a template it rejects, one
// of Meta's.
const RejectReason = "INVALID_FORMAT"

// SubmitTemplate takes t as Meta would, PENDING under a new id, and
// reviews it at once, as Meta's reviewers would later: a template whose
// name starts with RejectPrefix is REJECTED, every other APPROVED. The
// review comes back as the submission's Review, applied as a webhook's.
func (g *Gateway) SubmitTemplate(ctx context.Context, t parley.WhatsAppTemplate) (gateway.TemplateSubmission, error) {
	return gateway.TemplateSubmission{ProviderID: "SBT" + NewMessageID()[2:], Status: parley.TemplatePending,
		Category: t.Category, Review: g.review(t)}, nil
}

// EditTemplate reviews t again, as SubmitTemplate does.
func (g *Gateway) EditTemplate(ctx context.Context, t parley.WhatsAppTemplate) (gateway.TemplateSubmission, error) {
	return gateway.TemplateSubmission{ProviderID: t.MetaID, Status: parley.TemplatePending, Category: t.Category, Review: g.review(t)}, nil
}

// DeleteTemplate has nothing to delete: the sandbox keeps no templates.
func (g *Gateway) DeleteTemplate(context.Context, parley.WhatsAppTemplate) error { return nil }

func (g *Gateway) review(t parley.WhatsAppTemplate) *parley.TemplateReview {
	r := &parley.TemplateReview{Status: parley.TemplateApproved, At: g.Clock.Now()}
	if strings.HasPrefix(t.Name, RejectPrefix) {
		r.Status, r.Reason = parley.TemplateRejected, RejectReason
	}
	return r
}
