// Package contacts serves an account's contact directory: contacts
// created, read, replaced and deleted one by one or imported from a CSV
// file, and the saved filters campaigns select contacts with.
package contacts

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/google/uuid"

	"github.com/parleyhq/parley/internal/directory"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Store is what the service needs from persistence.
type Store interface {
	store.Contacts
	Account(ctx context.Context, accountID string) (parley.Account, error)
}

// Listing bounds.
const (
	// MaxScan bounds the contacts one filtered List reads; past it the page
	// ends early with a cursor.
	MaxScan = 2000
	// importWorkers is how many import lines are written at once.
	importWorkers = 8
)

// Service is the contact directory.
type Service struct {
	Store Store
	Clock parley.Clock
	// NewID returns a new contact or filter id; uuid v7 (time-ordered) by
	// default.
	NewID func() string
}

func (s *Service) newID() string {
	if s.NewID != nil {
		return s.NewID()
	}
	return uuid.Must(uuid.NewV7()).String()
}

// country is the account's default country, in which national numbers are
// read.
func (s *Service) country(ctx context.Context, accountID string) (string, error) {
	a, err := s.Store.Account(ctx, accountID)
	if err != nil {
		return "", err
	}
	return a.DefaultCountry, nil
}

// clean validates a contact the API writes, reading national numbers in
// the account's default country.
func (s *Service) clean(ctx context.Context, accountID string, d directory.Draft) (directory.Draft, error) {
	country, err := s.country(ctx, accountID)
	if err != nil {
		return directory.Draft{}, err
	}
	return d.Clean(directory.JSONField(""), country)
}

// Create adds a contact.
func (s *Service) Create(ctx context.Context, accountID string, d directory.Draft) (directory.Contact, error) {
	clean, err := s.clean(ctx, accountID, d)
	if err != nil {
		return directory.Contact{}, err
	}
	c := directory.New(accountID, s.newID(), clean, s.Clock.Now())
	if err := s.Store.PutContact(ctx, c); err != nil {
		return directory.Contact{}, s.numberTaken(ctx, c, err)
	}
	return c, nil
}

// numberTaken explains a conflict on a contact's number: which contact has it.
func (s *Service) numberTaken(ctx context.Context, c directory.Contact, err error) error {
	if parley.ErrorCode(err) != parley.ECONFLICT || c.Phone == "" {
		return err
	}
	holder, herr := s.Store.ContactByPhone(ctx, c.AccountID, c.Phone)
	if herr != nil || holder.ID == c.ID {
		return err
	}
	e := parley.Errorf(parley.ECONFLICT, "contact %s already has the number %s; a number belongs to one contact", holder.ID, c.Phone)
	e.Field = directory.FieldPhone
	return e
}

// Get returns one contact.
func (s *Service) Get(ctx context.Context, accountID, id string) (directory.Contact, error) {
	return s.Store.Contact(ctx, accountID, id)
}

// Replace sets a contact's fields to d's.
func (s *Service) Replace(ctx context.Context, accountID, id string, d directory.Draft) (directory.Contact, error) {
	clean, err := s.clean(ctx, accountID, d)
	if err != nil {
		return directory.Contact{}, err
	}
	old, err := s.Store.Contact(ctx, accountID, id)
	if err != nil {
		return directory.Contact{}, err
	}
	c := old.Replace(clean, s.Clock.Now())
	if err := s.Store.PutContact(ctx, c); err != nil {
		return directory.Contact{}, s.numberTaken(ctx, c, err)
	}
	return c, nil
}

// Delete removes a contact; ENOTFOUND when there is none.
func (s *Service) Delete(ctx context.Context, accountID, id string) error {
	removed, err := s.Store.DeleteContact(ctx, accountID, id)
	if err == nil && !removed {
		err = parley.Errorf(parley.ENOTFOUND, "contact %s not found", id)
	}
	return err
}

// Page is a page of the directory; Next, when set, is the cursor of the
// following page.
type Page struct {
	Contacts []directory.Contact
	Next     string
}

// List returns at most limit contacts after cursor (the last id of the
// previous page), in id order; with filterID, only those the saved filter
// matches, reading at most MaxScan contacts (the page may then be short,
// with a cursor). A full page has a cursor even when nothing follows it:
// the next page is then empty.
func (s *Service) List(ctx context.Context, accountID, cursor string, limit int, filterID string) (Page, error) {
	limit = min(max(limit, 1), store.MaxPage)
	var f *directory.Filter
	if filterID != "" {
		got, err := s.Store.Filter(ctx, accountID, filterID)
		if err != nil {
			return Page{}, err
		}
		f = &got
	}
	page := Page{Contacts: []directory.Contact{}}
	for scanned := 0; ; {
		n := min(limit, MaxScan-scanned)
		batch, err := s.Store.Contacts(ctx, accountID, cursor, n)
		if err != nil {
			return Page{}, err
		}
		scanned += len(batch)
		for _, c := range batch {
			cursor = c.ID
			if f == nil || f.Matches(c) {
				page.Contacts = append(page.Contacts, c)
			}
			if len(page.Contacts) == limit {
				page.Next = c.ID
				return page, nil
			}
		}
		switch {
		case len(batch) < n:
			return page, nil // the end of the directory
		case scanned >= MaxScan:
			page.Next = cursor
			return page, nil
		}
	}
}

// Import outcomes of one line.
const (
	LineCreated = "created"
	LineUpdated = "updated"
	LineFailed  = "failed"
)

// ImportResult says what an import did with each data line.
type ImportResult struct {
	Created, Updated, Failed int
	Lines                    []ImportedLine
}

// ImportedLine is one data line's outcome: the contact it created or
// updated (a number already in the directory updates its contact), or the
// error code and why it failed.
type ImportedLine struct {
	Line      int
	Outcome   string
	ContactID string
	Code      string
	Detail    string
}

// Import reads a CSV file with mapping m into the directory. Lines whose
// number is in the directory update that contact (non-empty fields over
// the contact's); the others create contacts. A bad line fails alone.
func (s *Service) Import(ctx context.Context, accountID string, m directory.Mapping, r io.Reader) (ImportResult, error) {
	country, err := s.country(ctx, accountID)
	if err != nil {
		return ImportResult{}, err
	}
	lines, err := directory.ReadImport(r, m, country)
	if err != nil {
		return ImportResult{}, err
	}
	res := ImportResult{Lines: make([]ImportedLine, len(lines))}
	var wg sync.WaitGroup
	work := make(chan int)
	for range importWorkers {
		wg.Go(func() {
			for i := range work {
				res.Lines[i] = s.importLine(ctx, accountID, lines[i])
			}
		})
	}
	for i := range lines {
		work <- i
	}
	close(work)
	wg.Wait()
	for _, l := range res.Lines {
		switch l.Outcome {
		case LineCreated:
			res.Created++
		case LineUpdated:
			res.Updated++
		default:
			res.Failed++
		}
	}
	return res, nil
}

func (s *Service) importLine(ctx context.Context, accountID string, l directory.ImportLine) ImportedLine {
	out := ImportedLine{Line: l.Line}
	if l.Err != nil {
		out.Outcome, out.Code, out.Detail = LineFailed, l.Code, l.Err.Error()
		return out
	}
	now := s.Clock.Now()
	var c directory.Contact
	out.Outcome = LineCreated
	if l.Draft.Phone != "" {
		old, err := s.Store.ContactByPhone(ctx, accountID, l.Draft.Phone)
		switch {
		case err == nil:
			c, out.Outcome = old.Merge(l.Draft, now), LineUpdated
		case parley.ErrorCode(err) != parley.ENOTFOUND:
			return failedLine(out, err)
		}
	}
	if out.Outcome == LineCreated {
		c = directory.New(accountID, s.newID(), l.Draft, now)
	}
	if err := s.Store.PutContact(ctx, c); err != nil {
		return failedLine(out, err)
	}
	out.ContactID = c.ID
	return out
}

func failedLine(out ImportedLine, err error) ImportedLine {
	out.Outcome, out.Code = LineFailed, parley.ErrorCode(err)
	out.Detail = fmt.Sprintf("line %d: %s", out.Line, parley.ErrorMessage(err))
	return out
}

// CreateFilter saves a new filter.
func (s *Service) CreateFilter(ctx context.Context, accountID string, f directory.Filter) (directory.Filter, error) {
	if err := f.Validate(); err != nil {
		return directory.Filter{}, err
	}
	now := s.Clock.Now()
	f.AccountID, f.ID, f.CreatedAt, f.UpdatedAt = accountID, s.newID(), now, now
	return f, s.Store.PutFilter(ctx, f)
}

// ReplaceFilter replaces a saved filter's name and conditions.
func (s *Service) ReplaceFilter(ctx context.Context, accountID, id string, f directory.Filter) (directory.Filter, error) {
	if err := f.Validate(); err != nil {
		return directory.Filter{}, err
	}
	old, err := s.Store.Filter(ctx, accountID, id)
	if err != nil {
		return directory.Filter{}, err
	}
	f.AccountID, f.ID, f.CreatedAt, f.UpdatedAt = accountID, id, old.CreatedAt, s.Clock.Now()
	return f, s.Store.PutFilter(ctx, f)
}

// Filter returns a saved filter.
func (s *Service) Filter(ctx context.Context, accountID, id string) (directory.Filter, error) {
	return s.Store.Filter(ctx, accountID, id)
}

// Filters lists the account's saved filters.
func (s *Service) Filters(ctx context.Context, accountID string) ([]directory.Filter, error) {
	return s.Store.Filters(ctx, accountID)
}

// DeleteFilter removes a saved filter; ENOTFOUND when there is none.
func (s *Service) DeleteFilter(ctx context.Context, accountID, id string) error {
	removed, err := s.Store.DeleteFilter(ctx, accountID, id)
	if err == nil && !removed {
		err = parley.Errorf(parley.ENOTFOUND, "filter %s not found", id)
	}
	return err
}
