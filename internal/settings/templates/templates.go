// Package templates keeps the WhatsApp message templates each account has
// had approved by Meta, so campaigns can name one by id (LivePerson's
// templateId) and give each recipient its variable values.
package templates

import (
	"context"
	"strings"

	"github.com/google/uuid"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Service registers and looks up templates.
type Service struct {
	Store store.Templates
}

// Register checks t against WhatsApp's rules and saves it for the account,
// under a new id unless it names one; nothing is saved when it is invalid.
func (s *Service) Register(ctx context.Context, accountID string, t parley.WhatsAppTemplate) (parley.WhatsAppTemplate, error) {
	if err := t.Validate(); err != nil {
		return parley.WhatsAppTemplate{}, err
	}
	t.AccountID = accountID
	if t.ID == "" {
		t.ID = "WA" + strings.ReplaceAll(uuid.Must(uuid.NewV7()).String(), "-", "")
	}
	if t.ID == parley.PlainSMSTemplateID {
		return parley.WhatsAppTemplate{}, parley.FieldErrorf("id", "id %s means a plain SMS campaign", t.ID)
	}
	return t, s.Store.PutTemplate(ctx, t)
}

// Get returns one of the account's templates.
func (s *Service) Get(ctx context.Context, accountID, id string) (parley.WhatsAppTemplate, error) {
	return s.Store.Template(ctx, accountID, id)
}

// List returns the account's templates.
func (s *Service) List(ctx context.Context, accountID string) ([]parley.WhatsAppTemplate, error) {
	return s.Store.Templates(ctx, accountID)
}
