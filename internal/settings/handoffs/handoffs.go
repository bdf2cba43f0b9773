// Package handoffs keeps each account's API handoffs (LivePerson's outbound
// configurations): which channels a campaign naming one sends on, in what
// priority, from which number, with what text or WhatsApp template, and the
// lookback its replies are routed within. Every edit is a new version; the
// earlier ones stay readable.
package handoffs

import (
	"cmp"
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"slices"
	"strings"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Store is what the service needs from persistence: the handoffs, the
// account's opt-out text and its WhatsApp templates.
type Store interface {
	store.Handoffs
	store.Templates
	store.Accounts
}

// Service creates, edits, lists and deletes handoffs.
type Service struct {
	Store Store
	Clock parley.Clock
	// NewID returns a new handoff id; "H" and 15 random digits by default.
	NewID func() string
}

// newIDAttempts bounds the ids Create tries when one is taken.
const newIDAttempts = 3

func (s *Service) newID() string {
	if s.NewID != nil {
		return s.NewID()
	}
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000_000_000_000))
	if err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // the system's randomness is gone
	}
	return fmt.Sprintf("H%015d", n)
}

// Create checks h and saves it as version 1 of a new handoff of the
// account, under a new id; or, when h has an id (one LivePerson gave it,
// see parley.CheckImportedHandoffID), under that id, ECONFLICT when the
// account has a handoff of that id.
func (s *Service) Create(ctx context.Context, accountID string, h parley.Handoff) (parley.Handoff, error) {
	imported := h.ID
	if imported != "" {
		if err := parley.CheckImportedHandoffID(imported); err != nil {
			return parley.Handoff{}, err
		}
	}
	h, err := s.check(ctx, accountID, "", h)
	if err != nil {
		return parley.Handoff{}, err
	}
	h.Version = 1
	h.CreatedAt = s.Clock.Now()
	h.UpdatedAt = h.CreatedAt
	if imported != "" {
		h.ID = imported
		if err := s.Store.PutHandoff(ctx, h); parley.ErrorCode(err) == parley.ECONFLICT {
			if err := s.titleFree(ctx, accountID, "", h.Title); err != nil {
				return parley.Handoff{}, err
			}
			return parley.Handoff{}, &parley.Error{Code: parley.ECONFLICT, Field: "id", Message: fmt.Sprintf("the account has a handoff %s already", imported)}
		} else if err != nil {
			return parley.Handoff{}, fmt.Errorf("save handoff %s: %w", imported, err)
		}
		return h, nil
	}
	for range newIDAttempts {
		h.ID = s.newID()
		err = s.Store.PutHandoff(ctx, h)
		if parley.ErrorCode(err) != parley.ECONFLICT {
			break
		}
		if err := s.titleFree(ctx, accountID, "", h.Title); err != nil {
			return parley.Handoff{}, err
		}
	}
	if err != nil {
		return parley.Handoff{}, fmt.Errorf("save handoff: %w", err)
	}
	return h, nil
}

// Update checks h and saves it as the next version of handoff id. When
// h.Version is set it is the version the edit was made to, and the edit
// is ECONFLICT if the handoff has changed since.
func (s *Service) Update(ctx context.Context, accountID, id string, h parley.Handoff) (parley.Handoff, error) {
	current, err := s.Store.Handoff(ctx, accountID, id)
	if err != nil {
		return parley.Handoff{}, err
	}
	if h.Version != 0 && h.Version != current.Version {
		return parley.Handoff{}, &parley.Error{Code: parley.ECONFLICT, Field: "version",
			Message: fmt.Sprintf("handoff %s is at version %d; the edit was made to version %d", id, current.Version, h.Version)}
	}
	if h, err = s.check(ctx, accountID, id, h); err != nil {
		return parley.Handoff{}, err
	}
	h.ID, h.Version, h.CreatedAt, h.UpdatedAt = id, current.Version+1, current.CreatedAt, s.Clock.Now()
	if err := s.Store.PutHandoff(ctx, h); parley.ErrorCode(err) == parley.ECONFLICT {
		if err := s.titleFree(ctx, accountID, id, h.Title); err != nil {
			return parley.Handoff{}, err
		}
		return parley.Handoff{}, &parley.Error{Code: parley.ECONFLICT, Field: "version",
			Message: fmt.Sprintf("handoff %s changed while it was edited; read it again", id)}
	} else if err != nil {
		return parley.Handoff{}, fmt.Errorf("save handoff %s: %w", id, err)
	}
	return h, nil
}

// check validates h for the account and returns it normalized, with the
// account's id; id is the handoff's own, "" for a new one.
func (s *Service) check(ctx context.Context, accountID, id string, h parley.Handoff) (parley.Handoff, error) {
	acct, err := s.Store.Account(ctx, accountID)
	if err != nil {
		return parley.Handoff{}, fmt.Errorf("read account %s: %w", accountID, err)
	}
	if err := h.Validate(acct.OptOutText); err != nil {
		return parley.Handoff{}, err
	}
	h = h.Normalized()
	h.AccountID = accountID
	for i, c := range h.Channels {
		if c.Channel != parley.ChannelWhatsApp {
			continue
		}
		field := fmt.Sprintf("channels[%d].templateId", i)
		t, err := s.Store.Template(ctx, accountID, c.TemplateID)
		switch {
		case parley.ErrorCode(err) == parley.ENOTFOUND:
			return parley.Handoff{}, parley.FieldErrorf(field, "templateId %q is not a WhatsApp template approved for this account", c.TemplateID)
		case err != nil:
			return parley.Handoff{}, fmt.Errorf("read template %s: %w", c.TemplateID, err)
		case h.Mode() == parley.ChannelPrioritized && t.Rich():
			return parley.Handoff{}, parley.FieldErrorf(field, "the SMS fallback cannot carry template %s's header, footer or buttons", t.ID)
		}
	}
	return h, s.titleFree(ctx, accountID, id, h.Title)
}

// titleFree is ECONFLICT on title when another handoff than id has it.
func (s *Service) titleFree(ctx context.Context, accountID, id, title string) error {
	hs, err := s.Store.Handoffs(ctx, accountID)
	if err != nil {
		return fmt.Errorf("list handoffs: %w", err)
	}
	for _, other := range hs {
		if other.ID != id && parley.TitleKey(other.Title) == parley.TitleKey(title) {
			return &parley.Error{Code: parley.ECONFLICT, Field: "title",
				Message: fmt.Sprintf("handoff %s already has the title %q; titles are unique in an account", other.ID, other.Title)}
		}
	}
	return nil
}

// Get returns the latest version of a handoff.
func (s *Service) Get(ctx context.Context, accountID, id string) (parley.Handoff, error) {
	return s.Store.Handoff(ctx, accountID, id)
}

// Versions returns every version of a handoff, oldest first.
func (s *Service) Versions(ctx context.Context, accountID, id string) ([]parley.Handoff, error) {
	return s.Store.HandoffVersions(ctx, accountID, id)
}

// Version returns one version of a handoff.
func (s *Service) Version(ctx context.Context, accountID, id string, version int) (parley.Handoff, error) {
	vs, err := s.Store.HandoffVersions(ctx, accountID, id)
	if err != nil {
		return parley.Handoff{}, err
	}
	i := slices.IndexFunc(vs, func(h parley.Handoff) bool { return h.Version == version })
	if i < 0 {
		return parley.Handoff{}, parley.Errorf(parley.ENOTFOUND, "handoff %s has no version %d", id, version)
	}
	return vs[i], nil
}

// Delete removes a handoff and its versions. Campaigns that named it keep
// what they took from it.
func (s *Service) Delete(ctx context.Context, accountID, id string) error {
	return s.Store.DeleteHandoff(ctx, accountID, id)
}

// Sort orders of List.
const (
	SortID       = "id"
	SortTitle    = "title"
	SortCreated  = "createdAt"
	SortUpdated  = "updatedAt"
	SortLookback = "lookbackMinutes"
)

// Paging bounds of List.
const (
	DefaultLimit = 30
	MaxLimit     = store.MaxPage
)

// Query selects and orders a page of handoffs.
type Query struct {
	// Title keeps the handoffs whose title contains it, ignoring case.
	Title string
	// Channel keeps the handoffs that send on it.
	Channel parley.Channel
	// Sort is one of the Sort orders (SortID when empty); Desc reverses it.
	Sort string
	Desc bool
	// Limit (DefaultLimit when 0) handoffs from Offset.
	Limit, Offset int
}

// Page is one page of handoffs, and how many the query matched in all.
type Page struct {
	Handoffs []parley.Handoff
	Total    int
}

// List returns the page of the account's handoffs q selects.
func (s *Service) List(ctx context.Context, accountID string, q Query) (Page, error) {
	less, err := q.order()
	if err != nil {
		return Page{}, err
	}
	hs, err := s.Store.Handoffs(ctx, accountID)
	if err != nil {
		return Page{}, err
	}
	title := strings.ToLower(strings.TrimSpace(q.Title))
	hs = slices.DeleteFunc(hs, func(h parley.Handoff) bool {
		_, sends := h.Channel(q.Channel)
		return !strings.Contains(strings.ToLower(h.Title), title) || (q.Channel != "" && !sends)
	})
	slices.SortStableFunc(hs, func(a, b parley.Handoff) int {
		c := cmp.Or(less(a, b), cmp.Compare(a.ID, b.ID))
		if q.Desc {
			return -c
		}
		return c
	})
	total := len(hs)
	start := min(q.Offset, total)
	end := min(start+cmp.Or(q.Limit, DefaultLimit), total)
	return Page{Handoffs: hs[start:end], Total: total}, nil
}

func (q Query) order() (func(a, b parley.Handoff) int, error) {
	switch {
	case q.Limit < 0 || q.Limit > MaxLimit:
		return nil, parley.FieldErrorf("limit", "limit %d is outside 1 to %d", q.Limit, MaxLimit)
	case q.Offset < 0:
		return nil, parley.FieldErrorf("offset", "offset %d is negative", q.Offset)
	}
	switch q.Sort {
	case "", SortID:
		return func(a, b parley.Handoff) int { return 0 }, nil
	case SortTitle:
		return func(a, b parley.Handoff) int {
			return strings.Compare(parley.TitleKey(a.Title), parley.TitleKey(b.Title))
		}, nil
	case SortCreated:
		return func(a, b parley.Handoff) int { return a.CreatedAt.Compare(b.CreatedAt) }, nil
	case SortUpdated:
		return func(a, b parley.Handoff) int { return a.UpdatedAt.Compare(b.UpdatedAt) }, nil
	case SortLookback:
		return func(a, b parley.Handoff) int { return cmp.Compare(a.LookbackMinutes, b.LookbackMinutes) }, nil
	}
	return nil, parley.FieldErrorf("sort", "sort %q is not one of id, title, createdAt, updatedAt, lookbackMinutes", q.Sort)
}
